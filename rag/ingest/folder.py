"""Every article under a folder, each file read by the reader of its format."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from ..schema import Article
from .base import Problem, Reader, Source
from .docx import DocxReader
from .html import HtmlReader
from .jsonl import JsonlReader
from .pdf import PdfReader
from .sources import Registry
from .text import TextReader

READERS: list[Reader] = [TextReader(), JsonlReader(), HtmlReader(), PdfReader(), DocxReader()]
SUFFIXES = tuple(s for r in READERS for s in r.suffixes)


def reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    return next((r for r in READERS if name.endswith(r.suffixes)), None)


def relative_name(path: Path, root: Path | None) -> str:
    """The path as a user sees it: relative to the project root when inside it."""
    path = path.resolve()
    if root is not None:
        try:
            return path.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _article_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts):
            yield path


def read_articles(folder: Path, root: Path | None = None) -> tuple[list[Article], list[Problem]]:
    """Every article under `folder`; unreadable files are reported, never fatal for the others."""
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    links = {rel: e.url for rel, e in Registry(folder).entries().items() if e.url}
    for path in _article_files(folder):
        for item in read_file(path, folder, root, links):
            if isinstance(item, Problem):
                problems.append(item)
            elif item.id in seen:
                problems.append(Problem(item.path, f"duplicate article id {item.id!r}: skipped"))
            else:
                seen.add(item.id)
                articles.append(item)
    return articles, problems


def read_file(path: Path, folder: Path, root: Path | None, links: dict[str, str]) -> list[Article | Problem]:
    """The articles of one file under `folder`, as `read_articles` reads them (an addition from the page
    reads only its new files, and must see the very articles `rag index` would). `links`: the link
    each file under `folder` was downloaded from."""
    name = relative_name(path, root)
    reader = reader_for(path)
    if reader is None:
        return [Problem(name, f"skipped: not {', '.join(SUFFIXES[:-1])} or {SUFFIXES[-1]}")]
    rel = path.relative_to(folder)
    source = Source(path, name, rel.with_suffix("").as_posix(), links.get(rel.as_posix()))
    try:
        return list(reader.read(path.read_bytes(), source))
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        return [Problem(name, f"cannot be read ({type(exc).__name__}: {exc})")]
