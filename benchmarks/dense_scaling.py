#!/usr/bin/env python
"""Dense search past the corpus we have: flat vs IVF-float16 at 100k .. 1M chunks, side by side.

The VietNews split stops at ~80k chunks, so larger sizes use synthetic unit vectors clustered like
sentence embeddings (384 dimensions, e5-small's). Per size: build seconds, index bytes per chunk,
single-query search latency (one thread, as `Store.load` sets it) and IVF recall@10 against exact.
Index parameters are the engine's own (`rag.index.ivf_params`, `_dense_index`).

    python benchmarks/dense_scaling.py 100000 300000 1000000
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.index import DenseSettings, _dense_index  # noqa: E402

DIM = 384


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    out = np.empty((n, DIM), np.float32)
    for lo in range(0, n, 100_000):
        m = min(100_000, n - lo)
        x = centres[rng.integers(0, len(centres), m)] + 0.5 * rng.standard_normal((m, DIM), dtype=np.float32)
        out[lo : lo + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def search_ms(index: faiss.Index, queries: np.ndarray) -> float:
    times = []
    for i in range(len(queries)):
        t = time.perf_counter()
        index.search(queries[i : i + 1], 100)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def index_bytes(index: faiss.Index) -> int:
    return len(faiss.serialize_index(index))


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [100_000, 300_000, 1_000_000]
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIM)).astype(np.float32)
    rows = []
    for n in sizes:
        vectors = clustered(n, rng, centres)
        queries = clustered(200, rng, centres)
        row: dict = {"chunks": n}
        for kind in ("flat", "ivf"):
            t = time.perf_counter()
            index, entry = _dense_index(vectors, DenseSettings(kind=kind))
            build_s = time.perf_counter() - t
            faiss.omp_set_num_threads(1)
            row[kind] = {
                "build_s": build_s,
                "bytes_per_chunk": index_bytes(index) / n,
                "search_ms": search_ms(index, queries),
                **{k: v for k, v in entry.items() if k in ("nlist", "nprobe")},
            }
            if kind == "flat":
                _, truth = index.search(queries, 10)
            else:
                _, got = index.search(queries, 10)
                row[kind]["recall_at_10"] = float(
                    np.mean([len(set(g) & set(t)) / 10 for g, t in zip(got, truth, strict=True)])
                )
        print(json.dumps(row), flush=True)
        rows.append(row)
        del vectors
    head = ["chunks", "flat ms", "flat MB/M chunks", "IVF nlist/nprobe", "IVF ms", "IVF MB/M chunks"]
    print("\n| " + " | ".join(head + ["IVF build s", "IVF R@10"]) + " |")
    print("|---" * 8 + "|")
    for r in rows:
        f, i = r["flat"], r["ivf"]
        cells = [
            f"{r['chunks']:,}",
            f"{f['search_ms']:.1f}",
            f"{f['bytes_per_chunk']:.0f}",
            f"{i['nlist']}/{i['nprobe']}",
            f"{i['search_ms']:.2f}",
            f"{i['bytes_per_chunk']:.0f}",
            f"{i['build_s']:.1f}",
            f"{i['recall_at_10']:.3f}",
        ]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
