"""The driver: each step a worker function run in a freshly spawned process (so that its peak memory
is its own and nothing is shared with the step before), results merged into `<work>/results.json`.
The LangChain baseline is a script of its own, run as one; cold start is a real `rag ask` process."""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rag import RagError, Settings
from rag.files import write_text

from . import workers
from .corpus import ADD_ARTICLES, bench_questions

CHECKOUT = Path(__file__).resolve().parents[2]  # where the workers import rag and benchmarks from
BASELINE = Path("benchmarks") / "baseline_langchain.py"


@dataclass
class BenchConfig:
    sizes: list[str]
    backend: str = "onnx-int8"
    baseline: bool = True
    questions: int = 100
    work: Path = field(default_factory=lambda: Settings().cache_dir / "bench")
    steps: list[str] = field(default_factory=lambda: ["build", "add", "query", "cold"])
    embed_backends: list[str] = field(default_factory=list)
    embed_chunks: int = 192
    resume: bool = False  # continue an interrupted build instead of starting over


def in_fresh_process(worker: Callable[..., dict], *args) -> dict:
    """`worker(*args)` in a newly spawned Python process; its result as plain JSON values."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            value = pool.submit(worker, *args).result()
        except BrokenProcessPool:
            raise RagError(f"benchmark step {worker.__name__} died (see above)") from None
    return json.loads(json.dumps(value, default=_jsonable))


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    return str(obj)


def _env() -> dict:
    env = dict(os.environ)
    root = str(CHECKOUT)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def run_baseline(*args: str) -> dict:
    """benchmarks/baseline_langchain.py in its own process; its last stdout line is its JSON result."""
    cmd = [sys.executable, str(BASELINE), *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=_env(), cwd=CHECKOUT, check=False)
    if proc.returncode != 0:
        raise RagError(f"baseline step {' '.join(args[:2])} failed (exit {proc.returncode}; see above)")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cold_start(cmd: list[str], runs: int = 3) -> dict:
    """Process start to first answer printed, over `runs` fresh processes (median)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=CHECKOUT, check=False)
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
        write_text(self.path, json.dumps(self.data, indent=1, ensure_ascii=False))

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
        value = in_fresh_process(workers.worker_embed, cfg.embed_backends, cfg.embed_chunks)
        results.put("embedding", "1000", "embed", value)
    for size in cfg.sizes:
        store = cfg.work / f"store-{size}-{cfg.backend}"
        base_store = cfg.work / f"baseline-{size}"
        question = bench_questions(1)[0]
        if "build" in cfg.steps:
            log(f"[{size}] building with {cfg.backend} ...")
            value = in_fresh_process(workers.worker_build, size, store, cfg.backend, cfg.resume)
            results.put(me, size, "build", value)
            if cfg.baseline:
                log(f"[{size}] building with the LangChain baseline ...")
                results.put(
                    "baseline",
                    size,
                    "build",
                    run_baseline("build", size, str(base_store)),
                )
        if "lexical" in cfg.steps:
            log(f"[{size}] BM25 side alone ...")
            results.put(
                me,
                size,
                "lexical",
                in_fresh_process(workers.worker_lexical, size, cfg.questions),
            )
        if "add" in cfg.steps and size != "seeds":
            log(f"[{size}] adding then removing {ADD_ARTICLES} articles ...")
            results.put(
                me,
                size,
                "add",
                in_fresh_process(workers.worker_add, size, store, cfg.backend),
            )
        if "query" in cfg.steps:
            log(f"[{size}] {cfg.questions} questions ...")
            value = in_fresh_process(workers.worker_query, store, cfg.backend, cfg.questions)
            results.put(me, size, "query", value)
            if cfg.baseline and (base_store / "index.faiss").is_file():
                results.put(
                    "baseline", size, "query", run_baseline("query", str(base_store), str(cfg.questions))
                )
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
