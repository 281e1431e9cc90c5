"""Each view's postings and vocabulary as plain numpy arrays, scored by bm25s.

bm25s does not grow: its index is rebuilt from every chunk, and its vocabulary, a JSON dict of millions
of terms once pairs are indexed, took 5 s to parse at 22 644 articles. So each view keeps its postings
(for each term, the chunks holding it and how often) and a vocabulary of 64-bit term hashes: a load maps
them, and adding articles merges only their postings before the scores are recomputed in numpy
(docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse as sp

_BM25S = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy")  # bm25s's own names
_MINE = ("tf.npy", "doc_len.npy", "term_keys.npy", "term_ids.npy")


def term_key(term: str) -> int:
    """A stable 64-bit key (Python's own hash changes between processes)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass
class Vocabulary:
    """term -> column through sorted 64-bit keys: memory-mapped at load, grown by merging keys.

    Two distinct terms sharing a key is a 1-in-10^6 event at 10^7 terms; the build checks for it.
    """

    keys: np.ndarray  # uint64, sorted
    ids: np.ndarray  # int64, the column of keys[i]

    @classmethod
    def empty(cls) -> Vocabulary:
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, terms: Sequence[str]) -> np.ndarray:
        """Column of each term, -1 for a term the index never saw."""
        if not len(terms) or not len(self.keys):
            return np.full(len(terms), -1, np.int64)
        wanted = np.array([term_key(t) for t in terms], dtype=np.uint64)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[at] == wanted, self.ids[at], -1)

    def extended(self, terms: Iterable[str]) -> tuple[Vocabulary, dict[str, int]]:
        """The vocabulary with unseen terms appended as new columns, and every term's column."""
        terms = list(dict.fromkeys(terms))
        found = self.lookup(terms)
        columns = dict(zip(terms, found.tolist(), strict=True))
        new = [t for t, c in columns.items() if c < 0]
        if not new:
            return self, columns
        start = len(self.keys)
        for i, t in enumerate(new):
            columns[t] = start + i
        keys = np.concatenate([self.keys, np.array([term_key(t) for t in new], dtype=np.uint64)])
        ids = np.concatenate([self.ids, np.arange(start, start + len(new), dtype=np.int64)])
        order = np.argsort(keys, kind="stable")
        keys, ids = keys[order], ids[order]
        if len(keys) > 1 and bool((keys[1:] == keys[:-1]).any()):
            raise ValueError("two index terms share a 64-bit key; rebuild with `rag index --rebuild`")
        return Vocabulary(keys, ids), columns


