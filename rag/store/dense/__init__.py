"""The dense index over a store's vectors: one module per FAISS index kind behind `DenseIndex`.

The kind is a setting (RAG_DENSE_INDEX): "flat" (exact), "hnsw" or "ivf" (approximate, float16
vectors), or "auto", exact below `APPROXIMATE_FROM` chunks and HNSW from there on. The manifest records
the kind and its parameters, so a store is searched as it was built. Importing this package is light:
FAISS is imported with the first index built or loaded.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .base import DenseIndex

KINDS = ("flat", "hnsw", "ivf")  # each one a module of this package
CHOICES = ("auto", *KINDS)
# Measured (docs/performance.md): a flat search grows linearly with the store (4.4 ms at 80k chunks on
# a quiet machine, 35 ms on a busy one, 480 ms at 1M), while HNSW answers in a millisecond or two.
APPROXIMATE_FROM = 50_000


@dataclass(frozen=True)
class DenseSettings:
    """How the kind is chosen: one of `CHOICES` (Settings.dense_index, from RAG_DENSE_INDEX)."""

    kind: str = "auto"
    approximate_from: int = APPROXIMATE_FROM

    def kind_for(self, n: int) -> str:
        if self.kind not in CHOICES:
            from ...errors import ConfigError

            raise ConfigError(f"unknown dense index kind {self.kind!r}: choose {', '.join(CHOICES)}")
        if self.kind == "auto":
            return "hnsw" if n >= self.approximate_from else "flat"
        return self.kind


def index_kind(kind: str) -> type[DenseIndex]:
    """The class of a kind; its module is imported on first use."""
    if kind not in KINDS:
        raise ValueError(f"unknown dense index kind {kind!r}")
    return importlib.import_module(f"{__name__}.{kind}").Index


def build(
    vectors: np.ndarray,
    settings: DenseSettings,
    prev: DenseIndex | None = None,
    appended_from: int | None = None,
) -> DenseIndex:
    """The index of the kind `settings` picks for `vectors`, reusing what `prev` (the previous
    generation's index) allows; `appended_from`: the first rows are prev's, unchanged and in order."""
    return index_kind(settings.kind_for(len(vectors))).build(vectors, prev, appended_from)


def load(path: Path, entry: dict) -> DenseIndex:
    """A saved index, set up for search as its manifest entry says (FAISS does not save it all)."""
    return index_kind(entry.get("type", "flat")).load(path, entry)
