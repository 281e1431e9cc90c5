"""Web pages, PDF and Word files, as a user has them: read, indexed, asked about, cited.

The pages in tests/data/pages/ are shaped like real Vietnamese news sites (a provincial paper with
Open Graph and JSON-LD metadata, a national one with an audio player and inline "Xem thêm", an old
table-laid-out government portal with no metadata at all), each with its menus, related-article
lists, comments and footer. Their facts are made up for the tests. The PDF and the Word file are
generated here (tests/documents.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest import read_articles
from rag.pipeline import Pipeline, build_index
from rag.store.store import Store

from .documents import make_docx, make_pdf, make_scan_pdf, make_zip_bomb

PAGES = Path(__file__).parent / "data" / "pages"

# What each page carries besides its article: none of it may be indexed, let alone quoted.
BOILERPLATE = {
    "baobacgiang_vai_thieu": [
        "Trang chủ", "Thời sự", "Pháp luật", "Multimedia", "Tìm kiếm", "Đặt báo", "Lượt xem", "Facebook",
        "Zalo", "In bài", "Từ khóa", "Gửi cho bạn bè", "Lên đầu trang", "Tin liên quan",
        "Giá vải thiều chính vụ tăng mạnh", "Trung Đông", "siêu thị ở Mỹ", "Bình luận", "Ý kiến của bạn",
        "Trần Minh Hoàng", "25.000 đồng/kg", "hữu cơ", "lỗ nặng", "Đọc nhiều nhất", "vành đai IV",
        "nội tạng", "Thời tiết", "34°C", "Quảng cáo", "Cơ quan chủ quản", "Tổng Biên tập", "Giấy phép",
        "0204.3854.321", "Ghi rõ nguồn", "BBG -",
    ],
    "dantri_ha_giang": [
        "(Dân trí)", "DMagazine", "Đăng nhập", "Bất động sản", "Ô tô - Xe máy", "Nghe bài viết", "00:00",
        "Chia sẻ", "Sao chép liên kết", "Xem thêm", "hang động mới", "Từ khóa", "Tin liên quan",
        "Mùa hoa tam giác mạch Hà Giang 2022",
        "Mã Pí Lèng", "Bình luận", "Nguyễn Đức Anh", "Thẩm Mã", "1,5 triệu đồng", "Thích", "Trả lời",
        "Xem nhiều", "Giá xăng", "Hội Khuyến học", "298/GP-BTTTT", "Giảng Võ", "Bản quyền",
    ],
    "bacgiang_gov_dan_van": [
        "Trang chủ", "Giới thiệu", "Chỉ đạo điều hành", "Dịch vụ công", "Hỏi đáp", "CHUYÊN MỤC",
        "Tin hoạt động", "LIÊN KẾT WEBSITE", "Bộ Nội vụ", "Cập nhật lúc", "Lượt xem", "In trang",
        "Gửi email", "Về đầu trang", "Các tin khác", "Khu dân cư không có tội phạm", "Hiệp Hòa",
        "Sơn Động", "Cơ quan chủ quản", "82 Hùng Vương", "congttdt", "Ghi rõ nguồn", "Nguồn:",
    ],
}  # fmt: skip

PDF_PAGES = [
    "BÁO CÁO KẾT QUẢ CÔNG TÁC DÂN VẬN NĂM 2023\n\nI. KẾT QUẢ ĐẠT ĐƯỢC\nNăm 2023, Ban Dân vận Tỉnh ủy đã "
    "tham mưu ban hành 15 văn bản chỉ đạo về công tác dân vận, tổ chức 4 hội nghị chuyên đề với hơn "
    "1.200 đại biểu tham dự.",
    'Toàn tỉnh có 1.135 mô hình "Dân vận khéo" được công nhận, trong đó 312 mô hình thuộc lĩnh vực '
    "kinh tế. Các cấp đã tổ chức 2.468 cuộc đối thoại với nhân dân, giải quyết dứt điểm 1.021 kiến nghị.",
    "II. PHƯƠNG HƯỚNG NĂM 2024\nNăm 2024, Ban Dân vận phấn đấu 100% cơ quan, đơn vị đăng ký và thực "
    'hiện mô hình "Dân vận khéo"; mỗi xã có ít nhất 2 mô hình tiêu biểu được nhân rộng.',
]
PDF_HEAD = "TỈNH ỦY BẮC GIANG - BAN DÂN VẬN"
BBG_URL = (
    "https://baobacgiang.vn/bac-giang-vai-thieu-som-tan-yen-vao-vu-gia-ban-cao-hon-nam-truoc-postid412345.bbg"
)
DANTRI_URL = (
    "https://dantri.com.vn/du-lich/"
    "ha-giang-don-hon-28-trieu-luot-khach-du-lich-trong-nam-2022-20221227140500123.htm"
)


def write_formats(folder: Path) -> Path:
    """A seeds folder of the pages, a PDF, a Word file, and the bad files a user may drop in beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    for page in PAGES.iterdir():
        shutil.copyfile(page, folder / page.name)
    (folder / "bao_cao_dan_van_2023.pdf").write_bytes(
        make_pdf(
            PDF_PAGES,
            title="Báo cáo kết quả công tác dân vận năm 2023",
            author="Ban Dân vận Tỉnh ủy Bắc Giang",
            created=dt.datetime(2023, 12, 20, 8, 0, tzinfo=dt.UTC),
            header=PDF_HEAD,
        )
    )
    (folder / "thi_dua_luc_ngan.docx").write_bytes(
        make_docx(
            title="Báo cáo tổng kết phong trào thi đua năm 2023 của huyện Lục Ngạn",
            heading="Báo cáo tổng kết phong trào thi đua năm 2023",
            paragraphs=["Năm 2023, huyện Lục Ngạn có 28.000 ha vải thiều, sản lượng đạt 115.000 tấn."],
            table=[
                ["Xã", "Diện tích vải (ha)", "Sản lượng (tấn)"],
                ["Phượng Sơn", "1.950", "8.200"],
                ["Quý Sơn", "2.300", "9.750"],
            ],  # fmt: skip
            after_table=["Huyện đã khen thưởng 146 tập thể và 372 cá nhân có thành tích xuất sắc."],
            author="Nguyễn Thị Mai",
            created=dt.datetime(2023, 11, 28, 9, 0),
        )
    )
    bad = folder / "bad"
    bad.mkdir()
    (bad / "ban_scan.pdf").write_bytes(make_scan_pdf())
    (bad / "rong.pdf").write_bytes(b"")
    (bad / "rong.html").write_bytes(b"")
    (bad / "anh_doi_ten.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    (bad / "chuong_trinh.html").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    (bad / "bom.docx").write_bytes(make_zip_bomb(200))
    return folder


@pytest.fixture(scope="module")
def formats_dir(tmp_path_factory) -> Path:
    return write_formats(tmp_path_factory.mktemp("formats") / "seeds")


@pytest.fixture(scope="module")
def formats_pipeline(formats_dir, embedder) -> Pipeline:
    settings = Settings(root=formats_dir.parent).with_(
        seeds_dir=formats_dir, store_dir=formats_dir.parent / "store"
    )
    build_index(settings, embedder=embedder, show_progress=False, log=lambda m: None)
    return Pipeline(settings, Store.load(settings.store), embedder)


def by_id(folder: Path):
    articles, problems = read_articles(folder, folder.parent)
    return {a.id: a for a in articles}, {p.path: p.reason for p in problems}


def test_each_format_is_read_with_its_own_metadata(formats_dir):
    arts, _ = by_id(formats_dir)
    expected = {
        "baobacgiang_vai_thieu": (
            "Bắc Giang: Vải thiều sớm Tân Yên vào vụ, giá bán cao hơn năm trước",
            "2023-05-19",
            "Báo Bắc Giang",
            "Ngọc Thúy",
            BBG_URL,
        ),
        "dantri_ha_giang": (
            "Hà Giang đón hơn 2,8 triệu lượt khách du lịch trong năm 2022",
            "2022-12-27",
            "Báo điện tử Dân Trí",
            "Hoài Thu",
            DANTRI_URL,
        ),
        # no metadata at all: the title from <title> past the portal's name, the rest from the text
        "bacgiang_gov_dan_van": (
            "Yên Dũng: Phát huy vai trò của Mặt trận trong xây dựng nông thôn mới",
            "2023-03-15",
            "bacgiang.gov.vn",
            "Minh Hương",
            None,
        ),
        "bao_cao_dan_van_2023": (
            "Báo cáo kết quả công tác dân vận năm 2023",
            "2023-12-20",
            None,
            "Ban Dân vận Tỉnh ủy Bắc Giang",
            None,
        ),
        "thi_dua_luc_ngan": (
            "Báo cáo tổng kết phong trào thi đua năm 2023 của huyện Lục Ngạn",
            "2023-11-28",
            None,
            "Nguyễn Thị Mai",
            None,
        ),
    }
    assert set(arts) == set(expected)
    for aid, fields in expected.items():
        a = arts[aid]
        assert (a.title, a.date, a.publisher, a.author, a.url) == fields, aid


def test_bad_files_are_named_with_their_reason_and_skipped(formats_dir):
    _, problems = by_id(formats_dir)
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in problems.items()}
    assert "no text layer" in reasons["ban_scan.pdf"] and "OCR" in reasons["ban_scan.pdf"]
    assert "empty" in reasons["rong.pdf"]
    assert "empty" in reasons["rong.html"]
    assert "not a PDF" in reasons["anh_doi_ten.pdf"]
    assert "not a web page" in reasons["chuong_trinh.html"]
    assert "ZIP bomb" in reasons["bom.docx"] and "200 MB" in reasons["bom.docx"]
    assert len(reasons) == 6


