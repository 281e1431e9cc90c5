"""The page's behaviour without a browser: chat turns, bad input, the API, the queue, start-up."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading

import pytest
from gradio_client import Client

from rag.app import cli, ui
from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.text.normalise import fold

from .conftest import free_port

AN_KHE = "001_d75d204a71cd5d84"


def without_time(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "seconds"}


# --- one chat turn --------------------------------------------------------------------------------


def test_a_turn_adds_the_question_and_the_cited_answer(ui_pipeline):
    chat, box, turns, notice = ui.respond(ui_pipeline, "An Khê tiếp nhận bao nhiêu đơn?", [], [], 5)
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "An Khê tiếp nhận bao nhiêu đơn" in chat[0]["content"]
    bubble = chat[1]["content"]
    assert "2.054 đơn" in bubble and 'href="#rv-a1-s1"' in bubble
    assert 'id="rv-a1-s1"' in bubble and "<mark>" in bubble  # the answer carries its own sources
    assert box == ""  # the input is cleared for the next question
    assert turns[0]["question"] == "An Khê tiếp nhận bao nhiêu đơn?"
    assert "2.054 đơn" in turns[0]["answer"]["answer"] and "passages" not in turns[0]["answer"]
    assert notice == {"__type__": "update", "value": "", "visible": False}


def test_a_turn_keeps_the_conversation_it_is_given(ui_pipeline):
    first, _, turns, _ = ui.respond(ui_pipeline, "An Khê tiếp nhận bao nhiêu đơn?", [], [], 5)
    second, _, turns, _ = ui.respond(ui_pipeline, "Giá vàng hôm nay là bao nhiêu?", first, turns, 3)
    assert second[:2] == first and len(second) == 4 and len(turns) == 2
    assert "Không tìm thấy thông tin" in second[3]["content"]
    assert 'id="rv-a2"' in second[3]["content"]  # each answer its own number, so its own [n] links


def test_a_follow_up_is_completed_from_the_turns_the_page_holds(ui_pipeline):
    chat, _, turns, _ = ui.respond(ui_pipeline, "An Khê tiếp nhận bao nhiêu đơn?", [], [], 5)
    chat, _, turns, _ = ui.respond(ui_pipeline, "Trong thời gian nào?", chat, turns, 5)
    assert "Hiểu là" in chat[3]["content"] and "An Khê" in turns[1]["answer"]["standalone"]
    fresh, _, _, _ = ui.respond(ui_pipeline, "Trong thời gian nào?", [], [], 5)
    assert "Hiểu là" not in fresh[1]["content"]  # no turns given, nothing to complete it from


@pytest.mark.parametrize("question", ["", "   \n\t ", None])
def test_an_empty_question_gets_a_notice_and_changes_nothing(ui_pipeline, question):
    chat = [{"role": "user", "content": "trước"}, {"role": "assistant", "content": "đáp"}]
    turns = [{"question": "trước", "answer": None}]
    out_chat, box, out_turns, notice = ui.respond(ui_pipeline, question, chat, turns, 5)
    assert out_chat == chat
    skipped = {"__type__": "update"}
    assert box == out_turns == skipped  # the typed text and the conversation stay as they were
    assert notice["visible"] and "Câu hỏi trống" in notice["value"]


def test_a_too_long_question_is_answered_with_a_notice(ui_pipeline):
    question = "An Khê tiếp nhận bao nhiêu đơn? " + "xin cho biết thêm chi tiết " * 60
    chat, _box, turns, notice = ui.respond(ui_pipeline, question, [], [], 5)
    assert len(question) > ui_pipeline.settings.max_question_chars
    assert notice["visible"]
    assert f"Câu hỏi dài {len(' '.join(question.split())):,}".replace(",", ".") in notice["value"]
    assert "ký tự" in chat[1]["content"]  # said again beside the answer it concerns
    assert len(turns[0]["question"]) <= ui_pipeline.settings.max_question_chars


def test_an_engine_failure_is_a_notice_never_a_traceback(ui_pipeline, caplog):
    class Broken:
        settings = ui_pipeline.settings

        def ask(self, question, top_k=None, *, history=None, filters=None):
            raise RuntimeError("index exploded")

    with caplog.at_level(logging.ERROR, logger="rag.app.ui"):
        chat, *_, notice = ui.respond(Broken(), "An Khê?", [], [], 5)
    assert chat == []
    assert notice["value"].count(ui.INTERNAL_ERROR) == 1
    assert "Traceback" not in notice["value"] and "exploded" not in notice["value"]
    assert "index exploded" in caplog.text  # the operator still sees what happened


def test_the_article_list_is_searchable_with_or_without_diacritics(ui_pipeline):
    html, page = ui.articles_page(ui_pipeline, "", 1)
    assert page == 1 and "An Khê" in html and "<table" in html
    for query in ("An Khê", "an khe", "AN KHE"):
        found, _ = ui.articles_page(ui_pipeline, query, 1)
        assert "An Khê" in found and "1 bài khớp" in found
    none, _ = ui.articles_page(ui_pipeline, "không có bài này", 1)
    assert "Không có bài nào khớp" in none
    _, last = ui.articles_page(ui_pipeline, "", 99)
    assert last == 1  # past the end: the last page


# --- examples ---------------------------------------------------------------------------------------


def test_examples_are_only_those_answered_from_their_article(ui_pipeline):
    an_khe = f"seeds/{AN_KHE}.txt"
    candidates = [
        ui.Example("Giá vàng hôm nay là bao nhiêu?", an_khe, ("vàng",)),  # abstains: dropped
        ui.Example("An Khê tiếp nhận bao nhiêu đơn?", "seeds/other.txt", ("2.054",)),  # other article
        ui.Example("An Khê tiếp nhận bao nhiêu đơn?", an_khe, ("9.999",)),  # not the expected answer
        ui.Example("Thị xã An Khê tiếp nhận bao nhiêu đơn?", an_khe, ("2.054 đơn",)),
        ui.Example("An Khê tiếp nhận bao nhiêu đơn?", an_khe, ("2.054 đơn",)),  # a second one, same article
    ]
    assert ui.pick_examples(ui_pipeline, candidates) == [
        "An Khê tiếp nhận bao nhiêu đơn?",  # the shortest that is answered right
        "An Khe tiep nhan bao nhieu don?",  # and the same typed without diacritics
    ]
    assert ui.pick_examples(ui_pipeline, candidates[:3]) == []


def test_examples_come_from_the_question_set_one_per_article(ui_pipeline):
    questions = ui.pick_examples(ui_pipeline)
    assert len(questions) == ui.EXAMPLES_SHOWN
    sources = {ui_pipeline.ask(q).citations[0].source for q in questions[:-1]}
    assert len(sources) == len(questions) - 1  # each about a different article
    assert questions[-1] == fold(questions[-1])  # the last one shows that diacritics are optional


def test_read_examples_passes_over_what_it_cannot_use(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"question": "Ai?", "answers": ["B"], "source": "seeds/a.txt"}',
                '{"question": "Giá vàng?", "answers": [], "source": null}',
                "not json",
                "[1, 2]",
                '{"question": "Khi nào?", "answers": ["2020"]}',
            ]
        ),
        encoding="utf-8",
    )
    assert ui.read_examples(path) == [ui.Example("Ai?", "seeds/a.txt", ("B",))]
    assert ui.read_examples(tmp_path / "missing.jsonl") == []


# --- the API ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(ui_server):
    return Client(ui_server, verbose=False)


def test_the_ask_endpoint_is_named_and_documented(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/ask"]  # the chat's own events are private
    params = [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]]
    # history (issue 10), then the filters (issue 11)
    assert params == ["question", "top_k", "history", "source", "since", "until"]


def test_the_api_returns_what_rag_ask_json_prints(client, ui_pipeline, monkeypatch, capsys):
    questions = ["An Khê tiếp nhận bao nhiêu đơn?", "an khe tiep nhan bao nhieu don", "Giá vàng hôm nay?"]
    monkeypatch.setattr(Pipeline, "open", classmethod(lambda cls, *a, **k: ui_pipeline))
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(questions) + "\n"))
    assert cli.main(["ask", "--json", "--top-k", "3", "-"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    served = [client.predict(question=q, top_k=3, api_name="/ask") for q in questions]
    assert [without_time(d) for d in served] == [without_time(d) for d in printed]
    assert served[0]["citations"][0]["source"].endswith(f"{AN_KHE}.txt")
    assert served[2]["abstained"] and len(served[2]["passages"]) == 3
    assert isinstance(served[0]["seconds"], float)


def test_the_api_refuses_bad_input_with_the_cli_error_shape(client):
    empty = client.predict(question="  ", api_name="/ask")
    assert empty == {"question": "  ", "error": "Câu hỏi trống: hãy nhập một câu hỏi bằng tiếng Việt."}
    bad_k = client.predict(question="An Khê?", top_k=0, api_name="/ask")
    assert set(bad_k) == {"question", "error"} and "top_k" in bad_k["error"]
    default = client.predict(question="An Khê tiếp nhận bao nhiêu đơn?", api_name="/ask")
    assert len(default["passages"]) == 5
    bad_history = client.predict(question="An Khê?", history={"question": "x"}, api_name="/ask")
    assert set(bad_history) == {"question", "error"} and "history" in bad_history["error"]


def test_the_api_carries_a_conversation_in_its_requests(client):
    # the server keeps nothing between requests: the conversation comes with each one
    first = client.predict(question="An Khê tiếp nhận bao nhiêu đơn?", api_name="/ask")
    assert first["standalone"] == first["question"]
    follow = client.predict(
        question="Đang xét bao nhiêu đơn?",
        history=[{"question": first["question"], "answer": first}],
        api_name="/ask",
    )
    assert follow["standalone"] == "Đang xét bao nhiêu đơn ở An Khê?" and "28 đơn" in follow["answer"]
    alone = client.predict(question="Đang xét bao nhiêu đơn?", api_name="/ask")
    assert alone["standalone"] == "Đang xét bao nhiêu đơn?"
    # the earlier questions alone will do where the completion needs no answer
    questions = ["Năm 2020 An Giang có bao nhiêu mô hình Dân vận khéo?"]
    other = client.predict(question="Còn Bắc Giang thì sao?", history=questions, api_name="/ask")
    assert other["standalone"] == "Năm 2020 Bắc Giang có bao nhiêu mô hình Dân vận khéo?"
    assert "4,2 nghìn" in other["answer"]


# --- the queue ------------------------------------------------------------------------------------------


class GatedPipeline:
    """The real pipeline, except that a question starting with "chậm" waits for the test's signal."""

    def __init__(self, inner):
        self.inner = inner
        self.settings = inner.settings
        self.gate = threading.Event()

    def ask(self, question, top_k=None, history=None, filters=None):
        if question.startswith("chậm"):
            assert self.gate.wait(30), "never released"
        return self.inner.ask(question, top_k, history=history, filters=filters)

    def info(self):
        return self.inner.info()

    def __getattr__(self, name):  # everything else as the real one
        return getattr(self.inner, name)

    def article(self, article_id):
        return self.inner.article(article_id)

    def current(self):
        return self.inner.current()


def test_a_slow_question_does_not_block_other_people(ui_pipeline):
    gated = GatedPipeline(ui_pipeline)
    demo = ui.build_app(gated, examples=[])
    port = free_port()
    ui.launch(demo, "127.0.0.1", port, block=False)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        slow = client.submit(question="chậm An Khê tiếp nhận bao nhiêu đơn?", api_name="/ask")
        fast = client.submit(question="An Khê tiếp nhận bao nhiêu đơn?", api_name="/ask")
        assert fast.result(timeout=20)["citations"][0]["article_id"] == AN_KHE
        assert not slow.done()  # still waiting, and it did not hold the other question up
        gated.gate.set()
        assert "question" in slow.result(timeout=20)
    finally:
        gated.gate.set()
        demo.close()


# --- start-up ---------------------------------------------------------------------------------------------


def test_a_busy_port_is_a_one_line_error(ui_pipeline):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        demo = ui.build_app(ui_pipeline, examples=[])
        with pytest.raises(RagError, match=f"127.0.0.1:{port}.*--port"):
            ui.launch(demo, "127.0.0.1", port, block=False)
        demo.close()
