"""Every article under a folder, each file read by the reader of its format."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from ..schema import Article
from .base import Problem, Reader, Source
from .jsonl import JsonlReader
from .text import TextReader

READERS: list[Reader] = [TextReader(), JsonlReader()]
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
    for path in _article_files(folder):
        name = relative_name(path, root)
        reader = reader_for(path)
        if reader is None:
            problems.append(Problem(name, f"skipped: not {', '.join(SUFFIXES[:-1])} or {SUFFIXES[-1]}"))
            continue
        source = Source(path, name, path.relative_to(folder).with_suffix("").as_posix())
        try:
            items = list(reader.read(path.read_bytes(), source))
        except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
            problems.append(Problem(name, f"cannot be read ({type(exc).__name__}: {exc})"))
            continue
        for item in items:
            if isinstance(item, Problem):
                problems.append(item)
            elif item.id in seen:
                problems.append(Problem(item.path, f"duplicate article id {item.id!r}: skipped"))
            else:
                seen.add(item.id)
                articles.append(item)
    return articles, problems
