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
import statistics
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import RagError, Settings, cache_dir
from .schema import Answer, Article
from .text.normalise import fold, nfc


@dataclass
class Item:
    question: str
    answers: list[str]
    source: str | None  # gold article path (seeds) or article id (SQuAD); None when unanswerable
    group: str = ""  # the SQuAD article title, for the tuning/reporting split


@dataclass
class Outcome:
    question: str
    asked: str
    gold_source: str | None
    answers: list[str]
    rank: int | None  # 1-based rank of the gold passage in the retrieved list
    answer_hit: bool
    abstained: bool
    cited_gold: int
    citations: int
    seconds: float
    answer: str
    cited: list[str] = field(default_factory=list)


def split_of(group: str) -> str:
    """A fixed split by article: half the articles tune, the other half report."""
    return "tune" if zlib.crc32(group.encode("utf-8")) % 2 == 0 else "report"


def read_squad(path: Path) -> tuple[list[Article], list[Item]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles, items = [], []
    for doc in data["data"]:
        title = doc.get("title", "").replace("_", " ")
        for i, para in enumerate(doc["paragraphs"]):
            aid = f"{doc.get('title', 'doc')}/{i}"
            articles.append(
                Article(id=aid, path=f"{path.name}#{aid}", title=nfc(title), text=nfc(para["context"]))
            )
            for qa in para["qas"]:
                answers = [nfc(a["text"]) for a in qa.get("answers", [])]
                items.append(Item(nfc(qa["question"]), answers, aid if answers else None, title))
    return articles, items


def read_jsonl(path: Path) -> list[Item]:
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            items.append(
                Item(nfc(rec["question"]), [nfc(a) for a in rec.get("answers") or []], rec.get("source"))
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RagError(f"{path}:{lineno}: not a {{question, answers, source}} object ({exc})") from None
    return items


def _norm(text: str) -> str:
    return " ".join(nfc(text).casefold().split())


def contains_answer(text: str, answers: list[str]) -> bool:
    hay = _norm(text)
    return any(_norm(a) in hay for a in answers if a.strip())


def score_one(item: Item, asked: str, answer: Answer, key: str) -> Outcome:
    """`key` says which article field the gold source names: "path" (seeds) or "id" (SQuAD)."""
    ids = [getattr(h.article, key) for h in answer.hits]
    rank = ids.index(item.source) + 1 if item.source in ids else None
    cited = [c.source if key == "path" else c.article_id for c in answer.citations]
    return Outcome(
        question=item.question,
        asked=asked,
        gold_source=item.source,
        answers=item.answers,
        rank=rank,
        answer_hit=not answer.abstained and contains_answer(answer.text, item.answers),
        abstained=answer.abstained,
        cited_gold=sum(c == item.source for c in cited),
        citations=len(cited),
        seconds=answer.seconds,
        answer=answer.text,
        cited=cited,
    )


def summarise(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.gold_source]
    unanswerable = [o for o in outcomes if not o.gold_source]

    def pct(num: int, den: int) -> float | None:
        return round(100.0 * num / den, 1) if den else None

    ranks = [o.rank for o in answerable]
    cites = sum(o.citations for o in answerable)
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "recall@1": pct(sum(r is not None and r <= 1 for r in ranks), len(ranks)),
        "recall@5": pct(sum(r is not None and r <= 5 for r in ranks), len(ranks)),
        "recall@10": pct(sum(r is not None and r <= 10 for r in ranks), len(ranks)),
        "mrr@10": round(100.0 * sum(1.0 / r for r in ranks if r and r <= 10) / len(ranks), 1)
        if ranks
        else None,
        "answer_hit": pct(sum(o.answer_hit for o in answerable), len(answerable)),
        "citation_precision": pct(sum(o.cited_gold for o in answerable), cites),
        "abstention_rate": pct(sum(o.abstained for o in outcomes), len(outcomes)),
        "answered_when_answerable": pct(sum(not o.abstained for o in answerable), len(answerable)),
        "abstained_when_unanswerable": pct(sum(o.abstained for o in unanswerable), len(unanswerable)),
        "median_seconds": round(statistics.median(o.seconds for o in outcomes), 4) if outcomes else None,
        "p95_seconds": round(sorted(o.seconds for o in outcomes)[int(0.95 * (len(outcomes) - 1))], 4)
        if outcomes
        else None,
    }


ROWS = [
    ("recall@1", "passage recall@1 (%)"),
    ("recall@5", "passage recall@5 (%)"),
    ("recall@10", "passage recall@10 (%)"),
    ("mrr@10", "MRR@10 (x100)"),
    ("answer_hit", "answer contains a gold answer (%)"),
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


def _squad_store(path: Path, backend: str) -> Path:
    """A cached store per question file and backend: a second run reuses its vectors."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return cache_dir() / "eval-stores" / f"{path.stem}-{digest}-{backend}"


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
) -> int:
    from .models import load_embedder
    from .pipeline import Pipeline
    from .store.builder import build_store
    from .store.store import Store

    if not file.is_file():
        raise RagError(f"no such question file: {file}")
    is_squad = file.suffix.lower() == ".json"
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
        store_dir = store or _squad_store(file, settings.backend)
        embedder = load_embedder(settings.model, settings.backend)
        report = build_store(articles, store_dir, embedder, settings.chunking)
        print(f"corpus: {len(articles)} passages of {file.name} -> {report.summary()}", file=sys.stderr)
        pipeline = Pipeline(settings.with_(store_dir=store_dir), Store.load(store_dir), embedder)
        key = "id"
    else:
        pipeline = Pipeline.open(settings.with_(store_dir=store))
        key = "path"

    outcomes = []
    started = time.perf_counter()
    for item in items:
        asked = fold(item.question) if strip_diacritics else item.question
        outcomes.append(score_one(item, asked, pipeline.ask(asked, top_k=top_k), key))
    summary = summarise(outcomes)
    summary.update(
        file=str(file),
        split=split,
        strip_diacritics=strip_diacritics,
        asked_as_unanswerable=unanswerable,
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
            )
            if on
        ]
        title = f"rag eval {file.name}" + (f" ({', '.join(flags)})" if flags else "")
        print(format_table(title, summary))
    return 0
