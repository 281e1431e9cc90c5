"""What a question asks for, and what a sentence holds of it beyond what the question already says.

A question asks for a kind of thing: a number ("bao nhiêu"), a time ("khi nào"), a person ("ai"), a
place ("ở đâu"), a name ("tên là gì"), a cause ("vì sao"), a purpose ("để làm gì"), a manner ("như thế
nào"). A sentence holds evidence of that kind when it has, beyond the question's own words, a number,
a date, a capitalised name (led by a family name or a person's title for a person, by a place noun for
a place), or a causal, purpose or manner marker. These are inputs of the learned scorer
(query/scorer.py) and the candidates of the short answer (query/short.py); none is a rule by itself.

Question words are matched with their diacritics when the question has them: folded, "máy" (machine)
would read as "mấy" (how many) and "não" (brain) as "nào" (which).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..text.normalise import fold, tokens, typed_without_diacritics
from ..text.words import lexicon

_KINDS = [
    ("number", r"\b(bao nhiêu|mấy|bao lâu|bao xa)\b"),
    (
        "time",
        r"\b(khi nào|bao giờ|lúc nào|mấy giờ|(năm|ngày|tháng|hôm|thứ|giờ) (nào|mấy)"
        r"|(thế kỷ|thập kỷ|thời gian|thời điểm|dịp) nào)\b",
    ),
    ("person", r"\b(ai|người nào|vị nào)\b"),
    (
        "place",
        r"\b(ở đâu|nơi nào|chỗ nào|đâu"
        r"|(tỉnh|huyện|xã|thành phố|nước|quốc gia|địa phương|vùng|khu vực|bệnh viện) nào)\b",
    ),
    (
        "name",
        r"\b(tên (là )?gì|tên nào|(tổ chức|cơ quan|công ty|loại|chất|thuốc|bệnh|hãng|đơn vị) (gì|nào))\b",
    ),
    ("why", r"\b(vì sao|tại sao|lý do|nguyên nhân|vì đâu|do đâu|sao lại)\b"),
    ("purpose", r"\b(để làm gì|nhằm mục đích|mục đích|tác dụng|lợi ích|để làm chi)\b"),
    ("how", r"\b(như thế nào|thế nào|ra sao|bằng cách nào|làm sao|cách nào)\b"),
]
KINDS = tuple(name for name, _ in _KINDS)
SHORT_KINDS = ("number", "time", "person", "place", "name")  # kinds a phrase can answer
_KIND_PATTERNS = [(name, re.compile(p), re.compile(fold(p))) for name, p in _KINDS]


def kinds(question: str) -> frozenset[str]:
    """The kinds of thing the question asks for; matched folded only when it was typed without
    diacritics. A capitalised "Ai" past the first word is a name ("Ai Cập"), not "who"."""
    folded = typed_without_diacritics(question)
    words = question.split()
    text = " ".join("_" if i and w[:2] == "Ai" else w for i, w in enumerate(words)).lower()
    if folded:
        text = fold(text)
        return frozenset(name for name, _, p in _KIND_PATTERNS if p.search(text))
    return frozenset(name for name, p, _ in _KIND_PATTERNS if p.search(text))


def _phrases(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(tokens(p)) for p in text.split(","))


# A person is named after a title or a family name; a place after a place noun.
PERSON_TITLES = _phrases(
    "ông, bà, anh, chị, cô, chú, em, bé, cháu, cụ, bác sĩ, bác, y tá, điều dưỡng, bs, ts, ths, pgs, gs, "
    "tiến sĩ, thạc sĩ, giáo sư, kỹ sư, luật sư, chủ tịch, giám đốc, bí thư, trưởng, phó, thứ trưởng, "
    "bộ trưởng, đồng chí, nhà báo, nghệ sĩ, ca sĩ, diễn viên, vận động viên, sản phụ, bệnh nhân, nạn nhân, "
    "thượng tá, đại tá, trung tá, thiếu tá, tướng, vua, hoàng đế, mr, mrs, ms, dr"
)
# Titles of an office: "Ai là Chủ tịch UBND tỉnh …?" asks for the person holding it.
OFFICES = _phrases(
    "chủ tịch, giám đốc, bí thư, trưởng ban, trưởng phòng, trưởng khoa, viện trưởng, hiệu trưởng, "
    "bộ trưởng, thứ trưởng, thủ tướng, tổng thống, tổng bí thư, chánh án, tư lệnh, chỉ huy trưởng"
)
FAMILY_NAMES = frozenset(
    [
        "nguyễn",
        "trần",
        "lê",
        "phạm",
        "hoàng",
        "huỳnh",
        "phan",
        "vũ",
        "võ",
        "đặng",
        "bùi",
        "đỗ",
        "hồ",
        "ngô",
        "dương",
        "lý",
        "đinh",
        "đào",
        "trịnh",
        "mai",
        "lương",
        "trương",
        "lâm",
        "tô",
        "hà",
        "cao",
        "chu",
        "thái",
        "quách",
        "tạ",
        "vương",
        "kiều",
        "văn",
        "la",
        "lã",
        "lục",
        "mạc",
        "ninh",
        "phùng",
        "thân",
        "tăng",
        "triệu",
        "từ",
        "đàm",
        "đoàn",
        "khúc",
        "kim",
        "lưu",
        "giang",
        "hứa",
        "quan",
    ]
)
PLACE_NOUNS = _phrases(
    "tỉnh, huyện, xã, thành phố, tp, thị xã, thị trấn, quận, phường, làng, thôn, bản, bệnh viện, trường, "
    "nước, miền, vùng, khu, đảo, sông, núi, bang, viện, trung tâm, đại học, chợ, phố, đường, quốc lộ, "
    "khoa, trạm, cầu, ngã tư, thủ đô, châu"
)
_AT = _phrases("tại, ở, từ, đến")
MARKERS = {  # causes, purposes, manners: what a "vì sao", "để làm gì", "như thế nào" answer says
    "why": _phrases("vì, do, bởi, nguyên nhân, khiến, dẫn đến, gây ra, nên, lý do, vì vậy, bởi vì"),
    "purpose": _phrases("để, nhằm, giúp, mục đích, tác dụng, có lợi, hỗ trợ"),
    "how": _phrases("bằng, bằng cách, thông qua, cách, sau đó, tiến hành, thực hiện, bước"),
}

_WORD = re.compile(r"[^\W_]+(?:[.,]\d+)*", re.UNICODE)


@dataclass(frozen=True)
class Name:
    """A run of capitalised words in a sentence: offsets, its syllables and the three words before it."""

    start: int
    end: int
    words: tuple[str, ...]
    before: tuple[str, ...]
    acronym: bool  # "UBND", "TP HCM": a body or a place, not a person

    def after(self, nouns: frozenset[tuple[str, ...]]) -> bool:
        return any(len(n) <= len(self.before) and self.before[-len(n) :] == n for n in nouns)

    @property
    def person(self) -> bool:
        if self.acronym:
            return False
        return (self.words[0] in FAMILY_NAMES and len(self.words) >= 3) or self.after(PERSON_TITLES)

    @property
    def place(self) -> bool:
        return self.after(PLACE_NOUNS) or self.after(_AT)


@lru_cache(maxsize=65536)
def names(text: str) -> tuple[Name, ...]:
    """Runs of capitalised words that name someone or something ("Nguyễn Thị Thanh Lịch", "Bến Lức").

    A lone capital opening the sentence is the sentence's; a capital that starts a common word with
    the lower-case syllables after it ("Chủ tịch", "Bệnh viện") is a title or a head noun, not a name.
    """
    known = lexicon()[0]
    found = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    low = [w.lower() for _, _, w in found]
    out, i = [], 0
    while i < len(found):
        if not found[i][2][0].isupper():
            i += 1
            continue
        j = i
        while (
            j + 1 < len(found)
            and found[j + 1][2][0].isupper()
            and not text[found[j][1] : found[j + 1][0]].strip()
        ):
            j += 1
        k = j
        while (
            k >= i
            and k + 1 < len(found)
            and not found[k + 1][2][0].isupper()
            and (low[k], low[k + 1]) in known
        ):
            k -= 1
        if k >= i and not (i == 0 and k == 0):
            words = tuple(tokens(" ".join(low[i : k + 1])))
            acronym = all(len(w) > 1 and w.isupper() for _, _, w in found[i : k + 1])
            if words:
                out.append(Name(found[i][0], found[k][1], words, tuple(low[max(0, i - 3) : i]), acronym))
        i = j + 1
    return tuple(out)


_DATE = re.compile(
    r"(?<![\d.,/])(?:(?:ngày|sáng|chiều|tối|trưa|đêm)\s+)?(?:\d{1,2}[/.]\d{1,2}(?:[/.]\d{4})?|\d{1,2}/\d{4})"
    r"(?![\d.,/]*\d)|(?:tháng|năm|ngày|quý|thế kỷ|tuần)\s+(?:thứ\s+)?\d+(?:/\d+)*"
    r"|(?<![\d.,])(?:1\d|20)\d\d(?![\d.,]*\d)",
    re.IGNORECASE,
)


def dates(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _DATE.finditer(text)]


NUMBER_WORDS = frozenset(
    [
        "một",
        "hai",
        "ba",
        "bốn",
        "năm",
        "sáu",
        "bảy",
        "tám",
        "chín",
        "mười",
        "mươi",
        "trăm",
        "nghìn",
        "ngàn",
        "triệu",
        "tỷ",
        "tỉ",
        "chục",
        "vài",
        "nửa",
        "rưỡi",
        "lăm",
        "đôi",
        "tá",
    ]
)


def new_number(words: Sequence[str], asked: set[str] | frozenset[str]) -> bool:
    """A number (digits or words) that the question itself did not contain."""
    return any((t[0].isdigit() or t in NUMBER_WORDS) and t not in asked for t in words)


def unit_number(words: Sequence[str], unit: tuple[str, str], asked: set[str] | frozenset[str]) -> bool:
    """A new number standing next to the asked unit: "2.054 đơn" for "bao nhiêu đơn"."""
    word, side = unit
    for i, t in enumerate(words):
        if (t[0].isdigit() or t in NUMBER_WORDS) and t not in asked:
            j = i + 1 if side == "after" else i - 1
            if 0 <= j < len(words) and words[j] == word:
                return True
    return False


def has_phrase(
    words: Sequence[str], phrases: frozenset[tuple[str, ...]], asked: set[str] | frozenset[str]
) -> bool:
    """One of `phrases` stands in `words`, and not only because the question said it."""
    words = tuple(words)
    for p in phrases:
        if all(t in asked for t in p):
            continue
        k = len(p)
        if any(words[i : i + k] == p for i in range(len(words) - k + 1)):
            return True
    return False


def asks_for_office_holder(terms: Sequence[str], asked_kinds: frozenset[str]) -> bool:
    """ "Ai là Chủ tịch UBND tỉnh …?": a "who" question about an office wants a person's name."""
    if "person" not in asked_kinds:
        return False
    return has_phrase(terms, OFFICES, frozenset())


