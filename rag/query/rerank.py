"""Reranking: lift passages holding a sentence that answers the question (XQuAD-vi R@1 +0.2,
docs/quality.md). Retrieval scores whole passages; a question is usually answered by one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..schema import Hit


def rerank(hits: list[Hit], sentence_score: Callable[[Hit], float], weight: float) -> list[Hit]:
    """New hits, best first: each one's score lifted by `weight` x its best sentence's score (kept
    as its "answer" evidence), ranks numbered again. The hits given are not changed."""
    lifted = []
    for hit in hits:
        answer = sentence_score(hit)
        scores = {**hit.scores, "answer": answer}
        lifted.append(replace(hit, score=hit.score + weight * answer, scores=scores))
    lifted.sort(key=lambda h: -h.score)
    return [replace(hit, rank=rank) for rank, hit in enumerate(lifted, 1)]
