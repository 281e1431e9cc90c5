"""The learned scorer: sentences, passages and the answer's confidence from small linear models.

Weights are fitted on the tuning parts of both question sets (XQuAD-vi and UIT-ViNewsQA, split by
article) by eval/train_scorer.py and shipped in data/scorer.json; nothing here is set by hand. Three
models, each over features that do not depend on the corpus's size (shares, z-scores within the
retrieved candidates, cosines):

- sentence: how likely a sentence holds the answer, from its coverage of the question (syllables,
  whole words, the title standing in), the evidence it holds of what the question asks for
  (query/evidence.py), what it adds beyond the question (a sentence that only restates the question is
  rarely the answer; the one after it often is), its neighbours, and its dense similarity to the
  question (sentence vectors taken from the passage's own token embeddings at index time);
- passage: the retrievers' z-scores within the candidates and the passage's best sentence;
- compose: the probability that a sentence of the top passages holds the answer, from its sentence
  score and its passage's place, which picks the quoted sentences; with the passage's coverage of the
  question it also decides abstention (a fourth model, `abstain`).

A store built without sentence vectors is scored with the "lexical" weights, fitted without them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .evidence import EVIDENCE, KINDS

DATA = Path(__file__).with_name("data") / "scorer.json"

INTRINSIC = (
    "cov",
    "cov_title",
    "words",
    "dense",
    *(f"ev_{e}" for e in EVIDENCE),
    "novel",
    "short",
    "nchar",
    "pos",
    "first",
)
NEIGHBOURS = ("prev_cov", "prev_words", "prev_restate", "prev_dense", "next_cov", "next_words", "restate")
SENTENCE = (*INTRINSIC, *NEIGHBOURS, "dense_z")
PASSAGE = ("z_dense", "z_bm25", "z_bm25_folded", "best", "support", "sentence_dense")
COMPOSE = ("sentence", "gap", "rank", *(f"kind_{k}" for k in KINDS))
ABSTAIN = ("support", "logit")
DENSE_FEATURES = frozenset({"dense", "prev_dense", "dense_z", "sentence_dense"})
_COL = {name: i for i, name in enumerate(SENTENCE)}


@dataclass(frozen=True)
class Linear:
    """w . x + b over the named features (the rest of a feature row is ignored)."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float = 0.0

    def columns(self, universe: Sequence[str]) -> list[int]:
        index = {n: i for i, n in enumerate(universe)}
        return [index[f] for f in self.features]

    def apply(self, rows: np.ndarray, universe: Sequence[str]) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        return rows[:, self.columns(universe)] @ self.weights + self.bias

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(float(self.bias), 6),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Linear:
        return cls(
            tuple(d["features"]), np.asarray(d["weights"], dtype=np.float64), float(d.get("bias", 0.0))
        )


@dataclass(frozen=True)
class Weights:
    """One fitted scorer: its three models, the abstention model and the thresholds chosen with it."""

    sentence: Linear
    passage: Linear
    compose: Linear
    abstain: Linear
    second: float  # a further sentence is quoted when its probability reaches this
    abstain_below: float  # the answer abstains when the abstention model's score is under this
    short: Linear | None = None
    short_threshold: float = 1.0
    # the same for a question typed without diacritics: its scores run lower (a restored question
    # matches less of its passage), so one threshold abstained more on those (docs/quality.md)
    abstain_below_folded: float | None = None

    @property
    def uses_vectors(self) -> bool:
        return bool(DENSE_FEATURES & {*self.sentence.features, *self.passage.features})

    def to_dict(self) -> dict:
        out = {name: getattr(self, name).to_dict() for name in ("sentence", "passage", "compose", "abstain")}
        out.update(second=self.second, abstain_below=self.abstain_below, short_threshold=self.short_threshold)
        if self.abstain_below_folded is not None:
            out["abstain_below_folded"] = self.abstain_below_folded
        if self.short is not None:
            out["short"] = self.short.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Weights:
        models = {n: Linear.from_dict(d[n]) for n in ("sentence", "passage", "compose", "abstain")}
        short = Linear.from_dict(d["short"]) if "short" in d else None
        return cls(
            **models,
            second=float(d["second"]),
            abstain_below=float(d["abstain_below"]),
            short=short,
            short_threshold=float(d.get("short_threshold", 1.0)),
            abstain_below_folded=(float(d["abstain_below_folded"]) if "abstain_below_folded" in d else None),
        )

    def abstains_below(self, folded: bool) -> float:
        """The abstention threshold for a question typed with diacritics or without them."""
        if folded and self.abstain_below_folded is not None:
            return self.abstain_below_folded
        return self.abstain_below


