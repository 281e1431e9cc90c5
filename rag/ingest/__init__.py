"""Article files -> cleaned `Article`s: one reader per format behind `Reader`, the scraped page
stripped to the article. A new format is a module with a `Reader` added to `folder.READERS`."""

from .base import Problem, Reader, Source
from .folder import READERS, SUFFIXES, read_articles, read_file, reader_for, relative_name

__all__ = [
    "READERS", "SUFFIXES", "Problem", "Reader", "Source",
    "read_articles", "read_file", "reader_for", "relative_name",
]  # fmt: skip
