"""Headless Chromium (Debian's package) driven by Playwright, against the session's page server.

Without /usr/bin/chromium the browser tests are skipped, unless RAG_BROWSER_REQUIRED is set (the
Makefile's `test` target sets it, after scripts/install-browser.sh), in which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .chromium import CHROMIUM, CHROMIUM_ARGS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        message = f"no {CHROMIUM}: run scripts/install-browser.sh (as root) to install it"
        if os.environ.get("RAG_BROWSER_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, ui_server):
    """A fresh visitor on the page; fails the test on a script error or a request off this machine."""
    context = browser.new_context(viewport={"width": 1360, "height": 960}, locale="vi-VN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui_server.rstrip("/"))
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("dialog", lambda d: (problems.append(f"dialog opened: {d.message}"), d.dismiss()))

    def local_only(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            problems.append(f"request off the machine: {route.request.url}")
            route.abort()

    page.route("**/*", local_only)
    page.goto(ui_server)
    page.wait_for_selector("#rv-question textarea")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()
    assert not problems, problems
