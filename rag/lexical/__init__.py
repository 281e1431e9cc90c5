"""Keyword search: BM25 over syllables and pairs (two views), and the diacritics model of the corpus."""
