"""The measurements: plain functions, each run by the driver in a process of its own
(`runner.in_fresh_process`), so that its peak memory is its alone and nothing it loads outlives it."""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from rag import Article, Settings, percentile, recall_at_k

from .corpus import ADD_ARTICLES, bench_questions, load_articles


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def worker_build(size: str, store: Path, backend: str, resume: bool = False) -> dict:
    from rag import Store, build_store, load_embedder

    started = time.perf_counter()
    articles = load_articles(size)
    ingest_s = time.perf_counter() - started
    embedder = load_embedder(backend=backend)
    load_s = time.perf_counter() - started - ingest_s
    report = build_store(
        articles, store, embedder, Settings().chunking, rebuild=not resume, progress=_progress
    )
    wall = time.perf_counter() - started
    if report.embedded_chunks < report.chunks:
        print(
            f"  resumed: {report.chunks - report.embedded_chunks} chunks were already embedded",
            file=sys.stderr,
        )
    manifest = Store.load(store).manifest
    gen = store / (store / "CURRENT").read_text().strip()
    return {
        "articles": report.articles,
        "chunks": report.chunks,
        "ingest_s": ingest_s,
        "model_load_s": load_s,
        "index_s": report.seconds,
        "wall_s": wall,
        "embedded_chunks": report.embedded_chunks,
        "resumed": report.embedded_chunks < report.chunks,
        "chunks_per_s": report.embedded_chunks / report.seconds,
        "peak_rss_mb": peak_rss_mb(),
        "disk_mb": folder_mb(gen),
        "dense_index": manifest["dense_index"],
        "parts_mb": {
            "dense.faiss": (gen / "dense.faiss").stat().st_size / 2**20,
            "vectors.npy": (gen / "vectors.npy").stat().st_size / 2**20,
            "lexical": folder_mb(gen / "lexical"),
            "articles.jsonl": (gen / "articles.jsonl").stat().st_size / 2**20,
        },
    }


