"""Fit the learned scorer on the tuning parts of XQuAD-vi and UIT-ViNewsQA; write its weights.

usage: python eval/train_scorer.py [--xquad FILE] [--vinewsqa FILE] [--out rag/query/data/scorer.json]
       python eval/train_scorer.py --check        # refit and compare with the shipped file

The fit is bit-for-bit reproducible on a CPU of the kind that fitted the file (`int8_instructions` in
it): the int8 model's vectors differ in their last bits between CPUs with and without VNNI.

Only the tuning parts are read (each set split by article, `rag.split_of`); the reporting parts are
never seen. Every question is asked as typed and without diacritics, through the shipped retrieval;
the features are what the answerer computes at run time (`Answerer.features`). Fitting is
deterministic (L-BFGS from zero), so the same data and code give the same weights.

What is fitted, in order, each on out-of-fold outputs of the one before (5 folds by article):
- sentence: listwise (softmax) over the sentences of the first 3 retrieved passages; a sentence is
  right when it holds a gold answer;
- passage: listwise over the 30 retrieved passages (`AnswerSettings.rerank_depth`; a shallower
  depth is fitted from the same collection, `shallower`); right when from the gold article and holding
  a gold answer in one of its sentences (`passage_target`), or from the gold article when none does;
- compose: logistic, P(sentence holds a gold answer), over the sentences of the first 3 reranked;
- second: the lowest ratio r (p2 >= r x p1 quotes a second sentence) whose answers are on average no
  longer than the earlier pipeline's on the same questions, so that no hit is bought with length;
- abstain: logistic, answerable (the tuning questions) against unanswerable (the same questions asked
  of the seed articles and of the other set's paragraphs), over the best passage's word coverage and
  the best sentence's log-odds; the threshold is the highest that abstains wrongly on at most 3 % of
  the questions of every fold of each set (the target, held on held-out articles), chosen apart for
  the questions read with diacritics and those read without them;
- short: logistic over candidate phrases of the best sentence (right: F1 >= 0.5 with a gold answer);
  the threshold is the lowest at which the given short answers' mean F1 reaches 0.65 on each set.
Three variants are written (`scorer.variant_for`): "vectors" for stores of encoded sentence vectors
(the default), "pooled" for stores of pooled ones (each fitted on stores of its own kind: the
questions are collected once for each), and "lexical" for stores without them.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import pickle
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

import rag  # noqa: E402
from rag.eval.runner import store_kind  # noqa: E402
from rag.models.onnx_export import int8_instructions  # noqa: E402
from rag.query import evidence as ev  # noqa: E402
from rag.query import scorer as sc  # noqa: E402
from rag.query import short as sh  # noqa: E402
from rag.query.extract import Answerer, AnswerSettings  # noqa: E402

FOLDS = 5
DEPTH, PASSAGES = AnswerSettings().rerank_depth, 3
TARGET = "answer"  # the shipped passage target (passage_target)
HAND_DEPTH = 10  # the hand-set pipeline reranked 10 passages; its answers are the length budget
RATIOS = [round(0.3 + 0.05 * i, 2) for i in range(9)]  # 0.30 .. 0.70
WRONG_ABSTENTION = 3.0  # % of each fold's tuning questions of each set, as typed (the target)
SHORT_F1 = 0.65
L2 = 1.0
VERBOSE = False


# --- fitting ---------------------------------------------------------------------------------------


def fit_listwise(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = L2) -> np.ndarray:
    """Linear scores whose softmax within each group matches the target mass (uniform over the right
    ones): ListNet, top-1. Features standardised for the fit; weights returned on raw features."""
    groups = [(x, y / y.sum()) for x, y in groups if y.sum() > 0 and len(y) > 1]
    X = np.concatenate([x for x, _ in groups])
    mu, sd = X.mean(0), X.std(0)
    sd[sd < 1e-9] = 1.0
    Xs, Y = (X - mu) / sd, np.concatenate([y for _, y in groups])
    idx = np.repeat(np.arange(len(groups)), [len(y) for _, y in groups])
    n = len(groups)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = Xs @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, idx, s)
        e = np.exp(s - top[idx])
        z = np.zeros(n)
        np.add.at(z, idx, e)
        logp = s - top[idx] - np.log(z[idx])
        p = e / z[idx]
        return -(Y * logp).sum() / n + 0.5 * l2 * w @ w / n, -((Y - p)[:, None] * Xs).sum(0) / n + l2 * w / n

    w = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B").x
    return w / sd  # the bias is irrelevant within a group


def fit_logistic(
    X: np.ndarray, y: np.ndarray, sample: np.ndarray | None = None, l2: float = L2
) -> tuple[np.ndarray, float]:
    mu, sd = X.mean(0), X.std(0)
    sd[sd < 1e-9] = 1.0
    Xs = (X - mu) / sd
    sample = np.ones(len(y)) if sample is None else sample / sample.mean()

    def loss(wb: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = wb[:-1], wb[-1]
        p = 1.0 / (1.0 + np.exp(-(Xs @ w + b)))
        nll = -(sample * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).mean()
        g = sample * (p - y) / len(y)
        return nll + 0.5 * l2 * w @ w / len(y), np.concatenate([Xs.T @ g + l2 * w / len(y), [g.sum()]])

    wb = minimize(loss, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B").x
    w = wb[:-1] / sd
    return w, float(wb[-1] - w @ mu)


# --- what is collected of each question ---------------------------------------------------------


@dataclass
class Asked:
    """One tuning question asked of one store, with what the answerer computed and the labels."""

    set: str  # "xquad" or "vinewsqa"
    typed: str  # "as typed" or "no diacritics"
    fold: int
    answerable: bool
    answers: list[str]
    kinds: frozenset[str]
    features: sc.Features
    gold: np.ndarray  # per passage: from the gold article
    right: np.ndarray  # per sentence row: holds a gold answer
    absolute: list[tuple[str, int]]  # per sentence row: (article, offset in the article), to tell repeats
    texts: list[str]  # per sentence row
    terms: list[str] = field(default_factory=list)  # the question's syllables, in order
    unit: str | None = None
    hand_length: int | None = None  # the earlier pipeline's answer length (None: it abstained)
    folded: bool = False  # read as typed without diacritics (Answerer.read)


def shallower(q: Asked, n: int) -> Asked:
    """The question as if only its first `n` passages had been retrieved."""
    keep = q.features.owner < n
    return dataclasses.replace(
        q,
        features=q.features.first(n),
        gold=q.gold[:n],
        right=q.right[keep],
        absolute=[x for x, m in zip(q.absolute, keep, strict=True) if m],
        texts=[x for x, m in zip(q.texts, keep, strict=True) if m],
    )


def collect(
    pipeline: rag.Pipeline, hand: Answerer, items, set_name: str, typed: str, answerable: bool
) -> list[Asked]:
    engine = pipeline.current()
    mine = engine.answerer  # the store's sentence vectors (None without) and their kind
    answerer = Answerer(
        engine.store.lexical, AnswerSettings(), mine.sentence_vectors, sentence_kind=mine.sentence_kind
    )
    out = []
    for it in items:
        text = rag.fold(it.question) if typed == "no diacritics" else it.question
        query = rag.read_query(" ".join(text.split()), engine.retriever.restorer)
        vector = engine.retriever.encode(query)
        hits = engine.retriever.search(query, DEPTH, vector=vector)
        asked = answerer.read(query, vector)
        f = answerer.features(asked, hits)
        sentences = [hits[j].chunk.text[a:b] for j, a, b in f.keys]
        right = np.array([answerable and rag.contains_answer(t, it.answers) for t in sentences], dtype=float)
        hand_length = None
        if answerable:
            hand_asked = hand.read(query, vector)
            reply = hand.compose(hand_asked, hand.rerank(hand_asked, hits[:HAND_DEPTH]))
            hand_length = None if reply.abstained else len(reply.text)
        out.append(
            Asked(
                set_name,
                typed,
                zlib.crc32(it.group.encode("utf-8")) % FOLDS,
                answerable,
                it.answers,
                asked.kinds,
                f,
                np.array([answerable and h.article.id == it.source for h in hits[:DEPTH]], dtype=float),
                right,
                [(hits[j].chunk.article_id, hits[j].chunk.start + a) for j, a, _ in f.keys],
                sentences,
                list(query.terms),
                asked.unit[0] if asked.unit else None,
                hand_length,
                asked.folded,
            )
        )
    return out


# --- the three models, and the thresholds chosen with them ----------------------------------------


def _sub(names: tuple[str, ...], drop: frozenset[str]) -> tuple[str, ...]:
    return tuple(n for n in names if n not in drop)


@dataclass
class Fitted:
    weights: sc.Weights
    compose_rows: list[tuple[np.ndarray, list[int]]] = field(default_factory=list)


def _first(q: Asked, k: int) -> np.ndarray:
    """Sentence rows of the first k retrieved passages."""
    return q.features.owner < k


def passage_target(q: Asked, target: str = TARGET) -> np.ndarray:
    """The passages the passage model learns to put first. "article": every passage of the gold
    article, as first shipped; "answer": those of them that hold a gold answer, or all of them when
    none does. The answer is quoted from the first passage, and a uniform target over all of an
    article's passages also rewards the ones that merely share its article, such as a news story's
    other half (docs/quality.md)."""
    if target == "article":
        return q.gold
    holds = np.zeros(len(q.gold))
    holds[q.features.owner[q.right > 0]] = 1.0
    holds *= q.gold
    return holds if holds.any() else q.gold


def fit_models(
    train: list[Asked], drop: frozenset[str], target: str = TARGET
) -> tuple[sc.Linear, sc.Linear, sc.Linear]:
    """Sentence, passage and compose models on `train` (answerable questions only)."""
    s_names, p_names = _sub(sc.SENTENCE, drop), _sub(sc.PASSAGE, drop)
    s_cols = [sc.SENTENCE.index(n) for n in s_names]
    groups = []
    for q in train:
        m = _first(q, PASSAGES)
        if q.right[m].any():
            groups.append((q.features.rows[m][:, s_cols], q.right[m]))
    sentence = sc.Linear(s_names, fit_listwise(groups))
    zero_passage = sc.Linear(p_names, np.zeros(len(p_names)))
    groups = []
    for q in train:
        _, rows = _passage_rows(q, sentence, zero_passage)
        groups.append((rows, passage_target(q, target)))
    passage = sc.Linear(p_names, fit_listwise(groups))
    X, y = [], []
    for q in train:
        rows, idx, _ = compose_rows(q, sentence, passage)
        X.append(rows)
        y.append(q.right[idx])
    w, b = fit_logistic(np.concatenate(X), np.concatenate(y))
    return sentence, passage, sc.Linear(sc.COMPOSE, w, b)


def _passage_rows(q: Asked, sentence: sc.Linear, passage: sc.Linear) -> tuple[np.ndarray, np.ndarray]:
    w = sc.Weights(
        sentence,
        passage,
        sc.Linear(sc.COMPOSE, np.zeros(len(sc.COMPOSE))),
        sc.Linear(sc.ABSTAIN, np.zeros(2)),
        1.0,
        0.0,
    )
    s, _ = sc.scores(q.features, w)
    n = len(q.features.support)
    best, dense = np.full(n, -10.0), np.zeros(n)
    owner = q.features.owner
    if len(s):
        np.maximum.at(best, owner, s)
        np.maximum.at(dense, owner, q.features.rows[:, sc.SENTENCE.index("dense")])
    rows = sc.passage_rows(q.features.retrieval, best, q.features.support, dense)
    return s, rows[:, [sc.PASSAGE.index(n) for n in passage.features]]


def compose_rows(q: Asked, sentence: sc.Linear, passage: sc.Linear) -> tuple[np.ndarray, list[int], int]:
    """The compose model's rows for the sentences of the first 3 reranked passages (each sentence once),
    as Answerer.candidates makes them, which sentence rows they are, and the first reranked passage."""
    s, prows = _passage_rows(q, sentence, passage)
    ps = prows @ passage.weights
    order = list(np.argsort(-ps, kind="stable"))[:PASSAGES]
    place = {j: n for n, j in enumerate(order)}
    owner = q.features.owner
    rows, idx, seen = [], [], set()
    for i in sorted(range(len(owner)), key=lambda i: place.get(int(owner[i]), 99)):
        j = int(owner[i])
        if j not in place or q.absolute[i] in seen:
            continue
        seen.add(q.absolute[i])
        rows.append(sc.compose_row(float(s[i]), float(ps[j] - ps[order[0]]), place[j], q.kinds))
        idx.append(i)
    return np.asarray(rows).reshape(-1, len(sc.COMPOSE)), idx, int(order[0]) if order else 0


@dataclass
class Answered:
    """A question answered by fitted models: the chosen sentence rows (best first) and probabilities."""

    q: Asked
    probabilities: np.ndarray
    rows: list[int]  # sentence rows of the candidates, most probable first
    top: int  # the first reranked passage

    def chosen(self, ratio: float) -> list[int]:
        out = self.rows[:1]
        if len(self.rows) > 1 and self.probabilities[1] >= ratio * self.probabilities[0]:
            out.append(self.rows[1])
        return out

    def text(self, ratio: float) -> str:
        chosen = self.chosen(ratio)
        if len({self.q.absolute[i][0] for i in chosen}) == 1:
            chosen = sorted(chosen, key=lambda i: self.q.absolute[i][1])
        return " ".join(f"{self.q.texts[i]} [{n}]" for n, i in enumerate(chosen, 1))


def answered(q: Asked, models: tuple[sc.Linear, sc.Linear, sc.Linear]) -> Answered | None:
    sentence, passage, compose = models
    rows, idx, top = compose_rows(q, sentence, passage)
    if not len(idx):
        return None
    p = sc.sigmoid(rows @ compose.weights + compose.bias)
    order = np.argsort(-p, kind="stable")
    return Answered(q, p[order], [idx[i] for i in order], top)


def out_of_fold(questions: list[Asked], negatives: list[Asked], drop: frozenset[str], target: str = TARGET):
    """Every question answered by models fitted on the other folds."""
    done, neg = {}, {}
    for f in range(FOLDS):
        models = fit_models([q for q in questions if q.fold != f], drop, target)
        for n, q in enumerate(questions):
            if q.fold == f:
                done[n] = answered(q, models)
        for n, q in enumerate(negatives):
            if q.fold == f:
                neg[n] = answered(q, models)
    return [done[n] for n in range(len(questions))], [neg[n] for n in range(len(negatives))]


def choose_ratio(done: list[Answered | None]) -> float:
    """The lowest ratio whose answers are on average no longer than the earlier pipeline's (both sets
    as typed; each set weighs the same)."""

    def mean_length(ratio: float | None, set_name: str) -> float:
        lengths = [
            len(a.text(ratio)) if ratio is not None else a.q.hand_length
            for a in done
            if a and a.q.set == set_name and a.q.typed == "as typed" and a.q.hand_length is not None
        ]
        return float(np.mean(lengths))

    sets = sorted({a.q.set for a in done if a})
    budget = np.mean([mean_length(None, s) for s in sets])
    for ratio in RATIOS:
        if np.mean([mean_length(ratio, s) for s in sets]) <= budget:
            return ratio
    return RATIOS[-1]


def abstain_row(a: Answered | None) -> np.ndarray:
    """The abstention model's features (scorer.ABSTAIN) of an answered question."""
    if a is None:
        return np.array([0.0, sc.logit(0.0)])
    return np.array([a.q.features.support[a.top], sc.logit(float(a.probabilities[0]))])


