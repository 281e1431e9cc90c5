#!/usr/bin/env python
"""The baseline: what a user would write by hand with LangChain + FAISS + sentence-transformers.

Same articles, same model folder (float32 PyTorch), same chunk size and overlap, e5 prompts, a flat
FAISS index saved with `save_local`; retrieval is `similarity_search(k=5)`. It has no answer step
(no extraction, no citations), so its question figures are retrieval only.

    python benchmarks/baseline_langchain.py build SIZE STORE   # SIZE: seeds or a number of articles
    python benchmarks/baseline_langchain.py query STORE N      # latency over N benchmark questions
    python benchmarks/baseline_langchain.py ask STORE QUESTION # one answer (for cold start)

It reads the corpus through `benchmarks.bench` only to pick the same articles; nothing else of `rag` runs.
Needs the `bench` extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")


def embeddings():
    """LangChain's sentence-transformers wrapper with instruction prefixes, set to e5's prompts."""
    from langchain_community.embeddings import HuggingFaceBgeEmbeddings

    from rag.config import DEFAULT_MODEL
    from rag.models.base import resolve_model_path

    return HuggingFaceBgeEmbeddings(
        model_name=resolve_model_path(DEFAULT_MODEL),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        query_instruction="query: ",
        embed_instruction="passage: ",
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build(size: str, store: str) -> dict:
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from benchmarks.bench.corpus import load_articles

    started = time.perf_counter()
    articles = load_articles(size)
    docs = [Document(page_content=f"{a.title}\n{a.text}", metadata={"source": a.path}) for a in articles]
    ingest_s = time.perf_counter() - started
    emb = embeddings()
    t = time.perf_counter()
    chunks = RecursiveCharacterTextSplitter(chunk_size=900, chunk_overlap=150).split_documents(docs)
    db = FAISS.from_documents(chunks, emb, distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT)
    db.save_local(store)
    index_s = time.perf_counter() - t
    return {
        "articles": len(docs),
        "chunks": len(chunks),
        "ingest_s": ingest_s,
        "index_s": index_s,
        "wall_s": time.perf_counter() - started,
        "chunks_per_s": len(chunks) / index_s,
        "peak_rss_mb": peak_rss_mb(),
    }


def load(store: str):
    from langchain_community.vectorstores import FAISS

    return FAISS.load_local(store, embeddings(), allow_dangerous_deserialization=True)


def query(store: str, n: int) -> dict:
    from benchmarks.bench.corpus import bench_questions

    t = time.perf_counter()
    db = load(store)
    load_s = time.perf_counter() - t
    questions = bench_questions(n)
    for q in questions[:3]:
        db.similarity_search(q, k=5)
    times = []
    for q in questions:
        t = time.perf_counter()
        db.similarity_search(q, k=5)
        times.append((time.perf_counter() - t) * 1000)
    return {
        "questions": len(questions),
        "load_s": load_s,
        "search_ms": {
            "median": statistics.median(times),
            "p95": float(np.percentile(np.asarray(times), 95)),
        },
        "questions_per_s": 1000 * len(times) / sum(times),
        "peak_rss_mb": peak_rss_mb(),
    }


def ask(store: str, question: str) -> dict:
    doc = load(store).similarity_search(question, k=5)[0]
    return {"question": question, "passage": doc.page_content[:300], "source": doc.metadata.get("source")}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    cmd, args = argv[0], argv[1:]
    if cmd == "build":
        out = build(args[0], args[1])
    elif cmd == "query":
        out = query(args[0], int(args[1]))
    elif cmd == "ask":
        out = ask(args[0], " ".join(args[1:]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
