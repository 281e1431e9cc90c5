"""Strip a scraped page down to the article itself.

Seeds are scraped web pages: an error line glued before the title, font buttons, share links and,
after the body, headline lists and widgets. None of that may ever be retrieved or quoted, so it is
removed here, before chunking, together with the metadata lines (date, source, author) that are
kept as fields instead of text.
"""

from __future__ import annotations

import re

from ..text.normalise import clean_spaces, nfc

# --- boilerplate ---------------------------------------------------------------------------------

# Error text of the scraper, glued before the title.
_SCRAPER_ERRORS = re.compile(
    r"^(?:The request was aborted: Could not create SSL/TLS secure channel\.?"
    r"|The remote server returned an error: \(\d+\)[^.]*\.?"
    r"|The operation has timed out\.?"
    r"|Unable to connect to the remote server\.?"
    r"|The underlying connection was closed:[^.]*\.?)\s*",
    re.IGNORECASE,
)

# A line that starts the page furniture after the article: everything from it on is dropped.
_TAIL_MARKERS = {
    "tin liên quan",
    "tin cùng chuyên mục",
    "các tin khác",
    "tin khác",
    "bài liên quan",
    "xem thêm",
    "đọc thêm",
    "gửi cho bạn bè",
    "phản hồi",
    "thông tin người gửi phản hồi",
    "gửi phản hồi",
    "ý kiến bạn đọc",
    "bình luận",
    "ý kiến của bạn",
    "xem nhiều nhất",
    "tin đọc nhiều",
    "đọc nhiều nhất",
    "tin mới nhất",
    "liên kết website",
    "tỷ giá - thời tiết",
    "lên đầu trang",
    "về đầu trang",
    "(bấm vào đây để nhận mã)",
    "bấm vào đây để nhận mã",
    "chọn thành phố",
    "ảnh xem tất cả >>",
    "video",
}

# Single lines of page furniture that can stand anywhere.
_NOISE_LINE = re.compile(
    r"^(?:A\s*A|A\+?\s*A-?|A-\s*A\+|In bài(?: viết)?|Bản in|Chia sẻ(?: bài viết)?|Cỡ chữ|Font size"
    r"|Facebook|Twitter|Zalo|Email|Print|Tweet|Like|Share|Trở về|Quay lại|Đóng"
    r"|Lượt xem:?\s*\d+|Lượt đọc:?\s*\d+)$",
    re.IGNORECASE,
)

# --- metadata ------------------------------------------------------------------------------------

_WEEKDAY = r"(?:Thứ\s+(?:Hai|Ba|Tư|Năm|Sáu|Bảy|[2-7])|Chủ\s+nhật)"
_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
_TIME = re.compile(r"(?<!\d)(\d{1,2})[:h](\d{2})(?!\d)")
_DATE_LINE_REST = re.compile(
    rf"{_WEEKDAY}|Lượt xem:?\s*\d+|Cập nhật(?: lúc)?|Ngày đăng|Đăng ngày|ngày|lúc|GMT\s*\+\s*7|SA|CH|AM|PM"
    r"|[\s,|()\-–:]+",
    re.IGNORECASE,
)
_SOURCE_PAREN = re.compile(
    r"^\((?:Theo\s+)?([\w.-]+\.(?:vn|com|net|org|gov|info)(?:\.vn)?)\)$", re.IGNORECASE
)
_SOURCE_LINE = re.compile(r"^(?:Nguồn|Theo)\s*:\s*(.{2,80}?)\.?$", re.IGNORECASE)
_LEAD_AGENCY = re.compile(r"^([A-ZĐ]{2,8})\s*[-–]\s+(?=\S)")
_LEAD_DASH = re.compile(r"^[-–]\s+")


