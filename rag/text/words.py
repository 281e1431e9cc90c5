"""Vietnamese word segmentation by longest match against a word list (pyvi's, shipped in data/).

Most Vietnamese words are two or three syllables ("dân số", "khiếu nại"). Knowing the words of a
question tells whether a passage holds its concepts or only scattered syllables: "Dân số Hà Nội" is
not answered by a passage that has "dân", "số", "hà" and "nội" apart. Greedy longest match over the
25 000 multi-syllable words of the list pyvi ships measured as well as pyvi's own CRF model for this use
(docs/quality.md). The list is a file of this package (data/vietnamese-words.txt, MIT, licence beside
it), so neither pyvi nor the scikit-learn it pulls in is needed, and a missing list is an error, never
an empty lexicon that would quietly change coverage and abstention.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..errors import RagError
from .normalise import TOKEN_PATTERN, fold, nfc, tokens

MAX_WORD = 4  # syllables


WORD_LIST = Path(__file__).resolve().parent / "data" / "vietnamese-words.txt"


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset, frozenset]:
    """Multi-syllable words as syllable tuples, as written and folded."""
    try:
        text = WORD_LIST.read_text(encoding="utf-8")
    except OSError as exc:
        raise RagError(f"the word list {WORD_LIST} cannot be read ({exc}): reinstall rag-vi") from None
    words = {syllables for line in text.splitlines() if len(syllables := tuple(tokens(line))) >= 2}
    if not words:
        raise RagError(f"the word list {WORD_LIST} holds no words: reinstall rag-vi")
    return frozenset(words), frozenset(tuple(fold(s) for s in w) for w in words)


def segment(syllables: list[str], folded: bool = False) -> list[tuple[str, ...]]:
    """Group lower-case syllables into words, longest dictionary match first."""
    known = lexicon()[1 if folded else 0]
    out, i = [], 0
    while i < len(syllables):
        for n in range(min(MAX_WORD, len(syllables) - i), 1, -1):
            if tuple(syllables[i : i + n]) in known:
                out.append(tuple(syllables[i : i + n]))
                i += n
                break
        else:
            out.append((syllables[i],))
            i += 1
    return out


def words(text: str, folded: bool = False) -> list[tuple[str, ...]]:
    """The words of a text: runs of capitalised syllables ("Hà Nội", "An Khê") are names, the rest
    is segmented with the lexicon. Syllables are lower-case, and folded when `folded`."""
    out: list[tuple[str, ...]] = []
    plain: list[str] = []
    run: list[str] = []

    def norm(raw: list[str]) -> list[str]:
        syllables = tokens(" ".join(raw))
        return [fold(s) for s in syllables] if folded else syllables

    def flush() -> None:
        if len(run) >= 3 and not out and not plain:
            # The first word is capitalised anyway: "Tỉnh An Giang có..." names "An Giang".
            plain.append(run.pop(0))
        if len(run) >= 2:
            out.extend(segment(norm(plain), folded))
            plain.clear()
            out.append(tuple(norm(run)))
        else:
            plain.extend(run)
        run.clear()

    for raw in TOKEN_PATTERN.findall(nfc(text)):
        if raw[0].isupper() and raw.isalpha():
            run.append(raw)
            continue
        flush()
        plain.append(raw)
    flush()
    out.extend(segment(norm(plain), folded))
    return out
