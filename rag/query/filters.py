"""Questions limited to a source and a date range, applied inside the search.

Both retrievers see only the chosen articles' chunks before they take their top candidates: FAISS
through an ID selector (`DenseIndex.search(..., mask)`), BM25 with the other chunks' scores zeroed
before its top-k (`Retriever`). So a filtered question gets the best passages of the chosen articles,
not what is left of the best of all of them after a cut.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..errors import QuestionError
from ..text.normalise import fold

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_VN = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_NO_DAY = -(2**40)  # an article of unknown date: outside every date range


def parse_day(value: str, *, end: bool, what: str) -> date:
    """2023-05-19, 19/05/2023, 2023-05 or 2023; a month or a year stands for its first day (or, for
    `end`, its last), so that `--since 2023 --until 2023` is the year 2023."""
    v = str(value).strip()
    try:
        if m := _VN.match(v):
            d, mth, y = (int(g) for g in m.groups())
        elif m := _ISO.match(v):
            y = int(m.group(1))
            mth = int(m.group(2)) if m.group(2) else (12 if end else 1)
            d = int(m.group(3)) if m.group(3) else (calendar.monthrange(y, mth)[1] if end else 1)
        else:
            raise ValueError
        return date(y, mth, d)
    except (ValueError, calendar.IllegalMonthError):
        raise QuestionError(
            f"{what}: {value!r} không phải một ngày; hãy viết như 2023-05-19, 19/05/2023, 2023-05 hoặc 2023."
        ) from None


def source_key(text: str | None) -> str:
    """How sources are compared: folded, lower case, without scheme, "www." or slashes."""
    t = fold(text or "").lower().strip()
    t = re.sub(r"^[a-z]+://", "", t)
    return re.sub(r"^www\.", "", t).strip("/ ")


def host(url: str | None) -> str:
    m = re.match(r"^[a-z][a-z0-9+.-]*://([^/:?#@]+)", (url or "").strip().lower())
    return re.sub(r"^www\.", "", m.group(1)) if m else ""


@dataclass(frozen=True)
class Filters:
    """Which articles a question may be answered from; empty, all of them.

    A source matches the publisher an article names ("Báo Bắc Giang", "bacgiang.gov.vn") or the host
    of its link, by part, folded and without spaces: `bắc giang` finds both. A date range keeps only
    articles whose date is known and inside it (both ends included).
    """

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, source=None, since=None, until=None) -> Filters:
        if isinstance(source, str):
            source = [source]
        sources = tuple(dict.fromkeys(k for k in (source_key(s) for s in source or ()) if k))
        lo = parse_day(since, end=False, what="Từ ngày") if since not in (None, "") else None
        hi = parse_day(until, end=True, what="Đến ngày") if until not in (None, "") else None
        if lo and hi and lo > hi:
            raise QuestionError(f"Khoảng ngày trống: từ {lo:%d/%m/%Y} đến {hi:%d/%m/%Y}.")
        return cls(sources, lo, hi)

    @property
    def active(self) -> bool:
        return bool(self.sources or self.since or self.until)

    def describe(self) -> str:
        """In the words of the page: "nguồn bacgiang.gov.vn, từ 01/01/2023 đến 31/12/2023"."""
        bits = []
        if self.sources:
            bits.append("nguồn " + " hoặc ".join(self.sources))
        if self.since:
            bits.append(f"từ {self.since:%d/%m/%Y}")
        if self.until:
            bits.append(f"đến {self.until:%d/%m/%Y}")
        return ", ".join(bits)

    def to_dict(self) -> dict | None:
        if not self.active:
            return None
        return {
            "source": list(self.sources),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


class Facets:
    """A store's articles as arrays the filters are applied to: made once per loaded generation."""

    def __init__(self, articles: list, chunk_article: np.ndarray):
        self.chunk_article = chunk_article  # int32: the article (by position) of every chunk
        days = np.full(len(articles), _NO_DAY, np.int64)
        for i, a in enumerate(articles):
            if a.date:
                with contextlib.suppress(ValueError):  # a date it cannot read is no date
                    days[i] = np.datetime64(a.date[:10], "D").astype(np.int64)
        self.day = days
        keys = np.array(
            [" ".join(k for k in (source_key(a.publisher), host(a.url)) if k) for a in articles], dtype=object
        )
        self.keys, self.key_of = np.unique(keys, return_inverse=True) if len(keys) else (keys, keys)

    @classmethod
    def of(cls, store) -> Facets:
        articles = list(store.articles.values())
        position = {a.id: i for i, a in enumerate(articles)}
        rows = np.fromiter((position[c.article_id] for c in store.chunks), np.int32, len(store.chunks))
        return cls(articles, rows)

    def articles(self, f: Filters) -> np.ndarray:
        ok = np.ones(len(self.day), bool)
        if f.sources:
            wanted = [s.replace(" ", "") for s in f.sources]
            hit = np.array([any(s in str(k).replace(" ", "") for s in wanted) for k in self.keys], bool)
            ok &= hit[self.key_of] if len(hit) else ok
        if f.since or f.until:
            ok &= self.day != _NO_DAY
        if f.since:
            ok &= self.day >= np.datetime64(f.since, "D").astype(np.int64)
        if f.until:
            ok &= self.day <= np.datetime64(f.until, "D").astype(np.int64)
        return ok

    def chunks(self, f: Filters | None) -> np.ndarray | None:
        """The chunks the filters allow, as a mask; None when they allow everything."""
        if f is None or not f.active:
            return None
        return self.articles(f)[self.chunk_article]
