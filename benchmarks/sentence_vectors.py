#!/usr/bin/env python
"""What encoded sentence vectors cost the build: RAG_SENTENCE_VECTORS=pooled against encoded, side by side.

Both kinds build the same articles (the seeds, or the first N of the VietNews benchmark corpus) into
fresh stores, in alternating rounds in one process so that both see the same machine; the chunk
vectors are the same, only the sentence vectors differ, so answering costs the same and is not timed.
Prints median build seconds per kind, chunks per second and the ratio.

    python benchmarks/sentence_vectors.py --size 200 --rounds 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench.corpus import load_articles  # noqa: E402
from rag import Settings, Store, build_store, load_embedder  # noqa: E402

KINDS = ("pooled", "encoded")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="seeds", help="seeds, or a number of VietNews articles")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    settings = Settings()
    articles = load_articles(args.size)
    embedders = {kind: load_embedder(settings.with_(sentence_vectors=kind)) for kind in KINDS}
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    chunks = sentences = 0
    work = Path(tempfile.mkdtemp(prefix="rag-sentence-bench-"))
    try:
        for r in range(args.rounds):
            for kind in KINDS if r % 2 == 0 else KINDS[::-1]:
                folder = work / f"{kind}-{r}"
                start = time.perf_counter()
                build_store(articles, folder, embedders[kind], settings.chunking)
                seconds[kind].append(time.perf_counter() - start)
                store = Store.load(folder)
                chunks, sentences = len(store.chunks), len(store.sentences)
                shutil.rmtree(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(articles)} articles ({args.size}), {chunks} chunks, {sentences} sentences, "
          f"{settings.backend}, {args.rounds} rounds")  # fmt: skip
    median = {kind: statistics.median(seconds[kind]) for kind in KINDS}
    for kind in KINDS:
        print(f"{kind:8s} build median {median[kind]:.1f} s, {chunks / median[kind]:.1f} chunks/s")
    print(f"encoded / pooled: {median['encoded'] / median['pooled']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
