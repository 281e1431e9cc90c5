"""Vietnamese text primitives shared by every stage: NFC, syllables, diacritic folding, sentences."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# A number keeps its inner separators ("2.054", "1,5", "19.5.2023", "2010-3/2020" splits at - and /).
TOKEN_PATTERN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:\d+[^\W\d_]*)*|\d+", re.UNICODE)


def nfc(text: str) -> str:
    """One code-point form so that the same Vietnamese word always matches."""
    return unicodedata.normalize("NFC", text)


def clean_spaces(text: str) -> str:
    """Unify exotic spaces and line endings without touching line structure."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return "\n".join(_WS.sub(" ", line).strip() for line in text.split("\n"))


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if unicodedata.category(c) != "Mn")
        if len(base) == 1 and base != chr(cp):
            table[cp] = base
    table.update({ord("đ"): "d", ord("Đ"): "D"})
    table.update({cp: "" for cp in range(0x0300, 0x0370)})  # stray combining marks
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Strip Vietnamese diacritics ("Khê" -> "Khe", "đơn" -> "don"); keeps NFC offsets intact."""
    return text.translate(_FOLD)


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_TONE_CLUSTER = re.compile(r"(?<!q)(oa|oe|uy)$")


@lru_cache(maxsize=100_000)
def canonical_tone(word: str) -> str:
    """One spelling for syllables written in both tone styles: "hoà"/"hòa", "thuỷ"/"thủy" -> "hòa", "thủy".

    Only open syllables ending in oa, oe, uy differ between the styles; the tone goes on the first vowel.
    """
    decomposed = unicodedata.normalize("NFD", word)
    tone = [c for c in decomposed if c in _TONES]
    if len(tone) != 1:
        return word
    base = "".join(c for c in decomposed if c not in _TONES)
    if not _TONE_CLUSTER.search(base.lower()):
        return word
    pos = len(base) - 1
    return unicodedata.normalize("NFC", base[:pos] + tone[0] + base[pos:])


def tokens(text: str) -> list[str]:
    """Lower-cased syllables and numbers, in order, each in one canonical spelling."""
    return [canonical_tone(t.lower()) for t in TOKEN_PATTERN.findall(nfc(text))]


def has_diacritics(word: str) -> bool:
    return fold(word) != word


def accent_ratio(text: str) -> tuple[int, float]:
    """How many alphabetic syllables the text has and which share carries diacritics."""
    words = [t for t in tokens(text) if t.isalpha()]
    if not words:
        return 0, 0.0
    return len(words), sum(map(has_diacritics, words)) / len(words)


def typed_without_diacritics(text: str) -> bool:
    """True for "an khe tiep nhan bao nhieu don": ordinary Vietnamese marks most syllables.

    Written Vietnamese carries a diacritic on well over half of its syllables; a question of three
    or more syllables with (almost) none was typed without them.
    """
    count, ratio = accent_ratio(text)
    return count >= 3 and ratio < 0.15


# --- sentences -----------------------------------------------------------------------------------

# Abbreviations after which a period does not end a sentence.
_ABBREV = {
    "tp",
    "tx",
    "th",
    "ths",
    "ts",
    "pgs",
    "gs",
    "bs",
    "ks",
    "ls",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "vs",
    "no",
    "tr",
    "q",
    "p",
    "h",
    "ng",
    "nxb",
    "co",
    "ltd",
    "inc",
    "jr",
    "sr",
    "vd",
    "v.v",
}
_SENT_END = re.compile(r"(?:\.{3}|…|[.!?])[\"'”’)\]]*(?=\s)")
_OPENER = re.compile(r"[\"'“‘(\[]?[\w\d]", re.UNICODE)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence boundaries as (start, end) offsets into `text`, whitespace trimmed.

    Line breaks always end a sentence (titles, captions, list items); a period ends one when the
    next word starts a new sentence and the word before is not an abbreviation or an initial.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        ls, le = start + line.start(), start + line.end()
        cut = ls
        for m in _SENT_END.finditer(text, ls, le):
            after = m.end()
            nxt = _OPENER.match(text, _skip_space(text, after, le))
            if not nxt or not _starts_sentence(text[nxt.start() : nxt.end() + 1]):
                continue
            if _inside_brackets(text, cut, m.start(), le):  # "(trong đó ... 623 đơn. Kết quả ...)"
                continue
            if m.group()[0] == "." and not m.group().startswith("..."):
                word = re.search(r"([\w.]+)$", text[ls : m.start()])
                prev = word.group(1).lower() if word else ""
                if prev in _ABBREV or (len(prev) == 1 and prev.isalpha()):
                    continue
            spans.append((cut, after))
            cut = _skip_space(text, after, le)
        if cut < le:
            spans.append((cut, le))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _inside_brackets(text: str, start: int, pos: int, line_end: int) -> bool:
    """A period inside a parenthesis that closes later on the line does not end the sentence."""
    piece = text[start:pos]
    return piece.count("(") > piece.count(")") and ")" in text[pos : min(line_end, pos + 400)]


def _skip_space(text: str, i: int, limit: int) -> int:
    while i < limit and text[i].isspace():
        i += 1
    return i


def _starts_sentence(head: str) -> bool:
    """A new sentence opens with a capital, a digit or a quote followed by one."""
    core = head.lstrip("\"'“‘([")
    return bool(core) and (core[0].isupper() or core[0].isdigit())


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