def gates(a: Answered | None) -> bool:
    """The two abstentions that are rules, as Answerer.compose applies them."""
    if a is None:
        return True
    q = a.q
    terms = set(q.terms)
    if "number" in q.kinds and not any(
        ev.new_number(rag.tokens(t), terms)
        for t, j in zip(q.texts, q.features.owner, strict=True)
        if j == a.top
    ):
        return True
    if ev.asks_for_office_holder(q.terms, q.kinds):
        return not ev.new_names(q.texts[a.rows[0]], terms)
    return False


def fit_abstention(
    done: list[Answered | None], negatives: list[Answered | None]
) -> tuple[sc.Linear, float, float]:
    """Answerable (the tuning questions) against unanswerable (asked of other stores); each kind of
    question weighs the same. The thresholds, one for questions read with diacritics and one for those
    read without: the highest with at most WRONG_ABSTENTION % of each set's tuning questions read that
    way abstaining wrongly in any fold."""
    groups: dict[tuple, list[np.ndarray]] = {}
    for a, label in [(a, 1.0) for a in done] + [(a, 0.0) for a in negatives]:
        if a is None:
            continue
        groups.setdefault((label, a.q.set, a.q.typed), []).append(abstain_row(a))
    X = np.concatenate([np.stack(v) for v in groups.values()])
    y = np.concatenate([np.full(len(v), k[0]) for k, v in groups.items()])
    sample = np.concatenate([np.full(len(v), 1.0 / len(v)) for v in groups.values()])
    w, b = fit_logistic(X, y, sample)
    model = sc.Linear(sc.ABSTAIN, w, b)
    thresholds = [
        _threshold(model, [a for a in done if a is not None and a.q.folded == folded], negatives)
        for folded in (False, True)
    ]
    return model, thresholds[0], thresholds[1]


