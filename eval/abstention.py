"""How the abstention threshold was chosen: from data, on the tuning half of XQuAD-vi.

usage: python eval/abstention.py [../shared/data/xquad-vi/xquad.vi.json] [--seeds-store vectorstore]

Positives: XQuAD-vi questions asked of their own paragraphs (answerable). Negatives: the same
questions asked of the seed articles, where none is answerable. For each threshold on the support
signal (the weighted share of the question's words that the best passage holds whole), it prints how
many positives would wrongly abstain, how many negatives rightly abstain, and the answer hit that
remains. The shipped threshold is the one with the best answer hit on the tuning half among those
that abstain on at least 97% of its negatives; the reporting half only confirms it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import (  # noqa: E402
    AnswerSettings,
    Pipeline,
    Settings,
    Store,
    contains_answer,
    load_embedder,
    read_query,
    read_squad,
    split_of,
    squad_store,
)

THRESHOLDS = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
MIN_NEGATIVE_ABSTENTION = 97.0


def signals(pipeline: Pipeline, question: str, answers: list[str]) -> tuple[float, bool, bool]:
    """Support of the best passage, whether the number gate fires, and whether the answer is right."""
    answer = pipeline.ask(question, top_k=10)
    asked = pipeline.answerer.read(read_query(question, pipeline.retriever.restorer))
    support = pipeline.answerer.support(asked, answer.hits)
    gate = pipeline.answerer.lacks_asked_number(asked, answer.hits)
    return support, gate, bool(answers) and contains_answer(answer.text, answers)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=ROOT.parent / "shared/data/xquad-vi/xquad.vi.json")
    ap.add_argument("--seeds-store", type=Path, default=ROOT / "vectorstore")
    args = ap.parse_args()
    settings = Settings()
    never = replace(AnswerSettings(), min_support=0.0, number_gate=False)  # see every signal
    articles, items = read_squad(args.file)
    embedder = load_embedder(settings)
    store, _ = squad_store(args.file, articles, settings, embedder)
    own = Pipeline(settings.with_(store_dir=store.folder.parent), store, embedder, answering=never)
    seeds = Pipeline(settings.with_(store_dir=args.seeds_store), Store.load(args.seeds_store), embedder,
                     answering=never)  # fmt: skip
    rows = {"tune": [], "report": []}
    for it in items:
        rows[split_of(it.group)].append(
            (signals(own, it.question, it.answers), signals(seeds, it.question, []))
        )

    best = None
    for half in ("tune", "report"):
        data = rows[half]
        print(f"\n{half} half: {len(data)} questions")
        print("| support threshold | answerable, wrongly abstained | unanswerable, abstained | answer hit |")
        print("|---|---|---|---|")
        for t in THRESHOLDS:
            pos = [(s < t or g, hit) for (s, g, hit), _ in data]
            neg = [s < t or g for _, (s, g, _) in data]
            wrong = 100 * sum(a for a, _ in pos) / len(pos)
            right = 100 * sum(neg) / len(neg)
            hit = 100 * sum(h and not a for a, h in pos) / len(pos)
            print(f"| {t:.2f} | {wrong:.1f} | {right:.1f} | {hit:.1f} |")
            if half == "tune" and right >= MIN_NEGATIVE_ABSTENTION and (best is None or hit > best[1]):
                best = (t, hit)
    print(f"\nchosen on the tuning half: {best[0]:.2f} (shipped: {AnswerSettings().min_support:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
