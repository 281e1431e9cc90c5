"""Extractive answers: pick the sentences of the retrieved passages that answer the question.

Nothing is generated: every answer sentence is a verbatim slice of a passage, followed by its
citation marker. A sentence is scored by how much of the question it covers (IDF-weighted, single
syllables and adjacent pairs), whether it holds what the question asks for (a number for "bao
nhiêu", a date for "khi nào", a name for "ai"), and the rank of its passage. The weights were fitted
on the tuning half of XQuAD-vi (docs/quality.md). When the best passage does not cover the question,
the answer abstains and the closest passages are shown instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..lexical.bm25 import LexicalIndex
from ..schema import Chunk, Citation, Hit, Query, Reply
from ..text.normalise import fold, tokens
from ..text.sentences import sentence_spans
from ..text.words import words
from .rerank import rerank

ABSTAIN_MESSAGE = "Không tìm thấy thông tin trả lời câu hỏi này trong các bài viết."

# Words that shape a question but are not its topic.
QUESTION_WORDS = {
    "ai", "gì", "nào", "đâu", "sao", "bao", "nhiêu", "mấy", "khi", "không", "chưa", "thế", "như", "là",
    "có", "được", "bị", "của", "và", "các", "những", "một", "cho", "với", "về", "trong", "ở", "tại", "từ",
    "đã", "đang", "sẽ", "thì", "mà", "này", "đó", "hãy", "vậy", "hỏi", "nhỉ", "ạ", "hay", "hoặc", "bởi",
    "vì", "do", "theo", "để", "điều", "việc", "cái",
}  # fmt: skip
FOLDED_QUESTION_WORDS = {fold(w) for w in QUESTION_WORDS}

_TYPES = [  # on the folded, lower-cased question
    ("number", re.compile(r"\b(bao nhieu|may)\b")),
    (
        "time",
        re.compile(r"\b(khi nao|bao gio|luc nao|(nam|ngay|thang|the ky|thap ky|thoi gian|thoi diem) nao)\b"),
    ),
    (
        "name",
        re.compile(r"\b(ai|o dau|noi nao|(tinh|huyen|xa|thanh pho|nuoc|quoc gia|to chuc|co quan) nao)\b"),
    ),
]
_EVIDENCE = {
    "number": re.compile(r"\d"),
    "time": re.compile(r"\b(1\d\d\d|20\d\d)\b|\d{1,2}[/.]\d{1,2}|\b(ngày|tháng|năm|thế kỷ)\s+\d"),
    "name": re.compile(r"(?<=\w )[A-ZĐÀ-Ỹ][\wÀ-ỹ]*"),  # a capitalised word that does not open the sentence
}


_UNITS_BEFORE = {
    "nam",
    "thang",
    "ngay",
    "the ky",
    "ky",
    "lan",
    "quy",
    "tuan",
    "gio",
    "phut",
    "so",
    "khoa",
    "lop",
}
_PHRASES = ["bao nhiêu", "khi nào", "bao giờ", "như thế nào", "thế nào", "tại sao", "vì sao", "là gì"]
QUESTION_PHRASES = set(_PHRASES) | {fold(p) for p in _PHRASES}
NUMBER_WORDS = {
    "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mươi", "trăm", "nghìn", "ngàn",
    "triệu", "tỷ", "tỉ", "chục", "vài", "nửa", "rưỡi", "lăm", "đôi", "tá",
}  # fmt: skip


def _new_number(words: Sequence[str], asked: set[str]) -> bool:
    """A number (digits or words) that the question itself did not contain."""
    return any((t[0].isdigit() or t in NUMBER_WORDS) and t not in asked for t in words)


def _has_evidence(qtype: str, sentence: str, words: Sequence[str], asked: set[str]) -> bool:
    """What the question asks for, beyond what it already says: "COVID-19" is no answer to "bao nhiêu"."""
    if qtype == "number":
        return _new_number(words, asked)
    return any(m.group().lower() not in asked for m in _EVIDENCE[qtype].finditer(sentence))


def asked_unit(terms: list[str]) -> tuple[str, str] | None:
    """The unit a number is asked for, and on which side of the number it stands.

    "bao nhiêu đơn" wants "2.054 đơn" (unit after the number); "tháng mấy", "năm nào" want
    "tháng 10", "năm 2018" (unit before it).
    """
    folded = [fold(t) for t in terms]
    for i, t in enumerate(folded):
        if t == "nhieu" and i and folded[i - 1] == "bao" and i + 1 < len(terms):
            return terms[i + 1], "after"
        if t in ("may", "nao") and i and folded[i - 1] in _UNITS_BEFORE:
            return terms[i - 1], "before"
    return None


def _has_unit_number(words: Sequence[str], unit: tuple[str, str], asked: set[str]) -> bool:
    word, side = unit
    for i, t in enumerate(words):
        if (t[0].isdigit() or t in NUMBER_WORDS) and t not in asked:
            j = i + 1 if side == "after" else i - 1
            if 0 <= j < len(words) and words[j] == word:
                return True
    return False


def question_type(text: str) -> str | None:
    folded = fold(text.lower())
    return next((name for name, pattern in _TYPES if pattern.search(folded)), None)


@dataclass(frozen=True)
class AnswerSettings:
    passages: int = 3  # how many top passages sentences are drawn from
    max_sentences: int = 2
    second_ratio: float = 0.6  # a second sentence must score this share of the first
    type_weight: float = 0.4
    rank_penalty: float = 0.2
    unit_share: float = 0.5  # extra type evidence for the number next to the asked unit ("2.054 đơn")
    word_weight: float = 0.6  # whole words found, on top of single syllables
    title_share: float = 0.5  # how much the article title stands in for what a sentence leaves out
    rerank_weight: float = 1.5  # how much the best sentence of a passage lifts it over the others
    rerank_depth: int = 10  # passages reranked
    number_gate: bool = True  # abstain on "bao nhiêu" when the best passage has no new number
    min_support: float = 0.35  # share of the question's words the best passage must hold, else abstain


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets in the passage
    end: int
    words: tuple[str, ...]  # syllables as tokens() gives them
    folded: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    """A passage split and tokenised once: passages come back question after question."""

    sentences: tuple[Sentence, ...]
    joined: str  # " syllable syllable ... " of the whole passage, for whole-word matching
    joined_folded: str


def _joined(words: Sequence[str]) -> str:
    return f" {' '.join(words)} "


@lru_cache(maxsize=8192)
def analyse(chunk: Chunk) -> Analysis:
    sentences = []
    for start, end in sentence_spans(chunk.text):
        words = tuple(tokens(chunk.text[start:end]))
        sentences.append(Sentence(start, end, words, tuple(fold(w) for w in words)))
    every = [w for s in sentences for w in s.words]
    return Analysis(tuple(sentences), _joined(every), _joined(fold(w) for w in every))


@lru_cache(maxsize=8192)
def _title_words(title: str) -> tuple[frozenset, frozenset, str, str]:
    words = tokens(title)
    folded = [fold(w) for w in words]
    return frozenset(words), frozenset(folded), _joined(words), _joined(folded)


@dataclass
class Asked:
    """What the answerer needs of a question, worked out once per question."""

    query: Query
    folded: bool  # typed without diacritics: everything is matched folded
    weights: dict[str, float]  # IDF of each topical syllable
    topic: list[tuple[tuple[str, ...], float]]  # topical words, IDF-weighted
    qtype: str | None
    terms: set[str]  # every syllable of the question, for "new" evidence
    unit: tuple[str, str] | None

    def coverage(self, present: set | frozenset) -> float:
        """Weighted share of the question's syllables among `present`."""
        total = sum(self.weights.values())
        return sum(w for t, w in self.weights.items() if t in present) / total if total else 0.0

    def word_coverage(self, joined: str) -> float:
        """Weighted share of the topical words that stand whole (syllables in a row) in `joined`."""
        total = sum(w for _, w in self.topic)
        return sum(w for word, w in self.topic if _joined(word) in joined) / total if total else 0.0


