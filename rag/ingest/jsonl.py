"""JSONL: one JSON object a line. The one reading policy for every JSONL file of the project (articles,
question sets, the page's examples): UTF-8 with or without a byte-order mark, gzipped when the name
ends in .gz, blank lines skipped, and a line that is not a JSON object reported as a `Problem` naming
its file and line. What a bad line means is the caller's: an article file skips it with a warning, a
question set refuses to be measured, the page leaves the example out.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..schema import Article
from .base import Problem, Reader, Source, decode
from .clean import clean_page, parse_date_line


def records(text: str, name: str) -> Iterator[tuple[int, dict] | Problem]:
    """(line number, object) for each line holding a JSON object, a Problem for any other line."""
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            yield Problem(f"{name}:{lineno}", f"not a JSON object ({exc})")
            continue
        yield lineno, rec


def read_records(path: Path, name: str | None = None) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """A JSONL file's objects and its problems; OSError when the file cannot be read at all."""
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    found, problems = [], []
    for item in records(decode(data), name or str(path)):
        (problems if isinstance(item, Problem) else found).append(item)
    return found, problems


class JsonlReader(Reader):
    """Bulk corpora: one {"id", "title", "date", "source", "url", "text"} a line."""

    suffixes = (".jsonl", ".jsonl.gz")

    def read(self, data: bytes, source: Source) -> Iterator[Article | Problem]:
        if source.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
        return articles(decode(data), source.name)


def articles(text: str, name: str) -> Iterator[Article | Problem]:
    """The articles of JSONL text; `name` is the file as citations show it."""
    for item in records(text, name):
        if isinstance(item, Problem):
            yield item
            continue
        lineno, rec = item
        body = "\n\n".join(str(rec[k]) for k in ("abstract", "text") if rec.get(k))
        page = clean_page(body, title=str(rec.get("title") or ""))
        rid = str(rec.get("id") or f"{Path(name).stem}:{lineno}")
        if not page["text"]:
            yield Problem(f"{name}:{lineno}", "no article text")
            continue
        yield Article(
            id=rid,
            path=f"{name}#{rid}",
            title=page["title"] or page["text"][:80],
            text=page["text"],
            date=_iso_or_none(rec.get("date")) or page["date"],
            publisher=rec.get("source") or page["publisher"],
            author=rec.get("author") or page["author"],
            url=rec.get("url"),
        )


def _iso_or_none(value) -> str | None:
    if not value:
        return None
    value = str(value).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return value[:16]
    return parse_date_line(value) or value
