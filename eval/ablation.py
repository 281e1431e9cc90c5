"""The quality steps of docs/quality.md, measured one change at a time in one run.

usage: python eval/ablation.py [../shared/data/xquad-vi/xquad.vi.json] [--split all|tune|report]

Each row adds one change to the row above it, from the plain baseline (reciprocal-rank fusion of
dense search and BM25 on syllables, answer = the one sentence sharing most question syllables) to
the shipped settings. Every row runs the questions through the same Pipeline as `rag ask`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from rag import (  # noqa: E402
    LEXICAL_SETTINGS,
    AnswerSettings,
    LexicalIndex,
    Pipeline,
    RetrievalSettings,
    Settings,
    Store,
    fold,
    load_embedder,
    read_squad,
    score_one,
    split_of,
    squad_store,
    summarise,
    tokens,
)

BASE_ANSWER = AnswerSettings(
    max_sentences=1, type_weight=0.0, rank_penalty=0.0, word_weight=0.0, title_share=0.0,
    rerank_weight=0.0, min_support=0.0, number_gate=False,
)  # fmt: skip
OLD_UNACCENTED = {"accented": {"dense": 0.5, "bm25": 0.5}, "unaccented": {"bm25_folded": 1.0, "dense": 0.25}}


@dataclass
class Step:
    label: str
    retrieval: RetrievalSettings
    answer: AnswerSettings
    lexical: dict = field(default_factory=dict)  # LexicalIndex.from_tokens parameters
    strip: bool = False


def steps() -> list[Step]:
    out = []
    shipped_weights = RetrievalSettings().weights
    r = RetrievalSettings(fusion="rrf", weights={**shipped_weights, "accented": {"dense": 1.0, "bm25": 1.0}})
    a = BASE_ANSWER
    lex = {"k1": 1.2, "pairs": False}
    out.append(Step("baseline: RRF(dense, BM25 syllables); sentence with most question syllables", r, a, lex))
    lex = {"k1": 1.2, "pairs": True}
    out.append(Step("+ syllable pairs in BM25", r, a, lex))
    r = replace(r, fusion="z", weights=shipped_weights)
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
    a = replace(a, min_support=AnswerSettings().min_support, number_gate=True)
    out.append(Step("+ abstention below 0.35 word support, or no number for bao nhiêu = shipped", r, a, lex))
    final_r, final_a = RetrievalSettings(), AnswerSettings()
    shipped_lexical = {"k1": LEXICAL_SETTINGS["k1"], "pairs": LEXICAL_SETTINGS["terms"] == "syllables+pairs"}
    assert (r, a, lex) == (final_r, final_a, shipped_lexical), "the last step must be the shipped settings"
    out.append(
        Step(
            "no diacritics, folded BM25 + dense, no restoration",
            replace(final_r, restore_diacritics=False, weights=OLD_UNACCENTED),
            final_a,
            lex,
            strip=True,
        )
    )
    out.append(Step("no diacritics, restored from the corpus = shipped", final_r, final_a, lex, strip=True))
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


def timing(store_dir: Path, embedder, tokenised, items, settings: Settings) -> tuple[float, float]:
    """Median seconds per question of the baseline and of the shipped settings, uncached, interleaved
    question by question so that both see the same machine."""
    first = steps()[0]
    base_store = replace(Store.load(store_dir), lexical=LexicalIndex.from_tokens(tokenised, **first.lexical))
    s = settings.with_(store_dir=store_dir)
    base = Pipeline(s, base_store, embedder, first.retrieval, first.answer, follow=False)
    shipped = Pipeline(s, Store.load(store_dir), embedder)
    times: tuple[list[float], list[float]] = ([], [])
    for it in items:
        for pipeline, sink in ((base, times[0]), (shipped, times[1])):
            sink.append(pipeline.ask(it.question).seconds)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=ROOT.parent / "shared/data/xquad-vi/xquad.vi.json")
    ap.add_argument("--split", choices=["all", "tune", "report"], default="all")
    ap.add_argument("--no-timing", action="store_true", help="skip the uncached before/after timing")
    args = ap.parse_args()
    settings = Settings()
    articles, items = read_squad(args.file)
    if args.split != "all":
        items = [it for it in items if split_of(it.group) == args.split]
    embedder = load_embedder(settings)
    store, _ = squad_store(args.file, articles, settings, embedder)
    store_dir = store.folder.parent
    tokenised = [tokens(t) for t in store.index_texts()]
    print(f"{args.file.name}, {len(items)} questions ({args.split}), {embedder.model} ({embedder.backend})\n")
    print("| step | R@1 | R@5 | MRR@10 | answer hit | abstained |")
    print("|---|---|---|---|---|---|")
    cached = QueryCache(embedder)
    for step in steps():
        # the same generation, searched with this step's keyword index (the store itself is read-only)
        step_store = replace(store, lexical=LexicalIndex.from_tokens(tokenised, **step.lexical))
        s = settings.with_(store_dir=store_dir)
        pipeline = Pipeline(s, step_store, cached, step.retrieval, step.answer, follow=False)
        outcomes = []
        for it in items:
            asked = fold(it.question) if step.strip else it.question
            outcomes.append(score_one(it, asked, pipeline.ask(asked, top_k=10), "id"))
        s = summarise(outcomes)
        print(
            f"| {step.label} | {s['recall@1']} | {s['recall@5']} | {s['mrr@10']} | {s['answer_hit']} "
            f"| {s['abstention_rate']} |",
            flush=True,
        )
    if not args.no_timing:
        base, shipped = timing(store_dir, embedder, tokenised, items, settings)
        print(
            f"\nmedian seconds per question, uncached, interleaved: baseline {base:.4f}, "
            f"shipped {shipped:.4f} ({shipped / base:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
