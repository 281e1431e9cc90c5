"""A question over several articles gets one quoted sentence per article, headed by its place."""

from __future__ import annotations

import pytest

from rag.query.spanning import spans


@pytest.mark.parametrize(
    "question, expected",
    [
        ("So sánh số mô hình Dân vận khéo của các tỉnh", True),
        ("Mỗi tỉnh đã tổ chức bao nhiêu cuộc đối thoại?", True),
        ("Những tỉnh nào có mô hình Dân vận khéo?", True),
        ("An Giang và Bắc Giang có bao nhiêu mô hình Dân vận khéo?", True),
        ("moi tinh co bao nhieu mo hinh dan van kheo", True),
        ("Bắc Giang có bao nhiêu mô hình Dân vận khéo?", False),
        ("Ai là Trưởng Ban Dân vận Tỉnh ủy Bắc Giang?", False),
    ],
)
def test_questions_over_several_articles_are_told_apart(question, expected):
    assert spans(question) is expected


def test_one_cited_sentence_per_article_under_its_place(pipeline):
    answer = pipeline.ask("Những tỉnh nào có mô hình Dân vận khéo?")
    assert answer.spans and answer.to_dict()["spans"] is True
    by_place = {c.context: c for c in answer.citations}
    assert {"An Giang", "Hà Giang", "Bắc Giang"} <= set(by_place)
    assert len({c.article_id for c in answer.citations}) == len(answer.citations)  # one each
    assert "1.115" in by_place["Hà Giang"].quote and "4,2 nghìn" in by_place["Bắc Giang"].quote
    for c in answer.citations:
        assert f"{c.context}: {c.quote} [{c.n}]" in answer.text


def test_the_places_a_question_lists_are_the_ones_quoted(pipeline):
    answer = pipeline.ask("An Giang và Bắc Giang có bao nhiêu mô hình Dân vận khéo?")
    assert {c.context for c in answer.citations} == {"An Giang", "Bắc Giang"}
    assert "2.374" in answer.text and "4,2 nghìn" in answer.text and "1.115" not in answer.text