def _threshold(model: sc.Linear, answerable: list[Answered], negatives: list[Answered | None]) -> float:
    """The highest threshold that keeps every fold of each set within WRONG_ABSTENTION %."""
    scores = [float(model.apply(abstain_row(a)[None, :], sc.ABSTAIN)[0]) for a in answerable]
    negative = [a for a in negatives if a is not None]
    neg_scores = [float(model.apply(abstain_row(a)[None, :], sc.ABSTAIN)[0]) for a in negative]
    best, curve = None, []
    for t in np.arange(-6.0, 3.0, 0.05):
        ok, row = True, {"threshold": round(float(t), 2)}
        for set_name in sorted({a.q.set for a in answerable}):
            mine = [i for i, a in enumerate(answerable) if a.q.set == set_name]
            wrong = sum(scores[i] < t or gates(answerable[i]) for i in mine) / len(mine) * 100
            for f in range(FOLDS):  # on held-out articles: every fold must keep to the target
                fold = [i for i in mine if answerable[i].q.fold == f]
                ok &= (
                    sum(scores[i] < t or gates(answerable[i]) for i in fold) / len(fold) * 100
                    <= WRONG_ABSTENTION
                )
            row[f"{set_name} wrongly"] = round(wrong, 1)
            theirs = [(s, a) for s, a in zip(neg_scores, negative, strict=True) if a.q.set == set_name]
            row[f"{set_name} asked elsewhere"] = round(
                100 * sum(s < t or gates(a) for s, a in theirs) / len(theirs), 1
            )
        curve.append(row)
        if ok:
            best = float(t)
    if VERBOSE:
        for row in curve[::10]:
            print("   ", row)
    return round(best if best is not None else -6.0, 2)


def short_rows(a: Answered) -> tuple[list[sh.Phrase], np.ndarray, str]:
    text = a.q.texts[a.rows[0]]
    wanted = a.q.kinds & frozenset(ev.SHORT_KINDS)
    terms = set(a.q.terms)
    cands = sh.candidates(text, wanted, terms)
    return cands, sh.rows(text, cands, terms, a.q.unit, float(a.probabilities[0])), text


def fit_short(done: list[Answered | None]) -> tuple[sc.Linear, float]:
    """Candidates of the best sentence against the gold answers; out of fold for the threshold."""
    typed = [a for a in done if a is not None and a.q.typed == "as typed" and a.q.kinds & set(ev.SHORT_KINDS)]
    data = []
    for a in typed:
        cands, rows, text = short_rows(a)
        labels = np.array([max(rag.squad_f1(text[c.start : c.end], g) for g in a.q.answers) for c in cands])
        data.append((a, cands, rows, labels, text))
    given: dict[int, tuple[float, float]] = {}  # question -> (probability, f1 of the best candidate)
    for f in range(FOLDS):
        train = [d for d in data if d[0].q.fold != f and len(d[1])]
        w, b = fit_logistic(
            np.concatenate([d[2] for d in train]), np.concatenate([d[3] for d in train]) >= 0.5
        )
        for n, d in enumerate(data):
            if d[0].q.fold == f and len(d[1]):
                p = sc.sigmoid(d[2] @ w + b)
                i = int(np.argmax(p))
                given[n] = (float(p[i]), float(d[3][i]))
    w, b = fit_logistic(
        np.concatenate([d[2] for d in data if len(d[1])]),
        np.concatenate([d[3] for d in data if len(d[1])]) >= 0.5,
    )
    threshold = 1.0
    for t in np.arange(0.95, 0.0, -0.05):
        ok = True
        for set_name in {d[0].q.set for d in data}:
            f1s = [
                given[n][1]
                for n, d in enumerate(data)
                if n in given and d[0].q.set == set_name and given[n][0] >= t
            ]
            ok &= bool(f1s) and float(np.mean(f1s)) >= SHORT_F1
        if not ok:
            break
        threshold = round(float(t), 2)
    return sc.Linear(sh.FEATURES, w, b), threshold


def train(
    questions: list[Asked],
    negatives: list[Asked],
    drop: frozenset[str] = frozenset(),
    depth: int = DEPTH,
    per_reading: bool = True,
    target: str = TARGET,
) -> tuple[sc.Weights, dict]:
    """One variant of the scorer: `drop` names features it does without, `depth` how many passages
    it reranks; without `per_reading` one abstention threshold serves both readings (the one for
    questions with diacritics, as first shipped); `target` which passages its passage model learns to
    put first (`passage_target`)."""
    if depth < DEPTH:
        questions = [shallower(q, depth) for q in questions]
        negatives = [shallower(q, depth) for q in negatives]
    done, neg = out_of_fold(questions, negatives, drop, target)
    ratio = choose_ratio(done)
    abstain, below, below_folded = fit_abstention(done, neg)
    short, short_threshold = fit_short(done)
    sentence, passage, compose = fit_models(questions, drop, target)
    weights = sc.Weights(
        sentence,
        passage,
        compose,
        abstain,
        ratio,
        below,
        short,
        short_threshold,
        below_folded if per_reading else None,
    )
    chosen = {"second": ratio, "abstain_below": below, "short_threshold": short_threshold}
    if per_reading:
        chosen["abstain_below_folded"] = below_folded
    return weights, chosen


# --- the run -------------------------------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seeds_store(settings: rag.Settings, embedder) -> rag.Store:
    """The seed articles in a store of their own under the cache folder (the questions' negatives)."""
    articles, _ = rag.read_articles(settings.seeds, settings.root)
    key = hashlib.sha256("".join(a.content_hash for a in articles).encode()).hexdigest()[:16]
    folder = settings.cache_dir / "eval-stores" / f"seeds-{key}-{settings.backend}-{store_kind(settings)}"
    rag.build_store(articles, folder, embedder, settings.chunking)
    return rag.Store.load(folder)


def collect_all(
    files: dict[str, Path],
    log=print,
    settings: rag.Settings | None = None,
    retrieval: rag.RetrievalSettings | None = None,
) -> tuple[list[Asked], list[Asked]]:
    """The tuning questions of both sets, as typed and without diacritics, each asked of its own
    paragraphs (answerable) and of the seed articles and the other set's paragraphs (unanswerable),
    with the stores `settings` make and the first stage `retrieval` sets (the shipped ones by default)."""
    settings = settings or rag.Settings()
    embedder = rag.load_embedder(settings)
    pipelines, tune = {}, {}
    for name, path in files.items():
        articles, items = rag.read_squad(path)
        store, _ = rag.squad_store(path, articles, settings, embedder)
        pipelines[name] = rag.Pipeline(
            settings.with_(store_dir=store.folder.parent), store, embedder, retrieval, follow=False
        )
        tune[name] = [it for it in items if rag.split_of(it.group) == "tune"]
    seeds = seeds_store(settings, embedder)
    pipelines["seeds"] = rag.Pipeline(
        settings.with_(store_dir=seeds.folder.parent), seeds, embedder, retrieval, follow=False
    )
    questions, negatives = [], []
    for name in files:
        own = pipelines[name]
        # the length budget is the earlier pipeline's answers as issue 9 measured them, before a
        # second sentence was kept to the first one's story (one_story): the shipped weights were
        # fitted against that budget (docs/quality.md)
        hand = Answerer(own.current().store.lexical, AnswerSettings(scorer="hand", one_story=False))
        for typed in ("as typed", "no diacritics"):
            questions += collect(own, hand, tune[name], name, typed, True)
            negatives += collect(pipelines["seeds"], hand, tune[name], name, typed, False)
            log(f"{name}, {typed}: {len(tune[name])} questions")
        other = next(n for n in files if n != name)
        negatives += collect(pipelines[other], hand, tune[name], name, "as typed", False)
    return questions, negatives


class _Unpickler(pickle.Unpickler):
    """Reads what was collected whether this file ran as a script (`__main__`) or was imported."""

    def find_class(self, module: str, name: str):
        if module in ("__main__", "train_scorer"):
            return getattr(sys.modules[__name__], name)
        return super().find_class(module, name)


