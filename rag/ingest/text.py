"""Plain-text and Markdown articles: one article a file, the first line that is not a date its title."""

from __future__ import annotations

import re


def _markdown_to_text(text: str) -> str:
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return re.sub(r"^\s*[-*+]\s+", "", text, flags=re.MULTILINE)