@dataclass
class Candidate:
    hit: Hit
    start: int  # offsets in the passage
    end: int
    score: float
    whole: float  # share of the question's words it holds whole


class Answerer:
    def __init__(self, lexical: LexicalIndex, settings: AnswerSettings | None = None):
        self.lexical = lexical
        self.settings = settings or AnswerSettings()
        # IDF of a term no article uses (df = 0): such a term weighs most.
        self._max_idf = math.log(1.0 + (lexical.size + 0.5) / 0.5)

    def read(self, query: Query) -> Asked:
        folded = query.mode == "unaccented"
        stop = FOLDED_QUESTION_WORDS if folded else QUESTION_WORDS
        view = "folded" if folded else "accented"
        syllables = [fold(t) for t in query.typed_terms] if folded else query.terms
        weights = {t: self.lexical.idf(t, view) or self._max_idf for t in syllables if t not in stop}
        topic = []
        for word in dict.fromkeys(words(query.search_text, folded)):
            if len(word) == 1 and word[0] in stop or " ".join(word) in QUESTION_PHRASES:
                continue
            # a word weighs as its rarest syllable pair; one the articles never use weighs most
            terms = [f"{a}_{b}" for a, b in zip(word, word[1:], strict=False)] or [word[0]]
            topic.append((word, max(self.lexical.idf(t, view) or self._max_idf for t in terms)))
        qtype = question_type(query.search_text)
        unit = asked_unit(query.terms) if qtype in ("number", "time") else None
        return Asked(query, folded, weights, topic, qtype, set(query.terms), unit)

    def support(self, asked: Asked, hits: list[Hit]) -> float:
        """Weighted share of the question's words found whole in the best passage or its title.

        The abstention signal: on XQuAD-vi it separates answerable questions from questions asked of
        unrelated articles better than syllable coverage (docs/quality.md).
        """
        if not hits or not asked.topic:
            return 0.0
        top = hits[0]
        passage, title = analyse(top.chunk), _title_words(top.article.title)
        joined = passage.joined_folded if asked.folded else passage.joined
        return asked.word_coverage(joined + (title[3] if asked.folded else title[2]))

    def lacks_asked_number(self, asked: Asked, hits: list[Hit]) -> bool:
        """A "bao nhiêu" question whose best passage holds no number the question did not bring."""
        if not self.settings.number_gate or asked.qtype != "number" or not hits:
            return False
        return not any(_new_number(s.words, asked.terms) for s in analyse(hits[0].chunk).sentences)

    def _sentences(self, asked: Asked, hit: Hit) -> list[tuple[int, int, float, float]]:
        """(start, end, score, whole-word coverage) of each sentence of a passage, best first, before any
        rank penalty."""
        s = self.settings
        title_accented, title_folded, _, _ = _title_words(hit.article.title)
        title = title_folded if asked.folded else title_accented
        out = []
        for sent in analyse(hit.chunk).sentences:
            words = sent.folded if asked.folded else sent.words
            present = set(words)
            single = asked.coverage(present)
            if s.title_share:  # the title stands in, in part, for what the sentence leaves implicit
                single += s.title_share * (asked.coverage(present | title) - single)
            whole = asked.word_coverage(_joined(words))
            text = hit.chunk.text[sent.start : sent.end]
            typed = float(bool(asked.qtype) and _has_evidence(asked.qtype, text, sent.words, asked.terms))
            if typed and asked.unit and _has_unit_number(sent.words, asked.unit, asked.terms):
                typed += s.unit_share
            out.append((sent.start, sent.end, single + s.word_weight * whole + s.type_weight * typed, whole))
        return sorted(out, key=lambda x: -x[2])

    def candidates(self, asked: Asked, hits: list[Hit]) -> list[Candidate]:
        """Sentences of the top passages, best first; a sentence seen in two overlapping chunks once."""
        seen: set[tuple[str, int]] = set()
        out = []
        for hit in hits[: self.settings.passages]:
            for start, end, score, whole in self._sentences(asked, hit):
                key = (hit.chunk.article_id, hit.chunk.start + start)
                if key not in seen:
                    seen.add(key)
                    penalty = self.settings.rank_penalty * (hit.rank - 1)
                    out.append(Candidate(hit, start, end, score - penalty, whole))
        out.sort(key=lambda c: -c.score)
        return out

    def passages_wanted(self, k: int) -> int:
        """How many passages to retrieve for `k` shown: enough to rerank and to quote from."""
        return max(k, self.settings.passages, self.settings.rerank_depth)

    def best_sentence(self, asked: Asked, hit: Hit) -> float:
        """The score of a passage's best sentence (what reranking lifts it by)."""
        best = self._sentences(asked, hit)
        return round(best[0][2], 4) if best else 0.0

    def rerank(self, asked: Asked, hits: list[Hit]) -> list[Hit]:
        """The hits reranked by their best sentence (a new list; `hits` is left as it was)."""
        return rerank(hits, lambda hit: self.best_sentence(asked, hit), self.settings.rerank_weight)

    def answer(self, query: Query, hits: list[Hit]) -> Reply:
        """Rerank the retrieved passages, then quote from the best of them, or abstain."""
        asked = self.read(query)
        return self.compose(asked, self.rerank(asked, hits))

    def compose(self, asked: Asked, hits: list[Hit]) -> Reply:
        s = self.settings
        ranked = self.candidates(asked, hits)
        if not ranked or self.support(asked, hits) < s.min_support or self.lacks_asked_number(asked, hits):
            return Reply(ABSTAIN_MESSAGE, True, [], hits)
        chosen = [ranked[0]]
        for c in ranked[1 : s.max_sentences]:
            # a further sentence must score close to the first and hold a word of the question itself
            if c.score >= s.second_ratio * ranked[0].score and c.whole > 0:
                chosen.append(c)
        if len({c.hit.article.id for c in chosen}) == 1:  # one article: read in its own order
            chosen.sort(key=lambda c: c.hit.chunk.start + c.start)
        citations = [self._cite(n, c) for n, c in enumerate(chosen, 1)]
        text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        return Reply(text, False, citations, hits)

    @staticmethod
    def _cite(n: int, c: Candidate) -> Citation:
        chunk, article = c.hit.chunk, c.hit.article
        return Citation(
            n=n, article_id=chunk.article_id, source=article.path, title=article.title, date=article.date,
            publisher=article.publisher, passage=chunk.text, passage_start=chunk.start, passage_end=chunk.end,
            quote=chunk.text[c.start : c.end], start=c.start, end=c.end, score=round(c.score, 4),
            url=article.url, page=article.page_at(chunk.start + c.start),
        )  # fmt: skip
