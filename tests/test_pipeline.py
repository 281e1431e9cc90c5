"""The engine end to end on the seeds: right article, verbatim quotes, abstention, bad input."""

import pytest

from rag.errors import QuestionError
from rag.query.extract import ABSTAIN_MESSAGE

from .conftest import SEED


def check_citations(pipeline, answer):
    assert answer.citations
    for c in answer.citations:
        assert c.passage[c.start : c.end] == c.quote
        article = pipeline.article(c.article_id)
        assert article.text[c.passage_start : c.passage_end] == c.passage
        assert article.text[c.passage_start + c.start : c.passage_start + c.end] == c.quote
        assert f"{c.quote} [{c.n}]" in answer.text
        assert c.source == article.path and c.title == article.title and c.date == article.date
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


@pytest.mark.parametrize(
    ("question", "source", "needle"),
    [
        ("An Khê tiếp nhận bao nhiêu đơn?", SEED["an_khe"], "2.054 đơn"),
        ("Nghị quyết 33 được ban hành ngày nào?", SEED["ha_giang"], "19.5.2023"),
        ("Ai là Bí thư Thị ủy An Khê?", SEED["an_khe"], "Nguyễn Thị Thanh Lịch"),
        ("Chủ tịch Ủy ban MTTQ Việt Nam tỉnh An Giang là ai?", SEED["an_giang_qcdc"], "Nguyễn Tiếc Hùng"),
    ],
)
def test_known_questions_cite_the_right_article_with_verbatim_quotes(pipeline, question, source, needle):
    answer = pipeline.ask(question)
    assert not answer.abstained
    assert answer.citations[0].source == source
    assert needle in answer.citations[0].quote
    check_citations(pipeline, answer)


def test_a_question_without_diacritics_finds_the_same_passage(pipeline):
    accented = pipeline.ask("An Khê tiếp nhận bao nhiêu đơn?")
    plain = pipeline.ask("an khe tiep nhan bao nhieu don")
    assert plain.mode != "accented" and accented.mode == "accented"
    assert plain.citations[0].source == accented.citations[0].source == SEED["an_khe"]
    assert plain.hits[0].chunk.id == accented.hits[0].chunk.id
    assert "2.054 đơn" in plain.text
    check_citations(pipeline, plain)


@pytest.mark.parametrize(
    "question",
    ["Giá vàng hôm nay là bao nhiêu?", "Đội Panthers thua bao nhiêu điểm?", "gia xang hom nay bao nhieu"],
)
def test_unanswerable_questions_abstain_and_offer_the_closest_passages(pipeline, question):
    answer = pipeline.ask(question)
    assert answer.abstained
    assert answer.text == ABSTAIN_MESSAGE and answer.citations == []
    assert len(answer.hits) == pipeline.settings.top_k
    data = answer.to_dict()
    assert data["abstained"] is True and len(data["passages"]) == pipeline.settings.top_k


def test_empty_and_overlong_questions(pipeline):
    for empty in ["", "   ", "\n\t"]:
        with pytest.raises(QuestionError, match="Câu hỏi trống"):
            pipeline.ask(empty)
    long_question = "An Khê tiếp nhận bao nhiêu đơn? " + "xin hỏi thêm " * 8000
    assert len(long_question) > 100_000
    answer = pipeline.ask(long_question)
    assert answer.notice and "chỉ" in answer.notice and "ký tự đầu" in answer.notice
    assert len(answer.question) <= pipeline.settings.max_question_chars


def test_json_shape_is_stable(pipeline):
    data = pipeline.ask("Hà Giang đã xây dựng bao nhiêu mô hình Dân vận khéo?", top_k=3).to_dict()
    assert {"question", "answer", "abstained", "citations", "passages"} <= set(data)
    c = data["citations"][0]
    assert {"n", "source", "title", "date", "passage", "quote", "start", "end", "score"} <= set(c)
    assert c["passage"][c["start"] : c["end"]] == c["quote"]
    assert len(data["passages"]) == 3


def test_info_says_what_the_bot_knows(pipeline):
    info = pipeline.info()
    assert info["articles"] == 5
    assert info["publishers"] == ["BHG", "bacgiang.gov.vn", "baoangiang.com.vn"]
    assert info["model"] == pipeline.embedder.model and info["built_at"]


def test_settings_given_in_code_are_checked_like_the_environment(monkeypatch):
    from rag.config import Settings
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="threads -1.*whole number of 0 or more"):
        Settings(threads=-1)
    with pytest.raises(ConfigError, match="backend 'tensorflow'.*choose onnx-int8, onnx or torch"):
        Settings().with_(backend="tensorflow")
    monkeypatch.setenv("RAG_DENSE_INDEX", "ivf")
    monkeypatch.setenv("RAG_THREADS", "")  # empty: unset
    s = Settings()
    assert (s.dense_index, s.threads) == ("ivf", 1)
    assert Settings(dense_index="flat").dense_index == "flat"  # code wins over the environment
