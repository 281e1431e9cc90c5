"""`rag eval`: retrieval and answer quality on a question set, through the same Pipeline as users.

Two kinds of set:
- SQuAD-format JSON (e.g. XQuAD-vi): its paragraphs become the corpus, in a store of their own
  (cached by content under the cache folder, so a second run does not embed again); each question's
  gold passage is its paragraph and its gold answers are the answer spans.
- JSONL of {"question", "answers": [...], "source"} over the seeds store; a question with no answers
  (and no source) is one the articles cannot answer, and the right reply is to abstain.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import RagError
from ..ingest.jsonl import read_records
from ..store.sentences import tag as sentence_tag
from ..text.normalise import fold
from .conversations import is_conversation_set
from .grounding import set_kind
from .metrics import score_one, summarise
from .questions import Item, read_jsonl, read_squad, split_of

if TYPE_CHECKING:
    from ..models.base import Embedder
    from ..schema import Article
    from ..store.builder import BuildReport
    from ..store.store import Store

ROWS = [
    ("recall@1", "passage recall@1 (%)"),
    ("recall@5", "passage recall@5 (%)"),
    ("recall@10", "passage recall@10 (%)"),
    ("mrr@10", "MRR@10 (x100)"),
    ("answer_hit", "answer contains a gold answer (%)"),
    ("token_recall", "gold answer syllables in the answer (%)"),
    ("answer_chars", "answer length, mean characters"),
    ("short_answers", "short answer given, answerable (%)"),
    ("short_em", "short answer exact match, where given (%)"),
    ("short_f1", "short answer F1, where given (%)"),
    ("citation_precision", "citations pointing at the gold source (%)"),
    ("abstention_rate", "abstention rate, all questions (%)"),
    ("answered_when_answerable", "answered, answerable questions (%)"),
    ("abstained_when_unanswerable", "abstained, unanswerable questions (%)"),
    ("median_seconds", "median seconds per question"),
    ("p95_seconds", "p95 seconds per question"),
]


def format_table(title: str, summary: dict) -> str:
    lines = [
        title,
        f"{'questions':<44}{summary['questions']:>10}  "
        f"({summary['answerable']} answerable, {summary['unanswerable']} not)",
    ]
    for key, label in ROWS:
        value = summary.get(key)
        lines.append(f"{label:<44}{'-' if value is None else value:>10}")
    return "\n".join(lines)


def store_kind(settings: Settings) -> str:
    """The kind of store in a cached store's name (store/sentences.py, `tag`)."""
    return sentence_tag(settings.sentence_vectors)


def eval_store_dir(path: Path, settings: Settings) -> Path:
    """A cached store per question file and backend: a second run reuses its vectors."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    name = f"{path.stem}-{digest}-{settings.backend}-{store_kind(settings)}"
    return settings.cache_dir / "eval-stores" / name


def squad_store(
    file: Path, articles: list[Article], settings: Settings, embedder: Embedder, store_dir: Path | None = None
) -> tuple[Store, BuildReport]:
    """The store of a SQuAD file's paragraphs (cached by content, see `eval_store_dir`), brought up to
    date (embedding only what changed) and loaded."""
    from ..store.builder import build_store
    from ..store.dense import DenseSettings
    from ..store.store import Store

    store_dir = store_dir or eval_store_dir(file, settings)
    report = build_store(
        articles, store_dir, embedder, settings.chunking, dense=DenseSettings(settings.dense_index)
    )
    return Store.load(store_dir), report


def data_dir(settings: Settings) -> Path:
    """Where the open benchmarks and the VietNews corpus are read in place: ../shared/data."""
    return settings.root.parent / "shared" / "data"


def run_eval(
    file: Path,
    settings: Settings,
    *,
    store: Path | None = None,
    limit: int | None = None,
    as_json: bool = False,
    strip_diacritics: bool = False,
    split: str = "all",
    unanswerable: bool = False,
    details: Path | None = None,
    top_k: int = 10,
    after_unrelated: bool = False,
) -> int:
    from ..models import load_embedder
    from ..pipeline import Pipeline

    if not file.is_file():
        raise RagError(f"no such question file: {file}")
    is_squad = file.suffix.lower() == ".json"
    if not is_squad and is_conversation_set(file):
        return run_conversation_eval(
            file, settings, store=store, split=split, as_json=as_json, details=details
        )
    if not is_squad and set_kind(file) != "questions":
        return run_grounding_eval(file, settings, limit=limit, as_json=as_json, details=details)
    if is_squad:
        try:
            articles, items = read_squad(file)
        except (ValueError, KeyError, TypeError) as exc:
            raise RagError(f"{file} is not SQuAD-format JSON ({exc})") from None
        if split != "all":
            items = [it for it in items if split_of(it.group) == split]
    else:
        articles, items = [], read_jsonl(file)
    if unanswerable:  # the same questions against a store that cannot answer them
        items = [Item(it.question, [], None, it.group) for it in items]
    items = items[:limit] if limit else items
    if not items:
        raise RagError(f"no questions in {file}")

    if is_squad and not unanswerable:
        embedder = load_embedder(settings)
        loaded, report = squad_store(file, articles, settings, embedder, store)
        print(f"corpus: {len(articles)} passages of {file.name} -> {report.summary()}", file=sys.stderr)
        pipeline = Pipeline(settings.with_(store_dir=report.store), loaded, embedder)
        key = "id"
    else:
        pipeline = Pipeline.open(settings.with_(store_dir=store))
        key = "path"

    outcomes = []
    started = time.perf_counter()
    unrelated = _unrelated(items) if after_unrelated else {}
    earlier: dict[str, dict] = {}
    for item in items:
        asked = fold(item.question) if strip_diacritics else item.question
        history = None
        if after_unrelated:  # right after a question about another article, in the same conversation
            before = unrelated[id(item)]
            if before not in earlier:
                earlier[before] = pipeline.ask(before, top_k=top_k).to_dict()
            history = [{"question": before, "answer": earlier[before]}]
        outcomes.append(score_one(item, asked, pipeline.ask(asked, top_k=top_k, history=history), key))
    summary = summarise(outcomes)
    summary.update(
        file=str(file),
        split=split,
        strip_diacritics=strip_diacritics,
        asked_as_unanswerable=unanswerable,
        after_unrelated=after_unrelated,
        model=pipeline.embedder.model,
        backend=pipeline.embedder.backend,
        seconds_total=round(time.perf_counter() - started, 1),
    )
    if details:
        with details.open("w", encoding="utf-8") as fh:
            for o in outcomes:
                fh.write(json.dumps(asdict(o), ensure_ascii=False) + "\n")
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        flags = [
            f
            for f, on in (
                ("no diacritics", strip_diacritics),
                (f"split {split}", split != "all"),
                ("as unanswerable", unanswerable),
                ("each after an unrelated question", after_unrelated),
            )
            if on
        ]
        title = f"rag eval {file.name}" + (f" ({', '.join(flags)})" if flags else "")
        print(format_table(title, summary))
    return 0


def _unrelated(items: list[Item]) -> dict[int, str]:
    """For each question, one about another article to ask before it: the article seven groups on
    (a fixed choice, so runs compare), its questions taken in turn."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.group or item.source or "", []).append(item)
    names = sorted(groups)
    out = {}
    for k, item in enumerate(items):
        here = names.index(item.group or item.source or "")
        other = groups[names[(here + 7) % len(names)]] if len(names) > 1 else groups[names[here]]
        out[id(item)] = other[k % len(other)].question
    return out


