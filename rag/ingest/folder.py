"""Every article under a folder, each file read by the reader of its format."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Iterator
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


def read_source(data: bytes, source: Source) -> list[Article | Problem]:
    """One file's articles (or why it has none), by the reader of its format: the cleaning step, which a
    Ray build runs on its workers."""
    try:
        return list(reader_for(source.path).read(data, source))
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        return [Problem(source.name, f"cannot be read ({type(exc).__name__}: {exc})")]


def _open(
    path: Path, folder: Path, root: Path | None, links: dict[str, str]
) -> tuple[bytes, Source] | Problem:
    """A file's bytes and what it is, or why it has none; `links`: the link each file under `folder` was
    downloaded from (seeds/.sources.jsonl)."""
    name = relative_name(path, root)
    if reader_for(path) is None:
        return Problem(name, f"skipped: not {', '.join(SUFFIXES[:-1])} or {SUFFIXES[-1]}")
    rel = path.relative_to(folder)
    source = Source(path, name, rel.with_suffix("").as_posix(), links.get(rel.as_posix()))
    try:
        return path.read_bytes(), source
    except OSError as exc:
        return Problem(name, f"cannot be read ({type(exc).__name__}: {exc})")


def read_file(path: Path, folder: Path, root: Path | None, links: dict[str, str]) -> list[Article | Problem]:
    """The articles of one file under `folder`, as `read_articles` reads them (an addition from the page
    reads only its new files, and must see the very articles `rag index` would)."""
    opened = _open(path, folder, root, links)
    return [opened] if isinstance(opened, Problem) else read_source(*opened)


# Maps `read_source` over files, in order, somewhere else (RayBackend.clean: on the cluster's workers).
Cleaner = Callable[[list[tuple[bytes, Source]]], Iterable[list[Article | Problem]]]


def read_articles(
    folder: Path, root: Path | None = None, clean: Cleaner | None = None
) -> tuple[list[Article], list[Problem]]:
    """Every article under `folder`; unreadable files are reported, never fatal for the others.

    Without `clean`, one file at a time is read and cleaned here; with it, every file is read here and
    handed to `clean` at once (workers elsewhere need not see the folder).
    """
    links = {rel: e.url for rel, e in Registry(folder).entries().items() if e.url}
    if clean is None:
        per_file = (read_file(path, folder, root, links) for path in _article_files(folder))
    else:
        files = [_open(path, folder, root, links) for path in _article_files(folder)]
        cleaned = iter(clean([f for f in files if not isinstance(f, Problem)]))
        per_file = ([f] if isinstance(f, Problem) else next(cleaned) for f in files)
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for items in per_file:
        for item in items:
            if isinstance(item, Problem):
                problems.append(item)
            elif item.id in seen:
                problems.append(Problem(item.path, f"duplicate article id {item.id!r}: skipped"))
            else:
                seen.add(item.id)
                articles.append(item)
    return articles, problems
