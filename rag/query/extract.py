"""Extractive answers: pick the sentences of the retrieved passages that answer the question.

Nothing is generated: every answer sentence is a verbatim slice of a passage, followed by its
citation marker. Sentences and passages are scored by the learned scorer (query/scorer.py: small
linear models fitted on the tuning parts of XQuAD-vi and UIT-ViNewsQA, docs/quality.md); the passages
are reranked by it, the most probable sentence is quoted, with a second one when it is probable
enough, and a short answer is marked inside the quote when the question asks for a number, a date, a
person, a place or a name and one is found with confidence. When the best passage does not hold the
question, or holds nothing of what it asks for, the answer abstains and the closest passages are shown.

The earlier scorer, with weights set by hand on XQuAD-vi, is kept as `AnswerSettings(scorer="hand")`
for the ablation study (eval/ablation.py), which starts from it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..lexical.bm25 import LexicalIndex
from ..schema import Chunk, Citation, Hit, Query, Reply, ShortAnswer
from ..text.normalise import fold, tokens
from ..text.sentences import sentence_spans
from ..text.words import words
from . import evidence as ev
from . import scorer as sc
from .rerank import rerank, reranked
from .short import best_phrase

ABSTAIN_MESSAGE = "Không tìm thấy thông tin trả lời câu hỏi này trong các bài viết."

# Words that shape a question but are not its topic.
QUESTION_WORDS = {
    "ai", "gì", "nào", "đâu", "sao", "bao", "nhiêu", "mấy", "khi", "không", "chưa", "thế", "như", "là",
    "có", "được", "bị", "của", "và", "các", "những", "một", "cho", "với", "về", "trong", "ở", "tại", "từ",
    "đã", "đang", "sẽ", "thì", "mà", "này", "đó", "hãy", "vậy", "hỏi", "nhỉ", "ạ", "hay", "hoặc", "bởi",
    "vì", "do", "theo", "để", "điều", "việc", "cái",
}  # fmt: skip
FOLDED_QUESTION_WORDS = {fold(w) for w in QUESTION_WORDS}

_TYPES = [  # the hand scorer's question types, on the folded, lower-cased question
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
_EVIDENCE = {  # the hand scorer's evidence ("name" took any accented lower-case letter for a capital)
    "number": re.compile(r"\d"),
    "time": re.compile(r"\b(1\d\d\d|20\d\d)\b|\d{1,2}[/.]\d{1,2}|\b(ngày|tháng|năm|thế kỷ)\s+\d"),
    "name": re.compile(r"(?<=\w )[A-ZĐÀ-Ỹ][\wÀ-ỹ]*"),
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
NUMBER_WORDS = ev.NUMBER_WORDS


def _has_evidence(qtype: str, sentence: str, words: Sequence[str], asked: set[str]) -> bool:
    if qtype == "number":
        return ev.new_number(words, asked)
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


def question_type(text: str) -> str | None:
    folded = fold(text.lower())
    return next((name for name, pattern in _TYPES if pattern.search(folded)), None)


@dataclass(frozen=True)
class AnswerSettings:
    scorer: str = "learned"  # "learned" (query/scorer.py, data/scorer.json) or "hand" (the weights below)
    weights: sc.Weights | None = None  # learned weights other than the shipped ones (training, ablation)
    passages: int = 3  # how many top passages sentences are drawn from
    max_sentences: int = 2
    rerank_depth: int = 30  # passages reranked (and retrieved at least)
    abstention: str = "learned"  # "learned" (the abstain model) or "support" (below min_support)
    number_gate: bool = True  # abstain on "bao nhiêu" when the best passage has no new number
    office_gate: bool = True  # abstain on "Ai là Chủ tịch …?" when the quoted sentence names no one new
    short_answer: bool = True
    one_story: bool = True  # a second sentence must come from the first one's story (same_story)
    # the hand scorer (scorer="hand"), chosen on the tuning half of XQuAD-vi
    second_ratio: float = 0.6  # a second sentence must score this share of the first
    type_weight: float = 0.4
    rank_penalty: float = 0.2
    unit_share: float = 0.5  # extra type evidence for the number next to the asked unit ("2.054 đơn")
    word_weight: float = 0.6  # whole words found, on top of single syllables
    title_share: float = 0.5  # how much the article title stands in for what a sentence leaves out
    rerank_weight: float = 1.5  # how much the best sentence of a passage lifts it over the others
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
class Scoring:
    """The learned scorer's view of one question's candidate passages (the first `rerank_depth`)."""

    hits: list[Hit]  # as retrieved
    keys: list[tuple[int, int, int]]  # per sentence row: its hit, and its offsets in the passage
    rows: np.ndarray  # every sentence's feature row (scorer.SENTENCE), hit by hit
    sentence: np.ndarray  # each sentence's score
    passage: np.ndarray  # each hit's score

    def of(self, hit: Hit) -> int | None:
        return next((j for j, h in enumerate(self.hits) if h.chunk.id == hit.chunk.id), None)


@dataclass
class Asked:
    """What the answerer needs of a question, worked out once per question."""

    query: Query
    folded: bool  # typed without diacritics: everything is matched folded
    weights: dict[str, float]  # IDF of each topical syllable
    topic: list[tuple[tuple[str, ...], float]]  # topical words, IDF-weighted
    qtype: str | None  # the hand scorer's question type
    terms: set[str]  # every syllable of the question, for "new" evidence
    unit: tuple[str, str] | None
    kinds: frozenset[str] = frozenset()  # what the question asks for (query/evidence.py)
    vector: np.ndarray | None = None  # the question's dense vector, for sentence similarity
    scoring: Scoring | None = None  # the learned scorer's view of the passages, once reranked

    def coverage(self, present: set | frozenset) -> float:
        """Weighted share of the question's syllables among `present`."""
        total = sum(self.weights.values())
        return sum(w for t, w in self.weights.items() if t in present) / total if total else 0.0

    def word_coverage(self, joined: str) -> float:
        """Weighted share of the topical words that stand whole (syllables in a row) in `joined`."""
        total = sum(w for _, w in self.topic)
        return sum(w for word, w in self.topic if _joined(word) in joined) / total if total else 0.0

    @property
    def matched_terms(self) -> set[str]:
        """The question's syllables as sentences are compared with them (folded when typed so)."""
        return {fold(t) for t in self.terms} if self.folded else self.terms