@dataclass
class Postings:
    """One view's inverted index: for each term (column) the chunks holding it and how often."""

    indptr: np.ndarray  # int64, columns + 1: postings of column t are [indptr[t], indptr[t+1])
    docs: np.ndarray  # int32, chunk of each posting
    tf: np.ndarray  # float32, term frequency of each posting
    doc_len: np.ndarray  # float32, terms per chunk
    vocab: Vocabulary

    @classmethod
    def from_docs(cls, docs: Sequence[Sequence[str]]) -> Postings:
        vocab, columns = Vocabulary.empty().extended(t for doc in docs for t in doc)
        return cls._from_rows(docs, columns, vocab, len(vocab))

    @classmethod
    def _from_rows(cls, docs, columns: dict[str, int], vocab: Vocabulary, n_terms: int) -> Postings:
        flat = np.fromiter((columns[t] for doc in docs for t in doc), dtype=np.int64)
        lengths = np.fromiter((len(doc) for doc in docs), dtype=np.int64, count=len(docs))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        rows = sp.csr_matrix((np.ones(len(flat), np.float32), flat, indptr), shape=(len(docs), n_terms))
        rows.sum_duplicates()
        cols = rows.tocsc()
        cols.sort_indices()
        return cls(
            cols.indptr.astype(np.int64), cols.indices.astype(np.int32), cols.data.astype(np.float32),
            lengths.astype(np.float32), vocab,
        )  # fmt: skip

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)

    def grown(self, rows: np.ndarray, new_docs: Sequence[Sequence[str]]) -> Postings:
        """Chunk i of the result is row rows[i] of [these chunks, then `new_docs`].

        Merges postings in numpy, term by term, without touching the old chunks' text.
        """
        n_old = self.n_docs
        vocab, columns = self.vocab.extended(t for doc in new_docs for t in doc)
        n_terms = len(vocab)
        fresh = Postings._from_rows(new_docs, columns, vocab, n_terms)
        position = np.full(n_old + len(new_docs), -1, np.int64)
        position[rows] = np.arange(len(rows))
        # old postings: drop removed chunks, renumber the kept ones
        old_terms = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))
        old_docs = position[:n_old][self.docs]
        alive = old_docs >= 0
        old_terms, old_docs, old_tf = old_terms[alive], old_docs[alive], self.tf[alive]
        old_count = np.bincount(old_terms, minlength=n_terms)
        new_count = np.diff(fresh.indptr)
        indptr = np.concatenate([[0], np.cumsum(old_count + new_count)])
        docs = np.empty(int(indptr[-1]), np.int32)
        tf = np.empty(int(indptr[-1]), np.float32)
        # within each term: the old postings in their old order, then the new chunks'
        old_start = np.concatenate([[0], np.cumsum(old_count)])[:-1]
        at = indptr[:-1][old_terms] + (np.arange(len(old_terms)) - old_start[old_terms])
        docs[at], tf[at] = old_docs, old_tf
        new_terms = np.repeat(np.arange(n_terms), new_count)
        at = (
            indptr[:-1][new_terms]
            + old_count[new_terms]
            + (np.arange(len(new_terms)) - fresh.indptr[new_terms])
        )
        docs[at], tf[at] = position[n_old:][fresh.docs], fresh.tf
        doc_len = np.concatenate([self.doc_len, fresh.doc_len])[rows]
        return Postings(indptr, docs, tf, doc_len, vocab).compacted()

    def compacted(self) -> Postings:
        """Without terms no chunk uses any more, so that idf and scores equal a fresh build."""
        used = np.diff(self.indptr) > 0
        if used.all():
            return self
        new_id = np.cumsum(used) - 1
        keep_key = used[self.vocab.ids]
        vocab = Vocabulary(self.vocab.keys[keep_key], new_id[self.vocab.ids[keep_key]])
        indptr = np.concatenate([[0], np.cumsum(np.diff(self.indptr)[used])])
        return Postings(indptr, self.docs, self.tf, self.doc_len, vocab)

    def bm25(self, k1: float, b: float) -> bm25s.BM25:
        """A bm25s index over these postings: Lucene BM25, as `bm25s.BM25.index` computes it."""
        n = self.n_docs
        avg = float(self.doc_len.mean()) if n else 1.0
        df = np.diff(self.indptr).astype(np.float64)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = (k1 * (1 - b) + (k1 * b / (avg or 1.0)) * self.doc_len).astype(np.float32)
        data = np.repeat(idf, np.diff(self.indptr)) * self.tf / (norm[self.docs] + self.tf)
        return _scorer(data, self, k1, b)

    def save(self, folder: Path, bm: bm25s.BM25) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = (
            bm.scores["data"],
            self.docs,
            self.indptr,
            self.tf,
            self.doc_len,
            self.vocab.keys,
            self.vocab.ids,
        )
        for name, arr in zip(_BM25S + _MINE, arrays, strict=True):
            np.save(folder / name, arr)
        params = {"k1": bm.k1, "b": bm.b, "method": bm.method, "num_docs": self.n_docs}
        (folder / "params.index.json").write_text(json.dumps(params), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, mmap: bool) -> tuple[Postings, bm25s.BM25]:
        mode = "r" if mmap else None
        data, docs, indptr, tf, doc_len, keys, ids = (
            np.load(folder / name, mmap_mode=mode) for name in _BM25S + _MINE
        )
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        postings = cls(indptr, docs, tf, doc_len, Vocabulary(keys, ids))
        return postings, _scorer(data, postings, params["k1"], params["b"])


def _scorer(data: np.ndarray, postings: Postings, k1: float, b: float) -> bm25s.BM25:
    """bm25s scoring `data` (one BM25 score a posting); terms are columns found by the Vocabulary."""
    bm = bm25s.BM25(k1=k1, b=b)
    n = postings.n_docs
    bm.scores = {"data": data, "indices": postings.docs, "indptr": postings.indptr, "num_docs": n}
    bm.vocab_dict = None
    bm.nonoccurrence_array = None
    return bm