def parse_date_line(line: str) -> str | None:
    """ISO date of a line that is nothing but a date ("Thứ Sáu, 7/10/2022", "04/08/2022 - 07:01")."""
    m = _DATE.search(line)
    if not m:
        return None
    t = _TIME.search(line[m.end() :])
    rest = _DATE_LINE_REST.sub("", _TIME.sub("", _DATE.sub("", line)))
    if rest.strip():
        return None
    day, month, year = (int(g) for g in m.groups())
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    if t and int(t.group(1)) < 24:
        iso += f"T{int(t.group(1)):02d}:{t.group(2)}"
    return iso


def _is_author_line(line: str) -> bool:
    """A short byline such as "TRỌNG TÍN" or "Nguyễn Văn": capitalised words, no sentence."""
    words = line.split()
    if not 1 <= len(words) <= 5 or len(line) > 40 or line[-1] in ".!?:;,":
        return False
    return all(w[0].isupper() for w in words if w[0].isalpha()) and all(
        ch.isalpha() or ch in " .-" for ch in line
    )


def _unwrap(lines: list[str]) -> list[str]:
    """Join lines broken mid-sentence by the scraper ("phòng,\\nchống dịch")."""
    out: list[str] = []
    for line in lines:
        if (
            out
            and out[-1]
            and line
            and (line[0].islower() or out[-1][-1] in ",-–(")
            and (out[-1][-1] not in '.!?…:;"”')
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def cleaned_article(source, lines: list[str], title: str, missing: str, **fields):
    """The Article of a file's text lines after the seeds' cleaning (with `fields` from the file's own
    metadata taking precedence), or a Problem saying `missing` when nothing is left."""
    from ..schema import Article
    from .base import Problem

    page = clean_page("\n".join(lines), title=title)
    if not page["text"]:
        return Problem(source.name, missing)
    found = {k: page[k] for k in ("date", "publisher", "author")}
    found.update({k: v for k, v in fields.items() if v is not None})
    return Article(
        id=source.id, path=source.name, title=page["title"], text=page["text"], url=source.url, **found
    )


def clean_page(raw: str, *, title: str | None = None) -> dict:
    """Split a scraped page into title, body and metadata fields.

    With `title` given (structured input) every non-empty line is body; otherwise the first line
    that is not a date is the title.
    """
    text = nfc(clean_spaces(raw))
    lines = [_SCRAPER_ERRORS.sub("", line).strip() for line in text.split("\n")]

    # Page furniture after the body: cut at the first marker line (never the very first line).
    first = next((i for i, line in enumerate(lines) if line), 0)
    for i, line in enumerate(lines):
        if i > first and line.lower().rstrip(":") in _TAIL_MARKERS:
            lines = lines[:i]
            break
    lines = [line for line in lines if not _NOISE_LINE.match(line)]

    # Header: the date line stands just before or after the title.
    date = None
    for i in [i for i, line in enumerate(lines) if line][:4]:
        if iso := parse_date_line(lines[i]):
            date, lines[i] = iso, ""
            break
    found_title = title
    if found_title is None:
        i = next((i for i, line in enumerate(lines) if line), None)
        found_title = lines[i] if i is not None else ""
        if i is not None:
            lines[i] = ""

    # Metadata lines at the end: "(baoangiang.com.vn)", "Nguồn: bacgiang.gov.vn", then a byline.
    body = [line for line in lines if line]
    publisher = author = None
    for _ in range(3):
        if not body:
            break
        last = body[-1]
        if m := (_SOURCE_PAREN.match(last) or _SOURCE_LINE.match(last)):
            publisher = publisher or m.group(1).strip()
            body.pop()
        elif author is None and len(body) > 1 and _is_author_line(last):
            author = last
            body.pop()
        else:
            break

    if body:
        if m := _LEAD_AGENCY.match(body[0]):
            publisher = publisher or m.group(1)
            body[0] = body[0][m.end() :]
        body[0] = _LEAD_DASH.sub("", body[0])
    body = [" ".join(p.split()) for p in _unwrap(body) if p.strip()]
    return {
        "title": " ".join(found_title.split()),
        "text": "\n\n".join(body),
        "date": date,
        "publisher": publisher,
        "author": author,
    }
