"""Keep an answer to the place (or person) the question names, and say whom a quote is about.

A news article about Hà Giang says "tỉnh ta đã xây dựng 1.115 mô hình": the sentence names no place,
its article does. Asked about Bắc Giang, that sentence is no answer, whatever words it shares with the
question. Each candidate sentence is given the place it is about: the places it names itself, else the
last place named before it in its paragraph ("tỉnh ta" always means the article's own province), else
its article's place, read from the title, the publisher's domain and how often the body names each
place (a district counts towards its province). A sentence about another place, from an article not
about the one asked, is dropped after scoring; with none left the answer abstains.

Only Vietnamese provinces, cities and districts are held to this, through the gazetteer, which knows
what lies in what: a country ("người Đức", "tiếng Anh") or a place it does not know cannot be told
apart from a part of the place asked. A person named in the question must be named somewhere in the
sentence's article (half the syllables of the name: questions misspell names).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ..schema import Article, Hit
from ..text.entities import Mention, Place, gazetteer, mentions, name_key
from ..text.normalise import fold, nfc, tokens, typed_without_diacritics
from .extract import Asked, Candidate

# a quote that leaves its place to its article: "tỉnh ta", "toàn tỉnh", "huyện", "địa phương", "đồng chí"
_IMPLICIT = re.compile(
    r"\b(tỉnh|huyện|thị xã|thành phố|xã|quận|địa phương|thị ủy|tỉnh ủy|huyện ủy|thành ủy)\b(?!\s+[A-ZĐÀ-Ỹ])"
    r"|\b(ta|nhà|mình)\b|\btoàn (tỉnh|huyện|thành phố|thị xã|xã)\b|\bđồng chí\b",
    re.IGNORECASE,
)
_OUR = re.compile(r"\b(tỉnh|huyện|thành phố|thị xã) ta\b", re.IGNORECASE)
_ATTRIBUTES = ("tieng", "nguoi", "kieu", "goc", "dan", "chat")  # "tiếng Anh", "người Đức": no place asked
CONTEXTS = 8  # the best candidates given a context (the ones an answer quotes come from them)


@dataclass(frozen=True)
class About:
    """The places an article is about, best first (`main` when one clearly leads)."""

    main: Place | None
    title: tuple[Place, ...]
    scores: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Named:
    """What a question names that an answer must keep to."""

    places: tuple[Place, ...]
    persons: tuple[Mention, ...]

    def __bool__(self) -> bool:
        return bool(self.places or self.persons)


def _vietnamese(place: Place) -> bool:
    g = gazetteer()
    vn = g.get("Việt Nam")
    return vn is not None and place.key != vn.key and place.kind not in ("quốc gia", "vùng lãnh thổ") and \
        g.within(place, vn)  # fmt: skip


def _places(ms) -> list[Place]:
    return [m.place for m in ms if m.kind in ("place", "org", "role") and m.place is not None]


def named(question: str, restored: str | None = None) -> Named:
    """What `question` names. Typed without diacritics, a place spelled in lower case is only taken
    when `restored` (the question with its diacritics restored) reads it as that place: folded, "co to
    tien" spells the district Cô Tô and "tieu thu do uong" the capital (thủ đô); restored, they are "có
    tổ tiên" and "tiêu thụ đồ uống"."""
    folded = typed_without_diacritics(question)
    question = nfc(question)
    restored = nfc(restored) if folded and restored is not None else None
    if restored is not None and len(restored) != len(question):
        restored = None  # restoring keeps each syllable's length (nfc); anything else is not read here
    g = gazetteer()
    places, persons = [], []
    for m in mentions(question, folded=folded):
        place = m.place if m.kind in ("place", "org", "role") else None
        known = g.get(place.name) if place is not None else None
        before = fold(question[max(0, m.start - 7) : m.start].lower()).split()
        if known is not None and restored is not None and m.kind == "place":
            typed = question[m.start : m.end]
            if not question[: m.start].strip():  # a question's first letter is a capital anyway
                typed = typed[1:]
            if typed == typed.lower() and tuple(tokens(restored[m.start : m.end])) not in g.names:
                continue
        if known is not None and _vietnamese(known) and not (before and before[-1] in _ATTRIBUTES):
            if known not in places:
                places.append(known)
        elif m.kind == "person" and not folded:
            persons.append(m)
    return Named(tuple(places), tuple(persons))


