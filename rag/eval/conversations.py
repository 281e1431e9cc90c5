"""Conversation sets: dialogues asked turn by turn through `Pipeline.ask(history=...)`.

A line of a conversation set (eval/conversations.jsonl) is one dialogue:

    {"id": "seeds-01", "corpus": "seeds" | "xquad-vi" | "vinewsqa-dev", "turns": [turn, ...]}

and a turn is either a question of its own, `{"question", "answers", "source"}`, or a benchmark
question named by its id, `{"ref": "<qa id>"}` (question, answers and paragraph read from the
benchmark file at run time: the set holds no benchmark text). A follow-up also has `"kind"` (ellipsis,
wh, deixis, subject, standalone, switch) and the same question written out in full, `"full"` (or
`"full_ref"`: a benchmark question). A turn with no answers must abstain; `"source": "ref:<qa id>"`
names the paragraph of a benchmark question.

Each follow-up is scored twice: as asked in the conversation, and written out in full, asked alone.
The dialogue's split is its first turn's article's (`split_of`, like the other sets).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import RagError
from ..ingest.jsonl import read_records
from ..text.entities import mentions
from ..text.normalise import nfc
from .metrics import contains_answer
from .questions import split_of

BENCHMARKS = {"xquad-vi": "xquad-vi/xquad.vi.json", "vinewsqa-dev": "vinewsqa-dev/dev_ViNewsQA.json"}
KINDS = ("ellipsis", "wh", "deixis", "subject", "standalone", "switch")


@dataclass
class Turn:
    question: str
    answers: list[str]
    source: str | None  # seeds path or benchmark paragraph id; None: must abstain
    kind: str = "first"
    full: str = ""  # the same question written out in full (follow-ups)
    group: str = ""  # the article the split goes by


@dataclass
class Dialogue:
    id: str
    corpus: str
    turns: list[Turn]

    @property
    def split(self) -> str:
        first = self.turns[0]
        return split_of(first.group or first.source or self.id)


@dataclass
class TurnOutcome:
    dialogue: str
    split: str
    turn: int
    kind: str
    question: str
    standalone: str
    full: str
    must_abstain: bool
    hit: bool  # answered with a gold answer (or abstained, when it must)
    full_hit: bool  # the same for the question written in full, asked alone
    entities_match: bool  # the completed question names what the full one names
    answer: str = ""
    full_answer: str = ""


def is_conversation_set(path: Path) -> bool:
    rows, _ = read_records(path)
    return bool(rows) and "turns" in rows[0][1]


@dataclass
class _Benchmark:
    questions: dict[str, dict] = field(default_factory=dict)  # qa id -> question, answers, source, group


def _benchmark(path: Path) -> _Benchmark:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = _Benchmark()
    for doc in data["data"]:
        title = doc.get("title", "").replace("_", " ")
        for i, para in enumerate(doc["paragraphs"]):
            for qa in para["qas"]:
                out.questions[qa["id"]] = {
                    "question": nfc(qa["question"]),
                    "answers": [nfc(a["text"]) for a in qa.get("answers", [])],
                    "source": f"{doc.get('title', 'doc')}/{i}",
                    "group": title,
                }
    return out


def read_conversations(path: Path, data_dir: Path) -> list[Dialogue]:
    """The dialogues, their benchmark questions read from the files under `data_dir`."""
    rows, problems = read_records(path)
    if problems:
        raise RagError(f"{problems[0]} (the conversation set must be whole to be measured)")
    benchmarks: dict[str, _Benchmark] = {}
    dialogues = []
    for lineno, rec in rows:
        corpus = rec.get("corpus", "seeds")
        if corpus != "seeds" and corpus not in benchmarks:
            if corpus not in BENCHMARKS:
                raise RagError(f"{path}:{lineno}: unknown corpus {corpus!r} (seeds, {', '.join(BENCHMARKS)})")
            file = data_dir / BENCHMARKS[corpus]
            if not file.is_file():
                raise RagError(
                    f"{path}:{lineno}: {file} not found: the set's {corpus} questions are read from it"
                )
            benchmarks[corpus] = _benchmark(file)
        refs = benchmarks[corpus].questions if corpus != "seeds" else {}
        try:
            turns = [_turn(t, refs) for t in rec["turns"]]
        except (KeyError, TypeError) as exc:
            raise RagError(f"{path}:{lineno}: not a dialogue of turns ({exc!r})") from None
        dialogues.append(Dialogue(str(rec.get("id", lineno)), corpus, turns))
    return dialogues


def _turn(rec: dict, refs: dict[str, dict]) -> Turn:
    base = dict(refs[rec["ref"]]) if "ref" in rec else {}
    if "full_ref" in rec:
        full = refs[rec["full_ref"]]
        base.update(
            answers=full["answers"], source=full["source"], group=full["group"], full=full["question"]
        )
    question = nfc(rec.get("question") or base["question"])
    answers = [nfc(a) for a in rec.get("answers", base.get("answers", []))]
    source = rec.get("source", base.get("source"))
    if isinstance(source, str) and source.startswith("ref:"):
        source = refs[source[4:]]["source"]
    full = nfc(rec.get("full") or base.get("full") or base.get("question") or question)
    return Turn(question, answers, source, rec.get("kind", "first"), full, base.get("group", ""))


def _hit(answer, turn: Turn) -> bool:
    if not turn.answers:
        return answer.abstained
    return not answer.abstained and contains_answer(answer.text, turn.answers)


def _entity_keys(text: str) -> set[str]:
    return {
        m.key for m in mentions(text) if m.kind in ("place", "person", "org", "doc", "name", "quote", "time")
    }


def run_dialogues(dialogues: list[Dialogue], pipelines: dict, top_k: int = 10) -> list[TurnOutcome]:
    """Every dialogue through its corpus's pipeline, each turn with the answers before it as history."""
    out = []
    for d in dialogues:
        pipeline = pipelines[d.corpus]
        history: list[dict] = []
        for i, turn in enumerate(d.turns):
            answer = pipeline.ask(turn.question, top_k=top_k, history=history)
            history.append({"question": turn.question, "answer": answer.to_dict()})
            if i == 0:
                continue
            full = pipeline.ask(turn.full, top_k=top_k)
            out.append(
                TurnOutcome(
                    dialogue=d.id,
                    split=d.split,
                    turn=i,
                    kind=turn.kind,
                    question=turn.question,
                    standalone=answer.standalone,
                    full=turn.full,
                    must_abstain=not turn.answers,
                    hit=_hit(answer, turn),
                    full_hit=_hit(full, turn),
                    entities_match=_entity_keys(answer.standalone) == _entity_keys(turn.full),
                    answer=answer.text,
                    full_answer=full.text,
                )  # fmt: skip
            )
    return out


