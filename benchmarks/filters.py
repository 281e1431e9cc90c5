#!/usr/bin/env python
"""Filtered questions against unfiltered ones, side by side on one store: latency and dense recall.

    python benchmarks/filters.py --store DIR [--dense hnsw] [--questions 100] [--rounds 3] [--json FILE]

VietNews articles carry no source and no date, so each article gets a synthetic pair: a hash of its id
picks one of 20 sources with Zipf-like shares and a day in 2015-2020. Only the filter masks depend on
them; the search, the vectors and the keyword index are the store's own. The questions are titles of
articles of the store (each has its article), asked in rounds with every filter interleaved, so that
a busy machine slows all of them alike. Dense recall@10 of a filtered search is measured against an
exact scan of the same subset's vectors. `--dense hnsw` searches through an HNSW index built (in
memory, with the engine's own parameters) over the store's vectors, as a store of 50 000 chunks or more
has: the filtered path of a smaller store's own flat index is exact by construction.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import DenseSettings, Facets, Filters, Pipeline, Settings, build_dense_index  # noqa: E402

SOURCES = [f"bao{i:02d}.vn" for i in range(20)]
SHARES = np.cumsum([1 / (i + 1) for i in range(20)])
SHARES /= SHARES[-1]
CASES = {
    "unfiltered": Filters(),
    "the largest source": Filters.parse("bao00.vn"),
    "a middle source": Filters.parse("bao05.vn"),
    "the smallest source": Filters.parse("bao19.vn"),
    "one year": Filters.parse(since="2018", until="2018"),
    "one month": Filters.parse(since="2018-05", until="2018-05"),
    "a source and a year": Filters.parse("bao03.vn", since="2019", until="2019"),
}


def synthetic(store, base: Facets) -> Facets:
    """Facets as if each article named a source and a date, picked by a hash of its id."""
    articles = []
    for a in store.articles.values():
        h = int.from_bytes(hashlib.blake2b(a.id.encode(), digest_size=8).digest(), "little")
        source = SOURCES[int(np.searchsorted(SHARES, (h % 10**6) / 10**6))]
        day = np.datetime64("2015-01-01") + int((h >> 20) % 2192)
        articles.append(replace(a, publisher=source, date=str(day)))
    return Facets(articles, base.chunk_article)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--questions", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path)
    p.add_argument("--dense", choices=["store", "flat", "hnsw", "ivf"], default="store")
    args = p.parse_args(argv)

    pipeline = Pipeline.open(Settings(store_dir=args.store), build_if_missing=False)
    if args.dense != "store":
        store = pipeline.current().store
        t = time.perf_counter()
        dense = build_dense_index(np.asarray(store.vectors), DenseSettings(args.dense))
        took = time.perf_counter() - t
        print(f"built a {args.dense} index over {len(store.vectors)} vectors in {took:.0f} s")
        pipeline = Pipeline(pipeline.settings, replace(store, dense=dense), pipeline.embedder, follow=False)
    engine = pipeline.current()
    store, retriever = engine.store, engine.retriever
    retriever._facets = synthetic(store, retriever.facets)  # the benchmark's sources and dates
    ids = list(store.articles)
    picks = np.random.default_rng(0).choice(len(ids), size=min(args.questions, len(ids)), replace=False)
    questions = [store.articles[ids[i]].title for i in picks]
    qvs = np.ascontiguousarray(pipeline.embedder.encode_queries(questions), dtype=np.float32)
    vectors = np.asarray(store.vectors, dtype=np.float32)
    masks = {name: retriever.facets.chunks(f) for name, f in CASES.items()}

    times: dict[str, dict[str, list[float]]] = {name: {"dense": [], "ask": []} for name in CASES}
    for _ in range(args.rounds):
        for qi, question in enumerate(questions):
            for name, f in CASES.items():
                t = time.perf_counter()
                store.dense.search(qvs[qi : qi + 1], 100, masks[name])
                times[name]["dense"].append(1000 * (time.perf_counter() - t))
                t = time.perf_counter()
                pipeline.ask(question, filters=f)
                times[name]["ask"].append(1000 * (time.perf_counter() - t))
    table = {}
    for name, mask in masks.items():
        rows = np.arange(len(vectors)) if mask is None else np.flatnonzero(mask)
        found = 0
        for qi in range(len(questions)):
            truth = rows[np.argsort(-(vectors[rows] @ qvs[qi]))[:10]]
            _, got = store.dense.search(qvs[qi : qi + 1], 10, mask)
            found += len(set(got[0].tolist()) & set(truth.tolist()))
        t = times[name]
        table[name] = {
            "chunks": len(rows),
            "share": round(len(rows) / len(vectors), 4),
            "dense_ms_median": round(statistics.median(t["dense"]), 2),
            "ask_ms_median": round(statistics.median(t["ask"]), 2),
            "ask_ms_p95": round(float(np.percentile(t["ask"], 95)), 2),
            "dense_recall_at_10": round(found / (10 * len(questions)), 3),
        }
    base = table["unfiltered"]["ask_ms_median"]
    kind = store.dense.kind
    print(f"{len(store.articles)} articles, {len(vectors)} chunks, dense index {kind}; "
          f"{len(questions)} questions x {args.rounds} rounds")  # fmt: skip
    print("| filter | chunks searched | dense search, median | full answer, median / p95 | vs unfiltered "
          "| dense recall@10 |\n|---|---|---|---|---|---|")  # fmt: skip
    for name, r in table.items():
        print(
            f"| {name} | {r['chunks']:,} ({100 * r['share']:.1f} %) | {r['dense_ms_median']:.2f} ms | "
            f"{r['ask_ms_median']:.1f} / {r['ask_ms_p95']:.1f} ms | {r['ask_ms_median'] / base:.2f}x | "
            f"{r['dense_recall_at_10']:.3f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(table, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
