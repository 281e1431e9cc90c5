"""Records that cross module lines: articles -> chunks -> hits -> answers with citations."""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    """A cleaned article. `text` is the body that chunk and citation offsets point into."""

    id: str
    path: str  # where it came from, relative to the project root when inside it
    title: str
    text: str
    date: str | None = None  # ISO 8601: "2022-08-04" or "2022-08-04T07:01"
    publisher: str | None = None  # the source the text names: "baoangiang.com.vn", "BHG"
    author: str | None = None
    url: str | None = None
    pages: tuple[int, ...] | None = None  # PDF: the offset in `text` where each page starts

    def __post_init__(self):
        # read back from JSON the pages are a list: a tuple keeps the article hashable (grounding caches
        # what an article is about by the article)
        if self.pages is not None and not isinstance(self.pages, tuple):
            object.__setattr__(self, "pages", tuple(self.pages))

    def page_at(self, offset: int) -> int | None:
        """The page (from 1) holding `offset` of `text`, for an article read from a PDF."""
        if not self.pages:
            return None
        return bisect.bisect_right(self.pages, offset) or 1

    @property
    def content_hash(self) -> str:
        """Changes whenever anything that ends up in the index changes. A field added later counts only
        when set, so that an upgrade leaves every older article's hash, and its vectors, as they were."""
        fields = asdict(self)
        if fields["pages"] is None:
            del fields["pages"]
        payload = json.dumps(fields, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A passage of an article; `article.text[start:end] == text`."""

    article_id: str
    index: int  # position of the chunk within its article
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}#{self.index}"


@dataclass
class Query:
    """A question as the retrievers see it."""

    text: str  # as typed (after tidying)
    mode: str  # "accented" or "unaccented"
    search_text: str  # what dense search and accented BM25 read: the restored text when unaccented
    terms: list[str]  # syllables of search_text
    typed_terms: list[str]  # syllables as typed, for the folded view

    @property
    def restored(self) -> bool:
        return self.search_text != self.text

    @property
    def restored_text(self) -> str | None:
        """The question with its diacritics restored, when they were."""
        return self.search_text if self.restored else None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the fused score and the evidence of each retriever."""

    chunk: Chunk
    article: Article
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)  # per retriever (sentences, dense, bm25 ...)

    def to_dict(self) -> dict:
        return {
            "rank": self.rank,
            "source": self.article.path,
            "article_id": self.article.id,
            "title": self.article.title,
            "date": self.article.date,
            "publisher": self.article.publisher,
            "passage": self.chunk.text,
            "passage_start": self.chunk.start,
            "passage_end": self.chunk.end,
            "score": round(self.score, 6),
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
        }


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: `passage[start:end] == quote`."""

    n: int
    article_id: str
    source: str
    title: str
    date: str | None
    publisher: str | None
    passage: str
    passage_start: int  # offsets of the passage in the cleaned article
    passage_end: int
    quote: str
    start: int  # offsets of the quote in the passage
    end: int
    score: float
    context: str | None = None  # the place (or title) the quote leaves implicit: "Hà Giang" for "tỉnh ta"
    url: str | None = None  # the page the article came from, when it names one or was downloaded
    page: int | None = None  # the PDF page the quote starts on

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ShortAnswer:
    """The exact phrase that answers the question ("2.054 đơn"), inside citation n's quote:
    `quote[start:end] == text`."""

    text: str
    n: int
    start: int
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Reply:
    """What the answer extractor gives: the answer text and its citations, from the hits it reranked."""

    text: str
    abstained: bool
    citations: list[Citation]
    hits: list[Hit]  # reranked, best first
    short: ShortAnswer | None = None
    spans: bool = False  # one quote from each of several articles (query/spanning.py)


@dataclass(frozen=True)
class Answer:
    """An answer as every face shows it, built once when it is complete."""

    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    hits: list[Hit]
    notice: str | None = None  # e.g. that an over-long question was cut
    seconds: float = 0.0
    mode: str = "accented"  # how the question was read: accented, unaccented (restored) ...
    searched_as: str | None = None  # the question as searched, when it differs (restored diacritics)
    standalone: str = ""  # the question completed from the conversation (the typed one when it stands alone)
    spans: bool = False  # one quote from each of several articles, grouped by article
    filters: dict | None = None  # the source and dates the search was limited to (Filters.to_dict)
    short_answer: ShortAnswer | None = None  # marked inside its citation's quote; None when unsure

    def to_dict(self) -> dict:
        """The stable JSON shape of `rag ask --json` and of the page's API."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [
                h.to_dict() for h in self.hits
            ],  # what was retrieved; the closest ones on abstention
            "notice": self.notice,
            "mode": self.mode,
            "searched_as": self.searched_as,
            "standalone": self.standalone or self.question,
            "spans": self.spans,
            "filters": self.filters,
            "short_answer": self.short_answer.to_dict() if self.short_answer else None,
            "seconds": round(self.seconds, 4),
        }
