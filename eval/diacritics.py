"""How well questions typed without diacritics get them back: syllables and whole questions restored.

usage: python eval/diacritics.py [--split tune|report|all]

Each question of the open sets (and of the seed set) is folded ("Có bao nhiêu ca?" -> "co bao nhieu
ca"), restored by the diacritics model of its own corpus, built from the chunks as `rag index` builds
it, and compared with the question as written (tone placement made canonical, as the index does).
No model is loaded: the diacritics model needs only the articles. The shipped settings were chosen on
the tuning parts (docs/quality.md, "Typed without diacritics").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import DiacriticRestorer, Settings, fold, read_articles, tokens  # noqa: E402
from rag.chunking import Chunker, ChunkSettings, index_text  # noqa: E402
from rag.eval.questions import read_jsonl, read_squad, split_of  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SETS = {
    "XQuAD-vi": DATA / "xquad-vi" / "xquad.vi.json",
    "ViNewsQA dev": DATA / "vinewsqa-dev" / "dev_ViNewsQA.json",
}


def restorer_of(articles) -> DiacriticRestorer:
    chunking = ChunkSettings()
    chunker = Chunker(chunking)
    return DiacriticRestorer.from_tokens(
        tokens(index_text(a, c, chunking)) for a in articles for c in chunker.split(a)
    )


def accuracy(restorer: DiacriticRestorer, questions: list[str]) -> tuple[float, float]:
    """% of syllables, and % of whole questions, restored as written."""
    right = total = whole = 0
    for question in questions:
        written = [t for t in tokens(question) if t.isalpha()]
        restored = restorer.restore_words([fold(t) for t in written])
        same = sum(a == b for a, b in zip(written, restored, strict=True))
        right, total, whole = right + same, total + len(written), whole + (same == len(written))
    return 100 * right / max(total, 1), 100 * whole / max(len(questions), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="tune", choices=("tune", "report", "all"))
    args = parser.parse_args()
    rows = []
    for name, path in SETS.items():
        articles, items = read_squad(path)
        asked = [it.question for it in items if args.split == "all" or split_of(it.group) == args.split]
        rows.append((name, len(asked), *accuracy(restorer_of(articles), asked)))
    settings = Settings()
    seeds, _ = read_articles(settings.seeds, settings.root)
    asked = [it.question for it in read_jsonl(ROOT / "eval" / "seeds.jsonl")]
    rows.append(("seed questions", len(asked), *accuracy(restorer_of(seeds), asked)))
    print(f"{'set (' + args.split + ')':<24}{'questions':>10}{'syllables %':>13}{'questions %':>13}")
    for name, n, syllables, whole in rows:
        print(f"{name:<24}{n:>10}{syllables:>13.2f}{whole:>13.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
