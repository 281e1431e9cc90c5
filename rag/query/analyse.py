"""What a person typed, read: checked and tidied before any model is loaded, then routed by how it
was typed (with or without diacritics) into a `Query`."""

from __future__ import annotations

from typing import Protocol

from ..errors import QuestionError
from ..schema import Query
from ..text.normalise import tokens, typed_without_diacritics


class Restorer(Protocol):
    """Puts the diacritics back on a text typed without them (lexical.diacritics.DiacriticRestorer)."""

    def restore(self, text: str) -> str: ...


EMPTY_QUESTION = "Câu hỏi trống: hãy nhập một câu hỏi bằng tiếng Việt."


def prepare_question(question: object, limit: int) -> tuple[str, str | None]:
    """The question to search (spaces tidied, cut at `limit` characters) and a notice when cut."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError(EMPTY_QUESTION)
    question = " ".join(question.split())
    if len(question) <= limit:
        return question, None
    cut = question[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    used = _vi_int(len(cut))
    return cut, f"Câu hỏi dài {_vi_int(len(question))} ký tự; chỉ {used} ký tự đầu được dùng để trả lời."


def _vi_int(n: int) -> str:
    """1.000 000 style thousands separators, as Vietnamese writes them."""
    return f"{n:,}".replace(",", ".")


def read_query(question: str, restorer: Restorer | None = None) -> Query:
    """Route the question; typed without diacritics, restore them with `restorer` (the store's
    diacritics model) when one is given."""
    typed = tokens(question)
    if typed_without_diacritics(question):
        search = restorer.restore(question) if restorer is not None else question
        return Query(question, "unaccented", search, tokens(search), typed)
    return Query(question, "accented", question, typed, typed)
