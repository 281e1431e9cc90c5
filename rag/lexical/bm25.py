"""BM25 over Vietnamese syllables and syllable pairs, in two views: as written, and folded.

Measured on XQuAD-vi, BM25 with diacritics kept is the strongest single retriever, while a question
typed without diacritics only finds its passage in the folded view, so both views are kept. Most
Vietnamese words have two syllables ("dân vận", "nông thôn"): indexing adjacent pairs as extra terms
lets BM25 reward the word, not just its syllables (docs/quality.md).

Scoring is bm25s's (Lucene BM25 over a sparse term-by-chunk matrix, memory-mapped when large), over
postings kept as plain numpy arrays so that a store can grow (`postings`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from ..text.normalise import fold, tokens
from .postings import Postings

VIEWS = ("accented", "folded")
# Recorded in the manifest: a store whose BM25 was built otherwise is rebuilt (its vectors are kept).
SETTINGS = {
    "library": "bm25s",
    "k1": 0.9,  # chosen on the tuning half of XQuAD-vi (docs/quality.md)
    "b": 0.75,
    "views": list(VIEWS),
    "terms": "syllables+pairs",
    "v": 6,  # 6: the diacritics model keeps how many words follow each (Witten-Bell)
}
K1, B = SETTINGS["k1"], SETTINGS["b"]


def is_current(manifest: dict) -> bool:
    """Whether a store's keyword index was built as this version builds it."""
    return manifest.get("lexical") == SETTINGS


MMAP_FROM_CHUNKS = 100_000  # from this many chunks the arrays are memory-mapped, not read


def with_pairs(syllables: Sequence[str]) -> list[str]:
    """Syllables followed by adjacent pairs ("dân_vận"); numbers and words alike."""
    return [*syllables, *(f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False))]


def view_terms(syllables: Sequence[str], view: str, pairs: bool = True) -> list[str]:
    """Index terms of a tokenised text in one view."""
    terms = [fold(t) for t in syllables] if view == "folded" else list(syllables)
    return with_pairs(terms) if pairs else terms


class LexicalIndex:
    def __init__(self, views: dict[str, Postings], pairs: bool = True, k1: float = K1, b: float = B,
                 scorers: dict[str, bm25s.BM25] | None = None):  # fmt: skip
        self._postings = views
        self.pairs = pairs
        self._bm25 = scorers or {name: p.bm25(k1, b) for name, p in views.items()}
        self.size = next(iter(views.values())).n_docs
        # the last question's scores: a question typed without diacritics is searched folded twice, to
        # restore its diacritics (query.retrieve.InContext) and in the fusion
        self._last: tuple[tuple, np.ndarray] | None = None

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        return cls.from_tokens([tokens(t) for t in texts])

    @classmethod
    def from_tokens(
        cls, docs: Sequence[Sequence[str]], k1: float = K1, b: float = B, pairs: bool = True
    ) -> LexicalIndex:
        """From tokenised chunks (syllables). Other parameters than the defaults serve the ablation
        study (eval/ablation.py); scores equal bm25s' own `index` (tests/test_store_scale.py)."""
        views = {name: Postings.from_docs([view_terms(doc, name, pairs) for doc in docs]) for name in VIEWS}
        return cls(views, pairs, k1, b)

    @classmethod
    def combine(
        cls, old: LexicalIndex | None, rows: np.ndarray, new_docs: Sequence[Sequence[str]]
    ) -> LexicalIndex:
        """An index whose chunk i is row `rows[i]` of [old's chunks, then `new_docs`] (tokenised).

        Old chunks keep their postings; only the new chunks' terms are counted. Scores equal those of
        a fresh build over the same chunks (tests/test_store_scale.py).
        """
        if old is None:
            return cls.from_tokens(new_docs)
        rows = np.asarray(rows, dtype=np.int64)
        views = {
            name: old._postings[name].grown(rows, [view_terms(doc, name, old.pairs) for doc in new_docs])
            for name in VIEWS
        }
        return cls(views, old.pairs)

    def save(self, folder: Path) -> None:
        for name in VIEWS:
            self._postings[name].save(folder / name, self._bm25[name])

    @classmethod
    def load(cls, folder: Path, mmap: bool | None = None) -> LexicalIndex:
        """Both views; `mmap=None` memory-maps the arrays of a large index."""
        if mmap is None:
            params = json.loads((folder / VIEWS[0] / "params.index.json").read_text(encoding="utf-8"))
            mmap = int(params.get("num_docs", 0)) >= MMAP_FROM_CHUNKS
        loaded = {name: Postings.load(folder / name, mmap) for name in VIEWS}
        return cls({n: p for n, (p, _) in loaded.items()}, scorers={n: bm for n, (_, bm) in loaded.items()})

    @property
    def memory_mapped(self) -> bool:
        """Whether the scores are mapped from their files rather than read into memory."""
        return all(isinstance(bm.scores["data"], np.memmap) for bm in self._bm25.values())

    def vocabulary_size(self, view: str) -> int:
        return len(self._postings[view].vocab)

    def columns(self, terms: Sequence[str], view: str) -> list[int]:
        """Columns of the terms the index knows, each once."""
        found = self._postings[view].vocab.lookup(list(dict.fromkeys(terms)))
        return [int(c) for c in found if c >= 0]

    def scores(self, syllables: Sequence[str], view: str) -> np.ndarray:
        """BM25 score of every chunk for a question's syllables (pairs are added here); read-only."""
        key = (view, tuple(syllables))
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        known = self.columns(view_terms(syllables, view, self.pairs), view)
        if not known:
            scores = np.zeros(self.size, dtype=np.float32)
        else:
            scores = np.array(self._bm25[view].get_scores(known), dtype=np.float32)
        scores.flags.writeable = False  # shared with the next caller asking the same
        self._last = (key, scores)
        return scores

    def idf(self, term: str, view: str = "accented") -> float:
        """Lucene IDF of a term over chunks (0 for a term the corpus never uses)."""
        found = self.columns([term], view)
        if not found:
            return 0.0
        indptr = self._postings[view].indptr
        df = float(indptr[found[0] + 1] - indptr[found[0]])
        return float(np.log(1.0 + (self.size - df + 0.5) / (df + 0.5)))
