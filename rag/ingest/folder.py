"""Every article under a folder, read by the reader of its format."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..schema import Article
from .base import SUFFIXES, Problem
from .clean import clean_page
from .jsonl import _records
from .text import _markdown_to_text


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


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def read_articles(folder: Path, root: Path | None = None) -> tuple[list[Article], list[Problem]]:
    """Every article under `folder`; unreadable files are reported, never fatal for the others."""
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for path in _article_files(folder):
        name = relative_name(path, root)
        if not path.name.lower().endswith(SUFFIXES):
            problems.append(Problem(name, "skipped: not .txt, .md or .jsonl"))
            continue
        try:
            text = _read_text(path)
        except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
            problems.append(Problem(name, f"cannot be read ({type(exc).__name__}: {exc})"))
            continue
        items: Iterable[Article | Problem]
        if ".jsonl" in path.name.lower():
            items = _records(path, name, text)
        else:
            raw = _markdown_to_text(text) if path.suffix.lower() == ".md" else text
            page = clean_page(raw)
            aid = path.relative_to(folder).with_suffix("").as_posix()
            if not page["text"]:
                items = [Problem(name, "empty: no article text after cleaning")]
            else:
                items = [Article(id=aid, path=name, **page)]
        for item in items:
            if isinstance(item, Problem):
                problems.append(item)
            elif item.id in seen:
                problems.append(Problem(item.path, f"duplicate article id {item.id!r}: skipped"))
            else:
                seen.add(item.id)
                articles.append(item)
    return articles, problems
