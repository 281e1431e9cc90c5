"""Who, where and when a Vietnamese text names: places, persons, organisations, roles, documents, times.

One recogniser for questions, answers and articles: the follow-up rewriter needs the entities of
earlier turns to stand in for "ông ấy" or "Còn Bắc Giang thì sao?", and grounding needs the place a
sentence is about to keep an answer to the province asked. No model is trained here: the signals
are general facts of written Vietnamese (proper names are capitalised syllable by syllable; a place
follows "tỉnh", "huyện", "xã"; a person follows "ông", "bà", "đồng chí" or a role; organisations
open with "Ban", "Sở", "Ủy ban"...), a gazetteer of Vietnamese provinces, cities and countries
(world knowledge, `data/places.tsv`), and pyvi's lexicon to tell a word from a name. A question typed
without diacritics is matched against the gazetteer's folded names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .normalise import canonical_tone, fold, nfc, typed_without_diacritics
from .sentences import sentence_spans
from .words import lexicon

DATA = Path(__file__).parent / "data"

# --- closed classes of Vietnamese ------------------------------------------------------------------

ADMIN = {  # words that introduce a place name, lower-case syllables -> kind
    ("tỉnh",): "tỉnh", ("thành", "phố"): "thành phố", ("tp",): "thành phố", ("thị", "xã"): "thị xã",
    ("tx",): "thị xã", ("huyện",): "huyện", ("quận",): "quận", ("xã",): "xã", ("phường",): "phường",
    ("thị", "trấn"): "thị trấn", ("thôn",): "thôn", ("ấp",): "ấp", ("bản",): "bản", ("khóm",): "khóm",
    ("làng",): "làng", ("nước",): "quốc gia", ("thủ", "đô"): "thành phố", ("đảo",): "đảo",
    ("vùng",): "vùng", ("tp.hcm",): "thành phố",
}  # fmt: skip
HONORIFICS = {  # titles before a person's name that are not roles
    "ông", "bà", "anh", "chị", "cô", "chú", "bác", "cụ", "em", "cháu", "đồng chí", "đ/c", "bé", "thầy",
    "bác sĩ", "bs", "ts", "ths", "pgs", "gs", "nhà văn", "nhà thơ", "nghệ sĩ", "ca sĩ", "cầu thủ", "hlv",
    "huấn luyện viên", "thượng tá", "trung tá", "đại tá", "thiếu tá", "đại úy", "thiếu tướng", "trung tướng",
    "đại tướng", "luật sư", "kỹ sư", "nhà báo", "giáo sư", "tiến sĩ", "vua", "hoàng đế", "thánh", "nữ hoàng",
    "nữ sinh", "nam sinh", "học sinh", "sinh viên", "bệnh nhân", "cháu bé", "thí sinh", "nông dân",
}  # fmt: skip
ROLES = [  # longest first when matching; lower-case
    "phó chủ tịch thường trực", "chủ tịch nước", "tổng bí thư", "phó thủ tướng", "thủ tướng", "phó chủ tịch",
    "chủ tịch", "phó bí thư thường trực", "phó bí thư", "quyền bí thư", "bí thư", "phó giám đốc",
    "giám đốc", "phó trưởng ban", "trưởng ban", "trưởng phòng", "phó trưởng phòng", "thứ trưởng",
    "bộ trưởng", "chánh án", "viện trưởng", "chánh văn phòng", "chủ nhiệm", "tổng giám đốc", "hiệu trưởng",
    "tổng thống", "đại sứ", "thị trưởng", "thống đốc", "trưởng công an", "giám đốc công an", "tư lệnh",
    "chỉ huy trưởng", "tổng thư ký", "người phát ngôn", "ủy viên", "tỉnh ủy viên", "trưởng đoàn", "trưởng",
    "phó", "quyền chủ tịch", "nguyên chủ tịch", "nguyên bí thư",
]  # fmt: skip
ORG_HEADS = {
    "ban", "bộ", "sở", "ủy ban", "ubnd", "hđnd", "ubmttq", "ubmttqvn", "mttq", "tỉnh ủy", "thành ủy",
    "huyện ủy", "thị ủy", "đảng ủy", "đảng bộ", "chi bộ", "công an", "viện", "trường", "bệnh viện",
    "công ty", "tập đoàn", "ngân hàng", "hội", "đoàn", "liên đoàn", "tổng cục", "cục", "chi cục",
    "quân đội", "bộ chỉ huy", "tòa án", "tand", "viện kiểm sát", "vksnd", "mặt trận", "hợp tác xã", "htx",
    "trung tâm", "văn phòng", "quốc hội", "chính phủ", "đại học", "học viện", "tổ chức", "quỹ",
    "liên hiệp", "câu lạc bộ", "clb", "đội", "báo", "đài", "tổng công ty", "ủy ban nhân dân",
    "hội đồng nhân dân", "khối",
}  # fmt: skip
DOCUMENTS = [
    "chương trình hành động", "nghị quyết", "chỉ thị", "quyết định", "nghị định", "thông tư", "quy chế",
    "kết luận", "kế hoạch", "luật", "công văn", "hướng dẫn", "đề án", "chương trình", "quy định", "pháp lệnh",
]  # fmt: skip
SURNAMES = {
    "nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ", "hồ", "ngô",
    "dương", "lý", "lại", "từ", "đinh", "đào", "đoàn", "trịnh", "trương", "lưu", "mai", "cao", "lương",
    "tạ", "hà", "tô", "châu", "thái", "quách", "triệu", "la", "văn", "kiều", "khúc", "chu", "vương", "tăng",
    "lâm", "phùng", "thân", "mạc", "lò", "giàng", "sùng", "vi", "nông", "ninh", "âu", "hứa", "kim", "doãn",
    "tôn", "tống", "diệp", "quan", "lã", "lục", "mẫn", "nghiêm", "thạch", "đàm", "hầu",
}  # fmt: skip
PRONOUNS = {  # deictic words that stand for an entity of the conversation -> the kind they stand for
    ("ông", "ấy"): "person", ("bà", "ấy"): "person", ("anh", "ấy"): "person", ("chị", "ấy"): "person",
    ("cô", "ấy"): "person", ("ông", "ta"): "person", ("bà", "ta"): "person", ("anh", "ta"): "person",
    ("người", "này"): "person", ("người", "đó"): "person", ("người", "ấy"): "person", ("vị", "này"): "person",
    ("ông", "này"): "person", ("bà", "này"): "person", ("đồng", "chí", "này"): "person",
    ("họ",): "group", ("ở", "đó"): "place", ("ở", "đấy"): "place", ("tại", "đó"): "place",
    ("nơi", "đó"): "place", ("nơi", "này"): "place", ("nơi", "ấy"): "place", ("ở", "đây"): "place",
    ("địa", "phương", "này"): "place", ("địa", "phương", "đó"): "place", ("năm", "đó"): "time",
    ("năm", "ấy"): "time", ("năm", "này"): "time", ("lúc", "đó"): "time", ("khi", "đó"): "time",
    ("thời", "điểm", "đó"): "time", ("nó",): "thing", ("chúng",): "thing", ("cô", "bé"): "person",
    ("cậu", "bé"): "person",
}  # fmt: skip
LOCATIVES = {"ở", "tại", "đến", "sang", "khỏi", "quanh"}  # before a name, they make it a place
NOT_NAMES = {  # capitalised at the start of a sentence, never a name on their own
    "năm", "ngày", "tháng", "các", "những", "một", "trong", "theo", "với", "tại", "ở", "từ", "đến", "khi",
    "sau", "trước", "qua", "đây", "đó", "này", "còn", "thế", "vậy", "nhưng", "và", "hoặc", "ai", "gì", "bao",
    "có", "là", "được", "bị", "đã", "đang", "sẽ", "không", "chưa", "nếu", "để", "vì", "do", "cho", "riêng",
    "đặc", "nhiều", "mỗi", "toàn", "cùng", "đồng", "thông", "hiện", "nhằm", "song", "bên", "ngoài", "tuy",
    "mọi", "hơn", "gần", "chỉ", "tổng", "số", "người", "tỉnh", "huyện", "xã", "thị", "thành", "quận",
    "phường", "nước", "so", "hãy", "cả", "bởi", "nhờ", "như", "ngay", "thứ", "hai", "ba", "bốn", "tất", "ông",
    "bà", "anh", "chị", "họ", "giữa", "vào", "lúc", "cũng", "thì", "mà", "rồi",
}  # fmt: skip

# Runs of proper-name syllables: a capital letter, or an all-caps acronym like UBND, HĐND, TP.HCM.
_WORD = re.compile(r"[^\W\d_]+(?:\.[^\W\d_]+)*|\d+(?:[.,/]\d+)*", re.UNICODE)
_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_TIME = re.compile(
    rf"\b(?:(?:ngày\s+)?\d{{1,2}}[/.-]\d{{1,2}}[/.-]{_YEAR}"
    rf"|(?:tháng\s+)?\d{{1,2}}/{_YEAR}"
    rf"|(?:giai đoạn|thời kỳ|từ năm|năm|niên khóa)\s+{_YEAR}(?:\s*[-–]\s*{_YEAR})?"
    rf"|{_YEAR}\s*[-–]\s*{_YEAR}"
    rf"|(?:quý\s+[IV1-4]+|tháng\s+\d{{1,2}}|(?:\d+\s+)?tháng đầu năm)(?:\s+(?:năm\s+)?{_YEAR})?"
    rf"|thế kỷ\s+(?:[IVXL]+|\d+)"
    rf"|(?<![\d.,]){_YEAR}(?![\d.,]))",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[“\"]([^”\"\n]{2,80})[”\"]")


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # tỉnh, thành phố, huyện, quốc gia ...
    parent: str | None  # the name of the place it lies in, when known

    @property
    def key(self) -> str:
        return name_key(self.name)


@dataclass(frozen=True)
class Mention:
    """One entity named in a text; `text[start:end]` is how it was written."""

    kind: str  # place, person, org, role, doc, time, name, quote
    text: str
    start: int
    end: int
    key: str  # what two mentions of the same entity share: folded, lower-case, canonical
    place: Place | None = None  # the gazetteer's entry, for places (and organisations of a place)
    head: str = ""  # the word that introduced it: "tỉnh", "ông", "Nghị quyết" ...


def name_key(text: str) -> str:
    """The form two spellings of one name share: "Thanh Hoá" / "thanh hóa" / "thanh hoa" -> "thanh hoa"."""
    return " ".join(fold(canonical_tone(w.lower())) for w in _WORD.findall(nfc(text)))


# --- the gazetteer ---------------------------------------------------------------------------------


@dataclass
class Gazetteer:
    places: dict[str, Place] = field(default_factory=dict)  # key -> place
    names: Table = field(default_factory=lambda: Table())  # accented lower syllables -> place
    folded: Table = field(default_factory=lambda: Table())  # folded syllables -> place

    def add(self, place: Place, spelling: str) -> None:
        syllables = tuple(canonical_tone(w.lower()) for w in _WORD.findall(nfc(spelling)))
        if not syllables:
            return
        self.names.setdefault(syllables, place)
        self.folded.setdefault(tuple(fold(s) for s in syllables), place)

    def get(self, name: str) -> Place | None:
        return self.places.get(name_key(name))

    def parent(self, place: Place) -> Place | None:
        return self.get(place.parent) if place.parent else None

    def within(self, inner: Place, outer: Place) -> bool:
        """`inner` lies in `outer` (or is it)."""
        seen = 0
        node: Place | None = inner
        while node is not None and seen < 8:
            if node.key == outer.key:
                return True
            node, seen = self.parent(node), seen + 1
        return False


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    g = Gazetteer()
    for line in (DATA / "places.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, kind, parent, aliases, bare = (line.split("\t") + ["", "", "", ""])[:5]
        place = Place(name, kind, parent or ("Việt Nam" if kind in ("tỉnh", "thành phố") else None))
        g.places[place.key] = place
        spellings = [a for a in aliases.split("|") if a]
        if bare != "after-kind":  # "Hồ Chí Minh" alone is the president; the city follows "TP."
            spellings.append(name)
        for spelling in spellings:
            g.add(place, spelling)
            g.places.setdefault(name_key(spelling), place)
        g.places.setdefault(name_key(name), place)
    return g


# --- tokens with offsets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tok:
    raw: str
    start: int
    end: int
    low: str  # lower-case, canonical tone
    fold: str
    cap: bool  # starts with a capital letter
    opens: bool  # first word of a sentence, a line or a quotation
    gap: str  # the text between the previous word and this one


def toks(text: str) -> list[Tok]:
    out: list[Tok] = []
    starts = {s for s, _ in sentence_spans(text)}
    prev_end = 0
    for m in _WORD.finditer(text):
        raw = m.group()
        low = canonical_tone(raw.lower())
        gap = text[prev_end : m.start()]
        opens = m.start() in starts or not out or any(c in gap for c in '\n“"‘(:;.!?]')
        out.append(Tok(raw, m.start(), m.end(), low, fold(low), raw[0].isupper(), opens, gap))
        prev_end = m.end()
    return out


@lru_cache(maxsize=65536)
def _unaccented(text: str) -> bool:
    return typed_without_diacritics(text)


def _is_acronym(t: Tok) -> bool:
    if not t.cap or len(t.raw) < 2 or not t.raw[1].isupper():
        return False
    letters = [c for c in t.raw if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _code(t: Tok) -> bool:
    """A part of a document's number: "NQ", "TW", "2021", "CTr", "TTg" in "04-NQ/TW", "23/2017/QĐ-UBND",
    "05-CTr/TU", "17/CT-TTg"."""
    return t.raw[0].isupper() or t.raw[0].isdigit()


def _joined(t: Tok) -> bool:
    """Only a space between this word and the previous one: a name does not run over punctuation."""
    return t.gap in (" ", "\u00a0")


class Table(dict):
    """Phrases keyed by their syllables, with the first syllables kept apart for a quick no."""

    def __init__(self, items=()):
        super().__init__(items)
        self.firsts = {k[0] for k in self}
        self.longest = max((len(k) for k in self), default=1)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.firsts.add(key[0])
        self.longest = max(self.longest, len(key))

    def setdefault(self, key, value=None):
        if key not in self:
            self[key] = value
        return self[key]


def _match(table: Table, words: list[str], i: int) -> tuple[int, object] | None:
    """Longest key of `table` spelled by words[i:]; -> (length, value)."""
    if i >= len(words) or words[i] not in table.firsts:
        return None
    for n in range(min(table.longest, len(words) - i), 0, -1):
        value = table.get(tuple(words[i : i + n]))
        if value is not None:
            return n, value
    return None


@lru_cache(maxsize=1)
def _phrases() -> dict[str, dict[tuple[str, ...], str]]:
    def table(items: Iterable[str], folded: bool = False) -> Table:
        return Table({tuple(fold(w) if folded else w for w in p.split()): p for p in items})

    return {
        "role": table(ROLES),
        "honorific": table(HONORIFICS),
        "org": table(ORG_HEADS),
        "doc": table(DOCUMENTS),
        "admin": Table(ADMIN),
        "role_folded": table(ROLES, True),
        "doc_folded": table(DOCUMENTS, True),
        "admin_folded": Table({tuple(fold(w) for w in k): v for k, v in ADMIN.items()}),
    }


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every syllable of pyvi's words: a capitalised word outside it is foreign ("Manning", "Toyota")."""
    return frozenset(s for word in lexicon()[0] for s in word)


