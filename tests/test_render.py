"""The page's HTML, from real answers: the right article cited, the quote marked, markup escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from rag.app.render import (
    answer_html,
    esc,
    esc_lines,
    header_html,
    marked,
    notice_html,
    safe_url,
    sources_html,
    vi_date,
    vi_number,
    vi_seconds,
    vi_timestamp,
)
from rag.schema import Article

AN_KHE = "001_d75d204a71cd5d84"


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser's parser would see them."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text_parts: list[str] = []
        self.marks: list[str] = []
        self._in_mark = 0
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self._in_mark += 1
            self.marks.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark -= 1

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._in_mark:
            self.marks[-1] += data

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def names(self) -> set[str]:
        return {t for t, _ in self.tags}


def assert_inert(markup: str) -> None:
    """No element or attribute that could run code, whatever the text held."""
    p = Tags(markup)
    assert not p.names() & {"script", "img", "iframe", "object", "embed", "svg", "style"}
    for tag, attrs in p.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)


def lookup_from(ui_pipeline):
    def lookup(article_id):
        return ui_pipeline.store.articles.get(article_id)

    return lookup


@pytest.fixture(scope="module")
def an_khe(ui_pipeline):
    return ui_pipeline.ask("An Khê tiếp nhận bao nhiêu đơn?").to_dict()


@pytest.fixture(scope="module")
def markup_answer(ui_pipeline):
    return ui_pipeline.ask("Hợp tác xã Bình Minh đã trồng bao nhiêu cây xoài?").to_dict()


def test_sources_cite_the_right_article_with_the_quote_marked(ui_pipeline, an_khe):
    c = an_khe["citations"][0]
    assert c["article_id"] == AN_KHE and "2.054 đơn" in c["quote"]
    html = sources_html(an_khe, lookup_from(ui_pipeline), 3)
    p = Tags(html)
    cards = [a for t, a in p.tags if t == "article"]
    assert cards[0]["id"] == "rv-a3-s1"  # the third answer's first source: where its [1] leads
    assert c["title"] in p.text
    assert "06/08/2020" in p.text and c["source"] in p.text
    # the quote is marked twice: in the passage, and in the whole article under "Xem toàn bài"
    assert p.marks == [c["quote"], c["quote"]]
    assert "Xem toàn bài" in p.text and "details" in p.names()
    article = ui_pipeline.article(AN_KHE)
    assert article.text in p.text  # the whole cleaned article is there, not just the passage


def test_full_article_shades_the_passage_around_the_quote(ui_pipeline, an_khe):
    c = an_khe["citations"][0]
    body = sources_html(an_khe, lookup_from(ui_pipeline)).split('class="rv-article-body">', 1)[1]
    shaded = Tags(body.split('<span class="rv-in-passage">', 1)[1].split("</span>", 1)[0])
    assert shaded.text == c["passage"]
    assert shaded.marks == [c["quote"]]


def test_answer_bubble_has_its_markers_and_the_time(ui_pipeline, an_khe):
    html = answer_html(an_khe, 2, lookup_from(ui_pipeline))
    p = Tags(html)
    links = [a for t, a in p.tags if t == "a" and "rv-cite" in a.get("class", "")]
    assert links == [{"class": "rv-cite", "href": "#rv-a2-s1"}]  # [1] leads to this answer's source
    assert [a.get("id") for t, a in p.tags if t == "article"][0] == "rv-a2-s1"  # which the bubble holds
    assert "2.054 đơn" in p.text and "[1]" in p.text
    assert re.search(r"trả lời trong (\d+,\d\d|dưới 0,01) giây", p.text)
    assert "Nguồn (1)" in p.text and "Sao chép" in p.text
    assert "Hiểu là" not in p.text  # asked in full: nothing to say about how it was read


def test_a_completed_follow_up_says_how_it_was_understood(an_khe):
    d = dict(an_khe, question="Trong thời gian nào?", standalone="An Khê tiếp nhận đơn trong thời gian nào?")
    text = Tags(answer_html(d)).text
    assert "Hiểu là: An Khê tiếp nhận đơn trong thời gian nào?" in text


def test_a_quote_is_shown_with_the_place_it_leaves_implicit(an_khe):
    c = dict(an_khe["citations"][0], context="Gia Lai")
    d = dict(an_khe, citations=[c])
    text = Tags(answer_html(d)).text
    assert text.startswith("Gia Lai: ") and "Gia Lai" in Tags(sources_html(d, lambda _id: None)).text


def test_an_answer_over_several_articles_is_grouped_by_article(an_khe):
    c = an_khe["citations"][0]
    two = [dict(c, context="Gia Lai"), dict(c, n=2, context=None, title="Bài thứ hai")]
    d = dict(an_khe, spans=True, citations=two, answer="…")
    p = Tags(answer_html(d))
    heads = [t for t, a in p.tags if t == "div" and a.get("class") == "rv-group-head"]
    assert len(heads) == 2 and "Gia Lai" in p.text and "Bài thứ hai" in p.text


def test_unaccented_answer_says_how_it_was_read(ui_pipeline):
    d = ui_pipeline.ask("an khe tiep nhan bao nhieu don").to_dict()
    assert d["citations"][0]["article_id"] == AN_KHE
    assert "đọc như câu gõ không dấu" in Tags(answer_html(d)).text


def test_abstention_offers_the_closest_passages_without_marks(ui_pipeline):
    d = ui_pipeline.ask("Giá vàng hôm nay là bao nhiêu?", top_k=4).to_dict()
    assert d["abstained"]
    html = sources_html(d, lookup_from(ui_pipeline))
    p = Tags(html)
    assert "Không tìm thấy câu trả lời" in p.text
    assert "đoạn gần nhất" in p.text
    assert len([1 for t, a in p.tags if t == "article" and "rv-hit" in a.get("class", "")]) == 4
    assert not p.marks  # nothing is claimed as the answer
    scores = [a for t, a in p.tags if t == "div" and a.get("class") == "rv-scores"]
    assert len(scores) == 4  # in .rv-scores, shown only while "Hiện mọi đoạn" is ticked (chat.css)
    bubble = Tags(answer_html(d)).text
    assert "Không tìm thấy thông tin" in bubble and "[1]" not in bubble


def test_every_passage_with_scores_is_there_for_show_all(ui_pipeline, an_khe):
    html = sources_html(an_khe, lookup_from(ui_pipeline))
    p = Tags(html)
    assert f"Mọi đoạn đã truy xuất ({len(an_khe['passages'])})" in p.text
    assert p.text.count("điểm gộp") == len(an_khe["passages"])
    assert "ngữ nghĩa" in p.text and "từ khóa" in p.text
    assert "được trích [1]" in p.text
    # inside .rv-all, which the page shows only while "Hiện mọi đoạn" is ticked (chat.css)
    before = html.split('<div class="rv-all">', 1)[0]
    assert "điểm gộp" not in Tags(before).text


def test_markup_in_an_article_is_shown_as_text(ui_pipeline, markup_answer):
    d = markup_answer
    assert d["citations"] and d["citations"][0]["article_id"] == "markup-test"
    assert "<img src=x" in d["citations"][0]["quote"]  # the engine quotes it verbatim
    for html in (sources_html(d, lookup_from(ui_pipeline)), answer_html(d, 1, lookup_from(ui_pipeline))):
        assert_inert(html)
        p = Tags(html)
        assert "<img src=x onerror=\"window.__xss='article'\">" in p.text
        assert "<script>window.__xss = 'title'</script>" in p.text
        assert "<b>baothu.vn</b>" in p.text
        assert "Mở bài gốc" not in p.text  # its URL is javascript:, so no link is offered
    assert "&lt;img src=x" in sources_html(d, lookup_from(ui_pipeline))


def test_markup_in_a_chat_bubble_is_shown_as_text(markup_answer):
    html = answer_html(markup_answer)
    assert_inert(html)
    text = Tags(html).text
    assert "<img src=x onerror=\"window.__xss='article'\">" in text
    assert "**[xem ảnh](javascript:window.__xss='markdown')**" in text  # the chat does not read Markdown
    assert "<script>window.__xss = 'title'</script>" in text  # the title, in the bubble's source line
    assert Tags(esc_lines("a <b>\nc")).text == "a <b>c" and esc_lines("a\nb") == "a<br>b"


def test_esc_and_notice():
    assert esc('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert esc(None) == ""
    n = notice_html("Câu hỏi <b>trống</b>")
    assert_inert(n)
    assert "Câu hỏi <b>trống</b>" in Tags(n).text and 'role="alert"' in n
    assert notice_html(None) == "" and notice_html("") == ""


def test_marked_trusts_offsets_only_when_they_hold_the_quote():
    text = "Một. Hai ba. Bốn."
    assert marked(text, 5, 12, "Hai ba.") == "Một. <mark>Hai ba.</mark> Bốn."
    assert marked(text, 0, 3, "Hai ba.") == "Một. <mark>Hai ba.</mark> Bốn."  # wrong offsets: found
    assert marked(text, 0, 3, "Năm.") == esc(text)  # not in the text: nothing marked
    assert marked("<i>x</i>", 3, 4) == "&lt;i&gt;<mark>x</mark>&lt;/i&gt;"
    short = {"text": "ba", "n": 1, "start": 4, "end": 6}  # offsets into the quote "Hai ba."
    assert (
        marked(text, 5, 12, "Hai ba.", short)
        == 'Một. <mark>Hai <strong class="rv-short">ba</strong>.</mark> Bốn.'
    )
    wrong = {**short, "start": 0, "end": 2}  # offsets that do not hold its text: only the quote marked
    assert marked(text, 5, 12, "Hai ba.", wrong) == "Một. <mark>Hai ba.</mark> Bốn."


def test_full_article_link_only_for_http():
    art = Article(
        id="a", path="p", title="T", text="Câu một. Câu hai.", url="https://example.org/bai?a=1&b=2"
    )
    d = {
        "question": "q",
        "answer": "Câu hai. [1]",
        "abstained": False,
        "citations": [
            {
                "n": 1,
                "article_id": "a",
                "source": "p",
                "title": "T",
                "date": None,
                "publisher": None,
                "passage": "Câu hai.",
                "passage_start": 9,
                "passage_end": 17,
                "quote": "Câu hai.",
                "start": 0,
                "end": 8,
                "score": 1.0,
            }
        ],
        "passages": [],
        "seconds": 0.004,
    }
    html = sources_html(d, lambda _id: art)
    links = [a for t, a in Tags(html).tags if t == "a"]
    assert links == [
        {
            "class": "rv-link",
            "href": "https://example.org/bai?a=1&b=2",
            "target": "_blank",
            "rel": "noopener noreferrer",
        }
    ]
    assert "không rõ ngày" in Tags(html).text and "dưới 0,01 giây" in Tags(html).text
    assert safe_url(" JavaScript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert sources_html(d, lambda _id: None).count("<details") == 0  # an unknown article: no full view


def test_header_says_what_the_bot_knows(ui_pipeline):
    info = ui_pipeline.info()
    p = Tags(header_html(info))
    assert f"{info['articles']} bài báo" in p.text
    for publisher in info["publishers"]:
        assert publisher in p.text  # "<b>baothu.vn</b>" of the markup article, as text
    assert_inert(header_html(info))
    assert info["model"] in p.text and "UTC" in p.text
    many = dict(info, publishers=[f"nguồn{i}" for i in range(9)])
    assert "và 3 nguồn khác" in Tags(header_html(many)).text


def test_vietnamese_formats():
    assert vi_number(1234567.891, 2) == "1.234.567,89"
    assert vi_seconds(0.0312) == "0,03 giây" and vi_seconds(0.001) == "dưới 0,01 giây"
    assert vi_date("2022-08-04T07:01") == "04/08/2022 07:01" and vi_date("2020-08-06") == "06/08/2020"
    assert vi_date("mùa xuân") == "mùa xuân" and vi_date(None) is None
    assert vi_timestamp("2026-11-22T07:33:43+07:00") == "22/11/2026 00:33 UTC"
