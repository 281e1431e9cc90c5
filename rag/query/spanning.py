"""Questions that ask one fact of each of several articles: one quoted sentence per article.

"So sánh số mô hình Dân vận khéo của các tỉnh", "Mỗi tỉnh đã tổ chức bao nhiêu cuộc đối thoại?",
"Những tỉnh nào ...?", or a question naming two places or more, asks the same thing of every article
that answers it. Such a question is recognised from its words (closed classes of Vietnamese: "các/
mỗi/từng/những + tỉnh ...", "so sánh", a list of places). Its answer quotes the best sentence of each
article that answers it, scored by the answerer itself (so a sentence qualifies on the same evidence
as in any answer, after the same steps: an article about another province than one named is out),
grouped under the article's place or title, best first, up to a limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..schema import Hit, Reply
from ..text.normalise import fold
from .extract import ABSTAIN_MESSAGE, Answerer, Asked, Candidate
from .grounding import about, named

_SPANS = re.compile(
    r"\b(cac|moi|tung|nhung)\s+(tinh|huyen|thanh pho|dia phuong|noi|xa|quan|nuoc|quoc gia|vung|thi xa)\b"
    r"|\bso sanh\b|\b(hai|ba) (tinh|noi|dia phuong|thanh pho)\b"
    r"|\b(tinh|noi|dia phuong|thanh pho) nao\b.*\b(nhat|hon)\b"
)
_NUMBER = re.compile(r"\d|\b(một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|trăm|nghìn|ngàn|triệu|tỷ)\b", re.I)


@dataclass(frozen=True)
class SpanSettings:
    articles: int = 5  # articles quoted at most
    ratio: float = 0.5  # an article's best sentence must score this share of the best one
    depth: int = 20  # passages retrieved for such a question, so that several articles are in


def spans(question: str, restored: str | None = None) -> bool:
    """Does the question ask the same thing of several articles? (`restored`: as `grounding.named`.)"""
    return bool(_SPANS.search(fold(question.lower()))) or len(named(question, restored).places) >= 2


def heading(c: Candidate) -> str:
    """What an article's group is headed with: its place, else its title."""
    main = about(c.hit.article).main
    return main.name if main is not None else c.hit.article.title


def _holds(asked: Asked, c: Candidate) -> bool:
    """A sentence quoted for a "bao nhiêu" question over several articles holds a number."""
    return asked.qtype != "number" or bool(_NUMBER.search(c.hit.chunk.text[c.start : c.end]))


class Spanner:
    """Composes the answer of a question over several articles from the answerer's own candidates."""

    def __init__(self, answerer: Answerer, settings: SpanSettings | None = None):
        self.answerer = answerer
        self.settings = settings or SpanSettings()

    def compose(self, asked: Asked, hits: list[Hit]) -> Reply:
        s, a = self.settings, self.answerer
        ranked, lead = a.ranked(asked, hits)
        if a.abstains(asked, ranked, lead):
            return Reply(ABSTAIN_MESSAGE, True, [], hits)
        # each sentence on its own (`own`): the learned scorer's probability otherwise falls with its
        # passage's rank, and every article here answers for itself
        top = max(c.own for c in ranked)
        fit = [c for c in ranked if c.own >= s.ratio * top and c.whole > 0 and _holds(asked, c)]
        # of an article's sentences that qualify, the one holding most of the question's words whole:
        # it states the thing asked, where a nearly as probable one may only be near it
        best: dict[str, Candidate] = {}
        for c in sorted(fit, key=lambda c: (-c.whole, -c.own)):
            best.setdefault(c.hit.article.id, c)
        chosen = sorted(best.values(), key=lambda c: -c.own)[: s.articles] or [ranked[0]]
        for c in chosen:
            c.context = heading(c)
        citations = [a._cite(n, c) for n, c in enumerate(chosen, 1)]
        text = "\n".join(f"{c.context}: {c.quote} [{c.n}]" for c in citations)
        return Reply(text, False, citations, hits, spans=len(citations) > 1)
