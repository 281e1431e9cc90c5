"""PDF with a text layer (pypdf): the text page by page, and where each page starts, so that a
citation can say "trang 3". A scan without text is reported and skipped, never indexed as empty."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator

from ..schema import Article
from ..text.normalise import clean_spaces, nfc
from .base import Problem, Reader, Source, has_letters
from .guard import sniff

_PAGE_NUMBER = re.compile(r"^(?:trang|page)?\s*[-–]?\s*\d{1,4}\s*[-–]?(?:\s*/\s*\d{1,4})?$", re.IGNORECASE)
_SENTENCE_END = tuple('.!?…:;"”)')
MIN_TEXT_CHARS = 40  # a whole file with less text than this has no text layer to speak of
MAX_PAGES = 2000


def paragraphs(lines: list[str]) -> list[str]:
    """A page's lines as paragraphs: a line as long as the page's long lines runs on into the next
    (the layout broke it); a shorter one, or one ending a sentence, ends its paragraph."""
    if not lines:
        return []
    full = 0.7 * max(len(ln) for ln in lines)
    out = [lines[0]]
    for prev, line in zip(lines, lines[1:], strict=False):
        if (len(prev) >= full and not prev.endswith(_SENTENCE_END)) or line[:1].islower():
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _meta_title(meta) -> str:
    title = str(getattr(meta, "title", None) or "").strip()
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - |\.(?:docx?|pdf)$", "", title).strip()
    return "" if title.lower() in ("", "untitled", "document", "tài liệu") else nfc(title)


class PdfReader(Reader):
    suffixes = (".pdf",)

    def read(self, data: bytes, source: Source) -> Iterator[Article | Problem]:
        import pypdf
        from pypdf.errors import PyPdfError

        if not data:
            yield Problem(source.name, "empty file")
            return
        if b"%PDF-" not in data[:1024]:
            yield Problem(source.name, f"not a PDF (no PDF header; its content is {sniff(data)})")
            return
        logging.getLogger("pypdf").setLevel(logging.ERROR)  # its notes on damaged files: ours suffices
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                yield Problem(source.name, "the PDF is protected by a password: save an unprotected copy")
                return
            if len(reader.pages) > MAX_PAGES:
                yield Problem(source.name, f"the PDF has {len(reader.pages)} pages, more than {MAX_PAGES}")
                return
            raw = [page.extract_text() or "" for page in reader.pages]
            meta = reader.metadata
            created = meta.creation_date if meta is not None else None
        except (
            PyPdfError,
            ValueError,
            KeyError,
            TypeError,
            OSError,
            RecursionError,
            NotImplementedError,
        ) as exc:
            yield Problem(source.name, f"damaged PDF ({type(exc).__name__}: {str(exc)[:100]})")
            return
        pages = [[ln.strip() for ln in nfc(clean_spaces(t)).split("\n")] for t in raw]
        if sum(len("".join(p).replace(" ", "")) for p in pages) < MIN_TEXT_CHARS:
            yield Problem(
                source.name, "no text layer (a scanned PDF?): run OCR on it first, then add it again"
            )
            return
        # A short line on most pages is the document's running head or foot, not its text.
        counts = Counter(ln for p in pages for ln in set(p) if ln and len(ln) <= 120)
        furniture = {ln for ln, c in counts.items() if len(pages) >= 2 and c >= max(2, len(pages) // 2 + 1)}
        by_page = [
            [
                " ".join(x.split())
                for x in paragraphs(
                    [ln for ln in p if ln and ln not in furniture and not _PAGE_NUMBER.match(ln)]
                )
                if has_letters(x)
            ]
            for p in pages
        ]
        first = next((para for paras in by_page for para in paras), "")
        title = _meta_title(meta) or (first if len(first) <= 200 else first[:80].rsplit(" ", 1)[0] + " …")
        for paras in by_page:
            if paras:
                if paras[0].lower() == title.lower():
                    paras.pop(0)  # the title printed on the first page
                break
        text, starts = "", []
        for paras in by_page:
            body = "\n\n".join(paras)
            if text and body:
                # a sentence running on over the page break stays one paragraph
                text += " " if body[0].islower() and not text.endswith(_SENTENCE_END) else "\n\n"
            starts.append(len(text))
            text += body
        if not text.strip():
            yield Problem(source.name, "no text besides its title")
            return
        author = str(meta.author).strip() if meta is not None and meta.author else None
        yield Article(
            id=source.id,
            path=source.name,
            title=title,
            text=text,
            date=created.date().isoformat() if created else None,
            author=nfc(author) if author else None,
            url=source.url,
            pages=tuple(starts),
        )
