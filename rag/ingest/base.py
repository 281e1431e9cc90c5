"""What every reader of article files shares: the `Reader` interface, a file's `Source`, `Problem`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..schema import Article


@dataclass(frozen=True)
class Problem:
    """A file (or record) that could not be used, and why, in words an operator can act on."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Source:
    """The file a reader reads."""

    path: Path
    name: str  # as a user sees it (relative to the project root): what citations show
    id: str  # the id of a one-article file: its path under the articles folder, without suffix
    url: str | None = None  # the link it was downloaded from (seeds/.sources.jsonl), if any


class Reader:
    """One file format: which file names it reads, and how a file's bytes become articles.

    A reader yields a `Problem` for what it cannot use and goes on; it may raise OSError,
    UnicodeDecodeError or EOFError for a file it cannot read at all.
    """

    suffixes: ClassVar[tuple[str, ...]]

    def read(self, data: bytes, source: Source) -> Iterator[Article | Problem]:
        raise NotImplementedError


def decode(data: bytes) -> str:
    """Article files are UTF-8, with or without a byte-order mark."""
    return data.decode("utf-8-sig")


def has_letters(line: str) -> bool:
    """A line without a letter (a player's "00:00 / 03:12", a pager's "1 2 3") is not a sentence."""
    return any(ch.isalpha() for ch in line)
