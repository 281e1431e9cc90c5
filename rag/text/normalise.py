"""Vietnamese text primitives shared by every stage: NFC, syllables, diacritic folding."""

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
