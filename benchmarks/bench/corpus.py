"""What the benchmark reads: the VietNews test split (in place, never copied) and real questions."""

from __future__ import annotations

import gzip
import json
from itertools import islice
from pathlib import Path

from rag import Article, RagError, Settings

SIZES = ("seeds", "1000", "5000", "22644")
ADD_ARTICLES = 100


def corpus_path() -> Path:
    """The VietNews test split, read in place (it must never be copied into the project)."""
    settings = Settings()
    path = settings.bench_corpus or settings.root.parent / "shared" / "data" / "vietnews" / "test.jsonl.gz"
    if not path.is_file():
        raise RagError(f"benchmark corpus {path} not found: set RAG_BENCH_CORPUS to VietNews' test.jsonl.gz")
    return path


def questions_path() -> Path | None:
    settings = Settings()
    path = settings.bench_questions or settings.root.parent / "shared" / "data" / "xquad-vi" / "xquad.vi.json"
    return path if path.is_file() else None


def corpus_records(n: int) -> list[str]:
    """The first `n` raw JSON lines of the corpus."""
    with gzip.open(corpus_path(), "rt", encoding="utf-8") as fh:
        lines = [line for line in islice(fh, n) if line.strip()]
    if len(lines) < n:
        raise RagError(f"the benchmark corpus has {len(lines)} articles, fewer than the {n} asked for")
    return lines


def load_articles(size: str) -> list[Article]:
    """The articles of one benchmark size, cleaned by the project's own ingest."""
    from rag import read_articles
    from rag.ingest.jsonl import articles as jsonl_articles

    if size == "seeds":
        settings = Settings()
        articles, _ = read_articles(settings.seeds, settings.root)
        return articles
    lines = corpus_records(int(size))
    items = jsonl_articles("\n".join(lines), "vietnews/test.jsonl.gz")
    return [a for a in items if isinstance(a, Article)]


def bench_questions(n: int) -> list[str]:
    """Real Vietnamese questions (XQuAD-vi), the same at every size; without it, article titles of
    the corpus, or of the seeds (repeated) where the corpus is missing too, so that `--sizes seeds`
    runs on a checkout with nothing beside it."""
    path = questions_path()
    if path is not None:
        data = json.loads(path.read_text(encoding="utf-8"))
        out = [qa["question"] for art in data["data"] for p in art["paragraphs"] for qa in p["qas"]]
        step = max(1, len(out) // n)
        return out[::step][:n]
    try:
        return [a.title for a in load_articles("1000")[:n]]
    except RagError:
        titles = [a.title for a in load_articles("seeds")]
        return [titles[i % len(titles)] for i in range(n)]
