"""Documents made by the tests themselves: a PDF with a text layer (fpdf2), a scan (an image only),
a Word file (python-docx), a ZIP bomb dressed as a .docx, and a local web server for links.

fpdf2's core fonts are Latin-1 only; Vietnamese needs a TrueType font with its glyphs, and
matplotlib's wheel ships DejaVu Sans (both from PyPI, the dev extra), so no system font is assumed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import importlib.util
import io
import shutil
import threading
import zipfile
from pathlib import Path


@functools.cache
def dejavu() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"


def make_pdf(
    pages: list[str],
    *,
    title: str | None = None,
    author: str | None = None,
    created: dt.datetime | None = None,
    header: str | None = None,
) -> bytes:
    """One string a page; a running head and a "Trang N" foot on every page, as reports have."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            if header:
                self.set_font("DejaVu", size=9)
                self.cell(0, 8, header, align="C")
                self.ln(12)

        def footer(self):
            self.set_y(-15)
            self.set_font("DejaVu", size=9)
            self.cell(0, 10, f"Trang {self.page_no()}", align="C")

    pdf = Report()
    pdf.add_font("DejaVu", "", str(dejavu()))
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if created:
        pdf.set_creation_date(created)
    for text in pages:
        pdf.add_page()
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 7, text, align="L")
    return bytes(pdf.output())


def make_scan_pdf() -> bytes:
    """A page that is only a picture of text, as a scanner makes it: no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    img = Image.new("L", (620, 880), 255)
    draw = ImageDraw.Draw(img)
    for y in range(60, 820, 28):
        draw.line((50, y, 570, y), fill=40, width=9)  # lines of "text"
    pdf = FPDF()
    pdf.add_page()
    pdf.image(img, x=10, y=10, w=190)
    return bytes(pdf.output())


def make_docx(
    *,
    title: str | None,
    heading: str | None,
    paragraphs: list[str],
    table: list[list[str]] | None = None,
    author: str | None = None,
    created: dt.datetime | None = None,
    after_table: list[str] = (),
) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = title or ""
    d.core_properties.author = author or ""
    if created:
        d.core_properties.created = created
    if heading:
        d.add_heading(heading, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    for p in after_table:
        d.add_paragraph(p)
    section = d.sections[0]
    section.header.paragraphs[0].text = "UBND HUYỆN LỤC NGẠN - TÀI LIỆU NỘI BỘ"
    section.footer.paragraphs[0].text = "Số điện thoại liên hệ: 0204.3882.123"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_zip_bomb(unpacked_mb: int = 1024) -> bytes:
    """A .docx-shaped ZIP whose document.xml unpacks to `unpacked_mb` MB of zeros (about 1 MB packed).

    Written in slices, so the test never holds the unpacked size in memory.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        block = b"\0" * (1 << 20)
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(unpacked_mb):
                fh.write(block)
    return buf.getvalue()


def seeded_pipeline(root: Path, embedder, pages: dict[str, Path]):
    """A project at `root`: the seed articles plus `pages` (name in seeds/ -> file), indexed."""
    from rag.config import Settings
    from rag.pipeline import Pipeline, build_index
    from rag.store.store import Store

    from .conftest import SEEDS

    shutil.copytree(SEEDS, root / "seeds")
    for name, page in pages.items():
        shutil.copyfile(page, root / "seeds" / name)
    settings = Settings(root=root)
    build_index(settings, embedder=embedder, show_progress=False, log=lambda m: None)
    return Pipeline(settings, Store.load(settings.store), embedder)


@contextlib.contextmanager
def served_page(pipeline, *, uploads: bool, password: str | None = None, limits=None):
    """The chat page on a free port, as `rag serve [--allow-uploads]` makes it: yields its URL."""
    from rag.app.ui import build_app, launch
    from rag.library import Library

    from .conftest import free_port

    library = Library(pipeline.settings, pipeline.embedder, limits=limits) if uploads else None
    demo = build_app(pipeline, examples=[], library=library, password=password)
    port = free_port()
    size = library.limits.file_bytes if library is not None else 0
    launch(demo, "127.0.0.1", port, block=False, max_file_size=size, seeds=pipeline.settings.seeds)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


@contextlib.contextmanager
def serve_folder(folder: Path):
    """A local web server on a free port for the folder: yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass
