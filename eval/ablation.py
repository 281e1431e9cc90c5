"""The quality steps of docs/quality.md, measured one change at a time in one run, on both question sets.

usage: python eval/ablation.py [--xquad FILE] [--vinewsqa FILE] [--no-timing] [--collected PREFIX]

Each row adds one change to the row above it, from the plain baseline (reciprocal-rank fusion of
dense search and BM25 on syllables, answer = the one sentence sharing most question syllables) through
the earlier pipeline (weights set by hand on XQuAD-vi) to the shipped learned scorer. Every row runs
both sets' questions through the same Pipeline as `rag ask` and reports their tuning and reporting
parts (split by article, `rag.split_of`); the learned rows fit their scorer on the tuning parts only
(eval/train_scorer.py), with the features the row names. The last row as typed is asserted to be the
shipped settings, its scorer the shipped weights.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

import numpy as np  # noqa: E402
import train_scorer  # noqa: E402

from rag import (  # noqa: E402
    LEXICAL_SETTINGS,
    AnswerSettings,
    LexicalIndex,
    Pipeline,
    RetrievalSettings,
    Settings,
    fold,
    load_embedder,
    read_squad,
    score_one,
    split_of,
    squad_store,
    summarise,
    tokens,
)
from rag.query import scorer as sc  # noqa: E402
from rag.query.retrieve import PASSAGE_VECTOR_WEIGHTS  # noqa: E402

HAND = AnswerSettings(scorer="hand", rerank_depth=train_scorer.HAND_DEPTH)
BASE_ANSWER = replace(
    HAND,
    max_sentences=1,
    type_weight=0.0,
    rank_penalty=0.0,
    word_weight=0.0,
    title_share=0.0,
    rerank_weight=0.0,
    min_support=0.0,
    number_gate=False,
)
# the rows before diacritics were restored in context restore from the corpus model alone
ALONE = {"restore_context": 0}
# first stages other than the shipped one whose questions are collected apart (train_scorer.collected_for)
FIRST_STAGES = {
    "passage": RetrievalSettings(weights=PASSAGE_VECTOR_WEIGHTS, **ALONE),
    "closest": RetrievalSettings(**ALONE),
}
SETS = ("xquad", "vinewsqa")
COLUMNS = ("recall@1", "recall@5", "answer_hit", "token_recall", "answer_chars", "abstention_rate")


@dataclass
class Step:
    label: str
    retrieval: RetrievalSettings
    answer: AnswerSettings
    lexical: dict = field(default_factory=dict)  # LexicalIndex.from_tokens parameters
    strip: bool = False
    drop: frozenset[str] | None = None  # a learned row: the features its scorer does without
    depth: int = train_scorer.DEPTH  # a learned row: passages its scorer reranks
    per_reading: bool = True  # a learned row: abstention thresholds apart with and without diacritics
    sentence_vectors: str = "pooled"  # how the store's sentence vectors are made (RAG_SENTENCE_VECTORS)
    target: str = "article"  # a learned row: which passages it learns to put first (passage_target)
    first_stage: str = "passage"  # a learned row: the FIRST_STAGES its questions were collected with, or ""

    @property
    def collection(self) -> tuple[str, str]:
        return (self.sentence_vectors, self.first_stage)

    @property
    def fit(self) -> tuple:
        """The collection, then `train_scorer.train`'s arguments."""
        return (*self.collection, self.drop, self.depth, self.per_reading, self.target)


def steps() -> list[Step]:
    out = []
    rrf = {**PASSAGE_VECTOR_WEIGHTS, "accented": {"dense": 1.0, "bm25": 1.0}}
    r = RetrievalSettings(fusion="rrf", weights=rrf, **ALONE)
    a = BASE_ANSWER
    lex = {"k1": 1.2, "pairs": False}
    out.append(Step("baseline: RRF(dense, BM25 syllables); sentence with most question syllables", r, a, lex))
    lex = {"k1": 1.2, "pairs": True}
    out.append(Step("+ syllable pairs in BM25", r, a, lex))
    r = replace(r, fusion="z", weights=PASSAGE_VECTOR_WEIGHTS)
    out.append(Step("+ z-score fusion instead of RRF", r, a, lex))
    lex = {"k1": 0.9, "pairs": True}
    out.append(Step("+ BM25 k1 = 0.9", r, a, lex))
    a = replace(a, type_weight=0.4, rank_penalty=0.2)
    out.append(Step("+ answer-type evidence, passage-rank penalty", r, a, lex))
    a = replace(a, word_weight=0.6)
    out.append(Step("+ whole-word coverage (pyvi lexicon)", r, a, lex))
    a = replace(a, title_share=0.5)
    out.append(Step("+ title stands in for what a sentence leaves implicit", r, a, lex))
    a = replace(a, rerank_weight=1.5)
    out.append(Step("+ passages reranked by their best sentence", r, a, lex))
    a = replace(a, max_sentences=2)
    out.append(Step("+ second sentence when it scores >= 0.6 of the first", r, a, lex))
    a = replace(a, min_support=HAND.min_support, number_gate=True)
    assert a == HAND
    out.append(
        Step(
            "+ abstention below 0.35 word support, or no number for bao nhiêu = the hand-set pipeline",
            r,
            a,
            lex,
        )
    )
    earlier = (r, a, lex)
    ten = {"depth": train_scorer.HAND_DEPTH, "per_reading": False}
    rule = AnswerSettings(abstention="support", office_gate=False, rerank_depth=ten["depth"])
    out.append(
        Step(
            "learned scorer instead of the hand weights: coverage, words, title, what the question "
            "asks for and what the sentence adds (trained on the tuning parts)",
            r,
            rule,
            lex,
            drop=sc.DENSE_FEATURES | set(sc.NEIGHBOURS),
            **ten,
        )
    )
    out.append(
        Step(
            "+ the neighbouring sentences (the question restated just before)",
            r,
            rule,
            lex,
            drop=sc.DENSE_FEATURES,
            **ten,
        )
    )
    out.append(
        Step("+ sentence vectors from the passages' token embeddings", r, rule, lex, drop=frozenset(), **ten)
    )
    a = AnswerSettings(rerank_depth=ten["depth"])
    out.append(
        Step("+ learned abstention, and 'Ai là Chủ tịch …?' wants a name", r, a, lex, drop=frozenset(), **ten)
    )
    a = AnswerSettings()
    out.append(
        Step(
            f"+ {a.rerank_depth} passages reranked instead of {ten['depth']}",
            r,
            a,
            lex,
            drop=frozenset(),
            per_reading=False,
        )
    )
    apart = "+ abstention threshold chosen apart for questions without diacritics"
    out.append(Step(apart, r, a, lex, drop=frozenset()))
    encoded = {"drop": frozenset(), "sentence_vectors": "encoded"}
    out.append(Step("+ sentence vectors from each sentence embedded alone", r, a, lex, **encoded))
    answer_first = {**encoded, "target": train_scorer.TARGET}
    out.append(Step("+ passages learned to put first the one holding the answer", r, a, lex, **answer_first))
    passage_r = r
    r = closest_r = RetrievalSettings(**ALONE)
    closest = {**answer_first, "first_stage": "closest"}
    out.append(Step("+ dense candidates scored by their closest sentence", r, a, lex, **closest))
    r = RetrievalSettings()
    in_context = {**closest, "first_stage": ""}
    label = "+ diacritics restored with the passage folded BM25 ranks first = shipped"
    out.append(Step(label, r, a, lex, **in_context))
    final_r, final_a = RetrievalSettings(), AnswerSettings()
    shipped_lexical = {"k1": LEXICAL_SETTINGS["k1"], "pairs": LEXICAL_SETTINGS["terms"] == "syllables+pairs"}
    assert (r, a, lex) == (final_r, final_a, shipped_lexical), "the last step must be the shipped settings"
    assert out[-1].sentence_vectors == Settings().sentence_vectors, "the last step must be the shipped store"
    hand_r, hand_a, _ = earlier
    out.append(Step("no diacritics, hand-set pipeline", hand_r, hand_a, lex, strip=True))
    out.append(
        Step(
            "no diacritics, learned, before the three steps above",
            passage_r,
            AnswerSettings(rerank_depth=ten["depth"]),
            lex,
            strip=True,
            drop=frozenset(),
            **ten,
        )
    )
    before = "no diacritics, before the step above"
    out.append(Step(before, passage_r, final_a, lex, strip=True, drop=frozenset()))
    nd = {"strip": True}
    out.append(Step("no diacritics, before the passage target", passage_r, final_a, lex, **nd, **encoded))
    before = "no diacritics, before the closest sentence"
    out.append(Step(before, passage_r, final_a, lex, **nd, **answer_first))
    before = "no diacritics, before restoring in context"
    out.append(Step(before, closest_r, final_a, lex, **nd, **closest))
    out.append(Step("no diacritics, shipped", final_r, final_a, lex, **nd, **in_context))
    return out


class QueryCache:
    """The embedder with query vectors remembered: every step asks the same questions."""

    def __init__(self, inner):
        self.inner, self.model, self.backend, self.dim = inner, inner.model, inner.backend, inner.dim
        self.vectors: dict[str, np.ndarray] = {}

    def encode_queries(self, texts):
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.inner.encode_queries(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts])


def timing(store, embedder, tokenised, items, settings: Settings) -> tuple[float, float]:
    """Median seconds per question of the baseline and of the shipped settings, uncached, interleaved
    question by question so that both see the same machine."""
    first = steps()[0]
    base_store = replace(store, lexical=LexicalIndex.from_tokens(tokenised, **first.lexical))
    s = settings.with_(store_dir=store.folder.parent)
    base = Pipeline(s, base_store, embedder, first.retrieval, first.answer, follow=False)
    shipped = Pipeline(s, store, embedder, follow=False)
    times: tuple[list[float], list[float]] = ([], [])
    for it in items:
        for pipeline, sink in ((base, times[0]), (shipped, times[1])):
            sink.append(pipeline.ask(it.question).seconds)
    return statistics.median(times[0]), statistics.median(times[1])


def _cells(s: dict) -> list[str]:
    return ["-" if s[c] is None else str(s[c]) for c in COLUMNS]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = ROOT.parent / "shared" / "data"
    ap.add_argument("--xquad", type=Path, default=shared / "xquad-vi" / "xquad.vi.json")
    ap.add_argument("--vinewsqa", type=Path, default=shared / "vinewsqa-dev" / "dev_ViNewsQA.json")
    ap.add_argument("--no-timing", action="store_true", help="skip the uncached before/after timing")
    ap.add_argument(
        "--collected", type=Path, help="train_scorer's collected questions, kept in PREFIX-<kind>.pkl"
    )
    args = ap.parse_args()
    files = {"xquad": args.xquad, "vinewsqa": args.vinewsqa}
    settings = Settings()
    shipped_fit = (settings.sentence_vectors, "", frozenset(), train_scorer.DEPTH, True, train_scorer.TARGET)
    kinds = sorted({step.sentence_vectors for step in steps()})
    collections = sorted({step.collection for step in steps() if step.drop is not None} | {("pooled", "")})
    loaded, collected, cached = {}, {}, {}
    for kind in kinds:
        # the stores differ only in their sentence vectors, the questions' vectors do not
        kind_settings = settings.with_(sentence_vectors=kind)
        embedder = load_embedder(kind_settings)
        cached.setdefault("query", QueryCache(embedder))
        for name, path in files.items():
            articles, items = read_squad(path)
            store, _ = squad_store(path, articles, kind_settings, embedder)
            loaded[kind, name] = (store, items, [tokens(t) for t in store.index_texts()])
    for kind, first_stage in collections:
        retrieval = (first_stage, FIRST_STAGES[first_stage]) if first_stage else None
        collected[kind, first_stage] = train_scorer.collected_for(
            files, kind, args.collected, log=lambda m: print(m, file=sys.stderr), retrieval=retrieval
        )
    trained: dict[tuple, sc.Weights] = {}
    rows: dict[str, list[str]] = {"tune": [], "report": []}
    shorts = []
    for step in steps():
        answer = step.answer
        if step.drop is not None:
            if step.fit not in trained:
                trained[step.fit] = train_scorer.train(*collected[step.collection], *step.fit[2:])[0]
            answer = replace(answer, weights=trained[step.fit])
        cells = {"tune": [], "report": []}
        for name in SETS:
            store, items, tokenised = loaded[step.sentence_vectors, name]
            step_store = replace(store, lexical=LexicalIndex.from_tokens(tokenised, **step.lexical))
            s = settings.with_(store_dir=store.folder.parent)
            pipeline = Pipeline(s, step_store, cached["query"], step.retrieval, answer, follow=False)
            outcomes = {"tune": [], "report": []}
            for it in items:
                asked = fold(it.question) if step.strip else it.question
                outcomes[split_of(it.group)].append(score_one(it, asked, pipeline.ask(asked, top_k=10), "id"))
            for part in cells:
                summary = summarise(outcomes[part])
                cells[part] += _cells(summary)
                if step.fit == shipped_fit and step.answer == AnswerSettings():
                    shorts.append((name, part, "no diacritics" if step.strip else "as typed", summary))
        for part in cells:
            rows[part].append(f"| {step.label} | " + " | ".join(cells[part]) + " |")
        print(f"done: {step.label}", file=sys.stderr, flush=True)
    pooled_fit = ("pooled", *shipped_fit[1:])
    for fit in (shipped_fit, pooled_fit):
        if fit not in trained:  # the pooled variant is shipped too, though no row serves it
            trained[fit] = train_scorer.train(*collected[fit[:2]], *fit[2:])[0]
        assert trained[fit].to_dict() == sc.shipped(sc.variant_for(fit[0])).to_dict(), (
            "the shipped weights (rag/query/data/scorer.json) are not what eval/train_scorer.py fits: run it"
            " (or, if its int8_instructions are not this CPU's, run on a CPU like the one that fitted it)"
        )
    head = " | ".join(
        f"{s} {c}"
        for s in ("XQuAD-vi", "ViNewsQA")
        for c in ("R@1", "R@5", "hit", "tokens", "chars", "abstained")
    )
    for part in ("report", "tune"):
        n = {
            name: sum(split_of(it.group) == part for it in loaded[settings.sentence_vectors, name][1])
            for name in SETS
        }
        label = {"report": "reporting", "tune": "tuning"}[part]
        print(
            f"\n{label} parts: XQuAD-vi {n['xquad']} questions, ViNewsQA {n['vinewsqa']}; "
            f"{cached['query'].model} ({cached['query'].backend})\n"
        )
        print(f"| step | {head} |")
        print("|---" * 13 + "|")
        print("\n".join(rows[part]))
    print("\nshort answers (shipped): | set | part | asked | given | EM | F1 |")
    for name, part, typed, s in shorts:
        print(f"| {name} | {part} | {typed} | {s['short_answers']} | {s['short_em']} | {s['short_f1']} |")
    if not args.no_timing:
        for name in SETS:
            store, items, tokenised = loaded[settings.sentence_vectors, name]
            base, shipped = timing(store, cached["query"].inner, tokenised, items[:600], settings)
            print(
                f"\n{name}: median seconds per question, uncached, interleaved: baseline {base:.4f}, "
                f"shipped {shipped:.4f} ({shipped / base:.2f}x)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
