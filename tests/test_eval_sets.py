"""The conversation, place and spanning sets: their shape, and `rag eval` running them."""

from __future__ import annotations

import json

from rag.eval.conversations import is_conversation_set, read_conversations, run_dialogues, summarise_turns
from rag.eval.grounding import score_place, score_spanning, set_kind
from rag.text.normalise import typed_without_diacritics

from .conftest import ROOT

SETS = ROOT / "eval"


def lines(name: str) -> list[dict]:
    return [
        json.loads(line) for line in (SETS / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def test_the_conversation_set_is_what_the_issue_asks_for():
    dialogues = lines("conversations.jsonl")
    follow_ups = [t for d in dialogues for t in d["turns"][1:]]
    assert len(dialogues) >= 60 and all(2 <= len(d["turns"]) <= 4 for d in dialogues)
    assert {d["corpus"] for d in dialogues} == {"seeds", "xquad-vi", "vinewsqa-dev"}
    assert sum(t["kind"] == "switch" for t in follow_ups) >= 15
    must_abstain = [
        t for t in follow_ups if t["kind"] != "switch" and t.get("answers") == [] and "full_ref" not in t
    ]
    assert len(must_abstain) >= 10
    assert all("full" in t or "full_ref" in t or "ref" in t for t in follow_ups)  # each written out in full
    assert sum(typed_without_diacritics(t["question"]) for t in follow_ups if "question" in t) >= 5
    assert is_conversation_set(SETS / "conversations.jsonl")


def test_benchmark_questions_are_named_by_id_never_copied():
    # the set holds its own follow-ups; XQuAD-vi and ViNewsQA questions, answers and texts stay in ../shared
    text = (SETS / "conversations.jsonl").read_text(encoding="utf-8")
    assert "Tesla chết năm nào" not in text and "56dfa0d84a1a83140091ebb7" in text


def test_seed_dialogues_through_the_pipeline(pipeline, tmp_path):
    seeds_only = tmp_path / "seeds.jsonl"
    seeds_only.write_text(
        "\n".join(json.dumps(d, ensure_ascii=False) for d in lines("conversations.jsonl")[:6]),
        encoding="utf-8",
    )
    dialogues = read_conversations(seeds_only, tmp_path)  # seeds: no benchmark file needed
    outcomes = run_dialogues(dialogues, {"seeds": pipeline})
    summary = summarise_turns(outcomes)
    assert summary["dialogues"] == 6
    by_question = {o.question: o for o in outcomes}
    assert by_question["Còn Bắc Giang thì sao?"].hit and by_question["Còn Bắc Giang thì sao?"].full_hit
    assert by_question["Giá vàng hôm nay là bao nhiêu?"].standalone == "Giá vàng hôm nay là bao nhiêu?"
    assert summary["switches_and_standalone"] == summary["left_unchanged"]


def test_place_and_spanning_lines_are_scored(pipeline):
    assert set_kind(SETS / "places.jsonl") == "places" and set_kind(SETS / "spanning.jsonl") == "spanning"
    row = next(r for r in lines("places.jsonl") if r["question"].startswith("Bắc Giang đã xây dựng"))
    got = score_place(row, pipeline.ask(row["question"]))
    assert got.hit and not got.wrong_place
    span = next(r for r in lines("spanning.jsonl") if r["question"].startswith("Những tỉnh nào"))
    got = score_spanning(span, pipeline.ask(span["question"]))
    assert got.covered == got.groups == 3 and got.holding == got.quotes
