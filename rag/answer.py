"""Extractive answers: pick the sentences of the retrieved passages that answer the question.

Nothing is generated: every answer sentence is a verbatim slice of a passage, followed by its
citation marker. When the best evidence does not cover the question, the answer abstains and the
closest passages are shown instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .lexical import LexicalIndex
from .retrieval import Query
from .schema import Answer, Citation, Hit
from .textnorm import fold, sentence_spans, tokens

ABSTAIN_MESSAGE = "Không tìm thấy thông tin trả lời câu hỏi này trong các bài viết."

# Words that shape a question but are not its topic.
QUESTION_WORDS = {
    "ai",
    "gì",
    "nào",
    "đâu",
    "sao",
    "bao",
    "nhiêu",
    "mấy",
    "khi",
    "không",
    "chưa",
    "thế",
    "như",
    "là",
    "có",
    "được",
    "bị",
    "của",
    "và",
    "các",
    "những",
    "một",
    "cho",
    "với",
    "về",
    "trong",
    "ở",
    "tại",
    "từ",
    "đã",
    "đang",
    "sẽ",
    "thì",
    "mà",
    "này",
    "đó",
    "hãy",
    "vậy",
    "hỏi",
    "nhỉ",
    "ạ",
    "gồm",
    "hay",
    "hoặc",
    "bởi",
    "vì",
    "do",
    "theo",
    "để",
    "người",
    "năm",
    "ngày",
}
FOLDED_QUESTION_WORDS = {fold(w) for w in QUESTION_WORDS}

_NUMBER = re.compile(r"\d")
_YEAR_OR_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\d{1,2}[/.]\d{1,2}([/.]\d{2,4})?|\bngày\b|\bnăm\b|\btháng\b"
)


@dataclass(frozen=True)
class AnswerSettings:
    passages: int = 3  # how many top passages sentences are drawn from
    max_sentences: int = 2
    second_ratio: float = 0.8  # a second sentence must score this share of the first
    min_confidence: float = 0.5  # below it the answer abstains


@dataclass
class Candidate:
    hit: Hit
    start: int  # offsets in the passage
    end: int
    score: float
    coverage: float


def question_type(query: Query) -> str | None:
    q = fold(query.text.lower())
    if re.search(r"\b(bao nhieu|may)\b", q):
        return "number"
    if re.search(r"\b(khi nao|bao gio|nam nao|ngay nao|thang nao|luc nao|thoi gian nao)\b", q):
        return "time"
    if re.search(r"\bai\b", q):
        return "person"
    return None


class Answerer:
    def __init__(self, lexical: LexicalIndex, settings: AnswerSettings | None = None):
        self.lexical = lexical
        self.settings = settings or AnswerSettings()
        # IDF of a term no article uses (df = 0): such a term weighs most.
        self._max_idf = math.log(1.0 + (lexical.size + 0.5) / 0.5)

    def _weights(self, query: Query) -> dict[str, float]:
        """IDF weight of each topical query term, in the view the question was typed in."""
        view = "folded" if query.mode == "unaccented" else "accented"
        terms = [fold(t) for t in query.typed_terms] if view == "folded" else query.terms
        stop = FOLDED_QUESTION_WORDS if view == "folded" else QUESTION_WORDS
        weights = {}
        for t in terms:
            if t in stop:
                continue
            idf = self.lexical.idf(t, view)
            weights[t] = idf if idf > 0 else self._max_idf  # a term no article uses weighs most
        return weights

    def _coverage(self, text: str, weights: dict[str, float], folded: bool) -> float:
        if not weights:
            return 0.0
        present = set(tokens(text))
        if folded:
            present = {fold(t) for t in present}
        return sum(w for t, w in weights.items() if t in present) / sum(weights.values())

    def compose(self, query: Query, hits: list[Hit]) -> Answer:
        folded = query.mode == "unaccented"
        weights = self._weights(query)
        qtype = question_type(query)
        candidates: list[Candidate] = []
        for hit in hits[: self.settings.passages]:
            text = hit.chunk.text
            prior = 1.0 / hit.rank**0.5
            for s, e in sentence_spans(text):
                sent = text[s:e]
                cov = self._coverage(sent, weights, folded)
                bonus = 0.0
                if (
                    qtype == "number"
                    and _NUMBER.search(sent)
                    or qtype == "time"
                    and _YEAR_OR_DATE.search(sent)
                ):
                    bonus = 0.15
                candidates.append(Candidate(hit, s, e, (cov + bonus) * prior, cov))
        passage_cov = max(
            (self._coverage(h.article.title + " " + h.chunk.text, weights, folded) for h in hits[:1]),
            default=0.0,
        )
        confident = bool(candidates) and passage_cov >= self.settings.min_confidence
        if not confident:
            return Answer(query.text, ABSTAIN_MESSAGE, True, [], hits)
        candidates.sort(key=lambda c: -c.score)
        chosen = [candidates[0]]
        for c in candidates[1:]:
            if (
                len(chosen) >= self.settings.max_sentences
                or c.score < self.settings.second_ratio * chosen[0].score
            ):
                break
            chosen.append(c)
        citations = []
        parts = []
        for n, c in enumerate(chosen, 1):
            chunk = c.hit.chunk
            quote = chunk.text[c.start : c.end]
            citations.append(
                Citation(
                    n=n,
                    article_id=chunk.article_id,
                    source=c.hit.article.path,
                    title=c.hit.article.title,
                    date=c.hit.article.date,
                    publisher=c.hit.article.publisher,
                    passage=chunk.text,
                    passage_start=chunk.start,
                    passage_end=chunk.end,
                    quote=quote,
                    start=c.start,
                    end=c.end,
                    score=round(c.score, 4),
                )
            )
            parts.append(f"{quote} [{n}]")
        return Answer(query.text, " ".join(parts), False, citations, hits)
