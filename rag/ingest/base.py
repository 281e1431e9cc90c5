"""What every reader of article files shares."""

from __future__ import annotations

from dataclasses import dataclass

SUFFIXES = (".txt", ".md", ".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class Problem:
    """A file (or record) that could not be used, and why, in words an operator can act on."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
