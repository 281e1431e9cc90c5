"""Errors a person can act on: each message is one line and says what to do."""

from __future__ import annotations

from pathlib import Path


class RagError(Exception):
    """An error a person can act on; its message is one line and says what to do."""


class ConfigError(RagError):
    """A setting (an RAG_* variable, or a value passed in code) that cannot be used."""


class StoreError(RagError):
    """The store is missing, damaged or incompatible; the message says to run `rag index`."""


class DamagedStoreError(StoreError):
    """A store whose files cannot be read or disagree with each other: it must be built again."""

    @classmethod
    def of(cls, store_dir: Path, reason: str | BaseException) -> DamagedStoreError:
        if isinstance(reason, BaseException):
            reason = f"{type(reason).__name__}: {str(reason)[:120]}"
        return cls(f"the index in {store_dir} is damaged ({reason}): run `rag index --rebuild`")


class OutdatedStoreError(StoreError):
    """The keyword index is of an older kind: a build remakes it from the chunks, embedding nothing."""


class BuildLockedError(RagError):
    """Another build holds the store's lock: `rag index` says so and stops, an upload waits for it."""


class QuestionError(RagError):
    """A question that cannot be asked; the message is for the person who typed it."""


class InternalError(RagError):
    """A bug, not a mistake of the person: said in one line, with the traceback in the log."""
