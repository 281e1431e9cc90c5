"""Screenshot of a running chat page answering one question (the README's docs/chat-page.png).

    rag serve &                      # or: make run
    python scripts/screenshot.py --question "An Khê tiếp nhận bao nhiêu đơn?" --out docs/chat-page.png

Uses Debian's Chromium (scripts/install-browser.sh) through Playwright, with the same flags as the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--question", default="An Khê tiếp nhận bao nhiêu đơn?")
    parser.add_argument("--out", default="docs/chat-page.png")
    parser.add_argument("--width", type=int, default=1360)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height}, locale="vi-VN")
        page.goto(args.url)
        page.fill("#rv-question textarea", args.question)
        page.press("#rv-question textarea", "Enter")
        page.wait_for_selector("#rv-chat .bot-row", timeout=60_000)
        page.wait_for_selector("#rv-sources article", timeout=10_000)
        page.mouse.move(0, 0)  # no hover effect in the picture
        page.wait_for_timeout(500)
        page.screenshot(path=args.out)
        browser.close()
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
