"""The short answer: the exact phrase of a quoted sentence that answers the question, when it asks for
a number, a time, a person, a place or a name ("2.054 đơn", "Nguyễn Thị Thanh Lịch").

Candidates come from the sentence's evidence (query/evidence.py): a number with the unit after it (a
range of two as one: "75-85%"), a date, a run of capitalised words (a person's after a title or led by
a family name, a place's with the place noun before it, "xã Minh Phú, Sóc Sơn, Hà Nội"). A small
logistic model fitted on the tuning parts of both question sets (eval/train_scorer.py) scores them; the
best one is given only when its probability reaches the threshold chosen there, so that the bot says
nothing rather than a wrong phrase.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..text.normalise import tokens
from ..text.words import lexicon
from .evidence import NUMBER_WORDS, PLACE_NOUNS, dates, names

MULTIPLIERS = frozenset(["nghìn", "ngàn", "triệu", "tỷ", "tỉ", "trăm", "chục", "vạn"])
_NOT_UNITS = frozenset(
    [
        "và",
        "của",
        "là",
        "có",
        "được",
        "với",
        "cho",
        "trong",
        "tại",
        "ở",
        "từ",
        "đến",
        "thì",
        "mà",
        "này",
        "đó",
        "các",
        "những",
    ]
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_]+", re.UNICODE)
FEATURES = (
    "number",
    "time",
    "person",
    "place",
    "name",
    "unit",
    "distance",
    "distinct_distance",
    "rivals",
    "sentence",
    "in_question",
    "length",
)


@dataclass(frozen=True)
class Phrase:
    start: int  # offsets in the sentence
    end: int
    kind: str


def _numbers(text: str) -> list[Phrase]:
    """A number (digits, with number words or multipliers after it) and its unit, the word after it, or
    two when they make one word ("ca bệnh")."""
    found = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    known = lexicon()[0]

    def joined(a: int, b: int) -> bool:  # nothing but spaces between tokens a and b
        return not text[found[a][1] : found[b][0]].strip(" ")

    out, i = [], 0
    while i < len(found):
        if not found[i][2][0].isdigit():
            i += 1
            continue
        j = i
        while (
            j + 1 < len(found)
            and joined(j, j + 1)
            and (found[j + 1][2][0].isdigit() or found[j + 1][2].lower() in NUMBER_WORDS | MULTIPLIERS)
        ):
            j += 1
        end = found[j][1]
        # "%" is the unit: "75% tùy giai đoạn" is "75%"
        if (
            not found[j][2].endswith("%")
            and j + 1 < len(found)
            and joined(j, j + 1)
            and found[j + 1][2][0].isalpha()
        ):
            unit = found[j + 1][2].lower()
            if unit not in _NOT_UNITS:
                end = found[j + 1][1]
                if j + 2 < len(found) and joined(j + 1, j + 2) and (unit, found[j + 2][2].lower()) in known:
                    end = found[j + 2][1]
        out.append(Phrase(found[i][0], end, "number"))
        i = j + 1
    return _ranges(text, out)


_RANGE_JOIN = re.compile(r"\s*(?:[-–—]|đến|tới)\s*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*%?(?:\s+(?:" + "|".join(sorted(MULTIPLIERS)) + r"))*")


def _ranges(text: str, numbers: list[Phrase]) -> list[Phrase]:
    """Two numbers joined as a range ("75-85%", "800 triệu đến 1,2 tỷ người", "3 ngày đến 5 ngày") are one
    answer: either end alone states something the sentence does not."""
    out: list[Phrase] = []
    for p in numbers:
        last = out[-1] if out else None
        if last is not None:
            digits = _DIGITS.match(text, last.start)
            ends = (last.end, digits.end() if digits else last.end)
            if any(_RANGE_JOIN.fullmatch(text[e : p.start]) for e in ends):
                out[-1] = Phrase(last.start, p.end, "number")
                continue
        out.append(p)
    return out


def _named(text: str, kind: str) -> list[Phrase]:
    out = []
    runs = names(text)
    starts = {n.start: n for n in runs}
    for n in runs:
        if kind == "person" and not n.person or kind == "place" and not n.place:
            continue
        start, end = n.start, n.end
        if kind == "place":
            before = text[: n.start].rstrip().split(" ")
            for k in (2, 1):  # "Bệnh viện Phú Lộc", "xã Minh Phú": the place noun is part of the name
                if tuple(tokens(" ".join(before[-k:]))) in PLACE_NOUNS:
                    start = n.start - len(" ".join(before[-k:])) - 1
                    break
            while (m := re.match(r",\s*", text[end:])) and end + m.end() in starts:  # "…, Sóc Sơn, Hà Nội"
                end = starts[end + m.end()].end
        out.append(Phrase(max(0, start), end, kind))
    return out


def phrases(text: str, wanted: frozenset[str]) -> list[Phrase]:
    """Candidate phrases of a sentence for the kinds the question asks for, each span once."""
    out: list[Phrase] = []
    if "number" in wanted:
        out += _numbers(text)
    if "time" in wanted:
        out += [Phrase(s, e, "time") for s, e in dates(text)]
    for kind in ("person", "place", "name"):
        if kind in wanted:
            out += _named(text, kind)
    seen, unique = set(), []
    for p in out:
        if (p.start, p.end) not in seen:
            seen.add((p.start, p.end))
            unique.append(p)
    return unique


def asked_spots(text: str, asked: set[str]) -> tuple[list[int], list[int]]:
    """Where the sentence writes an asked word, and where it writes one it holds only once: such a
    word ("05" in "05-CTr/TU") singles out which of several things in one sentence the question is
    about; a word it repeats does not. The same for every candidate of the sentence."""
    found = [(m.start(), w) for m in re.finditer(r"\w+", text) if (w := m.group().lower()) in asked]
    seen = Counter(w for _, w in found)
    return [s for s, _ in found], [s for s, w in found if seen[w] == 1]


def features(
    text: str,
    p: Phrase,
    rivals: int,
    asked: set[str],
    unit: str | None,
    sentence_p: float,
    spots: tuple[list[int], list[int]],
) -> list[float]:
    """One candidate's row (FEATURES); `spots` is `asked_spots(text, asked)`."""
    words = tokens(text[p.start : p.end])
    anywhere, once = spots
    return [
        *(float(p.kind == k) for k in ("number", "time", "person", "place", "name")),
        float(bool(unit) and unit in words),
        math.log1p(min((abs(s - p.start) for s in anywhere), default=200)),
        math.log1p(min((abs(s - p.start) for s in once), default=200)),
        math.log(max(rivals, 1)),
        sentence_p,
        sum(w in asked for w in words) / len(words) if words else 1.0,
        math.log(max(len(words), 1)),
    ]


