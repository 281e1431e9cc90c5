"""IVF over float16 vectors: lists of nearby vectors, a share of them scanned per search.

On the benchmark's near-tie questions IVF needed 3/4 of its lists for HNSW's recall, so "auto" picks
HNSW; IVF stays for memory-bound stores. Centroids are reused until the store has grown
`RETRAIN_GROWTH` times since they were trained.
"""

from __future__ import annotations

import faiss
import numpy as np

from .base import EXACT_BELOW, DenseIndex, add_in_batches, build_threads

RETRAIN_GROWTH = 4.0  # retrain IVF centroids once the store has grown this much since training


def params_for(n: int) -> dict:
    """nlist ~ sqrt(n) (a power of two), and nprobe scanning ~1/8 of the lists (at least 16)."""
    nlist = int(2 ** round(np.log2(max(16.0, np.sqrt(max(n, 1))))))
    nlist = max(16, min(nlist, 65536, max(16, n // 39)))  # FAISS wants >= 39 training points a list
    return {"nlist": nlist, "nprobe": min(nlist, max(16, nlist // 8))}


class Index(DenseIndex):
    kind = "ivf"

    @classmethod
    def build(cls, vectors: np.ndarray, prev: DenseIndex | None = None, appended_from: int | None = None):
        n, dim = vectors.shape
        old = cls.entry_of(prev)
        with build_threads():
            if old and n <= old.get("trained_on", 0) * RETRAIN_GROWTH:
                index = faiss.clone_index(prev.index)
                index.reset()  # keeps the trained centroids: adding is cheap, training is not
                params = {k: old[k] for k in ("nlist", "nprobe", "trained_on")}
            else:
                params = params_for(n)
                quantizer = faiss.IndexFlatIP(dim)
                index = faiss.IndexIVFScalarQuantizer(
                    quantizer, dim, params["nlist"], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
                )
                sample = min(n, 64 * params["nlist"])
                rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
                index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
                params["trained_on"] = n
            add_in_batches(index, vectors)
        return cls(index, {"type": cls.kind, "metric": "inner_product", "vectors": "float16", **params})

    def configure(self) -> None:
        faiss.extract_index_ivf(self.index).nprobe = int(self.entry["nprobe"])

    def search_selected(self, queries, k, selector, share):
        ivf = faiss.extract_index_ivf(self.index)
        nprobe = ivf.nlist if share < EXACT_BELOW else ivf.nprobe  # few rows: every list, so all of them
        return self.index.search(queries, k, params=faiss.SearchParametersIVF(sel=selector, nprobe=nprobe))
