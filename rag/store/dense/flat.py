"""Exact search: every vector compared, float32. The default below `APPROXIMATE_FROM` chunks."""

from __future__ import annotations

import faiss
import numpy as np

from .base import DenseIndex, add_in_batches, build_threads


class Index(DenseIndex):
    kind = "flat"

    @classmethod
    def build(cls, vectors: np.ndarray, prev: DenseIndex | None = None, appended_from: int | None = None):
        index = faiss.IndexFlatIP(vectors.shape[1])
        with build_threads():
            add_in_batches(index, vectors)
        return cls(index, {"type": "flat", "metric": "inner_product", "vectors": "float32"})
