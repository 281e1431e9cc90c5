"""BM25 over Vietnamese syllables and syllable pairs, in two views: as written, and folded.

Measured on XQuAD-vi, BM25 with diacritics kept is the strongest single retriever, while a question
typed without diacritics only finds its passage in the folded view, so both views are kept. Most
Vietnamese words have two syllables ("dân vận", "nông thôn"): indexing adjacent pairs as extra terms
lets BM25 reward the word, not just its syllables (R@1 92.1 -> 93.4 on XQuAD-vi, docs/quality.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from .textnorm import fold, tokens

VIEWS = ("accented", "folded")
# Recorded in the manifest: a store whose BM25 was built otherwise is rebuilt (its vectors are kept).
SETTINGS = {
    "library": "bm25s",
    "k1": 1.2,
    "b": 0.75,
    "views": list(VIEWS),
    "terms": "syllables+pairs",
    "v": 2,
}

logging.getLogger("bm25s").setLevel(logging.ERROR)


def with_pairs(syllables: Sequence[str]) -> list[str]:
    """Syllables followed by adjacent pairs ("dân_vận"); numbers and words alike."""
    return [*syllables, *(f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False))]


def view_terms(syllables: Sequence[str], view: str, pairs: bool = True) -> list[str]:
    """Index terms of a tokenised text in one view."""
    terms = [fold(t) for t in syllables] if view == "folded" else list(syllables)
    return with_pairs(terms) if pairs else terms


class LexicalIndex:
    def __init__(self, views: dict[str, bm25s.BM25], pairs: bool = True):
        self._views = views
        self.pairs = pairs
        self._df = {name: np.diff(np.asarray(bm.scores["indptr"])) for name, bm in views.items()}
        self.size = int(next(iter(views.values())).scores["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        return cls.from_tokens([tokens(t) for t in texts])

    @classmethod
    def from_tokens(
        cls,
        docs: Sequence[Sequence[str]],
        k1: float = SETTINGS["k1"],
        b: float = SETTINGS["b"],
        pairs: bool = True,
    ) -> LexicalIndex:
        """Other parameters than the defaults serve the ablation study (eval/ablation.py)."""
        views = {}
        for name in VIEWS:
            bm = bm25s.BM25(k1=k1, b=b)
            bm.index([view_terms(doc, name, pairs) for doc in docs], show_progress=False)
            views[name] = bm
        return cls(views, pairs)

    def save(self, folder: Path) -> None:
        for name, bm in self._views.items():
            bm.save(str(folder / name), show_progress=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> LexicalIndex:
        views = {name: bm25s.BM25.load(str(folder / name), mmap=mmap, show_progress=False) for name in VIEWS}
        return cls(views)

    def scores(self, syllables: Sequence[str], view: str) -> np.ndarray:
        """BM25 score of every chunk for a question's syllables (pairs are added here)."""
        vocab = self._views[view].vocab_dict
        known = [t for t in dict.fromkeys(view_terms(syllables, view, self.pairs)) if t in vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._views[view].get_scores(known), dtype=np.float32)

    def idf(self, term: str, view: str = "accented") -> float:
        """Lucene IDF of a term over chunks (0 for a term the corpus never uses)."""
        tid = self._views[view].vocab_dict.get(term)
        if tid is None:
            return 0.0
        df = float(self._df[view][tid])
        return float(np.log(1.0 + (self.size - df + 0.5) / (df + 0.5)))
