"""Hybrid retrieval: dense FAISS search fused with BM25, routed by how the question was typed.

A question typed with diacritics is answered by reciprocal-rank fusion of dense search and BM25 on
syllables as written. A question typed without them ("an khe tiep nhan bao nhieu don") defeats both
(the dense model reads it as another language, and accented BM25 finds no syllable), so it is
routed to the folded BM25 view, with the dense side kept at a weight that cannot drag it down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .embedding import Embedder
from .index import Store
from .schema import Hit
from .textnorm import fold, tokens, typed_without_diacritics


@dataclass(frozen=True)
class RetrievalSettings:
    rrf_k: int = 60
    candidates: int = 100  # per retriever, before fusion
    # weight of each ranked list in the fusion, per question mode
    weights: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "accented": {"dense": 1.0, "bm25": 1.0},
            "unaccented": {"bm25_folded": 1.0, "dense": 0.25},
        }
    )


@dataclass
class Query:
    """A question as the retrievers see it."""

    text: str
    mode: str  # "accented" or "unaccented"
    terms: list[str]  # syllables of the view the mode searches
    folded_terms: list[str]


def read_query(question: str) -> Query:
    mode = "unaccented" if typed_without_diacritics(question) else "accented"
    terms = tokens(question)
    return Query(question, mode, terms, [fold(t) for t in terms])


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, settings: RetrievalSettings | None = None):
        self.store = store
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()

    def ranked_lists(self, query: Query) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each retriever's candidates as (rows, scores), best first."""
        n = len(self.store.chunks)
        want = min(self.settings.candidates, n)
        lists: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        weights = self.settings.weights[query.mode]
        if "dense" in weights:
            qv = self.embedder.encode_queries([query.text])
            scores, rows = self.store.dense.search(np.ascontiguousarray(qv, dtype=np.float32), want)
            keep = rows[0] >= 0
            lists["dense"] = (rows[0][keep], scores[0][keep])
        for name, view, terms in (
            ("bm25", "accented", query.terms),
            ("bm25_folded", "folded", query.folded_terms),
        ):
            if name in weights:
                lists[name] = _top(self.store.lexical.scores(terms, view), want)
        return lists

    def search(self, query: Query, k: int) -> list[Hit]:
        lists = self.ranked_lists(query)
        weights = self.settings.weights[query.mode]
        fused: dict[int, float] = {}
        evidence: dict[int, dict[str, float]] = {}
        for name, (rows, scores) in lists.items():
            for rank, (row, score) in enumerate(zip(rows.tolist(), scores.tolist(), strict=True)):
                fused[row] = fused.get(row, 0.0) + weights[name] / (self.settings.rrf_k + rank + 1)
                evidence.setdefault(row, {})[name] = float(score)
        best = sorted(fused, key=lambda r: -fused[r])[:k]
        hits = []
        for rank, row in enumerate(best):
            chunk = self.store.chunks[row]
            hits.append(
                Hit(chunk, self.store.articles[chunk.article_id], fused[row], rank + 1, evidence[row])
            )
        return hits


def _top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best rows with a positive score, best first."""
    if k <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    k = min(k, len(scores))
    rows = np.argpartition(-scores, k - 1)[:k]
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    rows = rows[scores[rows] > 0]
    return rows, scores[rows]
