"""BM25 over Vietnamese syllables and syllable pairs, in two views: as written, and folded.

Measured on XQuAD-vi, BM25 with diacritics kept is the strongest single retriever, while a question
typed without diacritics only finds its passage in the folded view, so both views are kept. Most
Vietnamese words have two syllables ("dân vận", "nông thôn"): indexing adjacent pairs as extra terms
lets BM25 reward the word, not just its syllables (R@1 92.1 -> 93.4 on XQuAD-vi, docs/quality.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse as sp

from .textnorm import fold, tokens

VIEWS = ("accented", "folded")
# Recorded in the manifest: a store whose BM25 was built otherwise is rebuilt (its vectors are kept).
SETTINGS = {
    "library": "bm25s",
    "k1": 0.9,  # chosen on the tuning half of XQuAD-vi (docs/quality.md)
    "b": 0.75,
    "views": list(VIEWS),
    "terms": "syllables+pairs",
    "v": 3,
}

logging.getLogger("bm25s").setLevel(logging.ERROR)


def with_pairs(syllables: Sequence[str]) -> list[str]:
    """Syllables followed by adjacent pairs ("dân_vận"); numbers and words alike."""
    return [*syllables, *(f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False))]


def view_terms(syllables: Sequence[str], view: str, pairs: bool = True) -> list[str]:
    """Index terms of a tokenised text in one view."""
    terms = [fold(t) for t in syllables] if view == "folded" else list(syllables)
    return with_pairs(terms) if pairs else terms


K1, B = SETTINGS["k1"], SETTINGS["b"]
MMAP_FROM_CHUNKS = 100_000  # above this many chunks the score matrices are memory-mapped, not read
_COUNTS = ("counts.indptr.npy", "counts.terms.npy", "counts.tf.npy")


@dataclass
class TermCounts:
    """Term frequencies of one view, chunks x terms: what BM25 scores are computed from.

    Saved beside the bm25s index so that a later build reuses the rows of unchanged chunks and only
    tokenises new ones (tokenising every chunk again was most of an incremental build's time).
    """

    matrix: sp.csr_matrix  # int32 counts; row = chunk, column = term id
    vocab: list[str]  # column -> term

    @classmethod
    def from_docs(cls, docs: Iterable[list[str]], vocab: list[str] | None = None) -> TermCounts:
        """Count terms of tokenised docs; new terms are appended to (a copy of) `vocab`."""
        vocab = list(vocab or [])
        ids = {t: i for i, t in enumerate(vocab)}
        flat: list[int] = []
        indptr = [0]
        for doc in docs:
            flat.extend(ids.setdefault(t, len(ids)) for t in doc)
            indptr.append(len(flat))
        vocab.extend(list(ids)[len(vocab) :])
        matrix = sp.csr_matrix(
            (np.ones(len(flat), np.int32), np.asarray(flat, np.int32), np.asarray(indptr, np.int64)),
            shape=(len(indptr) - 1, len(vocab)),
        )
        matrix.sum_duplicates()
        return cls(matrix, vocab)

    def compact(self) -> TermCounts:
        """Drop terms no chunk uses any more (removed articles), so idf and `known` match a fresh build."""
        used = np.flatnonzero(np.bincount(self.matrix.indices, minlength=len(self.vocab)))
        if len(used) == len(self.vocab):
            return self
        return TermCounts(self.matrix[:, used].tocsr(), [self.vocab[i] for i in used])

    def save(self, folder: Path) -> None:
        for name, arr in zip(
            _COUNTS, (self.matrix.indptr, self.matrix.indices, self.matrix.data), strict=True
        ):
            np.save(folder / name, arr)

    @classmethod
    def load(cls, folder: Path, vocab: list[str]) -> TermCounts:
        indptr, terms, tf = (np.load(folder / name) for name in _COUNTS)
        return cls(sp.csr_matrix((tf, terms, indptr), shape=(len(indptr) - 1, len(vocab))), vocab)


def bm25_from_counts(counts: TermCounts, k1: float = K1, b: float = B) -> bm25s.BM25:
    """A bm25s index (Lucene BM25, as `bm25s.BM25.index` computes it), vectorised over all chunks.

    Equal to bm25s' own build (tests/test_index_incremental.py) but in numpy instead of a Python
    loop per document: seconds instead of minutes at 100k chunks.
    """
    m = counts.matrix
    n_docs, n_terms = m.shape
    doc_len = np.asarray(m.sum(axis=1), dtype=np.float32).ravel()
    avg = float(doc_len.mean()) if n_docs else 1.0
    csc = m.tocsc()
    csc.sort_indices()
    per_term = np.diff(csc.indptr)
    df = per_term.astype(np.float64)
    idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    # float32 throughout: the score matrix is float32 anyway, and this runs over every (chunk, term).
    norm = (k1 * (1 - b) + (k1 * b / (avg or 1.0)) * doc_len).astype(np.float32)
    tf = csc.data.astype(np.float32)
    data = np.repeat(idf, per_term) * tf / (norm[csc.indices] + tf)
    bm = bm25s.BM25(k1=k1, b=b)
    bm.scores = {
        "data": data,
        "indices": csc.indices.astype(np.int32),
        "indptr": csc.indptr.astype(np.int64),
        "num_docs": n_docs,
    }
    bm.vocab_dict = {t: i for i, t in enumerate(counts.vocab)}
    bm.unique_token_ids_set = set(bm.vocab_dict.values())
    bm.nonoccurrence_array = None
    return bm


class LexicalIndex:
    def __init__(
        self,
        views: dict[str, bm25s.BM25],
        pairs: bool = True,
        counts: dict[str, TermCounts] | None = None,
        folder: Path | None = None,
    ):
        self._views = views
        self.pairs = pairs
        self._counts = counts  # kept from a build; read back from `folder` only when a build needs them
        self._folder = folder
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
        """From tokenised chunks (syllables). Other parameters than the defaults serve the ablation study
        (eval/ablation.py); scores equal bm25s' own `index` (tests/test_index_scale.py)."""
        counts = {name: TermCounts.from_docs(view_terms(doc, name, pairs) for doc in docs) for name in VIEWS}
        return cls({name: bm25_from_counts(c, k1, b) for name, c in counts.items()}, pairs, counts)

    @classmethod
    def combine(
        cls, old: LexicalIndex | None, rows: np.ndarray, new_docs: Sequence[Sequence[str]]
    ) -> LexicalIndex:
        """An index whose chunk i is row `rows[i]` of [old's chunks, then `new_docs`] (tokenised).

        Old rows are reused from the saved term counts; only the new chunks' terms are counted.
        Scores are those of a fresh build over the same chunks.
        """
        rows = np.asarray(rows, dtype=np.int64)
        n_old = old.size if old is not None else 0
        total = n_old + len(new_docs)
        identity = len(rows) == total and bool(np.all(rows == np.arange(total)))
        # Terms can only fall out of use when some old chunk is dropped.
        dropped = n_old > 0 and bool(np.bincount(rows[rows < n_old], minlength=n_old).min() == 0)
        pairs = old.pairs if old is not None else True
        counts = {}
        for name in VIEWS:
            prev = old.term_counts(name) if old is not None else None
            fresh = TermCounts.from_docs(
                (view_terms(doc, name, pairs) for doc in new_docs), prev.vocab if prev else None
            )
            parts = [fresh.matrix]
            if prev is not None:
                pm = prev.matrix  # the same rows, seen with the grown vocabulary (no copy)
                parts.insert(
                    0, sp.csr_matrix((pm.data, pm.indices, pm.indptr), shape=(pm.shape[0], len(fresh.vocab)))
                )
            stacked = sp.vstack(parts, format="csr") if len(parts) > 1 else fresh.matrix
            kept = TermCounts(stacked if identity else stacked[rows].tocsr(), fresh.vocab)
            counts[name] = kept.compact() if dropped else kept
        return cls({name: bm25_from_counts(c) for name, c in counts.items()}, pairs, counts)

    def term_counts(self, view: str) -> TermCounts:
        if self._counts is None:
            if self._folder is None or not all((self._folder / v / _COUNTS[0]).is_file() for v in VIEWS):
                raise FileNotFoundError("this lexical index has no saved term counts")
            self._counts = {v: TermCounts.load(self._folder / v, self._vocab_list(v)) for v in VIEWS}
        return self._counts[view]

    @property
    def has_counts(self) -> bool:
        return self._counts is not None or (
            self._folder is not None and all((self._folder / v / _COUNTS[0]).is_file() for v in VIEWS)
        )

    def _vocab_list(self, view: str) -> list[str]:
        vocab = self._views[view].vocab_dict
        out = [""] * len(vocab)
        for term, i in vocab.items():
            out[i] = term
        return out

    def save(self, folder: Path) -> None:
        for name, bm in self._views.items():
            bm.save(str(folder / name), show_progress=False)
            if self._counts is not None:
                self._counts[name].save(folder / name)

    @classmethod
    def load(cls, folder: Path, mmap: bool | None = None) -> LexicalIndex:
        """Load both views; `mmap=None` memory-maps the score matrices of a large index."""
        if mmap is None:
            params = json.loads((folder / VIEWS[0] / "params.index.json").read_text(encoding="utf-8"))
            mmap = int(params.get("num_docs", 0)) >= MMAP_FROM_CHUNKS
        views = {name: bm25s.BM25.load(str(folder / name), mmap=mmap, show_progress=False) for name in VIEWS}
        return cls(views, folder=folder)

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
