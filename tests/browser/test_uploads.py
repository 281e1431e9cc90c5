"""Adding an article from the page, then asking about it; filtering by source and date.

The page here runs with --allow-uploads and an admin password, over its own copy of the seeds, so
the other browser tests keep their index as it is.
"""

from __future__ import annotations

import re

import pytest

from ..documents import make_pdf, seeded_pipeline, served_page
from ..test_formats import PAGES, PDF_PAGES
from .conftest import SCREENSHOTS
from .test_chat_page import BOX, ask, last_answer

PASSWORD = "mật-khẩu-thử"
TITLE = "Báo cáo kết quả công tác dân vận năm 2023"


@pytest.fixture(scope="module")
def upload_pipeline(tmp_path_factory, embedder):
    page = PAGES / "baobacgiang_vai_thieu.html"
    return seeded_pipeline(tmp_path_factory.mktemp("upload-page"), embedder, {"vai_thieu.html": page})


@pytest.fixture(scope="module")
def ui_server(upload_pipeline):
    """Overrides the session's page for this module: the one that accepts uploads."""
    with served_page(upload_pipeline, uploads=True, password=PASSWORD) as url:
        yield url + "/"


def open_tab(page, name: str) -> None:
    """The page's tabs: "Hỏi đáp" (the chat, the filters) and "Bài viết" (the list, adding, removing)."""
    page.get_by_role("tab", name=name).click()


def open_panel(page, elem: str, label: str) -> None:
    open_tab(page, "Bài viết" if elem in ("rv-add", "rv-remove") else "Hỏi đáp")
    page.locator(f"#{elem}").get_by_text(label).first.click()


def test_upload_a_pdf_then_ask_about_it(page, tmp_path, upload_pipeline):
    pdf = tmp_path / "Báo cáo dân vận 2023.pdf"
    pdf.write_bytes(make_pdf(PDF_PAGES, title=TITLE, header="TỈNH ỦY BẮC GIANG - BAN DÂN VẬN"))
    open_panel(page, "rv-add", "Thêm bài viết")
    page.locator("#rv-add-files input[type=file]").set_input_files(str(pdf))
    page.locator("#rv-add-files").get_by_text("Báo cáo dân vận 2023.pdf").first.wait_for()

    page.fill("#rv-add-password input", "sai")  # the wrong password adds nothing
    page.click("#rv-add-button")
    page.locator("#rv-add-status .rv-add-error").wait_for()
    assert "Sai mật khẩu quản trị" in page.inner_text("#rv-add-status")
    assert not (upload_pipeline.settings.seeds / "uploads").exists()

    page.fill("#rv-add-password input", PASSWORD)
    page.click("#rv-add-button")
    page.locator("#rv-add-status .rv-added").wait_for(timeout=120_000)
    assert f"Đã thêm: {TITLE}" in page.inner_text("#rv-add-status")
    assert "7 bài báo" in page.inner_text("#rv-header")  # the header says what the bot knows now
    newest = page.locator("#rv-articles tbody tr").first  # the one list of articles, newest added first
    assert newest.locator(".rv-art-title").inner_text() == TITLE
    assert newest.locator(".rv-art-added").inner_text().endswith("UTC")  # when it was added
    page.screenshot(path=str(SCREENSHOTS / "10-upload-added.png"), full_page=True)

    open_tab(page, "Hỏi đáp")
    ask(page, "Có bao nhiêu mô hình Dân vận khéo được công nhận?")
    assert "1.135 mô hình" in last_answer(page)
    card = page.locator("#rv-sources article.rv-cited.rv-s1")
    assert card.locator(".rv-title").inner_text() == TITLE
    assert "trang 2" in card.locator(".rv-meta-line").inner_text()
    link = card.locator("a.rv-original")
    assert link.get_attribute("href").endswith(".pdf#page=2")
    page.screenshot(path=str(SCREENSHOTS / "11-upload-asked.png"), full_page=True)


def test_a_bad_file_gets_a_notice_and_the_page_goes_on(page, tmp_path):
    fake = tmp_path / "anh.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    open_panel(page, "rv-add", "Thêm bài viết")
    page.locator("#rv-add-files input[type=file]").set_input_files(str(fake))
    page.locator("#rv-add-files").get_by_text("anh.pdf").first.wait_for()
    page.fill("#rv-add-password input", PASSWORD)
    page.click("#rv-add-button")
    page.locator("#rv-add-status .rv-not-added").wait_for(timeout=60_000)
    assert "nội dung không phải PDF" in page.inner_text("#rv-add-status")
    open_tab(page, "Hỏi đáp")
    ask(page, "An Khê tiếp nhận bao nhiêu đơn?")
    assert "2.054 đơn" in last_answer(page)
    text = page.inner_text("body")
    assert "Traceback" not in text


def test_filter_by_source_and_date_from_the_page(page):
    open_panel(page, "rv-filter", "Lọc theo nguồn và thời gian")
    source = page.locator("#rv-filter-source input")
    source.click()
    source.fill("Báo Bắc Giang")
    source.press("Enter")
    page.fill("#rv-filter-since textarea", "2023")
    page.fill("#rv-filter-until textarea", "2023")
    ask(page, "Giá vải sớm tại vườn bao nhiêu?")
    panel = page.locator("#rv-sources")
    # each card's article, from its class: the chat's sanitiser keeps no data-* attribute
    cards = panel.locator("article").all()
    articles = {re.search(r"\brv-art-(\S+)", a.get_attribute("class"))[1] for a in cards}
    assert articles == {"vai_thieu"}
    page.screenshot(path=str(SCREENSHOTS / "12-filtered.png"), full_page=True)
    page.fill("#rv-filter-until textarea", "2022")  # an empty range: said at once, nothing asked
    page.press("#rv-filter-until textarea", "Tab")
    page.press(BOX, "Enter")
    page.locator("#rv-notice").get_by_text("Khoảng ngày trống").wait_for()
    page.fill("#rv-filter-since textarea", "2024")
    page.fill("#rv-filter-until textarea", "")
    ask(page, "Giá vải sớm tại vườn bao nhiêu?")  # no article of 2024 from that source
    assert "Không tìm thấy thông tin" in last_answer(page)
    assert "Không có bài viết nào khớp bộ lọc" in page.inner_text("#rv-notice")


def test_the_admin_removes_an_article_from_the_one_list(page):
    open_tab(page, "Bài viết")
    listing = page.locator("#rv-articles")
    listing.get_by_text(TITLE).wait_for()  # added by the first test, before this page was opened
    assert "7 bài" in listing.inner_text()
    assert page.locator("#rv-articles-source").count() == 1  # the list narrowed by source, in the same tab
    open_panel(page, "rv-remove", "Gỡ bài viết (quản trị)")
    pick = page.locator("#rv-remove-pick input")
    pick.click()
    page.get_by_role("option", name=re.compile(re.escape(TITLE))).first.click()
    page.fill("#rv-remove-password input", PASSWORD)
    page.click("#rv-remove-button")
    page.locator("#rv-remove-status").get_by_text("Đã gỡ").wait_for(timeout=60_000)
    page.wait_for_function(
        "t => !document.querySelector('#rv-articles').innerText.includes(t)", arg=TITLE, timeout=10_000
    )
    assert "6 bài" in listing.inner_text() and "6 bài báo" in page.inner_text("#rv-header")
