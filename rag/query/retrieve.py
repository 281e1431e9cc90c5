"""Hybrid retrieval: dense FAISS search fused with BM25, routed by how the question was typed.

Fusion is by standardised scores rather than by rank: each retriever's scores are turned into
z-scores against its own best candidates, then summed with weights. Unlike reciprocal-rank fusion,
this keeps how far ahead a clear winner is (XQuAD-vi R@1 94.1 with RRF -> 95.9, docs/quality.md).

A question typed without diacritics ("an khe tiep nhan bao nhieu don") defeats both the dense model
and accented BM25. Its diacritics are restored from the corpus's own words, the restored question is
searched as usual, and the folded BM25 view (which needs no restoration) joins the fusion so that a
wrong restoration cannot lose the passage. The passage folded BM25 ranks first also helps restore
them (`InContext`): it is usually about what the question is about.

Dense search finds its candidates by the passage's vector, but scores them in the fusion by their
closest sentence ("sentences"): a passage vector averages a whole chunk, so a question about one of its
sentences is only near it when the chunk is about the same thing. On the tuning parts, scoring by the
best sentence raised the fused R@1 74.9 -> 80.2 on ViNewsQA and 94.6 -> 95.2 on XQuAD-vi (docs/quality.md).
The passage's own cosine is still recorded for the reranker ("dense"). A store without sentence vectors
scores by the passage vector alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..lexical.bm25 import LexicalIndex
from ..lexical.diacritics import DiacriticRestorer
from ..models.base import Embedder
from ..schema import Chunk, Hit, Query
from ..store.store import Store
from ..text.normalise import tokens
from .filters import Facets, Filters

Scorer = Callable[[np.ndarray], np.ndarray]


def _default_weights() -> dict[str, dict[str, float]]:
    return {
        "accented": {"sentences": 0.5, "bm25": 0.5},
        "unaccented": {"sentences": 0.35, "bm25": 0.35, "bm25_folded": 0.3},
    }


# Before dense candidates were scored by their closest sentence: kept for comparison (eval/ablation.py).
PASSAGE_VECTOR_WEIGHTS = {
    "accented": {"dense": 0.5, "bm25": 0.5},
    "unaccented": {"dense": 0.35, "bm25": 0.35, "bm25_folded": 0.3},
}
DENSE = ("dense", "sentences")  # the dense signals: both take their candidates from the dense index


@dataclass(frozen=True)
class RetrievalSettings:
    candidates: int = 100  # per retriever, before fusion
    norm_top: int = 50  # z-scores are taken against this many best scores of each retriever
    weights: dict[str, dict[str, float]] = field(default_factory=_default_weights)
    fusion: str = "z"  # "z" (standardised scores) or "rrf" (reciprocal rank, k=60), kept for comparison
    restore_diacritics: bool = True
    # how many of folded BM25's first passages help restore the diacritics (0: the corpus model alone)
    restore_context: int = 1


@dataclass(frozen=True)
class InContext:
    """The store's diacritics model, helped by the passages folded BM25 ranks first for the question
    as typed: "Biet danh cua Dong bang" among 240 XQuAD-vi paragraphs is read "Biệt đánh của Đóng băng"
    by the corpus model, "Biệt danh của Đồng bằng" with the Delta's paragraph beside it. One passage
    restored more questions whole than 2, 3 or 5 on the tuning questions (docs/quality.md)."""

    restorer: DiacriticRestorer
    lexical: LexicalIndex
    chunks: Sequence[Chunk]  # the lexical index's rows
    passages: int = 1

    def context(self, text: str) -> list[list[str]]:
        """The tokens of the passages folded BM25 ranks first for `text`."""
        scores = self.lexical.scores(tokens(text), "folded")
        k = min(self.passages, len(scores))
        if not k:
            return []
        # in no order: the context model counts their word pairs together
        top = np.argpartition(-scores, k - 1)[:k]
        return [tokens(self.chunks[int(i)].text) for i in top if scores[i] > 0]

    def restore(self, text: str) -> str:
        return self.restorer.restore(text, self.context(text))


def _zscores(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    top = reference[-1:] if len(reference) < 2 else reference
    spread = float(top.std()) or 1.0
    return (values - float(top.mean())) / spread


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, settings: RetrievalSettings | None = None):
        self.store = store
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self._facets: Facets | None = None

    @property
    def facets(self) -> Facets:
        """The store's dates and sources as arrays, made on the first filtered question (0.04-0.15 s
        for 11 513 VietNews articles, measured) rather than at every load."""
        if self._facets is None:
            self._facets = Facets.of(self.store)
        return self._facets

    @property
    def restorer(self) -> InContext | DiacriticRestorer | None:
        """What restores the diacritics of a question typed without them, unless turned off."""
        restorer = self.store.restorer
        if restorer is None or not self.settings.restore_diacritics:
            return None
        if self.settings.restore_context:
            return InContext(restorer, self.store.lexical, self.store.chunks, self.settings.restore_context)
        return restorer

    def weights(self, mode: str) -> dict[str, float]:
        """The fusion weights for a reading; without sentence vectors the passage vector stands in
        for its sentences."""
        weights: dict[str, float] = {}
        for name, w in self.settings.weights[mode].items():
            if name == "sentences" and self.store.sentences is None:
                name = "dense"
            if w:
                weights[name] = weights.get(name, 0.0) + w
        return weights

    def encode(self, query: Query) -> np.ndarray:
        """The question's dense vector (dense search reads it, and the answerer compares it with the
        passages' sentences)."""
        return np.ascontiguousarray(self.embedder.encode_queries([query.search_text])[0], dtype=np.float32)

    def _signals(
        self, query: Query, names: list[str], mask: np.ndarray | None = None, vector: np.ndarray | None = None
    ) -> dict[str, tuple[np.ndarray, Scorer]]:
        """Per retriever: its top candidate rows among those `mask` allows, and a function scoring rows."""
        n = len(self.store.chunks)
        want = min(self.settings.candidates, n if mask is None else int(mask.sum()))
        out: dict[str, tuple[np.ndarray, Scorer]] = {}
        if want == 0:
            return out
        dense_rows, qv = None, None
        for name in names:
            if name in DENSE:
                if dense_rows is None:
                    qv = self.encode(query) if vector is None else vector
                    _, found = self.store.dense.search(qv[None, :], want, mask)
                    dense_rows = found[0][found[0] >= 0]
                scorer = self._closest_sentence if name == "sentences" else self._passage_cosine
                out[name] = (dense_rows, lambda r, q=qv, f=scorer: f(r, q))
            else:
                view, terms = (
                    ("folded", query.typed_terms) if name == "bm25_folded" else ("accented", query.terms)
                )
                scores = self.store.lexical.scores(terms, view)
                if mask is not None:
                    scores = np.where(mask, scores, np.float32(0))  # before the top-k, not after it
                top = np.argpartition(-scores, want - 1)[:want] if want < n else np.arange(n)
                out[name] = (top[scores[top] > 0], lambda r, s=scores: s[r])
        return out

    def _passage_cosine(self, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        return np.asarray(self.store.vectors[rows], np.float32) @ q

    def _closest_sentence(self, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Each row's best sentence cosine to the question (its passage cosine if it has none)."""
        best, has = self.store.sentences.closest(rows, q)
        if not has.all():
            best[~has] = self._passage_cosine(np.asarray(rows)[~has], q)
        return best

    def search(
        self, query: Query, k: int, filters: Filters | None = None, vector: np.ndarray | None = None
    ) -> list[Hit]:
        """The `k` best passages, of the articles `filters` allows when given; `vector` is the
        question's (`encode`), encoded here when not given."""
        weights = self.weights(query.mode)
        mask = self.facets.chunks(filters) if filters is not None else None
        # the passage cosine is read by the reranker even when the fusion weighs its sentences instead
        names = list(weights) + (["dense"] if "sentences" in weights and "dense" not in weights else [])
        signals = self._signals(query, names, mask, vector)
        union = np.unique(np.concatenate([rows for rows, _ in signals.values()] or [np.zeros(0, np.int64)]))
        if not len(union):
            return []
        fused = np.zeros(len(union), dtype=np.float64)
        raw: dict[str, np.ndarray] = {}
        for name, (top_rows, score) in signals.items():
            values = score(union)
            if self.settings.fusion == "rrf":
                rank = {
                    int(r): i for i, r in enumerate(top_rows[np.argsort(-score(top_rows), kind="stable")])
                }
                fused += weights.get(name, 0.0) * np.array(
                    [1.0 / (61 + rank[int(r)]) if int(r) in rank else 0.0 for r in union]
                )
            else:
                own = np.sort(score(top_rows))[-self.settings.norm_top :] if len(top_rows) else values
                fused += weights.get(name, 0.0) * _zscores(values, own)
            raw[name] = values
        order = np.argsort(-fused, kind="stable")[:k]
        hits = []
        for rank, i in enumerate(order, 1):
            chunk = self.store.chunks[int(union[i])]
            evidence = {name: float(v[i]) for name, v in raw.items()}
            hits.append(Hit(chunk, self.store.articles[chunk.article_id], float(fused[i]), rank, evidence))
        return hits