def same_story(a: Hit, b: Hit) -> bool:
    """One article, or paragraphs of one (a SQuAD set's paragraphs are articles sharing their title)."""
    return a.article.id == b.article.id or (bool(a.article.title) and a.article.title == b.article.title)


@dataclass
class Candidate:
    hit: Hit
    start: int  # offsets in the passage
    end: int
    score: float  # the learned scorer: the probability that it holds the answer
    whole: float  # share of the question's words it holds whole
    context: str | None = None  # what the sentence leaves implicit, set by a step (query/grounding.py)
    # the learned scorer: its probability were its passage ranked first (no gap, no rank), which a
    # question over several articles compares across them (query/spanning.py); else `score`
    alone: float | None = None

    @property
    def own(self) -> float:
        return self.score if self.alone is None else self.alone


# A step run on the scored sentences before any is chosen: it may drop some or set their context.
Step = Callable[["Asked", list[Candidate]], list[Candidate]]


SentenceVectors = Callable[[Hit], "np.ndarray | None"]


class Answerer:
    def __init__(
        self,
        lexical: LexicalIndex,
        settings: AnswerSettings | None = None,
        sentence_vectors: SentenceVectors | None = None,
        *,
        steps: Sequence[Step] = (),
        sentence_kind: str | None = "encoded",
    ):
        self.lexical = lexical
        self.settings = settings or AnswerSettings()
        self.sentence_vectors = sentence_vectors
        self.sentence_kind = sentence_kind  # how the store's sentence vectors were made
        self.steps = tuple(steps)  # e.g. grounding: keep to the place the question names
        # IDF of a term no article uses (df = 0): such a term weighs most.
        self._max_idf = math.log(1.0 + (lexical.size + 0.5) / 0.5)
        self._weights = self.settings.weights

    @property
    def weights(self) -> sc.Weights:
        """The learned scorer's weights, read on first use: the shipped ones fitted for stores like
        this one (with encoded or pooled sentence vectors, or none), unless the settings bring others."""
        if self._weights is None:
            kind = self.sentence_kind if self.sentence_vectors is not None else None
            self._weights = sc.shipped(sc.variant_for(kind))
        return self._weights

    # --- reading the question ----------------------------------------------------------------

    def word_idf(self, word: tuple[str, ...], view: str = "accented") -> float:
        """A word weighs as its rarest syllable pair; one the articles never use weighs most."""
        terms = [f"{a}_{b}" for a, b in zip(word, word[1:], strict=False)] or [word[0]]
        return max(self.lexical.idf(t, view) or self._max_idf for t in terms)

    def read(self, query: Query, vector: np.ndarray | None = None) -> Asked:
        folded = query.mode == "unaccented"
        stop = FOLDED_QUESTION_WORDS if folded else QUESTION_WORDS
        view = "folded" if folded else "accented"
        syllables = [fold(t) for t in query.typed_terms] if folded else query.terms
        weights = {t: self.lexical.idf(t, view) or self._max_idf for t in syllables if t not in stop}
        topic = []
        for word in dict.fromkeys(words(query.search_text, folded)):
            if len(word) == 1 and word[0] in stop or " ".join(word) in QUESTION_PHRASES:
                continue
            topic.append((word, self.word_idf(word, view)))
        qtype = question_type(query.search_text)
        asked_kinds = ev.kinds(query.search_text)
        if self.settings.scorer == "learned":
            unit = asked_unit(query.terms) if asked_kinds & {"number", "time"} else None
        else:
            unit = asked_unit(query.terms) if qtype in ("number", "time") else None
        return Asked(query, folded, weights, topic, qtype, set(query.terms), unit, asked_kinds, vector)

    def support(self, asked: Asked, hit: Hit) -> float:
        """Weighted share of the question's words found whole in a passage or its title.

        An abstention signal: on XQuAD-vi it separates answerable questions from questions asked of
        unrelated articles better than syllable coverage (docs/quality.md).
        """
        if not asked.topic:
            return 0.0
        passage, title = analyse(hit.chunk), _title_words(hit.article.title)
        joined = passage.joined_folded if asked.folded else passage.joined
        return asked.word_coverage(joined + (title[3] if asked.folded else title[2]))

    def lacks_asked_number(self, asked: Asked, hits: list[Hit]) -> bool:
        """A "bao nhiêu" question whose best passage holds no number the question did not bring."""
        wants = asked.qtype == "number" if self.settings.scorer == "hand" else "number" in asked.kinds
        if not self.settings.number_gate or not wants or not hits:
            return False
        return not any(ev.new_number(s.words, asked.terms) for s in analyse(hits[0].chunk).sentences)

    def names_no_office_holder(self, asked: Asked, c: Candidate) -> bool:
        """ "Ai là Chủ tịch UBND tỉnh …?" answered by a sentence that names no one the question did not."""
        if not self.settings.office_gate or not ev.asks_for_office_holder(asked.query.terms, asked.kinds):
            return False
        return not ev.new_names(c.hit.chunk.text[c.start : c.end], asked.terms)

    def passages_wanted(self, k: int) -> int:
        """How many passages to retrieve for `k` shown: enough to rerank and to quote from."""
        return max(k, self.settings.passages, self.settings.rerank_depth)

    # --- the learned scorer -------------------------------------------------------------------

    def _intrinsic(self, asked: Asked, hit: Hit) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """Each sentence's own features (scorer.INTRINSIC) and offsets."""
        title_accented, title_folded, _, _ = _title_words(hit.article.title)
        title = title_folded if asked.folded else title_accented
        stop = FOLDED_QUESTION_WORDS if asked.folded else QUESTION_WORDS
        matched = asked.matched_terms
        sentences = analyse(hit.chunk).sentences
        sims = np.zeros(len(sentences))
        if asked.vector is not None and self.sentence_vectors is not None:
            vectors = self.sentence_vectors(hit)
            if vectors is not None and len(vectors) == len(sentences):
                sims = vectors @ asked.vector
        rows = []
        for k, sent in enumerate(sentences):
            ws = sent.folded if asked.folded else sent.words
            present = set(ws)
            cov = asked.coverage(present)
            text = hit.chunk.text[sent.start : sent.end]
            content = {w for w in ws if w not in stop and not w[0].isdigit()}
            novel = sum(w not in matched for w in content) / len(content) if content else 0.0
            rows.append(
                [
                    cov,
                    asked.coverage(present | title) - cov,
                    asked.word_coverage(_joined(ws)),
                    float(sims[k]),
                    *ev.evidence(asked.kinds, text, sent.words, asked.terms, asked.unit),
                    novel,
                    float(len(content) <= 2),
                    math.log(max(len(text), 1)),
                    math.log1p(k),
                    float(k == 0),
                ]
            )
        return np.asarray(rows, dtype=np.float64).reshape(-1, len(sc.INTRINSIC)), [
            (s.start, s.end) for s in sentences
        ]

    def features(self, asked: Asked, hits: list[Hit]) -> sc.Features:
        """What the learned scorer reads of the first `rerank_depth` hits (what eval/train_scorer.py fits)."""
        hits = hits[: self.settings.rerank_depth]
        parts = [self._intrinsic(asked, h) for h in hits]
        return sc.Features(
            keys=[(j, a, b) for j, (_, spans) in enumerate(parts) for a, b in spans],
            rows=sc.sentence_rows([r for r, _ in parts]),
            retrieval={
                n: np.array([h.scores.get(n, 0.0) for h in hits]) for n in ("dense", "bm25", "bm25_folded")
            },
            support=np.array([self.support(asked, h) for h in hits]),
        )

    def score(self, asked: Asked, hits: list[Hit]) -> Scoring:
        """Every sentence and passage of the first `rerank_depth` hits, scored."""
        f = self.features(asked, hits)
        sentence, passage = sc.scores(f, self.weights)
        return Scoring(hits[: self.settings.rerank_depth], f.keys, f.rows, sentence, passage)

    def rerank(self, asked: Asked, hits: list[Hit]) -> list[Hit]:
        """The hits reranked (a new list; `hits` is left as it was)."""
        if self.settings.scorer == "hand":
            return rerank(hits, lambda hit: self.best_sentence(asked, hit), self.settings.rerank_weight)
        asked.scoring = scoring = self.score(asked, hits)
        best = {}
        for (j, _, _), v in zip(scoring.keys, scoring.sentence, strict=True):
            best[j] = max(best.get(j, -10.0), float(v))
        return reranked(hits, scoring.passage, best)

    def candidates(self, asked: Asked, hits: list[Hit]) -> list[Candidate]:
        """Sentences of the top passages, most probable first; a sentence seen in two overlapping chunks
        once. `hits` are reranked (`rerank`); the probability is the compose model's."""
        if self.settings.scorer == "hand":
            return self._hand_candidates(asked, hits)
        top = hits[: self.settings.passages]
        scoring = asked.scoring
        if scoring is None or any(scoring.of(h) is None for h in top):
            scoring = self.score(asked, top)
        place = {scoring.of(h): n for n, h in enumerate(top)}
        first = float(scoring.passage[scoring.of(top[0])]) if top else 0.0
        words_col = sc.SENTENCE.index("words")
        rows, alone, seen, out = [], [], set(), []
        for n in sorted(range(len(scoring.keys)), key=lambda i: place.get(scoring.keys[i][0], 99)):
            j, start, end = scoring.keys[n]
            if j not in place:
                continue
            hit = top[place[j]]
            key = (hit.chunk.article_id, hit.chunk.start + start)
            if key in seen:
                continue
            seen.add(key)
            gap = float(scoring.passage[j]) - first
            rows.append(sc.compose_row(float(scoring.sentence[n]), gap, place[j], asked.kinds))
            alone.append(sc.compose_row(float(scoring.sentence[n]), 0.0, 0, asked.kinds))
            out.append(Candidate(hit, start, end, 0.0, float(scoring.rows[n, words_col])))
        if not out:
            return []
        compose = self.weights.compose
        probabilities = sc.sigmoid(compose.apply(np.asarray(rows), sc.COMPOSE))
        on_their_own = sc.sigmoid(compose.apply(np.asarray(alone), sc.COMPOSE))
        for c, p, q in zip(out, probabilities, on_their_own, strict=True):
            c.score, c.alone = float(p), float(q)
        out.sort(key=lambda c: -c.score)
        return out

    def answerable(self, asked: Asked, hits: list[Hit], best: Candidate) -> bool:
        """The abstention model: the best passage's coverage of the question, and how probable the best
        sentence is."""
        x = np.array([[self.support(asked, hits[0]), sc.logit(best.score)]])
        score = float(self.weights.abstain.apply(x, sc.ABSTAIN)[0])
        return score >= self.weights.abstains_below(asked.folded)

    # --- answering ----------------------------------------------------------------------------

    def answer(self, query: Query, hits: list[Hit], vector: np.ndarray | None = None) -> Reply:
        """Rerank the retrieved passages, then quote from the best of them, or abstain."""
        asked = self.read(query, vector)
        return self.compose(asked, self.rerank(asked, hits))

    def ranked(self, asked: Asked, hits: list[Hit]) -> tuple[list[Candidate], list[Hit]]:
        """The candidates the steps keep, best first, and the hits with the passage of the best kept one
        first when a step dropped the sentences of a better passage (the support is judged on it)."""
        ranked = self.candidates(asked, hits)
        before = len(ranked)
        for step in self.steps:
            ranked = step(asked, ranked)
        if ranked and len(ranked) < before and ranked[0].hit is not hits[0]:
            hits = [ranked[0].hit] + [h for h in hits if h is not ranked[0].hit]
        return ranked, hits

    def abstains(self, asked: Asked, ranked: list[Candidate], lead: list[Hit]) -> bool:
        """Whether to abstain, judged on `lead` (the hits as `ranked` leaves them) and the best candidate."""
        s = self.settings
        if not ranked or self.lacks_asked_number(asked, lead):
            return True
        if s.scorer == "hand":
            return self.support(asked, lead[0]) < s.min_support
        return (
            self.names_no_office_holder(asked, ranked[0])
            or (s.abstention == "support" and self.support(asked, lead[0]) < s.min_support)
            or (s.abstention == "learned" and not self.answerable(asked, lead, ranked[0]))
        )

    def compose(self, asked: Asked, hits: list[Hit]) -> Reply:
        """Quote the best candidates of `hits` (reranked) that the steps keep, or abstain."""
        s = self.settings
        ranked, lead = self.ranked(asked, hits)
        if self.abstains(asked, ranked, lead):
            return Reply(ABSTAIN_MESSAGE, True, [], hits)
        if s.scorer == "hand":
            # a further sentence must score close to the first and hold a word of the question itself
            further = [
                c
                for c in ranked[1 : s.max_sentences]
                if c.score >= s.second_ratio * ranked[0].score and c.whole > 0
            ]
        else:  # a further sentence is quoted when it is nearly as probable as the first
            second = self.weights.second * ranked[0].score
            further = [c for c in ranked[1 : s.max_sentences] if c.score >= second]
        # and it comes from the same story: a question about one thing is answered from one article
        # (a question over several is query/spanning.py's)
        chosen = [ranked[0], *[c for c in further if not s.one_story or same_story(c.hit, ranked[0].hit)]]
        best = chosen[0]
        if len({c.hit.article.id for c in chosen}) == 1:  # one article: read in its own order
            chosen.sort(key=lambda c: c.hit.chunk.start + c.start)
        citations = [self._cite(n, c) for n, c in enumerate(chosen, 1)]
        text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        learned = s.short_answer and s.scorer == "learned"
        short = self.short_answer(asked, best, citations[chosen.index(best)]) if learned else None
        return Reply(text, False, citations, hits, short)

    def short_answer(self, asked: Asked, best: Candidate, citation: Citation) -> ShortAnswer | None:
        """The phrase of the best quoted sentence that answers the question, when sure enough."""
        wanted = asked.kinds & frozenset(ev.SHORT_KINDS)
        model = self.weights.short
        if model is None or not wanted:
            return None
        unit = asked.unit[0] if asked.unit else None
        found = best_phrase(model, citation.quote, wanted, asked.terms, unit, best.score)
        if found is None or found[1] < self.weights.short_threshold:
            return None
        phrase, _ = found
        return ShortAnswer(citation.quote[phrase.start : phrase.end], citation.n, phrase.start, phrase.end)

    @staticmethod
    def _cite(n: int, c: Candidate) -> Citation:
        chunk, article = c.hit.chunk, c.hit.article
        return Citation(
            n=n, article_id=chunk.article_id, source=article.path, title=article.title, date=article.date,
            publisher=article.publisher, passage=chunk.text, passage_start=chunk.start, passage_end=chunk.end,
            quote=chunk.text[c.start : c.end], start=c.start, end=c.end, score=round(c.score, 4),
            context=c.context,
            url=article.url, page=article.page_at(chunk.start + c.start),
        )  # fmt: skip

    # --- the hand scorer (the earlier pipeline, kept for the ablation) --------------------------

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
            if typed and asked.unit and ev.unit_number(sent.words, asked.unit, asked.terms):
                typed += s.unit_share
            out.append((sent.start, sent.end, single + s.word_weight * whole + s.type_weight * typed, whole))
        return sorted(out, key=lambda x: -x[2])

    def best_sentence(self, asked: Asked, hit: Hit) -> float:
        """The hand score of a passage's best sentence (what reranking lifts it by)."""
        best = self._sentences(asked, hit)
        return round(best[0][2], 4) if best else 0.0

    def _hand_candidates(self, asked: Asked, hits: list[Hit]) -> list[Candidate]:
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