def _pipelines(corpora: set[str], settings: Settings, store: Path | None) -> dict:
    """One pipeline per corpus of a conversation set: the seeds' store, or a benchmark's own."""
    from ..models import load_embedder
    from ..pipeline import Pipeline
    from .conversations import BENCHMARKS

    out: dict = {}
    embedder = None
    for corpus in sorted(corpora):
        if corpus == "seeds":
            out[corpus] = Pipeline.open(settings.with_(store_dir=store))
            continue
        file = data_dir(settings) / BENCHMARKS[corpus]
        articles, _ = read_squad(file)
        embedder = embedder or load_embedder(settings)
        loaded, report = squad_store(file, articles, settings, embedder)
        print(f"corpus: {len(articles)} passages of {file.name} -> {report.summary()}", file=sys.stderr)
        out[corpus] = Pipeline(settings.with_(store_dir=report.store), loaded, embedder)
    return out


def run_conversation_eval(
    file: Path, settings: Settings, *, store: Path | None, split: str, as_json: bool, details: Path | None
) -> int:
    """`rag eval eval/conversations.jsonl`: follow-ups as asked against the same written in full."""
    from .conversations import format_turns, read_conversations, run_dialogues, summarise_turns, write_details

    dialogues = read_conversations(file, data_dir(settings))
    if split != "all":
        dialogues = [d for d in dialogues if d.split == split]
    if not dialogues:
        raise RagError(f"no dialogues in {file}" + (f" (split {split})" if split != "all" else ""))
    pipelines = _pipelines({d.corpus for d in dialogues}, settings, store)
    started = time.perf_counter()
    outcomes = run_dialogues(dialogues, pipelines)
    summary = summarise_turns(outcomes)
    summary.update(file=str(file), split=split, seconds_total=round(time.perf_counter() - started, 1))
    if details:
        write_details(details, outcomes)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            format_turns(f"rag eval {file.name}" + (f" (split {split})" if split != "all" else ""), summary)
        )
    return 0


def run_grounding_eval(
    file: Path, settings: Settings, *, limit: int | None, as_json: bool, details: Path | None
) -> int:
    """`rag eval eval/places.jsonl` or `eval/spanning.jsonl`, over the seeds and VietNews articles."""
    from ..models import load_embedder
    from ..pipeline import Pipeline
    from . import grounding

    rows = [rec for _, rec in read_records(file)[0]][:limit]
    articles = grounding.store_articles(rows, settings, data_dir(settings))
    embedder = load_embedder(settings)
    loaded, report = squad_store(file, articles, settings, embedder, grounding.store_dir(articles, settings))
    print(f"corpus: {len(articles)} articles (seeds and VietNews) -> {report.summary()}", file=sys.stderr)
    pipeline = Pipeline(settings.with_(store_dir=report.store), loaded, embedder)
    kind = grounding.set_kind(file)
    score = grounding.score_place if kind == "places" else grounding.score_spanning
    outcomes = [score(row, pipeline.ask(row["question"], top_k=10)) for row in rows]
    summary = (grounding.summarise_places if kind == "places" else grounding.summarise_spanning)(outcomes)
    summary.update(file=str(file))
    if details:
        grounding.write_details(details, outcomes)
    print(
        json.dumps(summary, ensure_ascii=False)
        if as_json
        else grounding.format_summary(f"rag eval {file.name}", summary)
    )
    return 0
