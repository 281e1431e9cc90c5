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
    "sentences": "ngữ nghĩa theo câu",
    "bm25": "từ khóa",
    "bm25_folded": "từ khóa không dấu",
    "answer": "chứa câu trả lời",
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
# article has it, and what a person selects and copies is that text. Each answer carries its own
# sources (folded under it; on a wide screen the panel beside the chat shows the ones of the answer
# last clicked, see static/sources.js), so an earlier answer's [n] still leads to its source.

UNDERSTOOD = "Hiểu là"


def _cite(turn: int, n: int) -> str:
    return f'<a class="rv-cite" href="#rv-a{turn}-s{n}">[{n}]</a>'


def answer_body(answer: dict, turn: int) -> str:
    """The answer's sentences, each with its [n] link; a quote that leaves its place implicit is shown
    with it ("Hà Giang: ... tỉnh ta ..."); over several articles, one heading each."""
    cites = answer.get("citations") or []
    if answer.get("abstained") or not cites:
        return f'<span class="rv-abstain">{esc_lines(answer.get("answer") or "")}</span>'
    if answer.get("spans"):
        return "".join(
            f'<div class="rv-group"><div class="rv-group-head">{esc(c.get("context") or c["title"])}</div>'
            f'<span class="rv-quote">{esc_lines(c["quote"])}</span> {_cite(turn, int(c["n"]))}</div>'
            for c in cites
        )
    parts = []
    for c in cites:
        context = f'<span class="rv-context">{esc(c["context"])}:</span> ' if c.get("context") else ""
        parts.append(
            f'{context}<span class="rv-quote">{esc_lines(c["quote"])}</span> {_cite(turn, int(c["n"]))}'
        )
    return " ".join(parts)


def _meta(answer: dict) -> str:
    meta = [f"trả lời trong {vi_seconds(answer.get('seconds') or 0.0)}"]
    if answer.get("mode") == "unaccented":
        meta.append("đọc như câu gõ không dấu")
    if answer.get("searched_as"):
        meta.append(f"đã tìm với “{esc(answer['searched_as'])}”")
    return f'<span class="rv-meta">{" · ".join(meta)}</span>'


def answer_html(answer: dict, turn: int = 1, lookup: ArticleLookup | None = None, file_url=None) -> str:
    """The assistant's bubble: how the question was understood (when completed from the conversation),
    the answer with its [n] links, notices, a copy button, and the answer's own sources."""
    lookup = lookup or (lambda _id: None)
    out = [f'<div class="rv-answer" id="rv-a{turn}">']
    standalone = answer.get("standalone")
    if standalone and standalone != answer.get("question"):
        out.append(f'<div class="rv-understood">{UNDERSTOOD}: <q>{esc(standalone)}</q></div>')
    out.append(f'<div class="rv-body">{answer_body(answer, turn)}</div>')
    if answer.get("abstained"):
        out.append(f'<span class="rv-hint">{esc(NO_ANSWER_HINT)}</span>')
    if answer.get("notice"):
        out.append(f'<span class="rv-warn">⚠ {esc(answer["notice"])}</span>')
    copy = '<button type="button" class="rv-copy">Sao chép</button>'
    out.append(f'<div class="rv-actions">{copy}{_meta(answer)}</div>')
    cites = answer.get("citations") or []
    label = f"Nguồn ({len(cites)})" if cites else "Các đoạn gần nhất"
    out.append(
        f'<details class="rv-own"><summary>{label}</summary>'
        f'<div class="rv-own-body">{sources_html(answer, lookup, turn, file_url)}</div></details>'
    )
    out.append("</div>")
    return "".join(out)


def question_html(question: str) -> str:
    return esc_lines(question)


# --- sources ------------------------------------------------------------------------------------------


def _meta_line(
    date: str | None,
    publisher: str | None,
    source: str | None,
    url: str | None = None,
    page: int | None = None,
    opener: str | None = None,
) -> str:
    """Date, publisher, the PDF page, and where the article is: its original link when known, else its
    file; "Mở tệp gốc" (`opener`) for a file the page serves."""
    bits = [esc(vi_date(date)) if date else "không rõ ngày", esc(publisher) if publisher else None]
    if page:
        bits.append(f'<span class="rv-page">trang {int(page)}</span>')
    if link := safe_url(url):
        attrs = f'class="rv-link" href="{esc(link)}" target="_blank" rel="noopener noreferrer"'
        bits.append(f"<a {attrs}>bài gốc ↗</a>")
    elif source:
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
    return (
        '<details class="rv-article"><summary>Xem toàn bài</summary>'
        f'<div class="rv-article-head"><b>{esc(article.title)}</b></div>'
        f'<div class="rv-article-body">{body}</div></details>'
    )


def article_class(article_id: str) -> str:
    """The card's article as a class: the chat sanitises its messages and keeps no data-* attribute,
    and a card in the panel is a copy of one in a message."""
    return "rv-art-" + re.sub(r"[^A-Za-z0-9_-]", "-", article_id)