def summarise_turns(outcomes: list[TurnOutcome]) -> dict:
    def pct(xs: list[bool]) -> float | None:
        return round(100.0 * sum(xs) / len(xs), 1) if xs else None

    follow = [o for o in outcomes if o.kind not in ("switch", "standalone") and not o.must_abstain]
    alone = [o for o in outcomes if o.kind in ("switch", "standalone")]
    abstain = [o for o in outcomes if o.must_abstain and o.kind != "switch"]
    by_kind = {
        k: {"turns": len(xs), "hit": pct([o.hit for o in xs]), "full_hit": pct([o.full_hit for o in xs])}
        for k in KINDS
        if (xs := [o for o in outcomes if o.kind == k])
    }
    return {
        "dialogues": len({o.dialogue for o in outcomes}),
        "follow_ups": len(outcomes),
        "answerable_follow_ups": len(follow),
        "follow_up_hit": pct([o.hit for o in follow]),
        "full_question_hit": pct([o.full_hit for o in follow]),
        "completed_as_full": pct([o.entities_match for o in follow]),
        "switches_and_standalone": len(alone),
        "left_unchanged": sum(o.standalone == o.question for o in alone),
        "switch_hit": pct([o.hit for o in alone]),
        "must_abstain": len(abstain),
        "abstained": sum(o.hit for o in abstain),
        "abstained_written_in_full": sum(o.full_hit for o in abstain),
        "by_kind": by_kind,
    }


TURN_ROWS = [
    ("answerable_follow_ups", "follow-ups with an answer"),
    ("follow_up_hit", "  answered, as asked in the conversation (%)"),
    ("full_question_hit", "  answered, written in full, asked alone (%)"),
    ("completed_as_full", "  completed naming what the full one names (%)"),
    ("switches_and_standalone", "topic switches and standalone questions"),
    ("left_unchanged", "  left as typed"),
    ("switch_hit", "  answered right (%)"),
    ("must_abstain", "follow-ups that must abstain"),
    ("abstained", "  abstained"),
    ("abstained_written_in_full", "  abstained, written in full"),
]


def format_turns(title: str, summary: dict) -> str:
    lines = [title, f"{'dialogues':<50}{summary['dialogues']:>8}  ({summary['follow_ups']} follow-ups)"]
    for key, label in TURN_ROWS:
        value = summary.get(key)
        lines.append(f"{label:<50}{'-' if value is None else value:>8}")
    for kind, row in summary["by_kind"].items():
        label = f"  {kind} (turns; hit %, written in full %)"
        lines.append(f"{label:<50}{row['turns']:>8}  {row['hit']} / {row['full_hit']}")
    return "\n".join(lines)


def write_details(path: Path, outcomes: list[TurnOutcome]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for o in outcomes:
            fh.write(json.dumps(asdict(o), ensure_ascii=False) + "\n")
