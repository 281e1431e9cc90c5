"""What every dense index kind shares: a FAISS index and the manifest entry that describes it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np


class DenseIndex:
    """One kind of FAISS index over a store's vectors (inner product of unit vectors)."""

    kind: ClassVar[str]

    def __init__(self, index: faiss.Index, entry: dict):
        self.index = index
        self.entry = entry  # the manifest's "dense_index": kind and parameters
        self.configure()

    @classmethod
    def build(
        cls, vectors: np.ndarray, prev: DenseIndex | None = None, appended_from: int | None = None
    ) -> DenseIndex:
        raise NotImplementedError

    @classmethod
    def entry_of(cls, prev: DenseIndex | None) -> dict | None:
        """The previous generation's manifest entry when it is of this kind (its parameters reused)."""
        return prev.entry if prev is not None and prev.entry.get("type") == cls.kind else None

    @classmethod
    def load(cls, path: Path, entry: dict) -> DenseIndex:
        return cls(faiss.read_index(str(path)), entry)

    def configure(self) -> None:
        """Search-time parameters are not all saved by FAISS: they come from the manifest entry."""

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    def search(
        self, queries: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and rows of the `k` nearest chunks of each query (rows -1 past the end), among the
        rows `mask` allows when given: the filter is applied inside the search, through FAISS's ID
        selector, not to its results."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if mask is None:
            return self.index.search(queries, k)
        chosen = int(mask.sum())
        k = min(k, chosen)
        if k == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        bits = np.packbits(mask.astype(bool), bitorder="little")  # bit i of byte i // 8, as FAISS reads it
        selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        out = self.search_selected(queries, k, selector, chosen / len(mask))
        del bits  # the selector reads it until here
        return out

    def search_selected(
        self, queries: np.ndarray, k: int, selector, share: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Search only the rows `selector` allows (`share` of all rows); exact for a flat index."""
        return self.index.search(queries, k, params=faiss.SearchParameters(sel=selector))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)


# A filtered search scans the chosen rows exactly while they are fewer than this share of the store: a
# graph walk confined to few nodes loses its way (recall@10 0.47 at 0.2 % of the rows of a synthetic
# 80 000-vector HNSW, 0.90 at 5 %, 0.97 at 20 %), while a scan of the index's own codes under the same
# selector is exact and costs in proportion to the chosen rows (docs/performance.md, filters).
EXACT_BELOW = 0.25


def add_in_batches(index: faiss.Index, vectors: np.ndarray, batch: int = 65536) -> None:
    for lo in range(0, len(vectors), batch):
        index.add(np.ascontiguousarray(vectors[lo : lo + batch], dtype=np.float32))


@contextlib.contextmanager
def build_threads() -> Iterator[None]:
    """All cores while building; queries run on one thread (see `Store.load`)."""
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)
