"""Plain-text and Markdown articles: one article a file, the first line that is not a date its title."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..schema import Article
from .base import Problem, Reader, Source, decode
from .clean import clean_page


class TextReader(Reader):
    suffixes = (".txt", ".md")

    def read(self, data: bytes, source: Source) -> Iterator[Article | Problem]:
        text = decode(data)
        page = clean_page(markdown_to_text(text) if source.name.lower().endswith(".md") else text)
        if not page["text"]:
            yield Problem(source.name, "empty: no article text after cleaning")
        else:
            yield Article(id=source.id, path=source.name, **page)


def markdown_to_text(text: str) -> str:
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return re.sub(r"^\s*[-*+]\s+", "", text, flags=re.MULTILINE)