def load_collected(path: Path) -> tuple[int | None, tuple[list, list]]:
    """(the depth it was collected at, (questions, negatives)); None for files that did not say."""
    with path.open("rb") as f:
        kept = _Unpickler(f).load()
    return kept if isinstance(kept[0], int) else (None, kept)


def collected_for(
    files: dict[str, Path],
    kind: str,
    prefix: Path | None,
    log=print,
    retrieval: tuple[str, rag.RetrievalSettings] | None = None,
) -> tuple[list[Asked], list[Asked]]:
    """`collect_all` over stores of `kind` of sentence vectors, kept in (and read back from)
    PREFIX-<kind>.pkl when a prefix is given: collecting takes minutes, fitting seconds. `retrieval`,
    a first stage other than the shipped one and its name, is kept in PREFIX-<kind>-<name>.pkl."""
    name, first_stage = retrieval or ("", None)
    tag = f"{kind}-{name}" if name else kind
    kept = prefix.with_name(f"{prefix.name}-{tag}.pkl") if prefix else None
    if kept and kept.is_file():
        depth, (questions, negatives) = load_collected(kept)
        if depth is not None and depth >= DEPTH:
            # the first DEPTH passages of a deeper search are what a search for DEPTH returns (the
            # fusion's candidates do not depend on k), so a deeper collection is cut, not retaken
            return [shallower(q, DEPTH) for q in questions], [shallower(q, DEPTH) for q in negatives]
        log(f"{kept} was collected at depth {depth or 'unknown'}, under {DEPTH}: collecting again")
    settings = rag.Settings().with_(sentence_vectors=kind)
    out = collect_all(files, log=lambda m: log(f"{tag}: {m}"), settings=settings, retrieval=first_stage)
    if kept:
        kept.write_bytes(pickle.dumps((DEPTH, out)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = ROOT.parent / "shared" / "data"
    ap.add_argument("--xquad", type=Path, default=shared / "xquad-vi" / "xquad.vi.json")
    ap.add_argument("--vinewsqa", type=Path, default=shared / "vinewsqa-dev" / "dev_ViNewsQA.json")
    ap.add_argument("--out", type=Path, default=sc.DATA)
    ap.add_argument(
        "--check", action="store_true", help="fit again and compare with --out instead of writing"
    )
    ap.add_argument(
        "--collected", type=Path, help="keep what was collected in PREFIX-<kind>.pkl, and reuse it"
    )
    ap.add_argument("--verbose", action="store_true", help="print the abstention curve")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    files = {"xquad": args.xquad, "vinewsqa": args.vinewsqa}
    collected = {kind: collected_for(files, kind, args.collected) for kind in ("encoded", "pooled")}
    questions = collected["encoded"][0]
    variants, tuning = {}, {}
    # the lexical variant reads no vectors, so either collection fits it
    fits = (
        ("vectors", "encoded", frozenset()),
        ("pooled", "pooled", frozenset()),
        ("lexical", "encoded", sc.DENSE_FEATURES),
    )
    for variant, kind, drop in fits:
        weights, chosen = train(*collected[kind], drop)
        variants[variant], tuning[variant] = weights.to_dict(), chosen
        print(f"{variant}: {chosen}")
    data = {
        "about": "eval/train_scorer.py: the learned scorer of rag/query/scorer.py, fitted on the tuning parts",  # noqa: E501
        "trained_on": {
            name: {
                "file": path.name,
                "sha256": digest(path),
                "tuning_questions": sum(q.set == name and q.typed == "as typed" for q in questions),
            }
            for name, path in files.items()
        },
        # the int8 model's vectors, and so every feature, differ in their last bits between CPUs with
        # and without VNNI (rag.models.onnx_export.int8_instructions): a refit is bit-for-bit only on
        # a CPU like the one that fitted the file
        "int8_instructions": int8_instructions(),
        "variants": variants,
    }
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if args.check:
        old = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
        here, there = data.pop("int8_instructions"), old.pop("int8_instructions", "unknown")
        same = old == data
        print("the shipped weights are what this data and code fit" if same else f"{args.out} differs")
        if not same and args.out.is_file() and here != there:
            print(f"(fitted on a CPU with {there}, this one has {here}: expect small differences)")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
