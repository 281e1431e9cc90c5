"""BM25 over Vietnamese syllables, in two views: as written, and with diacritics folded.

Measured on XQuAD-vi, BM25 with diacritics kept is the strongest single retriever, while a question
typed without diacritics only finds its passage in the folded view. Both are kept side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from .textnorm import fold, tokens

VIEWS = ("accented", "folded")

logging.getLogger("bm25s").setLevel(logging.ERROR)


def view_tokens(text: str, view: str) -> list[str]:
    toks = tokens(text)
    return [fold(t) for t in toks] if view == "folded" else toks


class LexicalIndex:
    def __init__(self, views: dict[str, bm25s.BM25]):
        self._views = views
        self._df = {name: np.diff(np.asarray(bm.scores["indptr"])) for name, bm in views.items()}
        self.size = int(next(iter(views.values())).scores["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        accented = [tokens(t) for t in texts]
        views = {}
        for name in VIEWS:
            corpus = accented if name == "accented" else [[fold(t) for t in doc] for doc in accented]
            bm = bm25s.BM25(k1=1.2, b=0.75)
            bm.index(corpus, show_progress=False)
            views[name] = bm
        return cls(views)

    def save(self, folder: Path) -> None:
        for name, bm in self._views.items():
            bm.save(str(folder / name), show_progress=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> LexicalIndex:
        return cls(
            {name: bm25s.BM25.load(str(folder / name), mmap=mmap, show_progress=False) for name in VIEWS}
        )

    def known(self, terms: Sequence[str], view: str) -> list[str]:
        vocab = self._views[view].vocab_dict
        return [t for t in dict.fromkeys(terms) if t in vocab]

    def scores(self, terms: Sequence[str], view: str) -> np.ndarray:
        """BM25 score of every chunk for the (already tokenised) query terms."""
        known = self.known(terms, view)
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
