"""Answers before and after a change, compared: the check that a refactoring changed no behaviour.

usage:
    python eval/compare_answers.py run OUT.jsonl [--xquad FILE] [--limit N]
    python eval/compare_answers.py compare BEFORE.jsonl AFTER.jsonl

`run` asks every question of eval/seeds.jsonl, as written and folded without diacritics, of a store
built from seeds/ (in a temporary folder), and every XQuAD-vi question, as written and folded, of the
cached evaluation store `rag eval` uses. It writes one line per question: the set, the question, and
the JSON `rag ask --json` prints for it, without `seconds`. `compare` exits 1 on any difference and
names the first ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import (  # noqa: E402
    Pipeline,
    Settings,
    Store,
    build_index,
    fold,
    load_embedder,
    read_jsonl,
    read_squad,
    squad_store,
)

XQUAD = ROOT.parent / "shared" / "data" / "xquad-vi" / "xquad.vi.json"


def ask_all(pipeline: Pipeline, name: str, questions: list[str], out) -> int:
    for q in questions:
        for asked in dict.fromkeys([q, fold(q)]):
            answer = pipeline.ask(asked).to_dict()
            answer.pop("seconds")
            out.write(json.dumps({"set": name, "asked": asked, "answer": answer}, ensure_ascii=False) + "\n")
    return len(questions)


def run(out_path: Path, xquad: Path, limit: int | None) -> int:
    settings = Settings()
    embedder = load_embedder(settings)
    with out_path.open("w", encoding="utf-8") as out, tempfile.TemporaryDirectory() as tmp:
        seeds = settings.with_(store_dir=Path(tmp) / "store")
        build_index(seeds, embedder=embedder, show_progress=False, log=lambda _m: None)
        pipeline = Pipeline(seeds, Store.load(seeds.store), embedder)
        items = read_jsonl(ROOT / "eval" / "seeds.jsonl")[:limit]
        n = ask_all(pipeline, "seeds", [it.question for it in items], out)
        print(f"seeds: {n} questions", file=sys.stderr)
        if not xquad.is_file():
            print(f"{xquad} not found: XQuAD-vi skipped", file=sys.stderr)
            return 0
        articles, qs = read_squad(xquad)
        store, _ = squad_store(xquad, articles, settings, embedder)
        pipeline = Pipeline(settings.with_(store_dir=store.folder.parent), store, embedder)
        n = ask_all(pipeline, "xquad", [it.question for it in qs][:limit], out)
        print(f"xquad: {n} questions", file=sys.stderr)
    return 0


def compare(before: Path, after: Path) -> int:
    a = before.read_text(encoding="utf-8").splitlines()
    b = after.read_text(encoding="utf-8").splitlines()
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    for i in differ[:5]:
        x, y = json.loads(a[i]), json.loads(b[i])
        fields = set(x["answer"]) | set(y["answer"])
        keys = sorted(k for k in fields if x["answer"].get(k) != y["answer"].get(k))
        print(f"line {i + 1} ({x['set']}: {x['asked'][:60]!r}) differs in: {', '.join(keys) or 'set/asked'}")
    if len(a) != len(b):
        print(f"{before} has {len(a)} answers, {after} has {len(b)}")
    if differ or len(a) != len(b):
        print(f"{len(differ)} of {min(len(a), len(b))} answers differ")
        return 1
    print(f"identical: {len(a)} answers")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="write the answers to OUT")
    r.add_argument("out", type=Path)
    r.add_argument("--xquad", type=Path, default=XQUAD)
    r.add_argument("--limit", type=int, help="only the first N questions of each set")
    c = sub.add_parser("compare", help="exit 1 unless the two files hold the same answers")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args()
    if args.cmd == "run":
        return run(args.out, args.xquad, args.limit)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
