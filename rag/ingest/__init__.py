"""Article files -> cleaned `Article`s: one reader per format, the scraped page stripped to the article."""

from .base import SUFFIXES, Problem
from .folder import read_articles, relative_name

__all__ = ["SUFFIXES", "Problem", "read_articles", "relative_name"]
