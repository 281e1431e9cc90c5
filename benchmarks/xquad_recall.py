#!/usr/bin/env python
"""XQuAD-vi retrieval recall of each embedding backend, measured side by side in one run.

Each of XQuAD-vi's 240 paragraphs becomes an article (titled with its Wikipedia article), chunked
and indexed by the engine exactly as `rag index` does; each of the 1190 questions must find its own
paragraph. Reported per backend: dense-only recall@1/@5 (the embedding alone), hybrid recall@1/@5
(the engine's fused retrieval), embedding speed on these chunks and query encoding time.

    python benchmarks/xquad_recall.py ../shared/data/xquad-vi/xquad.vi.json torch onnx onnx-int8

Stores go to a temporary folder; the figures print as one JSON object per backend and a table.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import (  # noqa: E402
    Article,
    ChunkSettings,
    Retriever,
    Store,
    build_store,
    load_embedder,
    read_query,
)


def load(path: Path) -> tuple[list[Article], list[tuple[str, str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles, questions = [], []
    for a, art in enumerate(data["data"]):
        for p, para in enumerate(art["paragraphs"]):
            aid = f"xquad-{a:02d}-{p:02d}"
            articles.append(Article(id=aid, path=f"xquad#{aid}", title=art["title"], text=para["context"]))
            questions.extend((qa["question"], aid) for qa in para["qas"])
    return articles, questions


def ranked_articles(store: Store, rows: np.ndarray) -> list[str]:
    """Article ids in order of their best chunk."""
    return list(dict.fromkeys(store.chunks[r].article_id for r in rows if r >= 0))


def measure(backend: str, articles: list[Article], questions: list[tuple[str, str]], work: Path) -> dict:
    embedder = load_embedder(backend=backend)
    started = time.perf_counter()
    report = build_store(articles, work / backend, embedder, ChunkSettings(), rebuild=True)
    build_s = time.perf_counter() - started
    store = Store.load(work / backend)
    retriever = Retriever(store, embedder)
    texts = [q for q, _ in questions]
    t = time.perf_counter()
    qv = np.vstack([embedder.encode_queries([q]) for q in texts])
    query_ms = (time.perf_counter() - t) / len(texts) * 1000
    _, rows = store.dense.search(np.ascontiguousarray(qv, dtype=np.float32), 50)
    dense_hits = {1: 0, 5: 0}
    hybrid_hits = {1: 0, 5: 0}
    for (question, gold), found in zip(questions, rows, strict=True):
        ranked = ranked_articles(store, found)
        hybrid = list(
            dict.fromkeys(h.article.id for h in retriever.search(read_query(question, store.restorer), 20))
        )
        for k in (1, 5):
            dense_hits[k] += gold in ranked[:k]
            hybrid_hits[k] += gold in hybrid[:k]
    n = len(questions)
    return {
        "backend": backend,
        "questions": n,
        "chunks": report.chunks,
        "dense_recall_at_1": 100 * dense_hits[1] / n,
        "dense_recall_at_5": 100 * dense_hits[5] / n,
        "hybrid_recall_at_1": 100 * hybrid_hits[1] / n,
        "hybrid_recall_at_5": 100 * hybrid_hits[5] / n,
        "build_chunks_per_s": report.chunks / build_s,
        "query_encode_ms": query_ms,
    }


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    articles, questions = load(Path(argv[0]))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in argv[1:]:
            row = measure(backend, articles, questions, Path(tmp))
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| backend | dense R@1 | dense R@5 | hybrid R@1 | hybrid R@5 | chunks/s | query ms |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['dense_recall_at_1']:.1f} | {r['dense_recall_at_5']:.1f} "
            f"| {r['hybrid_recall_at_1']:.1f} | {r['hybrid_recall_at_5']:.1f} "
            f"| {r['build_chunks_per_s']:.1f} | {r['query_encode_ms']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
