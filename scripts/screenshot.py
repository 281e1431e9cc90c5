"""Screenshot of a running chat page in a conversation (the README's docs/chat-page.png).

    rag serve &                      # or: make run
    python scripts/screenshot.py --out docs/chat-page.png          # a question and a follow-up
    python scripts/screenshot.py --width 390 --height 844 --out docs/chat-page-phone.png

Uses Debian's Chromium (scripts/install-browser.sh) through Playwright, with the same flags as the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

QUESTIONS = ["An Khê tiếp nhận bao nhiêu đơn?", "Đang xét bao nhiêu đơn?"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument(
        "--question",
        action="append",
        help="a question to ask; several make a conversation (default: an An Khê question and a follow-up)",
    )
    parser.add_argument("--out", default="docs/chat-page.png")
    parser.add_argument("--width", type=int, default=1360)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height}, locale="vi-VN")
        page.goto(args.url)
        for n, question in enumerate(args.question or QUESTIONS, 1):
            page.fill("#rv-question textarea", question)
            page.press("#rv-question textarea", "Enter")
            page.wait_for_function(
                "n => document.querySelectorAll('#rv-chat .rv-answer.rv-current').length === 1 &&"
                " document.querySelectorAll('#rv-chat .rv-answer').length === n",
                arg=n,
                timeout=60_000,
            )
        page.wait_for_timeout(300)
        page.mouse.move(0, 0)  # no hover effect in the picture
        page.wait_for_timeout(500)
        page.screenshot(path=args.out)
        browser.close()
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
