"""`rag bench`: how build and question costs grow with the corpus, beside a plain LangChain script.

Every measurement runs in a fresh worker process (`python -m benchmarks.bench.workers <worker> ...`)
so that peak memory (RSS) belongs to that step alone and cold start is a real process start. Results are kept
in `<work>/results.json`, one entry per (system, size, step), so each size can be run on its own
(the largest in the background) and the table printed from all of them with `rag bench --report`.
Stores are built under `<work>` (default: the cache folder), never inside the project.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from rag.config import Settings, cache_dir, project_root
from rag.errors import RagError
from rag.schema import Article

SIZES = ("seeds", "1000", "5000", "22644")
BASELINE = Path("benchmarks") / "baseline_langchain.py"
ADD_ARTICLES = 100


def corpus_path() -> Path:
    """The VietNews test split, read in place (it must never be copied into the project)."""
    env = os.environ.get("RAG_BENCH_CORPUS")
    path = Path(env) if env else project_root().parent / "shared" / "data" / "vietnews" / "test.jsonl.gz"
    if not path.is_file():
        raise RagError(f"benchmark corpus {path} not found: set RAG_BENCH_CORPUS to VietNews' test.jsonl.gz")
    return path


def questions_path() -> Path | None:
    env = os.environ.get("RAG_BENCH_QUESTIONS")
    path = Path(env) if env else project_root().parent / "shared" / "data" / "xquad-vi" / "xquad.vi.json"
    return path if path.is_file() else None


def corpus_records(n: int) -> list[str]:
    """The first `n` raw JSON lines of the corpus."""
    with gzip.open(corpus_path(), "rt", encoding="utf-8") as fh:
        lines = [line for line in islice(fh, n) if line.strip()]
    if len(lines) < n:
        raise RagError(f"the benchmark corpus has {len(lines)} articles, fewer than the {n} asked for")
    return lines


def load_articles(size: str) -> list[Article]:
    """The articles of one benchmark size, cleaned by the project's own ingest."""
    from rag.ingest import read_articles
    from rag.ingest.jsonl import _records

    if size == "seeds":
        settings = Settings()
        articles, _ = read_articles(settings.seeds, settings.root)
        return articles
    lines = corpus_records(int(size))
    items = _records(corpus_path(), "vietnews/test.jsonl.gz", "\n".join(lines))
    return [a for a in items if isinstance(a, Article)]


