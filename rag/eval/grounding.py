"""Sets over the seeds and VietNews articles: answers kept to the place asked, and questions over
several articles.

- A place set (eval/places.jsonl) has lines `{"question", "place", "answers", "source", "allowed"}`: a
  line with a source is answerable from it; one without is a probe, whose right reply is an answer
  from an article about the place asked, or none. An answer is *wrong-place* when one of its quotes
  names not the place asked, comes from an article whose title does not name it either, and is from
  none of the line's articles (`source`, `allowed`): a sentence about somewhere else passed off as an
  answer. The figure that must be 0.
- A spanning set (eval/spanning.jsonl) has lines `{"question", "spans", "expect": [{"place",
  "sources", "answers"}]}`: each group is one place's articles and strings that show its fact. Coverage
  is the share of groups quoted from one of their articles with one of their strings; precision the
  share of quotes holding the fact of their group. A line with `"spans": false` is a control: one fact
  from one article.

The store is the seeds, the VietNews test articles a line names, and the first 2 000 VietNews test
articles as the crowd they must be found in (cached under the cache folder, like the SQuAD stores).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import Settings
from ..errors import RagError
from ..ingest.jsonl import read_records
from ..schema import Answer, Article
from ..store.sentences import tag as sentence_tag
from ..text.entities import gazetteer, name_key
from ..text.normalise import nfc
from .metrics import contains_answer

VIETNEWS = "vietnews/test.jsonl.gz"
CROWD = 2000  # VietNews test articles in the store besides those a set names


def set_kind(path: Path) -> str:
    """ "places", "spanning" or "questions", from the set's first line."""
    rows, _ = read_records(path)
    first = rows[0][1] if rows else {}
    return "places" if "place" in first else "spanning" if "expect" in first else "questions"


def _vietnews_ids(rows: list[dict]) -> set[str]:
    ids = set()
    for r in rows:
        sources = [r.get("source"), *r.get("allowed", [])] + [
            s for g in r.get("expect", []) for s in g["sources"]
        ]
        ids |= {s for s in sources if isinstance(s, str) and s.startswith("vietnews-")}
    return ids


def store_articles(rows: list[dict], settings: Settings, data_dir: Path) -> list[Article]:
    """The seeds, the VietNews articles the set names, and the crowd."""
    from ..ingest import read_articles

    seeds, _ = read_articles(settings.seeds, settings.root)
    wanted = _vietnews_ids(rows)
    if not wanted:
        return seeds
    corpus = data_dir / VIETNEWS
    if not corpus.is_file():
        raise RagError(f"{corpus} not found: the set's VietNews articles are read from it")
    extra = []
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            r = json.loads(line)
            if k < CROWD or r["id"] in wanted:
                extra.append(Article(r["id"], f"{VIETNEWS}#{r['id']}", nfc(r["title"]), nfc(r["text"])))
    missing = wanted - {a.id for a in extra}
    if missing:
        raise RagError(f"VietNews articles {sorted(missing)[:3]} are not in {corpus}")
    return seeds + extra


def store_dir(articles: list[Article], settings: Settings) -> Path:
    """A cached store per set of articles, backend and kind of sentence vectors (store/sentences.py, `tag`:
    a checkout whose stores have none keeps its own copy instead of rebuilding this one)."""
    digest = hashlib.sha256("\n".join(sorted(a.id for a in articles)).encode()).hexdigest()[:16]
    name = f"seeds-vietnews-{digest}-{settings.backend}-{sentence_tag(settings.sentence_vectors)}"
    return settings.cache_dir / "eval-stores" / name


def _spellings(place: str) -> set[str]:
    g = gazetteer()
    known = g.get(place)
    keys = {name_key(place)}
    if known is not None:
        keys |= {" ".join(k) for k, v in g.folded.items() if v.key == known.key}
    return keys


def names(text: str, place: str) -> bool:
    words = f" {name_key(text)} "
    return any(f" {k} " in words for k in _spellings(place))


def _source(c) -> str:
    return c.article_id if c.article_id.startswith("vietnews-") else c.source


@dataclass
class PlaceOutcome:
    question: str
    place: str
    answerable: bool
    hit: bool
    abstained: bool
    wrong_place: bool
    answer: str
    cited: list[str]


def score_place(row: dict, answer: Answer) -> PlaceOutcome:
    mine = {row.get("source"), *row.get("allowed", [])}
    wrong = [
        c for c in answer.citations
        if not names(c.quote, row["place"]) and not names(c.title, row["place"]) and _source(c) not in mine
    ]  # fmt: skip
    answers = row.get("answers") or []
    return PlaceOutcome(
        question=row["question"], place=row["place"], answerable=bool(row.get("source")),
        hit=bool(row.get("source")) and not answer.abstained and contains_answer(answer.text, answers),
        abstained=answer.abstained, wrong_place=not answer.abstained and bool(wrong),
        answer=answer.text, cited=[_source(c) for c in answer.citations],
    )  # fmt: skip


def summarise_places(outcomes: list[PlaceOutcome]) -> dict:
    answerable = [o for o in outcomes if o.answerable]
    probes = [o for o in outcomes if not o.answerable]
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "answer_hit": round(100.0 * sum(o.hit for o in answerable) / len(answerable), 1)
        if answerable
        else None,
        "probes": len(probes),
        "probes_abstained": sum(o.abstained for o in probes),
        "wrong_place_answers": sum(o.wrong_place for o in outcomes),
    }


@dataclass
class SpanOutcome:
    question: str
    spans: bool
    groups: int
    covered: int
    quotes: int
    holding: int
    articles: int  # distinct articles quoted
    answer: str


def score_spanning(row: dict, answer: Answer) -> SpanOutcome:
    groups = row["expect"]
    covered = sum(
        any(_source(c) in g["sources"] and contains_answer(c.quote, g["answers"]) for c in answer.citations)
        for g in groups
    )
    holding = sum(
        any(_source(c) in g["sources"] and contains_answer(c.quote, g["answers"]) for g in groups)
        for c in answer.citations
    )
    return SpanOutcome(
        row["question"], bool(row.get("spans", True)), len(groups), covered, len(answer.citations), holding,
        len({c.article_id for c in answer.citations}), answer.text,
    )  # fmt: skip


def summarise_spanning(outcomes: list[SpanOutcome]) -> dict:
    spanning = [o for o in outcomes if o.spans]
    controls = [o for o in outcomes if not o.spans]

    def pct(num: int, den: int) -> float | None:
        return round(100.0 * num / den, 1) if den else None

    return {
        "questions": len(spanning),
        "expected_articles_covered": pct(sum(o.covered for o in spanning), sum(o.groups for o in spanning)),
        "quotes_holding_the_fact": pct(sum(o.holding for o in spanning), sum(o.quotes for o in spanning)),
        "articles_per_answer": round(sum(o.articles for o in spanning) / len(spanning), 2)
        if spanning
        else None,
        "controls": len(controls),
        "controls_from_one_article": sum(o.articles == 1 and o.covered == 1 for o in controls),
    }


def write_details(path: Path, outcomes: list) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for o in outcomes:
            fh.write(json.dumps(asdict(o), ensure_ascii=False) + "\n")


def format_summary(title: str, summary: dict) -> str:
    return "\n".join(
        [title] + [f"{k.replace('_', ' '):<44}{'-' if v is None else v:>10}" for k, v in summary.items()]
    )
