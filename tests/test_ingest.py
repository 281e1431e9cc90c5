import json
import unicodedata
from pathlib import Path

from rag.ingest import read_articles
from rag.ingest.clean import clean_page, parse_date_line
from rag.ingest.folder import read_source

from .conftest import ROOT, SEEDS

BOILERPLATE = [
    "The request was aborted",
    "SSL/TLS",
    "A A",
    "Gửi cho bạn bè",
    "Phản hồi",
    "Thông tin người gửi",
    "Tin liên quan",
    "Xem nhiều nhất",
    "Liên kết website",
    "Tỷ giá - Thời tiết",
    "LÊN ĐẦU TRANG",
    "Bấm vào đây để nhận mã",
    "Chọn thành phố",
    "BlueZone",
    "Lượt xem",
    "Nguồn:",
    "(baoangiang.com.vn)",
    "60 năm chiến thắng",
    "Biển Hồ",
]


def seed_articles():
    articles, problems = read_articles(SEEDS, ROOT)
    assert problems == []
    return {a.path: a for a in articles}


def test_seed_metadata_is_extracted():
    arts = seed_articles()
    expected = {
        "seeds/000_56132f389163c4f7.txt": (
            "An Giang: Nâng cao hiệu quả công tác dân vận",
            "2022-08-04T07:01",
            None,
            "TRỌNG TÍN",
        ),
        "seeds/001_d75d204a71cd5d84.txt": (
            "An Khê: Một số kinh nghiệm trong công tác dân vận của hệ thống chính trị",
            "2020-08-06",
            None,
            "Nguyễn Văn",
        ),
        "seeds/002_3668a75ce5a9aaf6.txt": (
            "An Giang: Thực hiện tốt Quy chế dân chủ ở cơ sở",
            "2022-10-07",
            "baoangiang.com.vn",
            None,
        ),
        "seeds/003_14835b168dfc66a9.txt": (
            "Nâng cao hiệu quả công tác dân vận trong hệ thống chính trị",
            None,
            "BHG",
            None,
        ),
        "seeds/004_d49cf3208f0479d4.txt": (
            "Bắc Giang: Tiếp tục phát huy ý nghĩa, vai trò của công tác dân vận chính quyền",
            "2020-02-24",
            "bacgiang.gov.vn",
            None,
        ),
    }
    assert set(arts) == set(expected)
    for path, (title, date, publisher, author) in expected.items():
        a = arts[path]
        assert (a.title, a.date, a.publisher, a.author) == (title, date, publisher, author), path


def test_no_navigation_text_survives_cleaning():
    for a in seed_articles().values():
        for junk in BOILERPLATE:
            assert junk not in a.text, (a.path, junk)
            assert junk not in a.title, (a.path, junk)
        assert not a.text.startswith(("-", "BHG")), a.path  # lead prefixes removed


def test_article_text_is_kept_whole_and_nfc():
    arts = seed_articles()
    an_khe = arts["seeds/001_d75d204a71cd5d84.txt"].text
    assert an_khe.startswith("Những năm qua, xác định tầm quan trọng")
    assert "tiếp nhận 2.054 đơn" in an_khe
    assert an_khe.endswith("vững bước đi lên chủ nghĩa xã hội.")
    # a line broken mid-sentence by the scraper is joined again
    assert "kiểm soát phòng, chống dịch bệnh COVID-19" in arts["seeds/002_3668a75ce5a9aaf6.txt"].text
    for a in arts.values():
        assert unicodedata.is_normalized("NFC", a.text)


def test_dates_in_the_forms_the_seeds_use():
    assert parse_date_line("04/08/2022 - 07:01") == "2022-08-04T07:01"
    assert parse_date_line("Thứ Sáu, 7/10/2022") == "2022-10-07"
    assert parse_date_line("06/08/2020 - Lượt xem: 1901") == "2020-08-06"
    assert parse_date_line("Ngày 19.5.2023, Ban Thường vụ Tỉnh ủy ban hành Nghị quyết 33") is None


def test_decomposed_unicode_matches_composed():
    page = clean_page(unicodedata.normalize("NFD", "Tiêu đề\n\nAn Khê tiếp nhận 2.054 đơn."))
    assert page["title"] == "Tiêu đề"
    assert "An Khê tiếp nhận" in page["text"]


def test_unreadable_files_are_reported_and_the_rest_indexed(tmp_path):
    (tmp_path / "good.txt").write_text("Tiêu đề tốt\n\nNội dung bài viết đầy đủ.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00 not utf-8 \x80\x81")
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "notes.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n")  # cut short
    (tmp_path / "bulk.jsonl").write_text(
        json.dumps(
            {
                "id": "a1",
                "title": "Bài JSON",
                "date": "2023-01-02",
                "source": "vnexpress.net",
                "url": "https://example.vn/a1",
                "text": "Nội dung thứ nhất.",
            },
            ensure_ascii=False,
        )
        + "\n{broken json\n"
        + json.dumps({"id": "a1", "title": "Trùng", "text": "Trùng id."}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    articles, problems = read_articles(tmp_path, tmp_path)
    assert sorted(a.id for a in articles) == ["a1", "good"]
    reasons = {p.path: p.reason for p in problems}
    assert "cannot be read" in reasons["bad.txt"]
    assert "empty" in reasons["empty.md"]
    assert "not .txt" in reasons["notes.xlsx"]
    assert "damaged PDF" in reasons["notes.pdf"]
    assert "not a JSON object" in reasons["bulk.jsonl:2"]
    assert "duplicate" in reasons["bulk.jsonl#a1"]
    a1 = next(a for a in articles if a.id == "a1")
    assert (a1.title, a1.date, a1.publisher, a1.url, a1.path) == (
        "Bài JSON",
        "2023-01-02",
        "vnexpress.net",
        "https://example.vn/a1",
        "bulk.jsonl#a1",
    )


def test_cleaning_elsewhere_reads_the_same_articles_and_problems(tmp_path):
    """What a Ray build does: files read here, cleaned by `read_source` elsewhere, results in order."""
    (tmp_path / "a.txt").write_text("Tiêu đề A\n\nNội dung bài A.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00 not utf-8 \x80\x81")
    (tmp_path / "c.odt").write_bytes(b"PK")
    (tmp_path / "d.md").write_text("# Tiêu đề D\n\nNội dung bài D.", encoding="utf-8")
    shipped = []

    def clean(files):  # the files' bytes travel; the results come back in the files' order
        shipped.extend(source.name for _, source in files)
        return [read_source(data, source) for data, source in reversed(files)][::-1]

    here = read_articles(tmp_path, tmp_path)
    elsewhere = read_articles(tmp_path, tmp_path, clean=clean)
    assert shipped == ["a.txt", "b.txt", "d.md"]  # not the file no reader reads
    assert elsewhere == here
    assert [a.id for a in here[0]] == ["a", "d"]
    assert [p.path for p in here[1]] == ["b.txt", "c.odt"]


def test_markdown_articles_lose_their_markup(tmp_path):
    (tmp_path / "a.md").write_text(
        "# Tiêu đề\n\nMột **câu** với [liên kết](http://x.vn).\n", encoding="utf-8"
    )
    [article], _ = read_articles(tmp_path, tmp_path)
    assert (article.title, article.text) == ("Tiêu đề", "Một câu với liên kết.")


def test_content_hash_changes_with_text_only():
    arts = list(seed_articles().values())
    assert len({a.content_hash for a in arts}) == len(arts)
    again = list(read_articles(Path(SEEDS), ROOT)[0])
    assert [a.content_hash for a in again] == [a.content_hash for a in arts]
