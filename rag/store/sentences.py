"""Sentence vectors: one for each sentence of every chunk, made when the chunk is embedded
(models/base.py: each sentence embedded alone, or pooled from the chunk's own token embeddings,
RAG_SENTENCE_VECTORS), so that the answerer can compare the question with each sentence
(docs/quality.md) without embedding anything at question time.

Sentences are those of `text.sentences.sentence_spans` over the chunk's text; `VERSION` changes when
that splitting or the pooling does, and a store of another version is built again. Rows are stored as
int8 codes with one scale per row: a quarter of float32's size (about 6 sentences a chunk), and the
cosine to the float32 vector stays above 0.999.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VERSION = 1
CODES, SCALES, STARTS = "sentences.npy", "sentence_scales.npy", "sentence_starts.npy"


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and a scale per row (the row's largest magnitude maps to 127)."""
    vectors = np.asarray(vectors, np.float32)
    peak = np.abs(vectors).max(1) if len(vectors) else np.zeros(0, np.float32)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.rint(vectors / scales[:, None]).astype(np.int8), scales


@dataclass(frozen=True)
class SentenceVectors:
    codes: np.ndarray  # int8, one row per sentence, chunk after chunk
    scales: np.ndarray  # float32, one per row
    starts: np.ndarray  # int64, chunk i's rows are codes[starts[i]:starts[i + 1]]

    @classmethod
    def join(cls, parts: Sequence[tuple[np.ndarray, np.ndarray]], dim: int) -> SentenceVectors:
        """From (codes, scales) per chunk, in row order: `quantize` of fresh vectors, `part` of kept ones."""
        codes = np.concatenate([c for c, _ in parts] or [np.zeros((0, dim), np.int8)]).reshape(-1, dim)
        scales = np.concatenate([s for _, s in parts] or [np.zeros(0, np.float32)]).astype(np.float32)
        starts = np.concatenate([[0], np.cumsum([len(c) for c, _ in parts])]).astype(np.int64)
        return cls(codes.astype(np.int8), scales, starts)

    def part(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk `row`'s codes and scales as stored (a build keeps an unchanged article's)."""
        lo, hi = int(self.starts[row]), int(self.starts[row + 1])
        return np.asarray(self.codes[lo:hi]), np.asarray(self.scales[lo:hi])

    @property
    def chunks(self) -> int:
        return len(self.starts) - 1

    def __len__(self) -> int:
        return len(self.codes)

    def chunk(self, row: int) -> np.ndarray:
        """Chunk `row`'s sentence vectors, float32 and normalised."""
        lo, hi = int(self.starts[row]), int(self.starts[row + 1])
        v = np.asarray(self.codes[lo:hi], np.float32) * np.asarray(self.scales[lo:hi])[:, None]
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def closest(self, rows: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk row's best sentence cosine to the unit vector `q`, and which rows have sentences
        (the others' cosine is -inf). A row's scale cancels out of its cosine, so the codes are read as
        they are; one pass over all the rows' sentences, as the fusion scores 100-300 rows a question."""
        rows = np.asarray(rows, dtype=np.int64)
        lo = self.starts[rows]
        sizes = self.starts[rows + 1] - lo
        has = sizes > 0
        best = np.full(len(rows), -np.inf, dtype=np.float32)
        if not has.any():
            return best, has
        offsets = np.cumsum(sizes) - sizes  # where each row's sentences start among those taken
        codes = np.asarray(self.codes[np.repeat(lo - offsets, sizes) + np.arange(sizes.sum())], np.float32)
        cos = (codes @ q) / np.maximum(np.linalg.norm(codes, axis=1), 1e-12)
        best[has] = np.maximum.reduceat(cos, offsets[has])
        return best, has

    def save(self, folder: Path) -> None:
        np.save(folder / CODES, self.codes)
        np.save(folder / SCALES, self.scales)
        np.save(folder / STARTS, self.starts)

    @classmethod
    def load(cls, folder: Path) -> SentenceVectors:
        return cls(
            np.load(folder / CODES, mmap_mode="r"),
            np.load(folder / SCALES, mmap_mode="r"),
            np.load(folder / STARTS),
        )

    def consistent(self, chunks: int) -> bool:
        s = self.starts
        return (
            len(s) == chunks + 1
            and int(s[0]) == 0
            and int(s[-1]) == len(self.codes) == len(self.scales)
            and bool(np.all(np.diff(s) >= 0))
        )


def entry(vectors: SentenceVectors, kind: str) -> dict:
    """The manifest's record of them; `kind` is how they were made (config.SENTENCE_VECTORS)."""
    return {"version": VERSION, "kind": kind, "sentences": len(vectors), "dtype": "int8"}


def same_kind(record: dict | None, kind: str) -> bool:
    """True when a manifest's record is of sentence vectors made as `kind` (a record without one
    predates "encoded": its vectors were pooled)."""
    return bool(record) and record.get("version") == VERSION and record.get("kind", "pooled") == kind


def tag(kind: str) -> str:
    """In the names of cached evaluation stores: checkouts or settings whose stores differ (an older
    one without sentence vectors, pooled against encoded ones) keep separate copies rather than
    rebuilding one another's."""
    return f"s{VERSION}-{kind}"