def test_page_furniture_is_never_indexed(formats_dir):
    arts, _ = by_id(formats_dir)
    for aid, junk in BOILERPLATE.items():
        for text in junk:
            assert text not in arts[aid].text, (aid, text)
    # and the article itself is whole: its first and last paragraphs
    assert arts["baobacgiang_vai_thieu"].text.startswith("Những ngày này, vải thiều sớm")
    assert arts["baobacgiang_vai_thieu"].text.endswith("Xuất nhập khẩu Nông sản Bắc Giang.")
    assert arts["bacgiang_gov_dan_van"].text.endswith("có thêm 4 xã đạt chuẩn nông thôn mới nâng cao.")


def test_a_pdf_keeps_its_pages_and_loses_its_running_heads(formats_dir):
    arts, _ = by_id(formats_dir)
    pdf = arts["bao_cao_dan_van_2023"]
    assert PDF_HEAD not in pdf.text and "Trang 1" not in pdf.text and "Trang 2" not in pdf.text
    assert pdf.text.startswith("I. KẾT QUẢ ĐẠT ĐƯỢC")  # the title line printed on page 1 is the title
    # lines broken by the layout are one paragraph again
    assert "tổ chức 4 hội nghị chuyên đề với hơn 1.200 đại biểu tham dự." in pdf.text
    assert len(pdf.pages) == 3
    for n, needle in [(1, "15 văn bản"), (2, "2.468 cuộc đối thoại"), (3, "PHƯƠNG HƯỚNG NĂM 2024")]:
        assert pdf.page_at(pdf.text.index(needle)) == n


