"""Reranking: lift passages holding a sentence that answers the question (XQuAD-vi R@1 +0.2,
docs/quality.md). Retrieval scores whole passages; a question is usually answered by one sentence.
"""

from __future__ import annotations

from collections.abc import Callable

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
