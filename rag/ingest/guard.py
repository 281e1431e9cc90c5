"""Files that arrive from outside (the page, `rag add`) are hostile until checked, before anything is
written: their size, their type by content (the name only says which reader to try, and the bytes
must agree) and their name (reduced to a plain file name inside seeds/)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from ..errors import RagError

KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx", ".txt": "text", ".md": "text"}
_KIND_VI = {"pdf": "PDF", "docx": "Word (.docx)", "html": "trang web", "text": "văn bản", "zip": "tệp ZIP",
            "binary": "dữ liệu nhị phân"}  # fmt: skip


class Refused(RagError):
    """An input that is not taken: `str()` in English for the CLI, `vi` for the page."""

    def __init__(self, reason: str, vi: str):
        super().__init__(reason)
        self.vi = vi


@dataclass(frozen=True)
class Limits:
    """What one file and one request may weigh (RAG_UPLOAD_MAX_MB, RAG_REQUEST_MAX_MB)."""

    file_bytes: int = 20 * 2**20
    request_bytes: int = 50 * 2**20
    request_files: int = 20


def accepted_suffix(name: str) -> str | None:
    low = (name or "").lower()
    return next((s for s in KINDS if low.endswith(s)), None)


def safe_name(name: str, suffix: str) -> str:
    """A plain file name: no folder part (`../../etc/passwd.html` -> `passwd.html`), no dot-file, no
    control, shell or markup characters; Vietnamese letters kept."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    stem = base[: -len(suffix)] if suffix and base.lower().endswith(suffix) else base
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip(" ._-")
    stem = re.sub(r"[\s_]+", "_", stem)[:80].strip("._-") or "bai-viet"
    return stem + suffix


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the name says: pdf, docx, zip, html, text or binary.

    Written by hand: the three magic numbers and a look for markup are all it takes, where libmagic
    would be a system library to install and would still not tell a page from plain text.
    """
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return "docx" if "word/document.xml" in z.namelist() else "zip"
        except (zipfile.BadZipFile, OSError, ValueError):
            return "binary"
    head = data[:65536]
    if b"\x00" in head:
        return "binary"
    utf8 = True
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            utf8, text = False, head.decode("latin-1")  # an older page in windows-1258 and the like
        else:
            text = head[: exc.start].decode("utf-8")
    if sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t") < 0.95 * len(text):
        return "binary"
    if re.search(r"<(?:!doctype\s+html|html|head|body|article|title)[\s>]", text, re.IGNORECASE):
        return "html"
    return "text" if utf8 else "binary"  # plain text is read as UTF-8 only


def check_content(name: str, data: bytes) -> str:
    """The accepted suffix of `name` when the bytes agree with it; else `Refused`."""
    suffix = accepted_suffix(name)
    if suffix is None:
        raise Refused(
            f"{name}: not an accepted type (.html, .htm, .pdf, .docx, .txt, .md)",
            f"{name}: không nhận loại tệp này (chỉ nhận .html, .htm, .pdf, .docx, .txt, .md).",
        )
    if not data:
        raise Refused(f"{name}: the file is empty", f"{name}: tệp rỗng.")
    kind, found = KINDS[suffix], sniff(data)
    if found != kind and not (kind == "text" and found == "html"):
        raise Refused(
            f"{name}: its content is {found}, not what {suffix} says",
            f"{name}: nội dung không phải {_KIND_VI[kind]} như đuôi {suffix} nói (mà là {_KIND_VI[found]}).",
        )
    return suffix