def citation_card(
    c: dict, lookup: ArticleLookup, turn: int = 1, file_url=None, short: dict | None = None
) -> str:
    passage = c.get("passage") or ""
    opener = original_link(c, file_url)
    span = (c["start"], c["end"])
    if passage[c["start"] : c["end"]] != c.get("quote"):
        found = passage.find(c.get("quote") or "\0")
        span = (found, found + len(c["quote"])) if found >= 0 else None
    n = int(c["n"])
    article = lookup(c["article_id"])
    url = c.get("url") or (article.url if article else None)
    context = f'<div class="rv-card-context">{esc(c["context"])}</div>' if c.get("context") else ""
    return (
        f'<article class="rv-card rv-cited rv-s{n} {article_class(c["article_id"])}" id="rv-a{turn}-s{n}">'
        f'<div class="rv-card-head"><span class="rv-badge">[{n}]</span>'
        f'<span class="rv-title">{esc(c["title"])}</span></div>{context}'
        f"{_meta_line(c.get('date'), c.get('publisher'), c.get('source'), url, c.get('page'), opener)}"
        f'<div class="rv-passage">{marked(passage, c["start"], c["end"], c.get("quote"), short)}</div>'
        f"{_full_article(article, c['passage_start'], c['passage_end'], span)}"
        "</article>"
    )


def _scores_line(h: dict) -> str:
    parts = [f"điểm gộp {vi_number(h['score'], 4)}"]
    for name, value in (h.get("scores") or {}).items():
        parts.append(f"{esc(RETRIEVER_NAMES.get(name, name))} {vi_number(value, 3)}")
    return '<div class="rv-scores">' + " · ".join(parts) + "</div>"


def hit_card(h: dict, lookup: ArticleLookup, *, cited: list[int]) -> str:
    tag = ""
    if cited:
        tag = '<span class="rv-tag">được trích ' + ", ".join(f"[{n}]" for n in cited) + "</span>"
    article = lookup(h["article_id"])
    return (
        f'<article class="rv-card rv-hit {article_class(h["article_id"])}">'
        f'<div class="rv-card-head"><span class="rv-rank">#{int(h["rank"])}</span>'
        f'<span class="rv-title">{esc(h["title"])}</span>{tag}</div>'
        f"{_meta_line(h.get('date'), h.get('publisher'), h.get('source'), article.url if article else None)}"
        f"{_scores_line(h)}"
        f'<div class="rv-passage">{esc(h["passage"])}</div>'
        "</article>"
    )


EMPTY_SOURCES = (
    '<div class="rv-sources rv-empty"><h2>Nguồn</h2>'
    "<p>Nguồn của câu trả lời sẽ hiện ở đây: tiêu đề, ngày, nơi đăng, đoạn văn với câu được "
    "trích tô sáng, và toàn bài để đối chiếu. Bấm vào một câu trả lời trước để xem lại nguồn của nó."
    "</p></div>"
)


def sources_html(answer: dict | None, lookup: ArticleLookup, turn: int = 1, file_url=None) -> str:
    """An answer's sources: its cited passages (or, when it abstained, the closest ones), then every
    retrieved passage with its scores, shown when "Hiện mọi đoạn" is ticked."""
    if not answer:
        return EMPTY_SOURCES
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
        out.extend(hit_card(h, lookup, cited=[]) for h in hits)
        out.append("</div>")
        return "".join(out)
    out.append(f"<h2>Nguồn của câu trả lời {took}</h2>")
    short = answer.get("short_answer")
    out.extend(
        citation_card(c, lookup, turn, file_url, short if short and short["n"] == c["n"] else None)
        for c in citations
    )
    if hits:
        out.append(f'<div class="rv-all"><h3>Mọi đoạn đã truy xuất ({len(hits)}), kèm điểm số</h3>')
        for h in hits:
            cited = [
                c["n"]
                for c in citations
                if c["article_id"] == h["article_id"] and c["passage_start"] == h["passage_start"]
            ]
            out.append(hit_card(h, lookup, cited=cited))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


# --- the articles the bot knows -------------------------------------------------------------------------


def articles_html(rows: list[dict], total: int, query: str, page: int, pages: int) -> str:
    """The list "Bài viết": title, place, date, source of each article and when it was added, a page."""
    if not rows:
        found = f"Không có bài nào khớp với “{esc(query)}”." if query else "Chưa có bài viết nào."
        return f'<div class="rv-articles"><p class="rv-count">{found}</p></div>'
    what = f"{vi_number(total, 0)} bài" + (f" khớp với “{esc(query)}”" if query else "")
    out = [f'<div class="rv-articles"><p class="rv-count">{what} · trang {page}/{pages}</p>']
    out.append(
        '<table class="rv-table"><thead><tr><th>Tiêu đề</th><th>Nơi</th><th>Ngày</th><th>Nguồn</th>'
        "<th>Thêm lúc</th></tr></thead><tbody>"
    )
    for r in rows:
        link = safe_url(r.get("url"))
        source = esc(r.get("publisher") or "")
        if link:
            attrs = f'class="rv-link" href="{esc(link)}" target="_blank" rel="noopener noreferrer"'
            source = f"<a {attrs}>{source or 'bài gốc'} ↗</a>"
        elif r.get("path"):
            source = f'{source}{" · " if source else ""}<code class="rv-path">{esc(r["path"])}</code>'
        added = esc(vi_timestamp(r.get("added")) or "không rõ")
        out.append(
            f'<tr data-article="{esc(r.get("id") or "")}">'
            f'<td class="rv-art-title">{esc(r["title"])}</td><td>{esc(r.get("place") or "")}</td>'
            f'<td class="rv-art-date">{esc(vi_date(r.get("date")) or "")}</td><td>{source}</td>'
            f'<td class="rv-art-added">{added}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def notice_html(message: str | None) -> str:
    if not message:
        return ""
    return f'<div class="rv-notice" role="alert">⚠ {esc(message)}</div>'
