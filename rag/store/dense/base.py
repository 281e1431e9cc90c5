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

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and rows of the `k` nearest chunks of each query (rows -1 past the end)."""
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)


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
