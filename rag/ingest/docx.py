"""Word files (python-docx): the body's paragraphs and tables in their order; the page headers and
footers are furniture and left out. A ZIP bomb is refused before anything is unpacked."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from ..schema import Article
from ..text.normalise import nfc
from .base import Problem, Reader, Source, has_letters
from .clean import cleaned_article

MAX_UNPACKED = 100 * 2**20  # a .docx whose parts unpack to more than this is refused
MAX_RATIO = 100  # nor one packed tighter than this (Word's XML packs ~5-10x, a ZIP bomb ~1000x)


def zip_problem(data: bytes) -> str | None:
    """Why a .docx cannot be opened safely, judged by the sizes its directory declares (zipfile never
    unpacks a part past its declared size, so those sizes bound the work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "not a Word .docx file (not a ZIP container)"
    if "word/document.xml" not in {i.filename for i in infos}:
        return "not a Word .docx file (no word/document.xml inside)"
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(packed, 2**16):
        return (
            f"refused: its {len(infos)} parts would unpack to {unpacked / 2**20:,.0f} MB "
            f"from {packed / 2**20:,.1f} MB (a ZIP bomb?)"
        )
    return None


def table_lines(table) -> list[str]:
    """Each row one line; under a header row, "header: value" pairs, so that a row reads alone."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            t = " ".join(cell.text.split())
            if not cells or t != cells[-1]:  # python-docx repeats a merged cell
                cells.append(t)
        rows.append(cells)
    if len(rows) >= 2 and len(rows[0]) >= 2 and all(rows[0]):
        head = rows[0]
        return [
            "; ".join(f"{h}: {v}" for h, v in zip(head, r, strict=False) if v) + "."
            for r in rows[1:]
            if any(r)
        ]
    return [" | ".join(c for c in r if c) for r in rows if any(r)]


class DocxReader(Reader):
    suffixes = (".docx",)

    def read(self, data: bytes, source: Source) -> Iterator[Article | Problem]:
        import docx
        from docx.table import Table

        if not data:
            yield Problem(source.name, "empty file")
            return
        if why := zip_problem(data):
            yield Problem(source.name, why)
            return
        try:
            document = docx.Document(io.BytesIO(data))
            blocks: list[str] = []
            heading = None
            for block in document.iter_inner_content():
                if isinstance(block, Table):
                    blocks.extend(table_lines(block))
                    continue
                text = " ".join(block.text.split())
                style = (block.style.name if block.style is not None else "") or ""
                if text and heading is None and not blocks and style.lower().startswith(("heading", "title")):
                    heading = text
                    continue
                blocks.append(text)
            props = document.core_properties
            prop_title, created, author = (props.title or "").strip(), props.created, props.author
        except Exception as exc:  # noqa: BLE001 - python-docx and lxml raise many kinds on a damaged file
            yield Problem(source.name, f"damaged Word file ({type(exc).__name__}: {str(exc)[:100]})")
            return
        blocks = [nfc(b) for b in blocks if has_letters(b)]
        title = nfc(prop_title) or heading or (blocks[0] if blocks else "")
        if blocks and blocks[0] == title:
            blocks = blocks[1:]
        date = created.date().isoformat() if created else None
        yield cleaned_article(
            source, blocks, title, "no text in the document", date=date, author=(author or "").strip() or None
        )
