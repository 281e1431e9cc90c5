"""Reranking: passages put in a new order by what the answerer found in them (docs/quality.md).
Retrieval scores whole passages; a question is usually answered by one sentence of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..schema import Hit


def rerank(hits: list[Hit], sentence_score: Callable[[Hit], float], weight: float) -> list[Hit]:
    """New hits, best first: each one's score lifted by `weight` x its best sentence's score (kept
    as its "answer" evidence), ranks numbered again. The hits given are not changed."""
    answers = [sentence_score(hit) for hit in hits]
    scores = [hit.score + weight * answer for hit, answer in zip(hits, answers, strict=True)]
    order = sorted(range(len(hits)), key=lambda i: -scores[i])  # stable: ties keep retrieval order
    return [
        Hit(hits[i].chunk, hits[i].article, scores[i], rank, {**hits[i].scores, "answer": answers[i]})
        for rank, i in enumerate(order, 1)
    ]


def reranked(hits: list[Hit], scores: Sequence[float], best: dict[int, float]) -> list[Hit]:
    """The learned scorer's order: the first len(scores) hits by `scores` (kept as their "rerank"
    evidence, their best sentence's score as "answer"), the others after them as they were; ranks
    numbered again. The hits given are not changed."""
    head = len(scores)
    order = sorted(range(head), key=lambda i: -float(scores[i]))  # stable: ties keep retrieval order
    out = [
        Hit(
            hits[i].chunk,
            hits[i].article,
            hits[i].score,
            rank,
            {**hits[i].scores, "rerank": round(float(scores[i]), 4), "answer": round(best.get(i, 0.0), 4)},
        )
        for rank, i in enumerate(order, 1)
    ]
    return out + [
        Hit(h.chunk, h.article, h.score, rank, h.scores) for rank, h in enumerate(hits[head:], head + 1)
    ]