def test_a_word_file_gives_its_paragraphs_and_table_rows_not_its_page_header(formats_dir):
    arts, _ = by_id(formats_dir)
    doc = arts["thi_dua_luc_ngan"]
    assert doc.text.split("\n\n") == [
        "Năm 2023, huyện Lục Ngạn có 28.000 ha vải thiều, sản lượng đạt 115.000 tấn.",
        "Xã: Phượng Sơn; Diện tích vải (ha): 1.950; Sản lượng (tấn): 8.200.",
        "Xã: Quý Sơn; Diện tích vải (ha): 2.300; Sản lượng (tấn): 9.750.",
        "Huyện đã khen thưởng 146 tập thể và 372 cá nhân có thành tích xuất sắc.",
    ]
    assert "TÀI LIỆU NỘI BỘ" not in doc.text and "0204.3882.123" not in doc.text


QUESTIONS = [
    # question, article, words the quote must hold, its PDF page, its link
    (
        "Vải sớm Tân Yên được xuất khẩu sang Nhật Bản bao nhiêu tấn?",
        "baobacgiang_vai_thieu",
        "18 tấn",
        None,
        "https://baobacgiang.vn/",
    ),
    (
        "Năm 2022 Hà Giang đón bao nhiêu lượt khách quốc tế?",
        "dantri_ha_giang",
        "95.000 lượt khách quốc tế",
        None,
        "https://dantri.com.vn/",
    ),
    (
        "Nhân dân huyện Yên Dũng đã hiến bao nhiêu m2 đất?",
        "bacgiang_gov_dan_van",
        "48.600 m2 đất",
        None,
        None,
    ),
    (
        "Các cấp đã tổ chức bao nhiêu cuộc đối thoại với nhân dân?",
        "bao_cao_dan_van_2023",
        "2.468 cuộc đối thoại",
        2,
        None,
    ),
    ("Lục Ngạn khen thưởng bao nhiêu tập thể?", "thi_dua_luc_ngan", "146 tập thể", None, None),
]


