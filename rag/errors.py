"""Errors a person can act on: each message is one line and says what to do."""

from __future__ import annotations


class RagError(Exception):
    """An error a person can act on; its message is one line and says what to do."""


class StoreError(RagError):
    """The store is missing, damaged or incompatible; the message says to run `rag index`."""


class OutdatedStoreError(StoreError):
    """The keyword index is of an older kind: a build remakes it from the chunks, embedding nothing."""


class QuestionError(RagError):
    """A question that cannot be asked; the message is for the person who typed it."""


class ConfigError(RagError):
    """A setting (an RAG_* variable, or a value passed in code) that cannot be used."""
