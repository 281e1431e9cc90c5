"""Question sets: SQuAD-format JSON (its paragraphs become the corpus) and JSONL over the seeds."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError
from ..ingest.jsonl import read_records
from ..schema import Article
from ..text.normalise import nfc


@dataclass
class Item:
    question: str
    answers: list[str]
    source: str | None  # gold article path (seeds) or article id (SQuAD); None when unanswerable
    group: str = ""  # the SQuAD article title, for the tuning/reporting split


def split_of(group: str) -> str:
    """A fixed split by article: half the articles tune, the other half report."""
    return "tune" if zlib.crc32(group.encode("utf-8")) % 2 == 0 else "report"


def read_squad(path: Path) -> tuple[list[Article], list[Item]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles, items = [], []
    for doc in data["data"]:
        title = doc.get("title", "").replace("_", " ")
        for i, para in enumerate(doc["paragraphs"]):
            aid = f"{doc.get('title', 'doc')}/{i}"
            articles.append(
                Article(id=aid, path=f"{path.name}#{aid}", title=nfc(title), text=nfc(para["context"]))
            )
            for qa in para["qas"]:
                answers = [nfc(a["text"]) for a in qa.get("answers", [])]
                items.append(Item(nfc(qa["question"]), answers, aid if answers else None, title))
    return articles, items


def read_jsonl(path: Path) -> list[Item]:
    """{"question", "answers", "source"} a line. A bad line stops the run: figures measured on part of a
    set would be read as figures of the set."""
    rows, problems = read_records(path)
    if problems:
        raise RagError(f"{problems[0]} (the question set must be whole to be measured)")
    items = []
    for lineno, rec in rows:
        try:
            items.append(
                Item(nfc(rec["question"]), [nfc(a) for a in rec.get("answers") or []], rec.get("source"))
            )
        except (KeyError, TypeError) as exc:
            raise RagError(f"{path}:{lineno}: not a {{question, answers, source}} object ({exc})") from None
    return items
