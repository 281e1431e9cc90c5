"""Follow-up questions made whole from the conversation, without a language model.

"Còn Bắc Giang thì sao?" after "Năm 2020 An Giang có bao nhiêu mô hình Dân vận khéo?" is searched as
"Năm 2020 Bắc Giang có bao nhiêu mô hình Dân vận khéo?"; "Ông ấy đã làm gì?" after an answer naming
Nguyễn Tiếc Hùng as "Ông Nguyễn Tiếc Hùng đã làm gì?"; "Đang xét bao nhiêu đơn?" after a question
about An Khê as "Đang xét bao nhiêu đơn ở An Khê?". A question that names its own topic is left as
typed. The readings, tried in this order, come from closed classes of Vietnamese grammar, not from any
question set's wording:

1. ellipsis: "còn/thế còn/vậy còn X (thì sao)?" -> the previous question with X put in place of the
   entity of X's kind (a place for a place, a year for a year, a person for a person ...);
2. a bare question word: "Ở đâu?", "Khi nào?", "Vì sao?" -> the previous question, asking that;
3. deixis: "ông ấy", "họ", "ở đó", "năm đó", "<noun> này/đó" -> the entity of the conversation the
   words stand for, looked up in the previous answer first when the previous question asked for one of
   that kind ("Ai ...?" then "Ông ấy ..."), then in the previous question, then in older turns;
4. a missing subject: a question naming no place, person or document -> the conversation's topic (its
   place, organisation or person, else the title of the article that answered) is added.

Readings 3 and 4 need the rest of the question to lean on the last turn: an IDF-weighted share of its
words must be found in the last question, answer or cited passages. Without it, a standalone question
that happens to say "người này" about its own subject is not dragged into the conversation. The two
shares were chosen on the tuning half of the conversation set (docs/quality.md).

No state is kept between requests: everything comes from `history`, which the caller carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..text.entities import PRONOUNS, Mention, mentions, name_key
from ..text.normalise import canonical_tone, fold, tokens, typed_without_diacritics
from ..text.words import lexicon, segment, words

# what a question asks for -> the kind of entity its answer supplies
_ASKS = [
    ("person", re.compile(r"\b(ai|nguoi nao|vi nao|ten (la )?gi)\b|\bten\b.*\bla gi\b")),
    ("place", re.compile(r"\b(o dau|noi nao|(tinh|huyen|xa|thanh pho|nuoc|quoc gia|dia phuong|vung) nao)\b")),
    ("time", re.compile(r"\b(khi nao|bao gio|luc nao|(nam|ngay|thang|thoi gian|thoi diem) nao)\b")),
]
_OPENS_ELLIPSIS = re.compile(r"(?i)^(?:(?:thế|vậy|và|nhưng)\s+)*còn\b")
_CLOSES_ELLIPSIS = re.compile(r"(?i)\b(thì sao|thì thế nào)\s*[?.!…]*$")
_ELLIPSIS_OPEN = re.compile(r"^(?:(?:the|vay|va|nhung)\s+)*con\s+(?:(?:ve|voi|o|tai|doi voi)\s+)?")
_ELLIPSIS_CLOSE = re.compile(r"\s*(?:thi sao|thi the nao|the nao|thi|sao|nhi|nhe|a|vay|the)?\s*[?.!…]*$")
_WH_ONLY = re.compile(
    r"^(?:(?:the|vay|con|va)\s+)*(o dau|khi nao|bao gio|luc nao|vi sao|tai sao|the nao|nhu the nao|"
    r"bao nhieu|may|ai|cai gi|gi|nam nao|ngay nao|nhu nao)(?:\s+(?:a|vay|nhi|the))?\s*[?.!]*$"
)
_TRAILING_WH = re.compile(
    r"\s*(?:la ai|la gi|o dau|khi nao|bao gio|vao nam nao|nam nao|ngay nao|nhu the nao|the nao|ra sao|"
    r"gi|nao|ai)\s*[?.!]*$"
)
_INNER_WH = re.compile(r"\s+(gi|nao)\b(?=\s)")
_DEMONSTRATIVES = {"này", "đó", "ấy", "kia", "nay", "do", "ay"}
# "sau đó", "trước đó", "từ đó", "do đó": connectives (after that, before, since, so), no noun to resolve
_CONNECTIVES = {"sau", "trước", "từ", "do", "bởi", "vì"}
_CONNECTIVES_FOLDED = {fold(w) for w in _CONNECTIVES}
_PERSONAL = {"ong", "ba", "anh", "chi", "co"}  # "ông ấy" and the like: a person, named in the last turn
_PLACE_NOUNS = {
    "thanh pho",
    "tinh",
    "huyen",
    "xa",
    "nuoc",
    "quoc gia",
    "dat nuoc",
    "vung",
    "noi",
    "dia phuong",
}
_STOP = {
    "bao", "nhieu", "gi", "nao", "ai", "la", "co", "duoc", "da", "dang", "se", "cua", "va", "cac", "nhung",
    "mot", "cho", "voi", "ve", "trong", "o", "tai", "thi", "sao", "khong", "nhu", "the", "may", "khi", "dau",
    "bi", "vi", "do", "nay", "nguoi",
}  # fmt: skip
_QUESTION_PHRASES = {"bao nhieu", "khi nao", "the nao", "nhu the nao", "la gi"}

Idf = Callable[[tuple[str, ...]], float]


@dataclass
class Turn:
    """One earlier exchange, as the caller passes it back."""

    question: str
    standalone: str | None = None  # as it was searched, when the engine completed it
    answer: str = ""  # the answer's text ("" when only the question is known, or it abstained)
    contexts: list[str] = field(default_factory=list)  # what the cited sentences are about: places, titles
    passages: list[str] = field(default_factory=list)  # the cited passages
    abstained: bool = False

    def __post_init__(self):
        self.answer = re.sub(r"\s*\[\d+\]", "", self.answer or "")  # the markers are no words

    @property
    def searched(self) -> str:
        return self.standalone or self.question


@dataclass(frozen=True)
class Completion:
    standalone: str  # the question to search with; the typed one when nothing was missing
    how: str = "unchanged"  # "unchanged", "ellipsis", "wh", "deixis", "subject"
    replaced: str | None = None  # the words of the question (or the earlier one) that were replaced
    by: str | None = None  # what stands there now
    core: str | None = None  # when only an article's title was added: the question to quote for

    @property
    def changed(self) -> bool:
        return self.how != "unchanged"


def parse_history(items: Iterable[object] | None) -> list[Turn]:
    """`history` as the API takes it: the earlier questions, oldest first, each a string or an object
    with "question" and, optionally, "standalone" and "answer" (its text, or the whole object `/ask`
    returned, whose citations tell what the answer was about)."""
    turns = []
    for item in items or []:
        if isinstance(item, str):
            if item.strip():
                turns.append(Turn(item))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            continue
        answer = item.get("answer")
        if isinstance(answer, dict):
            item = {**answer, **{k: v for k, v in item.items() if k != "answer"}}
            answer = answer.get("answer")
        citations = [c for c in item.get("citations") or [] if isinstance(c, dict)]
        turns.append(
            Turn(
                question=item["question"],
                standalone=item.get("standalone") if isinstance(item.get("standalone"), str) else None,
                answer=answer if isinstance(answer, str) and not item.get("abstained") else "",
                contexts=[str(c.get("context") or c.get("title") or "") for c in citations],
                passages=[str(c.get("passage") or "") for c in citations],
                abstained=bool(item.get("abstained")),
            )
        )
    return turns


class Conversation:
    """A conversation as a client keeps it (the CLI's `rag chat`, `rag ask --conversation`): the turns
    so far, handed to `ask` as its history. The engine itself keeps none."""

    def __init__(self, ask: Callable[..., object], limit: int = 8):
        self._ask = ask  # Pipeline.ask
        self.limit = limit  # turns passed back: what a follow-up leans on is recent
        self.history: list[dict] = []

    def ask(self, question: str, **kw):
        answer = self._ask(question, history=self.history[-self.limit :], **kw)
        self.history.append({"question": question, "answer": answer.to_dict()})
        return answer

    def new(self) -> None:
        self.history.clear()


# --- small readings ----------------------------------------------------------------------------------


def _ellipsis_entity(rest: str, folded: bool) -> Mention | None:
    """The entity "còn X thì sao?" puts in place of the last question's, if X is little more than it."""
    found = mentions(rest, folded=folded)
    if not found:
        return None
    x = found[0]
    if len(re.sub(r"\W+", " ", rest[: x.start] + rest[x.end :]).split()) > 2:
        return None  # more than "X" (and "ở", "năm"): a question of its own, "Thái độ của Lee ra sao?"
    return x


def _first_digit(text: str) -> int:
    """Where a document's number starts in its mention ("Chương trình hành động 07-CTr/TU" -> 23)."""
    return next((i for i, c in enumerate(text) if c.isdigit()), 0)


@lru_cache(maxsize=65536)
def _plain(text: str) -> bool:
    """Typed without diacritics (short texts too: "an khe")."""
    return typed_without_diacritics(text) or (fold(text) == text and len(text.split()) <= 2)


def _asked_kind(question: str) -> str | None:
    folded = fold(question.lower())
    return next((kind for kind, p in _ASKS if p.search(folded)), None)


def _matches(m: Mention, kind: str) -> bool:
    """Whether a mention can stand for a word of `kind` ("họ": a group, "nó": a thing ...)."""
    return {
        "group": m.kind in ("org", "person", "name"),
        "thing": m.kind in ("name", "quote", "org", "doc", "place"),
        "place": m.kind == "place" or (m.kind in ("org", "role") and m.place is not None),
        "person": m.kind in ("person", "name"),
        "name": m.kind in ("name", "quote"),
    }.get(kind, m.kind == kind)


def _foreign_name(m: Mention) -> bool:
    """ "Tesla", "Martin Luther", "Obama": a name of capitalised words that the recogniser cannot tell
    for a person (it knows Vietnamese surnames, not foreign ones); "Dân vận khéo" and "WHO" are none."""
    parts = m.text.split()
    return m.kind == "name" and all(p[:1].isupper() and not (len(p) > 1 and p.isupper()) for p in parts)


def _fullest(m: Mention, turn: Turn) -> Mention:
    """The name as the last answer or its passages write it in full: "Obama" -> "Barack Obama" (a
    surname alone finds fewer passages, and of other people)."""
    if turn.abstained or m.kind not in ("name", "person"):
        return m
    # only the few words before each place the name is written are read: the recogniser over a whole
    # passage takes milliseconds, and this runs on the request path
    before = re.compile(rf"(?:\w+\s+){{1,3}}{re.escape(m.text)}\b")
    longer = [
        o for text in [turn.answer, *turn.passages] for found in before.finditer(text)
        for o in mentions(found.group())
        if o.kind in ("name", "person") and o.key.endswith(f" {m.key}") and len(o.key.split()) <= 4
    ]  # fmt: skip
    return max(longer, key=lambda o: len(o.key), default=m)


def _typed_first(ms: list[Mention], kind: str) -> list[Mention]:
    """A person before a mere name for "ông ấy", a place before an organisation of it for "ở đó"."""
    return sorted(ms, key=lambda m: 0 if m.kind == kind else 1)


def _candidates(turns: Sequence[Turn], kind: str) -> list[Mention]:
    """Entities of `kind` the conversation offers, most likely antecedent first."""
    out: list[Mention] = []
    for age, turn in enumerate(reversed(turns)):
        asked = mentions(turn.searched)
        known = {m.key for m in asked}
        q = [m for m in asked if _matches(m, kind)]
        a = [] if turn.abstained else [
            m for text in [turn.answer, *turn.contexts] for m in mentions(text)
            if _matches(m, kind) and m.key not in known
        ]  # fmt: skip
        if age == 0 and _asked_kind(turn.searched) == kind:
            # the answer first, but a recognised person ("Trương Thị Ngọc Lan") before mere capitalised
            # words ("Y Dược") wherever it was written: the sort is stable
            out += _typed_first(a + q, kind)
        else:
            out += _typed_first(q, kind) + _typed_first(a, kind)
    return out


def _surface(m: Mention, kind: str) -> str:
    """How an antecedent is written in the completed question."""
    if kind == "place" and m.kind != "place" and m.place is not None:
        return m.place.name
    return m.text


def _replace(text: str, start: int, end: int, new: str) -> str:
    old = text[start:end]
    if start == 0 and old[:1].isupper():
        new = new[:1].upper() + new[1:]
    elif start > 0 and new[:1].isupper() and old[:1].islower() and new.split()[0].lower() in (
        "năm", "tháng", "ngày", "tỉnh", "huyện", "ông", "bà", "anh", "chị", "cô"
    ):  # fmt: skip
        new = new[:1].lower() + new[1:]
    return text[:start] + new + text[end:]


def _place_span(text: str, m: Mention) -> tuple[int, int]:
    """Where a place is written inside an organisation or role mention ("Ban Dân vận Tỉnh ủy An Giang");
    an empty span after it when the organisation leaves its place implicit ("UBND tỉnh")."""
    if m.kind == "place" or m.place is None:
        return m.start, m.end
    key = m.place.key.split()
    ws = [(w.start(), w.end(), name_key(w.group())) for w in re.finditer(r"\w+", text[m.start : m.end])]
    for i in range(len(ws) - len(key) + 1):
        if [w[2] for w in ws[i : i + len(key)]] == key:
            return m.start + ws[i][0], m.start + ws[i + len(key) - 1][1]
    return m.end, m.end


def _append(question: str, kind: str, entity: str) -> str:
    """Add an entity the question lacks, the way Vietnamese would: "... ở An Khê?", "... năm 2019?"."""
    core = question.rstrip(" ?.!…")
    mark = question[len(core) :].strip() or "?"
    if kind == "time" and not re.match(r"(?i)(năm|nam|tháng|thang|ngày|ngay|giai đoạn|quý)\b", entity):
        entity = f"năm {entity}"
    joiner = {"place": "ở", "time": "", "org": "của", "doc": "trong"}.get(kind)
    if joiner is None:
        return f"{core} ({entity}){mark}"
    return f"{core} {joiner} {entity}{mark}".replace("  ", " ")


def _noun_start(syllables: list[str], i: int, plain: bool) -> int:
    """The first syllable of the word that ends at syllables[i]: "nghị quyết" in "nghị quyết này"."""
    known = lexicon()[1 if plain else 0]
    for n in (4, 3, 2):
        k = i - n + 1
        if k >= 0 and tuple(syllables[k : i + 1]) in known:
            return k
    return i


def _word_bounds(syllables: list[str], plain: bool) -> tuple[set[int], set[int]]:
    """Indexes of the syllables that open and close a word (the word list, longest match)."""
    starts, ends, i = set(), set(), 0
    for word in segment([s.lower() for s in syllables], folded=plain):
        starts.add(i)
        i += len(word)
        ends.add(i - 1)
    return starts, ends


@lru_cache(maxsize=1)
def _pronoun_tables() -> tuple[dict, dict]:
    accented = {tuple(canonical_tone(x) for x in k): v for k, v in PRONOUNS.items()}
    return accented, {tuple(fold(x) for x in k): v for k, v in PRONOUNS.items()}


@lru_cache(maxsize=4096)
def _folded_words(text: str) -> str:
    return f" {' '.join(fold(t) for t in tokens(text))} "


def _gender_ok(pronoun: str, m: Mention) -> bool:
    """Vietnamese names carry it: "Thị" names a woman, "Văn" a man."""
    parts = name_key(m.text).split()[1:]
    first = fold(pronoun)
    return not (
        (first in ("ong", "anh") and "thi" in parts) or (first in ("ba", "chi", "co") and "van" in parts)
    )


@dataclass(frozen=True)
class _Deictic:
    start: int  # offsets in the question
    end: int
    kind: str | None  # what a pronoun stands for; None for "<noun> này"
    first: str  # its first syllable, folded: "ong", "o", "nghi" ...
    noun: str = ""  # for "<noun> này": the noun as written


class Completer:
    """Makes a follow-up whole. `idf` weighs a word (a tuple of folded syllables) by how rare the store
    finds it; the shares it weighs tell a follow-up from a question of its own."""

    def __init__(self, idf: Idf | None = None, overlap: float = 0.5, deixis_overlap: float = 0.3):
        self.idf = idf or (lambda word: 1.0)
        self.overlap = overlap  # share of a subject-less question's words the last turn must hold
        self.deixis_overlap = deixis_overlap  # the same, for a question with "ở đó", "... này", "họ"

    def complete(self, question: str, history: Sequence[Turn]) -> Completion:
        if not history:
            return Completion(question)
        return (
            self._ellipsis(question, history)
            or self._wh(question, history)
            or self._deixis(question, history)
            or self._subject(question, history)
            or Completion(question)
        )

    # 1. "Còn X thì sao?"
    def _ellipsis(self, question: str, history: Sequence[Turn]) -> Completion | None:
        plain = _plain(question)
        if not plain and not (_OPENS_ELLIPSIS.match(question.strip()) or _CLOSES_ELLIPSIS.search(question)):
            return None  # "Con sông nào ...?" says no "còn"
        folded = fold(question.lower()).strip()
        opened = _ELLIPSIS_OPEN.match(folded)
        closed = _ELLIPSIS_CLOSE.search(folded)
        if not opened and (closed.group().strip(" ?.!…") if closed else "") not in ("thi sao", "thi the nao"):
            return None
        rest = question[opened.end() if opened else 0 : closed.start() if closed else len(question)].strip(
            " ,"
        )
        if not rest or len(rest.split()) > 8:
            return None
        # typed without diacritics, capitals still mark names ("con Obama thi sao"); read folded too
        # when they do not, as in a document's code ("con chuong trinh hanh dong 05-CTr/TU thi sao")
        readings = (False, True) if plain and rest != rest.lower() else (plain,)
        x = next((x for folded in readings if (x := _ellipsis_entity(rest, folded))), None)
        if x is None:
            return None
        kind = "place" if x.kind == "place" else ("name" if x.kind in ("quote", "name") else x.kind)
        prev = history[-1].searched
        surface = rest[x.start : x.end]
        if x.kind == "place" and x.place and fold(surface) == surface and not _plain(prev):
            surface = x.place.name  # "con bac giang" after a question with diacritics: spell it out
        elif _plain(prev) and not _plain(surface):
            surface = fold(surface).lower()
        old = [m for m in mentions(prev) if _matches(m, kind)]
        if not old:
            return Completion(_append(prev, kind, surface), "ellipsis", None, surface)
        o = old[-1] if kind == "time" else old[0]
        s, e = _place_span(prev, o) if kind == "place" else (o.start, o.end)
        if kind == "doc" and o.head and fold(x.head) in ("", fold(o.head)):
            # "Còn 05-CTr/TU?", "con chuong trinh hanh dong 05-CTr/TU?": a new number, the old name
            s += _first_digit(o.text)
            surface = surface[_first_digit(surface) :]
        if s == e:  # an implicit place: "UBND tỉnh" -> "UBND tỉnh Bắc Giang"
            return Completion(f"{prev[:s]} {surface}{prev[s:]}", "ellipsis", None, surface)
        if kind == "time" and x.text[:1].isdigit() and (year := re.match(r"(?i)(năm|nam)\s+", prev[s:e])):
            s += len(year.group())  # "Năm 2020" -> "Năm 2019"
        return Completion(_replace(prev, s, e, surface), "ellipsis", prev[s:e], surface)

    # 2. "Ở đâu?", "Vì sao?"
    def _wh(self, question: str, history: Sequence[Turn]) -> Completion | None:
        folded = fold(question.lower()).strip()
        if not _WH_ONLY.match(folded):
            return None
        prev = history[-1].searched
        m = _TRAILING_WH.search(fold(prev.lower()))
        core = prev[: m.start()] if m else prev.rstrip(" ?.!")
        inner = _INNER_WH.search(fold(core.lower()))  # "con vật gì tấn công": the old question word goes
        if inner:
            core = core[: inner.start()] + core[inner.end() :]
        wh = question.strip().rstrip("?.! ")
        if folded.startswith(("vi sao", "tai sao")):
            new = f"{wh[:1].upper()}{wh[1:]} {core[:1].lower()}{core[1:]}?"
        else:
            new = f"{core.rstrip(' ,')} {wh[:1].lower()}{wh[1:]}?"
        return Completion(new, "wh", prev[len(core) :].strip() or None, wh)

    # 3. "ông ấy", "tỉnh đó", "nghị quyết này"
    def _deixis(self, question: str, history: Sequence[Turn]) -> Completion | None:
        own = mentions(question)
        for d in self._deictics(question, own):
            personal = d.kind == "person" and d.first in _PERSONAL and d.end - d.start > 2
            last = history[-1]
            named_before = personal and (
                _asked_kind(last.searched) == "person"
                or any(c.kind == "person" for c in _candidates([last], "person"))
                or any(_foreign_name(m) for m in mentions(last.searched))
            )
            if not named_before:
                rest = question[: d.start] + question[d.end :]
                if self._share(rest, last) < self.deixis_overlap:
                    # nothing else in it leans on the last turn: this "này" points elsewhere (a pronoun
                    # after it, "Khi đó ông ấy …", is judged on its own)
                    continue
            if d.kind is not None:
                if any(_matches(m, d.kind) and m.end <= d.start for m in own):
                    return None  # the question names it itself: "Manning ... anh ấy"
                new = self._pronoun(question, d, history)
            else:
                new = self._noun_antecedent(d.noun, history)
            if new:
                if _plain(question):
                    new = fold(new).lower()
                words_before = question[d.start : d.end]
                return Completion(_replace(question, d.start, d.end, new), "deixis", words_before, new)
        return None

    @staticmethod
    def _deictics(question: str, own: list[Mention]) -> list[_Deictic]:
        """The pronouns and "<noun> này" of a question, on word boundaries ("chúng" of "công chúng" is
        none), matched as written: folded, "họ" would be the "hồ" of "đồng hồ"."""
        plain = _plain(question)
        norm = (lambda w: fold(w.lower())) if plain else (lambda w: canonical_tone(w.lower()))
        found = [(w.start(), w.end(), norm(w.group())) for w in re.finditer(r"\w+", question)]
        syllables = [w[2] for w in found]
        table = _pronoun_tables()[1 if plain else 0]
        starts, ends = _word_bounds(syllables, plain)
        out = []
        for i in range(len(found)):
            for n in (3, 2, 1):
                if i + n > len(found) or i not in starts or i + n - 1 not in ends:
                    continue
                key = tuple(syllables[i : i + n])
                after = fold(syllables[i + n]) if i + n < len(found) else ""
                kind = table.get(key)
                if kind and fold(key[0]) == "chung" and after in ("ta", "toi", "minh"):
                    continue  # "chúng ta" is us
                if kind and key == (("ho",) if plain else ("họ",)) and after in ("cua", "va", "ten", "hang"):
                    continue  # "họ của", "họ và tên": a surname; "họ hàng": kin
                s, e = found[i][0], found[i + n - 1][1]
                if kind:
                    out.append(_Deictic(s, e, kind, fold(key[0])))
                elif (
                    n == 2
                    and key[1] in _DEMONSTRATIVES
                    and key[0] not in (_CONNECTIVES_FOLDED if plain else _CONNECTIVES)
                    and not any(m.start <= s < m.end for m in own)
                ):
                    k = _noun_start(syllables, i, plain)
                    out.append(
                        _Deictic(
                            found[k][0], e, None, fold(syllables[k]), question[found[k][0] : found[i][1]]
                        )
                    )
        return out

    @staticmethod
    def _pronoun(question: str, d: _Deictic, history: Sequence[Turn]) -> str | None:
        cands = [c for c in _candidates(history, d.kind) if _gender_ok(d.first, c)]
        if not cands:
            return None
        c = cands[0]
        if d.kind == "person":
            c = _fullest(c, history[-1])
        new = _surface(c, d.kind)
        lead = question[d.start : d.end].split()[0]
        if (d.kind == "person" and d.first in _PERSONAL and c.kind == "person") or (
            d.kind == "place" and d.first in ("o", "tai")
        ):
            return f"{lead} {new}"  # "ông Nguyễn Tiếc Hùng", "ở An Khê"
        return new

    @staticmethod
    def _noun_antecedent(noun: str, history: Sequence[Turn]) -> str | None:
        """ "nghị quyết này" -> "Nghị quyết 33"; "mô hình này" -> "mô hình “Dân vận khéo”"; "tỉnh đó" ->
        "tỉnh An Giang"; "đội này" after "Đội nào ...?" -> the team the answer named."""
        head = name_key(noun)
        for age, turn in enumerate(reversed(history)):
            texts = [turn.searched] + ([] if turn.abstained else [turn.answer]) + turn.contexts
            # "Phim nào ...?", "bộ phim hoạt hình nào ...?" (a modifier of up to two words between)
            asked_which = rf"\b{re.escape(head)}(?: \w+){{0,2}} nao\b"
            if not turn.abstained and re.search(asked_which, fold(turn.searched.lower())):
                known = {m.key for m in mentions(turn.searched)}  # "Đội nào ...?": what the answer named
                kinds = (
                    ("place",) if head in _PLACE_NOUNS else ("name", "org", "place", "person", "quote", "doc")
                )
                for m in (m for text in [turn.answer, *turn.contexts] for m in mentions(text)):
                    if m.key not in known and m.kind in kinds:
                        if m.kind == "place":
                            return f"{noun.lower()} {_surface(m, 'place')}"
                        return m.text if name_key(m.text).startswith(head) else f"{noun.lower()} {m.text}"
            for text in texts:
                for m in mentions(text):
                    if m.kind in ("doc", "org") and m.head and name_key(m.head) == head:
                        return m.text
                    if name_key(text[max(0, m.start - len(noun) - 2) : m.start]) == head and m.kind != "time":
                        s = m.start - (text[m.start - 1 : m.start] in '“"')
                        e = m.end + (text[m.end : m.end + 1] in '”"')
                        return f"{noun.lower()} {text[s:e]}"
            for text in texts:
                for m in mentions(text):
                    place = m.place if m.kind in ("place", "org", "role") else None
                    if place is not None and name_key(place.kind) == head:
                        return f"{noun.lower()} {place.name}"
            if age == 0:  # the last question's own subject: "bệnh này" after "... của AES?": "bệnh AES"
                for m in mentions(turn.searched):
                    if head in _PLACE_NOUNS and m.kind in ("place", "name"):
                        return m.text if m.kind == "name" else f"{noun.lower()} {_surface(m, 'place')}"
                    if head not in _PLACE_NOUNS and m.kind in ("name", "quote", "doc", "org"):
                        return m.text if name_key(m.text).startswith(head) else f"{noun.lower()} {m.text}"
                break
        return None

    # 4. a question without a subject
    def _subject(self, question: str, history: Sequence[Turn]) -> Completion | None:
        own = mentions(question)
        if any(m.kind in ("place", "person", "doc", "name", "quote") for m in own):
            return None
        if any(m.kind in ("org", "role") and m.place is not None for m in own):
            return None
        prev = history[-1]
        if self._share(question, prev) < self.overlap:
            return None
        topic = self._topic(prev)
        if topic is None:
            return None
        kind, text = topic
        implicit = [m for m in own if m.kind in ("org", "role")]
        if kind == "place" and implicit:  # "Ban Dân vận Tỉnh ủy" -> "Ban Dân vận Tỉnh ủy Bắc Giang"
            m = implicit[0]
            return Completion(f"{question[: m.end]} {text}{question[m.end :]}", "subject", None, text)
        if _plain(question):
            text = fold(text).lower()
        core = question if kind == "title" else None
        return Completion(_append(question, kind, text), "subject", None, text, core)

    @staticmethod
    def _topic(turn: Turn) -> tuple[str, str] | None:
        """What the last turn was about: its place, else its organisation, person or document, else the
        title of the article that answered it."""
        for m in mentions(turn.searched):
            if m.kind == "place":
                return "place", m.place.name if m.place else m.text
            if m.kind in ("org", "role") and m.place is not None:
                return "place", m.place.name
        for m in mentions(turn.searched):
            if m.kind in ("org", "person", "doc", "name", "quote"):
                return ("name" if m.kind == "quote" else m.kind), m.text
        return ("title", turn.contexts[0]) if turn.contexts and turn.contexts[0] else None

    def _share(self, question: str, turn: Turn) -> float:
        """IDF-weighted share of the question's words found in the last question, answer and passages."""
        ws = [w for w in words(question, folded=True) if not (len(w) == 1 and w[0] in _STOP)]
        ws = [w for w in ws if " ".join(w) not in _QUESTION_PHRASES]
        if not ws:
            return 0.0
        present = "".join(
            _folded_words(t) for t in [turn.searched, turn.answer, *turn.contexts, *turn.passages]
        )
        total = sum(self.idf(w) for w in ws)
        return sum(self.idf(w) for w in ws if f" {' '.join(w)} " in present) / total if total else 0.0
