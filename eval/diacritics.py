"""How well questions typed without diacritics get them back: syllables and whole questions restored.

usage: python eval/diacritics.py [--split tune|report|all]

Each question of the open sets (and of the seed set) is folded ("Có bao nhiêu ca?" -> "co bao nhieu
ca"), restored by the diacritics model of its own corpus, built from the chunks as `rag index` builds
it, and compared with the question as written (tone placement made canonical, as the index does):
by the corpus model alone, and with the passages folded BM25 ranks first beside it, as the retriever
restores (`rag.query.retrieve.InContext`, `--context N` passages). No model is loaded: the diacritics
model needs only the articles. The shipped settings were chosen on the tuning parts (docs/quality.md,
"Typed without diacritics").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import DiacriticRestorer, RetrievalSettings, Settings, fold, read_articles, tokens  # noqa: E402
from rag.chunking import Chunker, ChunkSettings, index_text  # noqa: E402
from rag.eval.questions import read_jsonl, read_squad, split_of  # noqa: E402
from rag.lexical.bm25 import LexicalIndex  # noqa: E402
from rag.query.retrieve import InContext  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SETS = {
    "XQuAD-vi": DATA / "xquad-vi" / "xquad.vi.json",
    "ViNewsQA dev": DATA / "vinewsqa-dev" / "dev_ViNewsQA.json",
}


def restorer_of(articles, passages: int) -> InContext:
    """The corpus's diacritics model, with its chunks' folded BM25 to find the context passages."""
    chunking = ChunkSettings()
    chunker = Chunker(chunking)
    chunks = [(a, c) for a in articles for c in chunker.split(a)]
    texts = [tokens(index_text(a, c, chunking)) for a, c in chunks]
    restorer = DiacriticRestorer.from_tokens(texts)
    return InContext(restorer, LexicalIndex.from_tokens(texts), [c for _, c in chunks], passages)


def accuracy(restorer: InContext, questions: list[str], in_context: bool) -> tuple[float, float]:
    """% of syllables, and % of whole questions, restored as written."""
    right = total = whole = 0
    for question in questions:
        written = [t for t in tokens(question) if t.isalpha()]
        typed = [fold(t) for t in written]
        context = restorer.context(" ".join(typed)) if in_context else ()
        restored = restorer.restorer.restore_words(typed, context)
        same = sum(a == b for a, b in zip(written, restored, strict=True))
        right, total, whole = right + same, total + len(written), whole + (same == len(written))
    return 100 * right / max(total, 1), 100 * whole / max(len(questions), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="tune", choices=("tune", "report", "all"))
    parser.add_argument(
        "--context",
        type=int,
        default=RetrievalSettings().restore_context,
        help="folded BM25's first passages beside the corpus model (default: the shipped setting)",
    )
    args = parser.parse_args()
    settings = Settings()
    seeds, _ = read_articles(settings.seeds, settings.root)
    sets = []
    for name, path in SETS.items():
        articles, items = read_squad(path)
        asked = [it.question for it in items if args.split == "all" or split_of(it.group) == args.split]
        sets.append((name, articles, asked))
    sets.append(("seed questions", seeds, [it.question for it in read_jsonl(ROOT / "eval" / "seeds.jsonl")]))
    print(
        f"{'set (' + args.split + ')':<24}{'questions':>10}{'syllables %':>13}{'questions %':>13}"
        f"{'in context: syllables %':>25}{'questions %':>13}"
    )
    for name, articles, asked in sets:
        restorer = restorer_of(articles, args.context)
        alone, with_context = accuracy(restorer, asked, False), accuracy(restorer, asked, True)
        print(
            f"{name:<24}{len(asked):>10}{alone[0]:>13.2f}{alone[1]:>13.1f}{with_context[0]:>25.2f}{with_context[1]:>13.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
