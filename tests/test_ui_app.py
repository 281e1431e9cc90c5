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
    history, box, sources, latest, notice = ui.respond(
        ui_pipeline, "An Khê tiếp nhận bao nhiêu đơn?", [], 5, False
    )
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert "An Khê tiếp nhận bao nhiêu đơn" in history[0]["content"]
    assert "2.054 đơn" in history[1]["content"] and "rv-cite" in history[1]["content"]
    assert box == ""  # the input is cleared for the next question
    assert f'data-article="{AN_KHE}"' in sources and "<mark>" in sources
    assert latest["citations"][0]["article_id"] == AN_KHE
    assert notice == {"__type__": "update", "value": "", "visible": False}


def test_a_turn_keeps_the_history_it_is_given(ui_pipeline):
    first, *_ = ui.respond(ui_pipeline, "An Khê tiếp nhận bao nhiêu đơn?", [], 5, False)
    second, *_ = ui.respond(ui_pipeline, "Giá vàng hôm nay là bao nhiêu?", first, 3, False)
    assert second[:2] == first and len(second) == 4
    assert "Không tìm thấy thông tin" in second[3]["content"]


@pytest.mark.parametrize("question", ["", "   \n\t ", None])
def test_an_empty_question_gets_a_notice_and_changes_nothing(ui_pipeline, question):
    history = [{"role": "user", "content": "trước"}, {"role": "assistant", "content": "đáp"}]
    out_history, box, sources, latest, notice = ui.respond(ui_pipeline, question, history, 5, False)
    assert out_history == history
    skipped = {"__type__": "update"}
    assert box == sources == latest == skipped  # the typed text and the panel stay as they were
    assert notice["visible"] and "Câu hỏi trống" in notice["value"]


def test_a_too_long_question_is_answered_with_a_notice(ui_pipeline):
    question = "An Khê tiếp nhận bao nhiêu đơn? " + "xin cho biết thêm chi tiết " * 60
    history, _box, _sources, latest, notice = ui.respond(ui_pipeline, question, [], 5, False)
    assert len(question) > ui_pipeline.settings.max_question_chars
    assert latest["notice"] and notice["visible"]
    assert f"Câu hỏi dài {len(' '.join(question.split())):,}".replace(",", ".") in notice["value"]
    assert "ký tự" in history[1]["content"]  # said again beside the answer it concerns
    assert len(latest["question"]) <= ui_pipeline.settings.max_question_chars


def test_an_engine_failure_is_a_notice_never_a_traceback(ui_pipeline, caplog):
    class Broken:
        settings = ui_pipeline.settings

        def ask(self, question, top_k=None):
            raise RuntimeError("index exploded")

    with caplog.at_level(logging.ERROR, logger="rag.app.ui"):
        history, *_, notice = ui.respond(Broken(), "An Khê?", [], 5, False)
    assert history == []
    assert notice["value"].count(ui.INTERNAL_ERROR) == 1
    assert "Traceback" not in notice["value"] and "exploded" not in notice["value"]
    assert "index exploded" in caplog.text  # the operator still sees what happened


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
    assert params == ["question", "top_k", "source", "since", "until"]  # the filters (issue 11) come last


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


# --- the queue ------------------------------------------------------------------------------------------


class GatedPipeline:
    """The real pipeline, except that a question starting with "chậm" waits for the test's signal."""

    def __init__(self, inner):
        self.inner = inner
        self.settings = inner.settings
        self.gate = threading.Event()

    def ask(self, question, top_k=None):
        if question.startswith("chậm"):
            assert self.gate.wait(30), "never released"
        return self.inner.ask(question, top_k)

    def info(self):
        return self.inner.info()

    def __getattr__(self, name):  # everything else as the real one
        return getattr(self.inner, name)

    def article(self, article_id):
        return self.inner.article(article_id)


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
