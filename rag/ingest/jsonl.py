"""JSONL articles (optionally gzipped): one {"id", "title", "date", "source", "url", "text"} a line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..schema import Article
from .base import Problem
from .clean import clean_page, parse_date_line


def _records(path: Path, name: str, text: str) -> Iterator[Article | Problem]:
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