def variant_for(sentence_kind: str | None) -> str:
    """The shipped variant that fits a store: "vectors" for encoded sentence vectors (the default
    store; the name predates the pooled variant), "pooled" for pooled ones, "lexical" without any.
    Each is fitted on stores of its own kind: weights fitted on one kind and read on the other cost
    ViNewsQA 2 to 4 points of answer-hit (docs/quality.md)."""
    if sentence_kind is None:
        return "lexical"
    return "pooled" if sentence_kind == "pooled" else "vectors"


@lru_cache(maxsize=4)
def shipped(variant: str, path: Path = DATA) -> Weights:
    """The weights shipped with the package, by `variant_for`: "vectors", "pooled" or "lexical"."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Weights.from_dict(data["variants"][variant])


def zscores(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    spread = float(values.std()) if len(values) else 0.0
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros(len(values))


def with_neighbours(rows: np.ndarray) -> np.ndarray:
    """A passage's intrinsic sentence rows with their neighbours' columns appended: the sentence
    after one that restates the question often holds the answer."""
    n = len(rows)
    if not n:
        return np.zeros((0, len(SENTENCE) - 1))
    col = {name: rows[:, i] for i, name in enumerate(INTRINSIC)}
    restate = col["words"] * (1.0 - col["novel"])

    def before(v: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], v[:-1]])

    def after(v: np.ndarray) -> np.ndarray:
        return np.concatenate([v[1:], [0.0]])

    extra = np.stack(
        [
            before(col["cov"]),
            before(col["words"]),
            before(restate),
            before(col["dense"]),
            after(col["cov"]),
            after(col["words"]),
            restate,
        ],
        1,
    )
    return np.concatenate([rows, extra], 1)


def sentence_rows(per_passage: Sequence[np.ndarray]) -> np.ndarray:
    """Every candidate sentence's full row: neighbours, and its dense similarity as a z-score among
    all the candidates' sentences (how much closer to the question than the others it is)."""
    parts = [with_neighbours(r) for r in per_passage]
    rows = np.concatenate(parts) if parts else np.zeros((0, len(SENTENCE) - 1))
    return np.concatenate([rows, zscores(rows[:, _COL["dense"]])[:, None]], 1)


def passage_rows(
    retrieval: dict[str, np.ndarray], best: np.ndarray, support: np.ndarray, sentence_dense: np.ndarray
) -> np.ndarray:
    """One row per candidate passage (PASSAGE order)."""
    return np.stack(
        [
            zscores(retrieval["dense"]),
            zscores(retrieval["bm25"]),
            zscores(retrieval["bm25_folded"]),
            best,
            support,
            zscores(sentence_dense),
        ],
        1,
    )


@dataclass
class Features:
    """The scorer's input for one question: every sentence of its candidate passages, and the passages."""

    keys: list[tuple[int, int, int]]  # per sentence row: its passage, and its offsets in the passage
    rows: np.ndarray  # SENTENCE columns
    retrieval: dict[str, np.ndarray]  # per passage, each retriever's raw score
    support: np.ndarray  # per passage, its coverage of the question's words (with its title)

    @property
    def owner(self) -> np.ndarray:
        return np.array([j for j, _, _ in self.keys], dtype=np.int64)

    def first(self, n: int) -> Features:
        """The features the first `n` passages alone would have given (the dense z-score is taken
        among their sentences only), so that one collection at a depth serves every shallower one."""
        keep = self.owner < n
        rows = self.rows[keep].copy()
        if len(rows):
            rows[:, _COL["dense_z"]] = zscores(rows[:, _COL["dense"]])
        return Features(
            [k for k, m in zip(self.keys, keep, strict=True) if m],
            rows,
            {name: v[:n] for name, v in self.retrieval.items()},
            self.support[:n],
        )


def scores(f: Features, w: Weights) -> tuple[np.ndarray, np.ndarray]:
    """Each sentence's score and each passage's."""
    sentence = w.sentence.apply(f.rows, SENTENCE)
    n = len(f.support)
    best, dense = np.full(n, -10.0), np.zeros(n)
    if len(f.rows):
        np.maximum.at(best, f.owner, sentence)
        np.maximum.at(dense, f.owner, f.rows[:, _COL["dense"]])
    return sentence, w.passage.apply(passage_rows(f.retrieval, best, f.support, dense), PASSAGE)


def compose_row(sentence: float, gap: float, rank: int, asked_kinds: frozenset[str]) -> list[float]:
    return [sentence, gap, float(rank), *(float(k in asked_kinds) for k in KINDS)]


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