def _word(a: str, b: str) -> bool:
    return (a, b) in lexicon()[0]


# --- the recogniser ---------------------------------------------------------------------------------


class Recogniser:
    """Finds the mentions of a text. Cheap: regular expressions and dictionary look-ups only."""

    def __init__(self, places: Gazetteer | None = None):
        self.g = places or gazetteer()

    def mentions(self, text: str, *, folded: bool | None = None) -> list[Mention]:
        text = nfc(text)
        if folded is None:
            folded = _unaccented(text)
        return _Pass(self.g, text, folded).run()


class _Pass:
    """One text, scanned once: each word belongs to at most one mention."""

    def __init__(self, g: Gazetteer, text: str, folded: bool):
        self.g, self.text, self.folded = g, text, folded
        self.ts = toks(text)
        self.low = [t.fold if folded else t.low for t in self.ts]
        self.taken = [False] * len(self.ts)
        self.found: list[Mention] = []
        self.p = _phrases()
        self.names = self.g.folded if folded else self.g.names

    def run(self) -> list[Mention]:
        self._times()
        self._documents()
        if not self.folded:
            self._quotes()
        self._scan()
        self.found.sort(key=lambda m: m.start)
        return self.found

    # -- bookkeeping
    def claim(self, kind: str, i: int, j: int, key: str, place: Place | None = None, head: str = "") -> bool:
        if i >= j or any(self.taken[i:j]):
            return False
        for k in range(i, j):
            self.taken[k] = True
        ts = self.ts
        self.found.append(Mention(kind, self.text[ts[i].start : ts[j - 1].end], ts[i].start, ts[j - 1].end,
                                  key, place, head))  # fmt: skip
        return True

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Word indexes covering text[start:end]."""
        i = next((k for k, t in enumerate(self.ts) if t.end > start), None)
        j = next((k for k in range(len(self.ts) - 1, -1, -1) if self.ts[k].start < end), None)
        return (i, j + 1) if i is not None and j is not None and i <= j else None

    def place_at(self, i: int) -> tuple[int, Place] | None:
        """A gazetteer place spelled from word i on (capitalised unless folded)."""
        if i >= len(self.ts) or (not self.folded and not self.ts[i].cap):
            return None
        hit = _match(self.names, self.low, i)
        if not hit:
            return None
        n, place = hit
        if not all(self.ts[k].cap or self.folded for k in range(i, i + n)):
            return None
        return n, place

    # -- numbers in context
    def _times(self) -> None:
        for m in _TIME.finditer(self.text):
            if sp := self.span(m.start(), m.end()):
                years = re.findall(_YEAR, m.group())
                self.claim("time", *sp, "-".join(years) if years else fold(m.group().lower()))

    def _code_end(self, j: int) -> int:
        """Past the number that starts at word j: "33", "04-NQ/TW", "23/2017/QĐ-UBND"."""
        k = j + 1
        while k < len(self.ts) and self.ts[k].gap in ("-", "/", "") and _code(self.ts[k]):
            k += 1
        return k

    def _lettered(self, j: int, k: int) -> bool:
        """The number in words j..k carries a code ("05-CTr/TU"), not only digits ("33", "1/4/2021")."""
        return any(t.raw[0].isalpha() for t in self.ts[j + 1 : k])

    def _documents(self) -> None:
        table = self.p["doc_folded" if self.folded else "doc"]
        ts, low = self.ts, self.low
        for i in range(len(ts)):
            hit = _match(table, low, i)
            if not hit:
                continue
            n, head = hit
            j = i + n
            if j < len(ts) and low[j] in ("số", "so"):
                j += 1
            if j < len(ts) and ts[j].raw[0].isdigit():  # "33", "04-NQ/TW", "05-CT/TW"
                k = self._code_end(j)
                # a document's name in lower case counts when its number is a code ("kế hoạch 05-KH/TU");
                # before a bare number it is a common noun ("kế hoạch 5 năm")
                if not self.folded and not ts[i].cap and not self._lettered(j, k):
                    continue
                number = " ".join(t.fold.lower() for t in ts[j:k])
                self.claim("doc", i, k, f"{fold(head)} {number}", head=head)
        for j in range(len(ts)):  # a document's number alone: "05-CTr/TU", "23/2017/QĐ-UBND"
            if ts[j].raw[0].isdigit() and (j == 0 or ts[j].gap not in ("-", "/", "")):
                k = self._code_end(j)
                if self._lettered(j, k):
                    self.claim("doc", j, k, " ".join(t.fold.lower() for t in ts[j:k]))

    def _quotes(self) -> None:
        for m in _QUOTED.finditer(self.text):
            sp = self.span(m.start(1), m.end(1))
            if sp and sp[1] - sp[0] <= 8:
                self.claim("quote", *sp, name_key(m.group(1)))

    # -- names
    def _scan(self) -> None:
        ts, low, n = self.ts, self.low, len(self.ts)
        i = 0
        while i < n:
            if self.taken[i]:
                i += 1
                continue
            t = ts[i]
            nxt = self._admin(i) or self._org_or_role(i) or self._person(i)
            if nxt:
                i = nxt
                continue
            if self.folded:
                hit = _match(self.names, low, i)
                # a name does not start in lower case and go on in capitals: "tai bien Hoa Binh" is
                # "tai biến Hòa Bình", not the city "Biên Hòa" after "tai"
                if hit and not t.cap and any(ts[k].cap for k in range(i + 1, i + hit[0])):
                    hit = None
                if hit and (hit[0] >= 2 or self._cued(i)):
                    self.claim("place", i, i + hit[0], hit[1].key, hit[1])
                    i += hit[0]
                else:
                    i += 1
                continue
            if not t.cap:
                i += 1
                continue
            j = i + 1
            while j < n and ts[j].cap and _joined(ts[j]) and not self.taken[j] and not self._org_head(j):
                j += 1
            i = self._run(i, j)

    def _cued(self, i: int) -> bool:
        return (
            i > 0
            and (self.low[i - 1],) in self.p["admin_folded" if self.folded else "admin"]
            or (i > 0 and self.low[i - 1] in ("o", "tai", "ở", "tại", "người", "nguoi"))
        )

    def _admin(self, i: int) -> int | None:
        """ "tỉnh An Giang", "thị xã An Khê", "TP. Hồ Chí Minh", "quận 1": a place after its kind."""
        hit = _match(self.p["admin_folded" if self.folded else "admin"], self.low, i)
        if not hit:
            return None
        n, kind = hit
        j = i + n
        if j >= len(self.ts):
            return None
        abbreviated = self.ts[i + n - 1].low in ("tp", "tx") and self.ts[j].gap.strip() == "."
        if self.taken[j] or not (_joined(self.ts[j]) or abbreviated):
            return None
        if place := self.place_at(j):
            k = j + place[0]
            self.claim("place", j, k, place[1].key, place[1], head=kind)
            return k
        if self.folded or not (self.ts[j].cap or (self.ts[j].raw.isdigit() and kind in ("quận", "phường"))):
            return None
        k = j + 1
        while k < len(self.ts) and self.ts[k].cap and _joined(self.ts[k]) and k - j < 4:
            k += 1
        while (
            k > j + 1
            and not self.g.get(" ".join(t.raw for t in self.ts[j:k]))
            and self.g.get(" ".join(t.raw for t in self.ts[j : k - 1]))
        ):
            k -= 1  # fmt: skip
        name = " ".join(t.raw for t in self.ts[j:k])
        place = self.g.get(name) or Place(name, kind, None)
        self.claim("place", j, k, place.key, place, head=kind)
        return k

    def _org_head(self, i: int) -> tuple[int, str] | None:
        if self.folded or not (self.ts[i].cap or _is_acronym(self.ts[i])):
            return None
        return _match(self.p["org"], self.low, i)

    def _org_end(self, i: int, n: int) -> tuple[int, Place | None]:
        """Where an organisation opened by a head of `n` words at i ends, and the place it names."""
        ts, low = self.ts, self.low
        j = i + n
        while j < len(ts) and not self.taken[j] and _joined(ts[j]):
            if place := self.place_at(j):
                k = j + place[0]
                admin = _match(self.p["admin"], low, k)  # "MTTQ Việt Nam tỉnh An Giang"
                if admin and k + admin[0] < len(ts) and (inner := self.place_at(k + admin[0])):
                    return k + admin[0] + inner[0], inner[1]
                return k, place[1]
            admin = _match(self.p["admin"], low, j)
            if admin and not ts[j].cap:  # "UBND tỉnh", "Công an quận Đống Đa"
                k = j + admin[0]
                if (place := self.place_at(k)) and _joined(ts[k]):
                    return k + place[0], place[1]
                return k, None
            if ts[j].cap and low[j] in SURNAMES and j + 1 < len(ts) and ts[j + 1].cap and _joined(ts[j + 1]):
                break  # a person's name follows the organisation: "Thị ủy Nguyễn Thị Thanh Lịch"
            if ts[j].cap or _is_acronym(ts[j]) or (j > i + n - 1 and ts[j - 1].cap and j - 1 >= i + 1 and
                                                   _word(low[j - 1], low[j])):  # fmt: skip
                j += 1
                continue
            break
        return j, None

    def _org_or_role(self, i: int) -> int | None:
        ts, low = self.ts, self.low
        role = _match(self.p["role_folded" if self.folded else "role"], low, i)
        after = i > 0 and low[i - 1] in ("là", "làm", "ông", "bà")  # "Ai là chủ tịch ...", "ông chủ tịch"
        if role and (self.folded or ts[i].cap or ts[i].opens or after or i == 0):
            n, head = role
            j = i + n
            place = None
            if not self.folded and j < len(ts) and _joined(ts[j]) and (org := self._org_head(j)):
                j, place = self._org_end(j, org[0])
            elif head.split()[-1] in ("ban", "bộ", "sở") and not self.folded:  # "Trưởng Ban Dân vận ..."
                j, place = self._org_end(i + n - 1, 1)
            self.claim("role", i, j, name_key(self.text[ts[i].start : ts[j - 1].end]), place, head=head)
            return j
        if org := self._org_head(i):
            n, head = org
            j, place = self._org_end(i, n)
            alone = _is_acronym(ts[i]) or n > 1 or head in ("quốc hội", "chính phủ")
            if j > i + n or alone:
                self.claim("org", i, j, name_key(self.text[ts[i].start : ts[j - 1].end]), place, head=head)
                return j
        return None

    def _person(self, i: int) -> int | None:
        """ "ông Ngô Văn Thuận", "đồng chí Lại Thanh Sơn", "anh Hùng": a title, then a capitalised name."""
        if self.folded:
            return None
        hit = _match(self.p["honorific"], self.low, i)
        if not hit:
            return None
        n, head = hit
        j = i + n
        if j < len(self.ts) and (_match(self.p["role"], self.low, j) or self._org_head(j)):
            return None  # "đồng chí Chủ tịch UBND tỉnh": a role, no name
        k = j
        while k < len(self.ts) and self.ts[k].cap and _joined(self.ts[k]) and k - j < 4 and not self.taken[k]:
            k += 1
        if k == j or (k - j == 1 and self.place_at(j) and head in ("người", "nước")):
            return None
        if self.place_at(j) and self.place_at(j)[0] == k - j and k - j > 1:
            return None  # "bà con Hà Giang"
        self.claim("person", j, k, name_key(" ".join(t.raw for t in self.ts[j:k])), head=head)
        return k

    def _run(self, i: int, j: int) -> int:
        """A run of capitalised words [i, j): places of the gazetteer inside it, a person, or a name."""
        ts, low = self.ts, self.low
        opening = self.place_at(i)  # "Đồng Nai có ...": a place opens the sentence, "Đồng" is no word then
        if ts[i].opens and not (opening and opening[0] > 1 and i + opening[0] <= j):
            first_is_word = low[i] in NOT_NAMES or (
                low[i] in _syllables() and not self.place_at(i) and low[i] not in SURNAMES
                and (j - i == 1 or not ts[i + 1].cap)
            ) or (i + 1 < len(ts) and not ts[i + 1].cap and _word(low[i], low[i + 1]))  # fmt: skip
            if first_is_word:
                i += 1
                if i >= j:
                    return j
        k = i
        while k < j:
            place = self.place_at(k)
            # "người Pháp Jean Ribault": after "người" a country is a nationality, the name follows it
            nationality = place and k == i and i > 0 and low[i - 1] == "người" and j - i > 1
            if (
                place
                and k + place[0] <= j
                and (place[0] > 1 or nationality or (j - i == 1 and _single_ok(ts, k, j)))
            ):
                if k == i and low[k] in SURNAMES and place[0] < j - i and 2 <= j - i <= 4:
                    break  # "Hà Văn Minh" is a person, though "Hà" opens a place name
                if k > i:
                    self._named(i, k)
                self.claim("place", k, k + place[0], place[1].key, place[1])
                k += place[0]
                i = k
            else:
                k += 1
        if i < j:
            self._named(i, j)
        return j

    def _named(self, i: int, j: int) -> None:
        ts, low = self.ts, self.low
        raw = " ".join(t.raw for t in ts[i:j])
        if i and low[i - 1] in LOCATIVES and _joined(ts[i]) and low[i] not in SURNAMES:
            self.claim("place", i, j, name_key(raw), Place(raw, "nơi", None))  # "ở Victoria", "tại Newcastle"
            return
        if low[i] in SURNAMES and 2 <= j - i <= 4:
            self.claim("person", i, j, name_key(raw))
            return
        # "Dân vận khéo": one capitalised syllable opening a word of the lexicon names a thing
        if j - i == 1 and j < len(ts) and not ts[j].cap and _joined(ts[j]) and _word(low[i], low[j]):
            self.claim("name", i, j + 1, name_key(f"{raw} {ts[j].raw}"))
            return
        if j - i == 1 and low[i] in _syllables() and not _is_acronym(ts[i]):
            return  # "Đảng", "Bộ", "Tết": a capitalised common word, not a name to refer back to
        self.claim("name", i, j, name_key(raw))


def _single_ok(ts: list[Tok], i: int, j: int) -> bool:
    """ "Mỹ", "Anh", "Huế", "Vinh" name places only standing alone, and not before "ấy", "ta"."""
    if j - i != 1:
        return False
    nxt = ts[j].low if j < len(ts) else ""
    return nxt not in ("ấy", "ta", "này", "em", "chị", "ơi")


# --- what the rest of the engine asks -----------------------------------------------------------------


@lru_cache(maxsize=1)
def recogniser() -> Recogniser:
    return Recogniser()


@lru_cache(maxsize=65536)
def _cached(text: str, folded: bool | None) -> tuple[Mention, ...]:
    return tuple(recogniser().mentions(text, folded=folded))


def mentions(text: str, *, folded: bool | None = None) -> list[Mention]:
    """Mentions of `text`; the same text (earlier turns come back every request) is read once."""
    return list(_cached(text, folded))