@pytest.mark.parametrize(("question", "article", "fact", "page", "url"), QUESTIONS)
def test_a_question_about_each_format_is_answered_from_it(
    formats_pipeline, question, article, fact, page, url
):
    answer = formats_pipeline.ask(question)
    assert not answer.abstained
    # the sentence holding the fact: two sentences of one article are quoted in reading order, so it may
    # be the second; it is the most probable one
    first = next((c for c in answer.citations if fact in c.quote), answer.citations[0])
    assert first.article_id == article
    assert fact in first.quote and first.quote in answer.text
    assert first.score == max(c.score for c in answer.citations)
    assert first.passage[first.start : first.end] == first.quote
    full = formats_pipeline.article(article).text
    assert full[first.passage_start : first.passage_end] == first.passage
    assert first.page == page
    assert (first.url or "").startswith(url) if url else first.url is None
    assert first.source.endswith(formats_pipeline.article(article).path.rsplit("/", 1)[-1])


@pytest.mark.parametrize(
    "question",
    [
        "Giá homestay ở Hà Giang bao nhiêu một đêm?",  # only in a comment
        "Tắc đường ở dốc Thẩm Mã bao lâu?",  # only in a comment
        "Ai là Tổng Biên tập Báo Bắc Giang?",  # only in the footer
        "Hang động mới ở Mèo Vạc dài bao nhiêu?",  # only in an inline "Xem thêm" link
        "Lạng Giang ra mắt mô hình gì?",  # only in the portal's "Các tin khác"
    ],
)
def test_boilerplate_is_never_quoted(formats_pipeline, question):
    answer = formats_pipeline.ask(question, top_k=10)
    quoted = " ".join(c.quote for c in answer.citations) + " ".join(h.chunk.text for h in answer.hits)
    for aid, junk in BOILERPLATE.items():
        for text in junk:
            assert text not in quoted, (question, aid, text)


@pytest.mark.parametrize(
    ("encoding", "declare"),
    [("utf-8", False), ("utf-8", True), ("utf-8-sig", False)],
)
def test_a_page_is_read_in_its_own_encoding_declared_or_not(tmp_path, encoding, declare):
    """A saved page that declares no charset is read as the UTF-8 it is, not as Latin-1 mojibake."""
    head = f'<meta charset="{encoding}">' if declare else ""
    body = "".join(
        f"<p>{s}</p>"
        for s in [
            "Sáng 12/4, thành phố Đà Nẵng khánh thành cầu Nguyễn Tri Phương với vốn đầu tư 1.250 tỷ đồng.",
            "Cây cầu dài 1.500 mét, có sáu làn xe và giúp giảm ùn tắc cho khu vực phía nam thành phố.",
        ]
    )
    page = f"<html><head>{head}<title>Đà Nẵng khánh thành cầu mới</title></head><body><article>{body}"
    (tmp_path / "cau.html").write_bytes((page + "</article></body></html>").encode(encoding))
    articles, problems = by_id(tmp_path)
    assert not problems
    (article,) = articles.values()
    assert article.title == "Đà Nẵng khánh thành cầu mới"
    assert "khánh thành cầu Nguyễn Tri Phương" in article.text and "1.500 mét" in article.text
