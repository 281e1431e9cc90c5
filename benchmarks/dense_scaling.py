#!/usr/bin/env python
"""Dense search past the corpus we have: flat vs HNSW and IVF (float16) at 80k .. 1M chunks, side by side.

The VietNews split stops at ~80k chunks, so larger sizes use synthetic unit vectors clustered like
sentence embeddings (384 dimensions, e5-small's). Per size: build seconds, index bytes per chunk,
single-query search latency (one thread, as `Store.load` sets it) and recall@10 against exact.
Index parameters are the engine's own (`rag.store.dense.build`).

    python benchmarks/dense_scaling.py 100000 300000 1000000
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench.workers import search_ms  # noqa: E402
from rag import DenseSettings, build_dense_index, recall_at_k  # noqa: E402

DIM = 384
KINDS = ("flat", "ivf", "hnsw")


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    out = np.empty((n, DIM), np.float32)
    for lo in range(0, n, 100_000):
        m = min(100_000, n - lo)
        x = centres[rng.integers(0, len(centres), m)] + 0.5 * rng.standard_normal((m, DIM), dtype=np.float32)
        out[lo : lo + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def index_bytes(index) -> int:
    return len(faiss.serialize_index(index.index))


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [100_000, 300_000, 1_000_000]
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIM)).astype(np.float32)
    rows = []
    for n in sizes:
        vectors = clustered(n, rng, centres)
        queries = clustered(200, rng, centres)
        row: dict = {"chunks": n}
        for kind in KINDS:
            t = time.perf_counter()
            index = build_dense_index(vectors, DenseSettings(kind=kind))
            entry = index.entry
            build_s = time.perf_counter() - t
            faiss.omp_set_num_threads(1)
            row[kind] = {
                "build_s": build_s,
                "bytes_per_chunk": index_bytes(index) / n,
                "search_ms": search_ms(index, queries),
                **{k: v for k, v in entry.items() if k in ("nlist", "nprobe", "M", "ef_search")},
            }
            if kind == "flat":
                _, truth = index.search(queries, 10)
            else:  # approximate
                row[kind]["recall_at_10"] = recall_at_k(index.search(queries, 10)[1], truth)
        print(json.dumps(row), flush=True)
        rows.append(row)
        del vectors
    print("\n| chunks | index | search ms | MB per 1M chunks | build s | recall@10 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        for kind in KINDS:
            k = r[kind]
            recall = f"{k['recall_at_10']:.3f}" if "recall_at_10" in k else "1 (exact)"
            print(
                f"| {r['chunks']:,} | {kind} | {k['search_ms']:.2f} | {k['bytes_per_chunk']:.0f} "
                f"| {k['build_s']:.1f} | {recall} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