def bench_questions(n: int) -> list[str]:
    """Real Vietnamese questions (XQuAD-vi), the same at every size; without it, article titles of
    the corpus, or of the seeds (repeated) where the corpus is missing too, so that `--sizes seeds`
    runs on a checkout with nothing beside it."""
    path = questions_path()
    if path is not None:
        data = json.loads(path.read_text(encoding="utf-8"))
        out = [qa["question"] for art in data["data"] for p in art["paragraphs"] for qa in p["qas"]]
        step = max(1, len(out) // n)
        return out[::step][:n]
    try:
        return [a.title for a in load_articles("1000")[:n]]
    except RagError:
        titles = [a.title for a in load_articles("seeds")]
        return [titles[i % len(titles)] for i in range(n)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# --- workers (each runs in its own process) ------------------------------------------------------


def worker_build(size: str, store: Path, backend: str, resume: bool = False) -> dict:
    from rag.models import load_embedder
    from rag.store.builder import build_store
    from rag.store.store import Store

    started = time.perf_counter()
    articles = load_articles(size)
    ingest_s = time.perf_counter() - started
    embedder = load_embedder(Settings().model, backend)
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
    from rag.models import load_embedder
    from rag.store.builder import build_store
    from rag.store.store import Store

    current = Store.load(store)
    articles = [current.articles[i] for i in current.article_order]
    del current
    extra = [
        Article(**{**a.to_dict(), "id": f"{a.id}-bis", "path": f"{a.path}-bis", "title": f"{a.title} (bis)"})
        for a in articles[:ADD_ARTICLES]
    ]
    embedder = load_embedder(Settings().model, backend)
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

    from rag.pipeline import Pipeline
    from rag.query.analyse import read_query

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
        pipeline.retriever.search(read_query(q, pipeline.store), 5)
        retrieval.append(time.perf_counter() - t)
        t = time.perf_counter()
        pipeline.ask(q)
        full.append(time.perf_counter() - t)
    out = {
        "questions": len(questions),
        "load_s": load_s,
        "retrieval_ms": _stats(retrieval),
        "answer_ms": _stats(full),
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
        from rag.store.dense import DenseSettings, _dense_index

        for kind, knob, values in (
            ("hnsw", "efSearch", (128, 256, 512, 768, 1024)),
            ("ivf", "nprobe", (16, 32, 48, 64)),
        ):
            index, entry = _dense_index(vectors, DenseSettings(kind=kind))
            faiss.omp_set_num_threads(1)
            out[kind] = {**entry, "recall_at_10": _recall(index, qv, truth), "ms": search_ms(index, qv)}
            sweep = {}
            for value in values:
                if kind == "ivf" and value > entry["nlist"]:
                    continue
                if kind == "ivf":
                    index.nprobe = value
                else:
                    index.hnsw.efSearch = value
                sweep[value] = _recall(index, qv, truth)
            out[kind][f"recall_by_{knob}"] = sweep
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
    _, got = index.search(qv, 10)
    return float(np.mean([len(set(g) & set(t)) / len(t) for g, t in zip(got, truth, strict=True)]))


def worker_embed(backends: list[str], n: int) -> dict:
    """Embedding alone, every backend on the same VietNews chunks in one process, and query encoding."""
    from rag.chunking import Chunker, index_text
    from rag.models import load_embedder

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
        emb = load_embedder(settings.model, backend)
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

    from rag.chunking import Chunker, index_text
    from rag.lexical.bm25 import LexicalIndex
    from rag.query.analyse import read_query
    from rag.text.normalise import tokens

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
        from rag.lexical.diacritics import DiacriticRestorer

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


WORKERS = {"build": worker_build, "add": worker_add, "query": worker_query, "embed": worker_embed}


# --- the driver ----------------------------------------------------------------------------------


@dataclass
class BenchConfig:
    sizes: list[str]
    backend: str = "onnx-int8"
    baseline: bool = True
    questions: int = 100
    work: Path = field(default_factory=lambda: cache_dir() / "bench")
    steps: list[str] = field(default_factory=lambda: ["build", "add", "query", "cold"])
    embed_backends: list[str] = field(default_factory=list)
    embed_chunks: int = 192
    resume: bool = False  # continue an interrupted build instead of starting over


def _python() -> list[str]:
    return [sys.executable]


def _env() -> dict:
    env = dict(os.environ)
    root = str(project_root())
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def run_worker(args: list[str], log) -> dict:
    """Run one worker process; its last stdout line is its JSON result."""
    proc = subprocess.run(
        _python() + args, stdout=subprocess.PIPE, text=True, env=_env(), cwd=project_root(), check=False
    )
    if proc.returncode != 0:
        raise RagError(f"benchmark step {' '.join(args[:4])} failed (exit {proc.returncode}; see above)")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cold_start(cmd: list[str], runs: int = 3) -> dict:
    """Process start to first answer printed, over `runs` fresh processes (median)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=_env(), cwd=project_root(), check=False
        )
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RagError(f"cold start of {' '.join(cmd[1:4])} failed: {tail}")
    return {"median_s": statistics.median(times), "runs": times}


class Results:
    def __init__(self, path: Path):
        self.path = path
        self.data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def put(self, system: str, size: str, step: str, value: dict) -> None:
        """Merge one result into the file as it is now (another run may have written meanwhile)."""
        if self.path.is_file():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        self.data.setdefault(system, {}).setdefault(size, {})[step] = {
            **value,
            "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    def get(self, system: str, size: str, step: str) -> dict | None:
        return self.data.get(system, {}).get(size, {}).get(step)


def run_bench(cfg: BenchConfig, log=print) -> Results:
    import importlib.util

    if cfg.baseline and importlib.util.find_spec("langchain_community") is None:
        raise RagError(
            "the LangChain baseline needs the bench extra: pip install -e '.[bench]', or --no-baseline"
        )
    results = Results(cfg.work / "results.json")
    me = f"rag:{cfg.backend}"
    if cfg.embed_backends:
        log(f"embedding: {', '.join(cfg.embed_backends)} on {cfg.embed_chunks} chunks ...")
        value = run_worker(
            ["-m", "benchmarks.bench.workers", "embed", ",".join(cfg.embed_backends), str(cfg.embed_chunks)],
            log,
        )
        results.put("embedding", "1000", "embed", value)
    for size in cfg.sizes:
        store = cfg.work / f"store-{size}-{cfg.backend}"
        base_store = cfg.work / f"baseline-{size}"
        question = bench_questions(1)[0]
        if "build" in cfg.steps:
            log(f"[{size}] building with {cfg.backend} ...")
            args = ["-m", "benchmarks.bench.workers", "build", size, str(store), cfg.backend] + (
                ["resume"] if cfg.resume else []
            )
            results.put(me, size, "build", run_worker(args, log))
            if cfg.baseline:
                log(f"[{size}] building with the LangChain baseline ...")
                results.put(
                    "baseline",
                    size,
                    "build",
                    run_worker([str(BASELINE), "build", size, str(base_store)], log),
                )
        if "lexical" in cfg.steps:
            log(f"[{size}] BM25 side alone ...")
            results.put(
                me,
                size,
                "lexical",
                run_worker(["-m", "benchmarks.bench.workers", "lexical", size, str(cfg.questions)], log),
            )
        if "add" in cfg.steps and size != "seeds":
            log(f"[{size}] adding then removing {ADD_ARTICLES} articles ...")
            results.put(
                me,
                size,
                "add",
                run_worker(["-m", "benchmarks.bench.workers", "add", size, str(store), cfg.backend], log),
            )
        if "query" in cfg.steps:
            log(f"[{size}] {cfg.questions} questions ...")
            args = ["-m", "benchmarks.bench.workers", "query", str(store), cfg.backend, str(cfg.questions)]
            results.put(me, size, "query", run_worker(args, log))
            if cfg.baseline and (base_store / "index.faiss").is_file():
                args = [str(BASELINE), "query", str(base_store), str(cfg.questions)]
                results.put("baseline", size, "query", run_worker(args, log))
        if "cold" in cfg.steps:
            log(f"[{size}] cold start ...")
            env_backend = ["env", f"RAG_BACKEND={cfg.backend}"]
            cmd = env_backend + [
                sys.executable,
                "-m",
                "rag",
                "ask",
                "--store",
                str(store),
                "--json",
                question,
            ]
            results.put(me, size, "cold", cold_start(cmd))
            if cfg.baseline and (base_store / "index.faiss").is_file():
                cmd = [sys.executable, str(BASELINE), "ask", str(base_store), question]
                results.put("baseline", size, "cold", cold_start(cmd))
    return results


# --- the table -----------------------------------------------------------------------------------


def _ratio(ours: float | None, theirs: float | None, higher_is_better: bool) -> str:
    if not ours or not theirs:
        return "-"
    r = ours / theirs if higher_is_better else theirs / ours
    return f"{r:.1f}x"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(results: Results, backend: str) -> str:
    """A Markdown table: each figure of the engine beside the baseline's and their ratio."""
    me = f"rag:{backend}"
    rows = [
        "| size | articles | chunks | build chunks/s (rag / base / x) | build wall s (rag / base) "
        "| build peak RSS MB (rag / base) | retrieval ms median / p95 (rag) | answer ms median / p95 (rag) "
        "| baseline search ms median / p95 | answers/s (rag / base) | cold start s (rag / base / x) "
        "| add 100 articles s | dense index |",
        "|" + "---|" * 13,
    ]
    for size in SIZES:
        b, bb = results.get(me, size, "build"), results.get("baseline", size, "build")
        q, bq = results.get(me, size, "query"), results.get("baseline", size, "query")
        c, bc = results.get(me, size, "cold"), results.get("baseline", size, "cold")
        add = results.get(me, size, "add")
        if not (b or q):
            continue
        g = lambda d, *keys: _dig(d, keys)  # noqa: E731
        rows.append(
            "| "
            + " | ".join(
                [
                    size,
                    _fmt(g(b, "articles") or g(q, "articles"), 0),
                    _fmt(g(b, "chunks") or g(q, "chunks"), 0),
                    f"{_fmt(g(b, 'chunks_per_s'))} / {_fmt(g(bb, 'chunks_per_s'))} / "
                    f"{_ratio(g(b, 'chunks_per_s'), g(bb, 'chunks_per_s'), True)}",
                    f"{_fmt(g(b, 'wall_s'))} / {_fmt(g(bb, 'wall_s'))}",
                    f"{_fmt(g(b, 'peak_rss_mb'), 0)} / {_fmt(g(bb, 'peak_rss_mb'), 0)}",
                    f"{_fmt(g(q, 'retrieval_ms', 'median'))} / {_fmt(g(q, 'retrieval_ms', 'p95'))}",
                    f"{_fmt(g(q, 'answer_ms', 'median'))} / {_fmt(g(q, 'answer_ms', 'p95'))}",
                    f"{_fmt(g(bq, 'search_ms', 'median'))} / {_fmt(g(bq, 'search_ms', 'p95'))}",
                    f"{_fmt(g(q, 'questions_per_s'))} / {_fmt(g(bq, 'questions_per_s'))}",
                    f"{_fmt(g(c, 'median_s'), 2)} / {_fmt(g(bc, 'median_s'), 2)} / "
                    f"{_ratio(g(c, 'median_s'), g(bc, 'median_s'), False)}",
                    _fmt(g(add, "add", "seconds")),
                    (g(q, "dense_index", "type") or g(b, "dense_index", "type") or "-"),
                ]
            )
            + " |"
        )
    return "\n".join(rows)


def _dig(d: dict | None, keys: tuple) -> float | None:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def main(argv: list[str]) -> int:
    """Worker entry: `python -m benchmarks.bench.workers <worker> args...` prints one JSON line."""
    name, args = argv[0], argv[1:]
    if name == "build":
        value = worker_build(args[0], Path(args[1]), args[2], resume=args[3:] == ["resume"])
    elif name == "add":
        value = worker_add(args[0], Path(args[1]), args[2])
    elif name == "query":
        value = worker_query(Path(args[0]), args[1], int(args[2]))
    elif name == "lexical":
        value = worker_lexical(args[0], int(args[1]))
    elif name == "embed":
        value = worker_embed(args[0].split(","), int(args[1]))
    else:
        raise SystemExit(f"unknown worker {name}")
    print(json.dumps(value, default=_jsonable))
    return 0


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    return str(obj)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RagError as exc:
        print(f"rag bench: error: {exc}", file=sys.stderr)
        sys.exit(1)
