"""HTML for the chat page, as pure functions of `Answer.to_dict()`: testable without a browser.

Every piece of article or question text goes through `esc`, so markup inside an article or a
question is shown as text, never run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlparse

from ..schema import Article

ArticleLookup = Callable[[str], Article | None]

RETRIEVER_NAMES = {
    "dense": "ngữ nghĩa",
    "bm25": "từ khóa",
    "bm25_folded": "từ khóa không dấu",
}

NO_ANSWER_HINT = "Các đoạn gần nhất ở khung Nguồn bên cạnh, để bạn tự đánh giá."


def esc(text: object) -> str:
    """Text for an HTML element or attribute value."""
    return html.escape("" if text is None else str(text), quote=True)


def esc_lines(text: object) -> str:
    """Text for a chat bubble (HTML, not Markdown): escaped, its line breaks kept."""
    return esc(text).replace("\n", "<br>")


def vi_number(x: float, decimals: int) -> str:
    """12.345,67: Vietnamese separators."""
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\0").replace(".", ",").replace("\0", ".")


def vi_seconds(seconds: float) -> str:
    if seconds < 0.01:
        return "dưới 0,01 giây"
    return f"{vi_number(seconds, 2)} giây"


def vi_date(value: str | None) -> str | None:
    """ISO to Vietnamese order: "2022-08-04T07:01" -> "04/08/2022 07:01"; other text as it is."""
    if not value:
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?", value)
    if not m:
        return value
    y, mo, d, hh, mm = m.groups()
    return f"{d}/{mo}/{y}" + (f" {hh}:{mm}" if hh else "")


def vi_timestamp(value: str | None) -> str | None:
    """An ISO timestamp with a zone, as UTC: "22/11/2026 00:33 UTC"."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return value
    if t.tzinfo is not None:
        return t.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")
    return t.strftime("%d/%m/%Y %H:%M")


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are offered: a `javascript:` URL in an article must not become a link."""
    if not url:
        return None
    try:
        scheme = urlparse(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def marked(text: str, start: int, end: int, quote: str | None = None, short: dict | None = None) -> str:
    """`text` escaped, with text[start:end] in <mark>; offsets that do not hold `quote` are not trusted.
    `short` (an answer's short_answer, offsets into the quote) is marked again inside it, if it holds."""
    if quote is not None and text[start:end] != quote:
        found = text.find(quote) if quote else -1
        if found < 0:
            return esc(text)
        start, end = found, found + len(quote)
    if not 0 <= start < end <= len(text):
        return esc(text)
    inside = esc(text[start:end])
    if short and 0 <= short["start"] < short["end"] <= end - start:
        q = text[start:end]
        if q[short["start"] : short["end"]] == short["text"]:
            inside = (
                f'{esc(q[: short["start"]])}<strong class="rv-short">{esc(short["text"])}</strong>'
                f"{esc(q[short['end'] :])}"
            )
    return f"{esc(text[:start])}<mark>{inside}</mark>{esc(text[end:])}"


# --- the page header ------------------------------------------------------------------------------


def header_html(info: dict) -> str:
    """What the bot knows: how many articles, from which sources, built when, with which model."""
    n = info.get("articles", 0)
    publishers = list(info.get("publishers") or [])
    shown = ", ".join(esc(p) for p in publishers[:6])
    if len(publishers) > 6:
        shown += f" và {len(publishers) - 6} nguồn khác"
    facts = [f"<b>{vi_number(n, 0)}</b> bài báo"]
    if shown:
        facts.append(f"nguồn: {shown}")
    if built := vi_timestamp(info.get("built_at")):
        facts.append(f"chỉ mục dựng lúc {esc(built)}")
    if model := info.get("model"):
        facts.append(f"mô hình <code>{esc(model)}</code>")
    return (
        '<div class="rv-header">'
        "<h1>Hỏi đáp tin tức</h1>"
        '<p class="rv-lead">Hỏi bằng tiếng Việt, có dấu hay không dấu. Câu trả lời là các câu trích '
        "nguyên văn từ bài báo, mỗi câu kèm số trích dẫn [n] để bạn mở ra kiểm tra. "
        "Khi các bài không có thông tin, trợ lý nói rõ là không tìm thấy.</p>"
        f'<p class="rv-facts">Trợ lý đã đọc {" · ".join(facts)}.</p>'
        "</div>"
    )


# --- the chat bubble --------------------------------------------------------------------------------
# The chat renders its messages as (sanitized) HTML, not Markdown: the text is shown exactly as the
# article has it, and what a person selects and copies is that text.

_MARKER = re.compile(r"\[(\d+)\]")


def answer_html(answer: dict) -> str:
    """The assistant's bubble: the answer with its [n] markers, then notices and the time taken."""
    text = answer.get("answer") or ""
    ns = {c["n"] for c in answer.get("citations", [])}
    parts, last = [], 0
    for m in _MARKER.finditer(text):
        if int(m.group(1)) in ns:
            parts.append(esc_lines(text[last : m.start()]))
            parts.append(f'<span class="rv-cite">[{m.group(1)}]</span>')
            last = m.end()
    parts.append(esc_lines(text[last:]))
    body = "".join(parts)
    if answer.get("abstained"):
        body = f'<span class="rv-abstain">{body}</span><span class="rv-hint">{esc(NO_ANSWER_HINT)}</span>'
    lines = [body]
    if answer.get("notice"):
        lines.append(f'<span class="rv-warn">⚠ {esc(answer["notice"])}</span>')
    meta = [f"trả lời trong {vi_seconds(answer.get('seconds') or 0.0)}"]
    if answer.get("mode") == "unaccented":
        meta.append("đọc như câu gõ không dấu")
    if answer.get("searched_as"):
        meta.append(f"đã tìm với “{esc(answer['searched_as'])}”")
    cites = answer.get("citations", [])
    if cites:
        meta.append("nguồn: " + "; ".join(f"[{int(c['n'])}] {esc(c['title'])}" for c in cites))
    lines.append(f'<span class="rv-meta">{" · ".join(meta)}</span>')
    return "".join(lines)


def question_html(question: str) -> str:
    return esc_lines(question)


# --- the sources panel ------------------------------------------------------------------------------


def _meta_line(
    date: str | None,
    publisher: str | None,
    source: str | None,
    page: int | None = None,
    opener: str | None = None,
) -> str:
    bits = [esc(vi_date(date)) if date else "không rõ ngày", esc(publisher) if publisher else None]
    if page:
        bits.append(f'<span class="rv-page">trang {int(page)}</span>')
    if source:
        bits.append(f'<code class="rv-path">{esc(source)}</code>')
    if opener:
        bits.append(opener)
    return '<div class="rv-meta-line">' + " · ".join(b for b in bits if b) + "</div>"


def original_link(c: dict, file_url: Callable[[str], str | None] | None) -> str | None:
    """ "Mở tệp gốc" for an article kept as a file (a PDF opens at the quoted page)."""
    href = file_url(c.get("source") or "") if file_url else None
    if not href:
        return None
    if c.get("page") and href.lower().endswith(".pdf"):
        href += f"#page={int(c['page'])}"
    return f'<a class="rv-original" href="{esc(href)}" target="_blank" rel="noopener">Mở tệp gốc ↗</a>'


def _full_article(
    article: Article | None, passage_start: int, passage_end: int, quote_span: tuple[int, int] | None
) -> str:
    """The whole cleaned article, folded away, with the passage shaded and the quote marked."""
    if article is None:
        return ""
    text = article.text
    ps, pe = passage_start, passage_end
    if 0 <= ps < pe <= len(text):
        inner = text[ps:pe]
        if quote_span and 0 <= quote_span[0] < quote_span[1] <= len(inner):
            inner_html = marked(inner, *quote_span)
        else:
            inner_html = esc(inner)
        body = f'{esc(text[:ps])}<span class="rv-in-passage">{inner_html}</span>{esc(text[pe:])}'
    else:
        body = esc(text)
    link = ""
    if url := safe_url(article.url):
        attrs = f'class="rv-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer"'
        link = f"<a {attrs}>Mở bài gốc ↗</a>"
    return (
        '<details class="rv-article"><summary>Xem toàn bài</summary>'
        f'<div class="rv-article-head"><b>{esc(article.title)}</b>{link}</div>'
        f'<div class="rv-article-body">{body}</div></details>'
    )


def citation_card(c: dict, lookup: ArticleLookup, file_url=None, short: dict | None = None) -> str:
    passage = c.get("passage") or ""
    opener = original_link(c, file_url)
    span = (c["start"], c["end"])
    if passage[c["start"] : c["end"]] != c.get("quote"):
        found = passage.find(c.get("quote") or "\0")
        span = (found, found + len(c["quote"])) if found >= 0 else None
    return (
        f'<article class="rv-card" id="rv-source-{int(c["n"])}" data-article="{esc(c["article_id"])}">'
        f'<div class="rv-card-head"><span class="rv-badge">[{int(c["n"])}]</span>'
        f'<span class="rv-title">{esc(c["title"])}</span></div>'
        f"{_meta_line(c.get('date'), c.get('publisher'), c.get('source'), c.get('page'), opener)}"
        f'<div class="rv-passage">{marked(passage, c["start"], c["end"], c.get("quote"), short)}</div>'
        f"{_full_article(lookup(c['article_id']), c['passage_start'], c['passage_end'], span)}"
        "</article>"
    )


def _scores_line(h: dict) -> str:
    parts = [f"điểm gộp {vi_number(h['score'], 4)}"]
    for name, value in (h.get("scores") or {}).items():
        parts.append(f"{esc(RETRIEVER_NAMES.get(name, name))} {vi_number(value, 3)}")
    return '<div class="rv-scores">' + " · ".join(parts) + "</div>"


def hit_card(h: dict, lookup: ArticleLookup, *, with_scores: bool, cited: list[int]) -> str:
    tag = ""
    if cited:
        tag = '<span class="rv-tag">được trích ' + ", ".join(f"[{n}]" for n in cited) + "</span>"
    return (
        f'<article class="rv-card rv-hit" data-article="{esc(h["article_id"])}">'
        f'<div class="rv-card-head"><span class="rv-rank">#{int(h["rank"])}</span>'
        f'<span class="rv-title">{esc(h["title"])}</span>{tag}</div>'
        f"{_meta_line(h.get('date'), h.get('publisher'), h.get('source'))}"
        f"{_scores_line(h) if with_scores else ''}"
        f'<div class="rv-passage">{esc(h["passage"])}</div>'
        f"{_full_article(lookup(h['article_id']), h['passage_start'], h['passage_end'], None)}"
        "</article>"
    )


def sources_html(answer: dict | None, lookup: ArticleLookup, *, show_all: bool = False, file_url=None) -> str:
    """The panel beside the chat: the sources of the latest answer, or the closest passages."""
    if not answer:
        return (
            '<div class="rv-sources rv-empty"><h2>Nguồn</h2>'
            "<p>Nguồn của câu trả lời sẽ hiện ở đây: tiêu đề, ngày, nơi đăng, đoạn văn với câu được "
            "trích tô sáng, và toàn bài để đối chiếu.</p></div>"
        )
    hits = answer.get("passages") or []
    citations = answer.get("citations") or []
    out = ['<div class="rv-sources">']
    took = f'<span class="rv-took">trả lời trong {vi_seconds(answer.get("seconds") or 0.0)}</span>'
    if answer.get("abstained"):
        out.append(f"<h2>Không tìm thấy câu trả lời {took}</h2>")
        out.append(
            '<p class="rv-abstain-note">Các bài viết không đủ thông tin để trả lời '
            f"“{esc(answer.get('question'))}”. Đây là các đoạn gần nhất, để bạn tự đánh giá:</p>"
        )
        out.extend(hit_card(h, lookup, with_scores=show_all, cited=[]) for h in hits)
        out.append("</div>")
        return "".join(out)
    out.append(f"<h2>Nguồn của câu trả lời {took}</h2>")
    short = answer.get("short_answer")
    out.extend(
        citation_card(c, lookup, file_url, short if short and short["n"] == c["n"] else None)
        for c in citations
    )
    if show_all and hits:
        out.append(f'<h3 class="rv-all">Mọi đoạn đã truy xuất ({len(hits)}), kèm điểm số</h3>')
        for h in hits:
            cited = [
                c["n"]
                for c in citations
                if c["article_id"] == h["article_id"] and c["passage_start"] == h["passage_start"]
            ]
            out.append(hit_card(h, lookup, with_scores=True, cited=cited))
    out.append("</div>")
    return "".join(out)


def notice_html(message: str | None) -> str:
    if not message:
        return ""
    return f'<div class="rv-notice" role="alert">⚠ {esc(message)}</div>'
