"""Checks on what a person typed, before any model is loaded."""

from __future__ import annotations

from .config import RagError

EMPTY_QUESTION = "Câu hỏi trống: hãy nhập một câu hỏi bằng tiếng Việt."


class QuestionError(RagError):
    """A question that cannot be asked; the message is for the person who typed it."""


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
