"""Sentence boundaries in Vietnamese news text, as offsets into the text."""

from __future__ import annotations

import re

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
