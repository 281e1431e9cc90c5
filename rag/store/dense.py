"""The dense index over a store's vectors: exact (FAISS flat) on small stores, approximate from
`APPROXIMATE_FROM` chunks on; the choice and its parameters are recorded in the manifest.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import faiss
import numpy as np

from ..errors import RagError

if TYPE_CHECKING:
    from .store import Store

# Measured (docs/performance.md): a flat search grows linearly with the store (4.4 ms at 80k chunks on
# a quiet machine, 35 ms on a busy one, 480 ms at 1M), while HNSW answers in a millisecond or two. The
# benchmark's questions are off-topic for most of the store, so their top 10 are near-ties: there IVF
# needed 3/4 of its lists, and HNSW's efSearch has to grow with the store (`hnsw_ef_search`).
APPROXIMATE_FROM = 50_000
HNSW_PARAMS = {"M": 32, "ef_construction": 80}
RETRAIN_GROWTH = 4.0  # retrain IVF centroids once the store has grown this much since training


@dataclass(frozen=True)
class DenseSettings:
    """How the dense index is chosen: "auto", "flat", "hnsw" or "ivf" (env RAG_DENSE_INDEX).

    "auto" is exact below `approximate_from` chunks and HNSW (float16 vectors) from there on.
    """

    kind: str = field(default_factory=lambda: os.environ.get("RAG_DENSE_INDEX", "auto"))
    approximate_from: int = APPROXIMATE_FROM

    def kind_for(self, n: int) -> str:
        if self.kind not in ("auto", "flat", "hnsw", "ivf"):
            raise RagError(f"unknown dense index kind {self.kind!r}: choose auto, flat, hnsw or ivf")
        if self.kind == "auto":
            return "hnsw" if n >= self.approximate_from else "flat"
        return self.kind


def hnsw_ef_search(n: int) -> int:
    """efSearch for a store of `n` chunks, set again at every build.

    Recall@10 against exact search on 300 benchmark questions at 80 594 chunks: efSearch 256 -> 0.951,
    512 -> 0.984, 768 -> 0.992 (1.9 ms). Past that size it grows with sqrt(n), an extrapolation.
    """
    return int(64 * round(768 * max(1.0, (n / 80_000) ** 0.5) / 64))


def ivf_params(n: int) -> dict:
    """nlist ~ sqrt(n) (a power of two), and nprobe scanning ~1/8 of the lists (at least 16)."""
    nlist = int(2 ** round(np.log2(max(16.0, np.sqrt(max(n, 1))))))
    nlist = max(16, min(nlist, 65536, max(16, n // 39)))  # FAISS wants >= 39 training points a list
    return {"nlist": nlist, "nprobe": min(nlist, max(16, nlist // 8))}


def _add_in_batches(index: faiss.Index, vectors: np.ndarray, batch: int = 65536) -> None:
    for lo in range(0, len(vectors), batch):
        index.add(np.ascontiguousarray(vectors[lo : lo + batch], dtype=np.float32))


@contextlib.contextmanager
def _build_threads() -> Iterator[None]:
    """All cores while building; queries run on one thread (see `Store.load`)."""
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def _dense_index(
    vectors: np.ndarray, settings: DenseSettings, prev: Store | None = None, appended_from: int | None = None
) -> tuple[faiss.Index, dict]:
    """The dense index over `vectors` and its manifest entry.

    A previous IVF's centroids are reused; a previous HNSW graph is extended when the first
    `appended_from` rows are the previous store's, unchanged and in order (new articles only).
    """
    n, dim = vectors.shape
    kind = settings.kind_for(n)
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
        with _build_threads():
            _add_in_batches(index, vectors)
        return index, {"type": "flat", "metric": "inner_product", "vectors": "float32"}
    old = prev.manifest.get("dense_index", {}) if prev is not None else {}
    if kind == "hnsw":
        params = {k: old.get(k) for k in HNSW_PARAMS} if old.get("type") == "hnsw" else dict(HNSW_PARAMS)
        params["ef_search"] = hnsw_ef_search(n)
        with _build_threads():
            if old.get("type") == "hnsw" and appended_from is not None and prev.dense.ntotal == appended_from:
                index = faiss.clone_index(prev.dense)
                _add_in_batches(index, vectors[appended_from:])
            else:
                index = faiss.IndexHNSWSQ(
                    dim, faiss.ScalarQuantizer.QT_fp16, params["M"], faiss.METRIC_INNER_PRODUCT
                )
                index.hnsw.efConstruction = params["ef_construction"]
                index.train(np.ascontiguousarray(vectors[: min(n, 65536)], dtype=np.float32))
                _add_in_batches(index, vectors)
        _configure(index, {"type": "hnsw", **params})
        return index, {"type": "hnsw", "metric": "inner_product", "vectors": "float16", **params}
    with _build_threads():
        if old.get("type") == "ivf" and n <= old.get("trained_on", 0) * RETRAIN_GROWTH:
            index = faiss.clone_index(prev.dense)
            index.reset()  # keeps the trained centroids: adding is cheap, training is not
            params = {k: old[k] for k in ("nlist", "nprobe", "trained_on")}
        else:
            params = ivf_params(n)
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, params["nlist"], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
            )
            sample = min(n, 64 * params["nlist"])
            rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
            index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
            params["trained_on"] = n
        _add_in_batches(index, vectors)
    index.nprobe = params["nprobe"]
    return index, {"type": "ivf", "metric": "inner_product", "vectors": "float16", **params}


def _configure(dense: faiss.Index, entry: dict) -> None:
    """Search-time parameters are not all saved by FAISS: they come from the manifest."""
    if entry.get("type") == "ivf":
        faiss.extract_index_ivf(dense).nprobe = int(entry["nprobe"])
    elif entry.get("type") == "hnsw":
        faiss.downcast_index(dense).hnsw.efSearch = int(entry["ef_search"])
