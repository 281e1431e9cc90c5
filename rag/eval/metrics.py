"""What an answer is worth against a question's gold passage and answers, and the figures of a run.

The one definition of each figure the evaluation, the benchmarks and the tests report: percentiles are
linearly interpolated between the two nearest observations (numpy's default, what `rag bench` always
reported); recall@k of an approximate index is the share of the exact search's top k it finds.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..schema import Answer
from ..text.normalise import nfc, tokens
from .questions import Item


@dataclass
class Outcome:
    question: str
    asked: str
    gold_source: str | None
    answers: list[str]
    rank: int | None  # 1-based rank of the gold passage in the retrieved list
    answer_hit: bool
    abstained: bool
    cited_gold: int
    citations: int
    seconds: float
    answer: str
    cited: list[str] = field(default_factory=list)
    token_recall: float = 0.0  # share of the best gold answer's syllables the answer holds
    short_answer: str | None = None
    short_em: float | None = None  # SQuAD exact match and F1 of the short answer, when one is given
    short_f1: float | None = None


def _norm(text: str) -> str:
    return " ".join(nfc(text).casefold().split())


def contains_answer(text: str, answers: list[str]) -> bool:
    hay = _norm(text)
    return any(_norm(a) in hay for a in answers if a.strip())


def token_recall(text: str, answers: list[str]) -> float:
    """The share of a gold answer's syllables that the answer holds (the best gold answer's): beside
    answer_hit, it tells a near miss from a wrong answer, and with answer_chars it shows what a longer
    answer buys."""
    held = set(tokens(text))
    best = 0.0
    for a in answers:
        gold = tokens(a)
        if gold:
            best = max(best, sum(t in held for t in gold) / len(gold))
    return best


def squad_em(prediction: str, gold: str) -> float:
    """SQuAD's exact match, over syllables (lower-cased, punctuation dropped)."""
    return float(tokens(prediction) == tokens(gold))


def squad_f1(prediction: str, gold: str) -> float:
    """SQuAD's F1: the harmonic mean of syllable precision and recall, as bags."""
    p, g = tokens(prediction), tokens(gold)
    if not p or not g:
        return float(p == g)
    same = sum((Counter(p) & Counter(g)).values())
    if not same:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def score_one(item: Item, asked: str, answer: Answer, key: str) -> Outcome:
    """`key` says which article field the gold source names: "path" (seeds) or "id" (SQuAD)."""
    ids = [getattr(h.article, key) for h in answer.hits]
    rank = ids.index(item.source) + 1 if item.source in ids else None
    cited = [c.source if key == "path" else c.article_id for c in answer.citations]
    short = answer.short_answer.text if answer.short_answer and item.answers else None
    return Outcome(
        question=item.question,
        asked=asked,
        gold_source=item.source,
        answers=item.answers,
        rank=rank,
        answer_hit=not answer.abstained and contains_answer(answer.text, item.answers),
        abstained=answer.abstained,
        cited_gold=sum(c == item.source for c in cited),
        citations=len(cited),
        seconds=answer.seconds,
        answer=answer.text,
        cited=cited,
        token_recall=0.0 if answer.abstained else token_recall(answer.text, item.answers),
        short_answer=short,
        short_em=max((squad_em(short, a) for a in item.answers), default=0.0) if short is not None else None,
        short_f1=max((squad_f1(short, a) for a in item.answers), default=0.0) if short is not None else None,
    )


def summarise(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.gold_source]
    unanswerable = [o for o in outcomes if not o.gold_source]

    def pct(num: int, den: int) -> float | None:
        return round(100.0 * num / den, 1) if den else None

    ranks = [o.rank for o in answerable]
    cites = sum(o.citations for o in answerable)
    answered = [o for o in outcomes if not o.abstained]
    shorts = [o for o in answerable if o.short_answer is not None]
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "recall@1": pct(sum(r is not None and r <= 1 for r in ranks), len(ranks)),
        "recall@5": pct(sum(r is not None and r <= 5 for r in ranks), len(ranks)),
        "recall@10": pct(sum(r is not None and r <= 10 for r in ranks), len(ranks)),
        "mrr@10": round(100.0 * sum(1.0 / r for r in ranks if r and r <= 10) / len(ranks), 1)
        if ranks
        else None,
        "answer_hit": pct(sum(o.answer_hit for o in answerable), len(answerable)),
        "token_recall": round(100.0 * sum(o.token_recall for o in answerable) / len(answerable), 1)
        if answerable
        else None,
        "answer_chars": round(statistics.mean(len(o.answer) for o in answered)) if answered else None,
        "short_answers": pct(len(shorts), len(answerable)),
        "short_em": round(100.0 * statistics.mean(o.short_em for o in shorts), 1) if shorts else None,
        "short_f1": round(100.0 * statistics.mean(o.short_f1 for o in shorts), 1) if shorts else None,
        "citation_precision": pct(sum(o.cited_gold for o in answerable), cites),
        "abstention_rate": pct(sum(o.abstained for o in outcomes), len(outcomes)),
        "answered_when_answerable": pct(sum(not o.abstained for o in answerable), len(answerable)),
        "abstained_when_unanswerable": pct(sum(o.abstained for o in unanswerable), len(unanswerable)),
        "median_seconds": round(statistics.median(o.seconds for o in outcomes), 4) if outcomes else None,
        "p95_seconds": round(percentile([o.seconds for o in outcomes], 95), 4) if outcomes else None,
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile, interpolated linearly between the nearest observations (nan for none)."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each query's true neighbours (rows of `truth`, e.g. exact search's top 10) that
    the index under test found (the same rows of `found`)."""
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))
