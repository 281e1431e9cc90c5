"""How many of ViNewsQA dev's passage misses are questions that do not name their article.

usage: python eval/context_bound.py [--vinewsqa FILE]

UIT-ViNewsQA's questions were written by readers looking at one article, and many read only in its
context ("Bác sĩ khuyến cáo những gì?", "Tình trạng của bé khi nhập viện như thế nào?"): asked alone
of 500 health stories, no ranker can tell which story they mean. eval/context_bound.jsonl holds a
hand-labelled sample: 60 questions drawn at random (seed 9) from the tuning part's questions whose
article was not in the first five passages (commit d77a2bf), each marked by whether it names something
that singles its article out (a person, an object, an event). Only question ids are kept here; the
questions are read from ../shared in place. This prints them with their labels and the share, which
bounds what passage recall@5 can reach on this set (docs/quality.md, "What bounds ViNewsQA").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).with_name("context_bound.jsonl")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--vinewsqa", type=Path, default=ROOT.parent / "shared/data/vinewsqa-dev/dev_ViNewsQA.json"
    )
    args = ap.parse_args()
    questions = {
        qa["id"]: (qa["question"], doc.get("title", ""))
        for doc in json.loads(args.vinewsqa.read_text(encoding="utf-8"))["data"]
        for para in doc["paragraphs"]
        for qa in para["qas"]
    }
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for rec in labels:
        question, title = questions[rec["id"]]
        mark = "names it " if rec["names_its_article"] else "needs it "
        print(f"{mark} {question}  <- {title}")
    named = sum(r["names_its_article"] for r in labels)
    bound = len(labels) - named
    print(
        f"\n{bound} of {len(labels)} sampled misses ({100 * bound / len(labels):.0f} %) "
        "do not name their article"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