def candidates(text: str, wanted: frozenset[str], asked: set[str]) -> list[Phrase]:
    """The candidate phrases not made of the question's own words alone."""
    return [p for p in phrases(text, wanted) if not all(w in asked for w in tokens(text[p.start : p.end]))]


def rows(text: str, cands: list[Phrase], asked: set[str], unit: str | None, sentence_p: float) -> np.ndarray:
    """The model's feature rows (FEATURES), one per candidate."""
    by_kind = {k: sum(c.kind == k for c in cands) for k in {c.kind for c in cands}}
    spots = asked_spots(text, asked)
    return np.asarray(
        [features(text, c, by_kind[c.kind], asked, unit, sentence_p, spots) for c in cands]
    ).reshape(-1, len(FEATURES))


def best_phrase(
    model, text: str, wanted: frozenset[str], asked: set[str], unit: str | None, sentence_p: float
) -> tuple[Phrase, float] | None:
    """The most probable candidate phrase and its probability under `model` (a scorer.Linear)."""
    cands = candidates(text, wanted, asked)
    if not cands:
        return None
    probs = 1.0 / (1.0 + np.exp(-model.apply(rows(text, cands, asked, unit, sentence_p), FEATURES)))
    i = int(np.argmax(probs))
    return cands[i], float(probs[i])