def _progress(total: int, n_articles: int):
    """Progress on stderr every ~5%: long builds run in the background and are checked on."""
    state = {"done": 0, "next": 0, "t0": time.perf_counter()}

    def tick(n: int) -> None:
        state["done"] += n
        if state["done"] >= state["next"] or state["done"] == total:
            rate = state["done"] / max(1e-9, time.perf_counter() - state["t0"])
            print(f"  embedded {state['done']}/{total} chunks ({rate:.1f}/s)", file=sys.stderr, flush=True)
            state["next"] += max(1, total // 20)

    return tick


def worker_add(size: str, store: Path, backend: str) -> dict:
    """Add 100 new articles to a built store, then remove them again (both incremental).

    The new articles are copies of 100 of the corpus under new ids (the split has no more articles
    than the largest size); the store's own articles are kept as they are.
    """
    from rag import Store, build_store, load_embedder

    current = Store.load(store)
    articles = [current.articles[i] for i in current.article_order]
    del current
    extra = [
        Article(**{**a.to_dict(), "id": f"{a.id}-bis", "path": f"{a.path}-bis", "title": f"{a.title} (bis)"})
        for a in articles[:ADD_ARTICLES]
    ]
    embedder = load_embedder(backend=backend)
    out: dict = {"articles": len(articles)}
    for step, batch in (("add", articles + extra), ("remove", articles)):
        report = build_store(batch, store, embedder, Settings().chunking)
        out[step] = {
            "seconds": report.seconds,
            "embedded_chunks": report.embedded_chunks,
            "added": len(report.added),
            "removed": len(report.removed),
            "full_rebuild_reason": report.full_rebuild_reason,
        }
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def worker_query(store: Path, backend: str, n_questions: int) -> dict:
    """Latency of retrieval alone and of a full answer, on a loaded store, after a warm-up."""
    import faiss

    from rag import Pipeline, read_query

    settings = Settings().with_(store_dir=store, backend=backend)
    load_started = time.perf_counter()
    pipeline = Pipeline.open(settings, build_if_missing=False, show_progress=False)
    load_s = time.perf_counter() - load_started
    questions = bench_questions(n_questions)
    for q in questions[:3]:
        pipeline.ask(q)
    retrieval, full = [], []
    for q in questions:
        t = time.perf_counter()
        pipeline.retriever.search(read_query(q, pipeline.retriever.restorer), 5)
        retrieval.append(time.perf_counter() - t)
        t = time.perf_counter()
        pipeline.ask(q)
        full.append(time.perf_counter() - t)
    out = {
        "questions": len(questions),
        "load_s": load_s,
        "retrieval_ms": _stats(retrieval),
        "answer_ms": _stats(full),
        **completion_ms(pipeline, questions),
        "questions_per_s": len(full) / sum(full),
        "peak_rss_mb": peak_rss_mb(),  # a loaded store answering questions (before the recall checks)
        "chunks": len(pipeline.store.chunks),
        "articles": len(pipeline.store.articles),
        "dense_index": pipeline.store.manifest["dense_index"],
    }
    # Dense recall@10 of the store's index (and of an IVF built on the same vectors) against exact search.
    qv = pipeline.embedder.encode_queries(questions)
    vectors = np.asarray(pipeline.store.vectors, dtype=np.float32)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    out["dense_ms"] = {"flat": search_ms(exact, qv)}
    _, truth = exact.search(qv, 10)
    out["recall_at_10"] = {"store": _recall(pipeline.store.dense, qv, truth)}
    if len(vectors) >= 2000:  # what the approximate indexes would give on these vectors and questions
        from rag import DenseSettings, build_dense_index

        for kind, knob, values in (
            ("hnsw", "efSearch", (128, 256, 512, 768, 1024)),
            ("ivf", "nprobe", (16, 32, 48, 64)),
        ):
            index = build_dense_index(vectors, DenseSettings(kind=kind))
            entry = index.entry
            faiss.omp_set_num_threads(1)
            out[kind] = {**entry, "recall_at_10": _recall(index, qv, truth), "ms": search_ms(index, qv)}
            sweep = {}
            for value in values:
                if kind == "ivf" and value > entry["nlist"]:
                    continue
                if kind == "ivf":
                    index.index.nprobe = value
                else:
                    index.index.hnsw.efSearch = value
                sweep[value] = _recall(index, qv, truth)
            out[kind][f"recall_by_{knob}"] = sweep
    return out


def completion_ms(pipeline, questions: list[str]) -> dict:
    """What a conversation adds to a question: reading its history and completing it (rag.query.
    conversation), timed alone, on each question asked after the one before it (with that answer),
    and on the follow-ups of eval/conversations.jsonl after their own dialogue's earlier turns (its
    benchmark questions read by id, as `rag eval` does; skipped when those files are missing)."""
    from rag import RagError
    from rag.eval.conversations import read_conversations
    from rag.eval.runner import data_dir
    from rag.query.conversation import parse_history

    completer = pipeline.current().completer
    pairs = []  # (question, history as /ask takes it)
    previous = None
    for q in questions:
        if previous is not None:
            pairs.append((q, [previous]))
        previous = {"question": q, "answer": pipeline.ask(q).to_dict()}
    after_one = len(pairs)
    path = Path(__file__).resolve().parents[2] / "eval" / "conversations.jsonl"
    try:
        dialogues = read_conversations(path, data_dir(pipeline.settings)) if path.is_file() else []
    except RagError:
        dialogues = []
    for dialogue in dialogues:
        history: list[dict] = []
        for turn in dialogue.turns:
            if history:
                pairs.append((turn.question, list(history)))
            history.append({"question": turn.question, "answer": pipeline.ask(turn.question).to_dict()})
    took = []
    for q, history in pairs:
        t = time.perf_counter()
        completer.complete(q, parse_history(history))
        took.append(time.perf_counter() - t)
    out = {"completion_ms": _stats(took)}
    if after_one and len(took) > after_one:
        out["completion_ms"]["after_one_median"] = statistics.median(took[:after_one]) * 1000
        out["completion_ms"]["follow_ups_median"] = statistics.median(took[after_one:]) * 1000
        out["completion_ms"]["follow_ups"] = len(took) - after_one
    return out


def _stats(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"median": statistics.median(ms), "p95": percentile(ms, 95), "mean": statistics.fmean(ms)}


def search_ms(index, qv: np.ndarray) -> float:
    """Median ms of one-question searches: the engine answers one question at a time."""
    times = []
    for i in range(len(qv)):
        t = time.perf_counter()
        index.search(qv[i : i + 1], 100)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def _recall(index, qv: np.ndarray, truth: np.ndarray) -> float:
    return recall_at_k(index.search(qv, truth.shape[1])[1], truth)


def worker_embed(backends: list[str], n: int) -> dict:
    """Embedding alone, every backend on the same VietNews chunks in one process, and query encoding."""
    from rag import Chunker, index_text, load_embedder

    settings = Settings()
    chunker = Chunker(settings.chunking)
    texts = []
    for a in load_articles("1000"):
        texts.extend(index_text(a, c, settings.chunking) for c in chunker.split(a))
        if len(texts) >= n:
            break
    texts = texts[:n]
    queries = bench_questions(40)
    out = {"chunks": len(texts), "mean_chars": statistics.fmean(map(len, texts))}
    vecs = {}
    for backend in backends:
        t = time.perf_counter()
        emb = load_embedder(settings, backend=backend)
        load_s = time.perf_counter() - t
        emb.encode_passages(texts[:8])  # warm-up
        t = time.perf_counter()
        vecs[backend] = emb.encode_passages(texts)
        seconds = time.perf_counter() - t
        times = []
        for q in queries:
            t = time.perf_counter()
            emb.encode_queries([q])
            times.append(time.perf_counter() - t)
        out[backend] = {
            "load_s": load_s,
            "chunks_per_s": len(texts) / seconds,
            "query_ms": statistics.median(times) * 1000,
        }
    ref = vecs.get("torch")
    if ref is not None:
        for backend, v in vecs.items():
            cos = np.sum(v * ref, axis=1)
            out[backend]["cosine_to_torch"] = {"min": float(cos.min()), "mean": float(cos.mean())}
    return out


def worker_lexical(size: str, n_questions: int) -> dict:
    """The BM25 side alone at a size, without embeddings: build, save, mmap load, score, add 100.

    Used where embedding the whole size does not fit the time at hand (22 644 articles is ~80k chunks,
    hours of embedding on a busy 2-core machine): every BM25 figure here is measured at full size.
    """
    import tempfile

    from rag import Chunker, LexicalIndex, index_text, read_query, tokens

    settings = Settings().chunking
    t = time.perf_counter()
    articles = load_articles(size)
    ingest_s = time.perf_counter() - t
    chunker = Chunker(settings)
    t = time.perf_counter()
    per_article = [[index_text(a, c, settings) for c in chunker.split(a)] for a in articles]
    chunk_s = time.perf_counter() - t
    texts = [x for chunks in per_article for x in chunks]
    extra = per_article[:ADD_ARTICLES]
    t = time.perf_counter()
    full = LexicalIndex.build(texts)
    build_s = time.perf_counter() - t
    out: dict = {
        "articles": len(articles),
        "chunks": len(texts),
        "ingest_s": ingest_s,
        "chunk_s": chunk_s,
        "build_s": build_s,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lexical"
        t = time.perf_counter()
        full.save(folder)
        out["save_s"] = time.perf_counter() - t
        out["disk_mb"] = folder_mb(folder)
        counts_mb = (
            sum(p.stat().st_size for p in folder.rglob("*.npy") if not p.name.endswith(".index.npy")) / 2**20
        )
        out["disk_mb_scores"], out["disk_mb_counts"] = out["disk_mb"] - counts_mb, counts_mb
        for mmap in (False, True):
            t = time.perf_counter()
            loaded = LexicalIndex.load(folder, mmap=mmap)
            out[f"load_s_mmap_{mmap}"] = time.perf_counter() - t
        questions = bench_questions(n_questions)
        times = []
        for q in questions:
            query = read_query(q)  # as the retriever does: both views, then the top 100 of each
            t = time.perf_counter()
            for view, terms in (("accented", query.terms), ("folded", query.typed_terms)):
                scores = loaded.scores(terms, view)
                np.argpartition(-scores, min(99, len(scores) - 1))[:100]
            times.append(time.perf_counter() - t)
        out["score_ms"] = _stats(times)
        # incremental: 100 more articles' chunks appended, only they are tokenised
        new_texts = [x + " (bis)" for chunks in extra for x in chunks]
        t = time.perf_counter()
        new_tokens = [tokens(x) for x in new_texts]
        grown = LexicalIndex.combine(loaded, np.arange(len(texts) + len(new_texts)), new_tokens)
        out["add_100_s"] = time.perf_counter() - t
        out["add_100_chunks"] = len(new_texts)
        assert grown.size == len(texts) + len(new_texts)
        # the diacritics model, built, saved, loaded and updated beside the BM25 side
        from rag import DiacriticRestorer

        all_tokens = [tokens(x) for x in texts]
        t = time.perf_counter()
        restorer = DiacriticRestorer.from_tokens(all_tokens)
        out["diacritics_build_s"] = time.perf_counter() - t
        out["diacritics_pairs"] = len(restorer.bigram_keys)
        t = time.perf_counter()
        restorer.save(Path(tmp) / "diacritics")
        out["diacritics_save_s"] = time.perf_counter() - t
        t = time.perf_counter()
        restorer = DiacriticRestorer.load(Path(tmp) / "diacritics")
        out["diacritics_load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        restorer.updated([], new_tokens)
        out["diacritics_add_100_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = peak_rss_mb()
    return out