@lru_cache(maxsize=8192)
def about(article: Article) -> About:
    """Title places weigh 3, a place the publisher's domain spells 2, each body mention 1 (and half of
    one to the province a district lies in); one place leads when it has twice the runner-up."""
    g = gazetteer()
    score: Counter[str] = Counter()
    places: dict[str, Place] = {}
    title = tuple(dict.fromkeys(_places(mentions(article.title))))
    for p in title:
        places[p.key] = p
        score[p.key] += 3
    for p in _places(mentions(article.text)):
        places[p.key] = p
        score[p.key] += 1
        up = g.parent(p) if p.kind not in ("tỉnh", "thành phố", "quốc gia") else None
        if up is not None and up.kind != "quốc gia":
            places[up.key] = up
            score[up.key] += 0.5
    domain = fold(f"{article.publisher or ''} {article.url or ''}".lower()).replace(" ", "")
    for key in list(places):
        if len(key) > 3 and key.replace(" ", "") in domain:
            score[key] += 2
    ranked = [(k, s) for k, s in score.most_common() if k != "viet nam"] or score.most_common()
    main = None
    if ranked:
        key, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= 2 and (best >= 2 * second or any(p.key == key for p in title)):
            main = places[key]
    return About(main, title, tuple(ranked))


@lru_cache(maxsize=16384)
def _passage_mentions(text: str) -> tuple[Mention, ...]:
    return tuple(mentions(text, folded=False))


@lru_cache(maxsize=8192)
def _article_words(article: Article) -> str:
    return f" {name_key(article.title + ' ' + article.text)} "


@dataclass(frozen=True)
class Subject:
    own: tuple[Place, ...]  # places the sentence names
    about: tuple[Place, ...]  # places it is taken to be about
    implicit: bool  # it names none


class Grounder:
    """The grounding step: filters scored candidates and gives each kept one its context."""

    def __init__(self):
        self.g = gazetteer()

    def _same(self, a: Place, b: Place) -> bool:
        return a.key == b.key or self.g.within(a, b)

    def _any_within(self, found: tuple[Place, ...], asked: tuple[Place, ...]) -> bool:
        return any(self._same(f, p) for f in found for p in asked)

    def subject(self, hit: Hit, start: int, end: int) -> Subject:
        text = hit.chunk.text
        ms = _passage_mentions(text)
        own = tuple(_places(m for m in ms if start <= m.start < end))
        if own:
            return Subject(own, own, False)
        paragraph = text.rfind("\n", 0, start) + 1
        before = _places(m for m in ms if paragraph <= m.start < start)
        if before and not _OUR.search(text[start:end]):
            return Subject((), (before[-1],), True)
        main = about(hit.article).main
        return Subject((), (main,) if main else (), True)

    def keeps(self, asked: Named, hit: Hit, start: int, end: int) -> bool:
        """Whether the sentence at [start, end) of the passage may answer a question naming `asked`."""
        if asked.places:
            subject = self.subject(hit, start, end)
            ab = about(hit.article)
            on_title = self._any_within(ab.title, asked.places)
            on_main = ab.main is not None and self._any_within((ab.main,), asked.places)
            if subject.own:  # it names places: one must be the one asked, or its article about it
                if not self._any_within(subject.own, asked.places) and not (on_title or on_main):
                    return False
            elif subject.about and not self._any_within(subject.about, asked.places) and not on_title:
                return False  # "tỉnh ta ..." of an article about another province
        for m in asked.persons:
            key, words = m.key.split(), _article_words(hit.article)
            if sum(f" {k} " in words for k in key) < len(key) / 2:
                return False
        return True

    def context(self, asked: Named, hit: Hit, start: int, end: int) -> str | None:
        """The place a quote leaves implicit ("Hà Giang" for "... tỉnh ta ..."), else None."""
        if not (asked.places or _IMPLICIT.search(hit.chunk.text[start:end])):
            return None  # nothing asks for it: the passage is not read for places
        subject = self.subject(hit, start, end)
        if subject.own:
            return None
        if subject.about:
            return subject.about[0].name
        return hit.article.title if asked.places else None

    def __call__(self, asked: Asked, ranked: list[Candidate], contexts: int = CONTEXTS) -> list[Candidate]:
        """The answerer's step: drop what is about another place, give the best ones their context."""
        want = named(asked.query.text, asked.query.restored_text)
        kept = [c for c in ranked if self.keeps(want, c.hit, c.start, c.end)] if want else list(ranked)
        for c in kept[:contexts]:
            c.context = self.context(want, c.hit, c.start, c.end)
        return kept