def new_names(text: str, asked: set[str] | frozenset[str]) -> list[Name]:
    """The sentence's names the question did not already say."""
    return [n for n in names(text) if not all(w in asked for w in n.words)]


EVIDENCE = ("number", "unit", "time", "person", "place", "name", "why", "purpose", "how")


def evidence(
    asked_kinds: frozenset[str],
    text: str,
    words: Sequence[str],
    asked: set[str] | frozenset[str],
    unit: tuple[str, str] | None,
) -> list[float]:
    """One value per EVIDENCE entry: does the sentence hold what the question asks for (0 when the
    question does not ask for that kind)."""
    named = new_names(text, asked) if asked_kinds & {"person", "place", "name"} else []
    ask = asked_kinds.__contains__
    return [
        float(ask("number") and new_number(words, asked)),
        float(bool(unit) and bool(asked_kinds & {"number", "time"}) and unit_number(words, unit, asked)),
        float(ask("time") and any(text[s:e].lower().split()[-1] not in asked for s, e in dates(text))),
        float(ask("person") and any(n.person for n in named)),
        float(ask("place") and any(n.place for n in named)),
        float(bool(named)),
        float(ask("why") and has_phrase(words, MARKERS["why"], asked)),
        float(ask("purpose") and has_phrase(words, MARKERS["purpose"], asked)),
        float(ask("how") and has_phrase(words, MARKERS["how"], asked)),
    ]
