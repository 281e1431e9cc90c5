"""Cited, extractive question answering over Vietnamese news articles."""
