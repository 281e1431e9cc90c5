"""The build's heavy steps on a Ray cluster: cleaning, chunking, embedding and keyword tokenising.

A second backend beside `builder.LocalBackend`, behind the same two calls (`split`, `prepare`): the
builder plans, merges and writes the generation as for a local build, so the store is the same. The
int8 backend encodes one passage at a time, so a vector does not depend on the worker or batch that
made it: the stores are byte-identical (tests/test_ray_build.py).

Why Ray core actors and not Ray Data: each worker is an actor that loads the model once for the whole
build; shards are handed out as workers free up (two queued a worker at most, so a slow machine gets
fewer), and results are gathered by shard number, so the store is assembled in input order whatever
finished first, and nothing can be missing or taken twice. Ray Data would add pyarrow and its block
format for no gain here.

Faults: a worker process that dies is restarted by Ray (its constructor loads the model again) and
the shards it held run again (`RETRIES`); a shard's result is taken once. Every embedded shard is also
written to `<store>/.ray-shards/`, so a build whose driver was killed continues from there with
`--resume`, while the previous generation serves: it is switched only when the whole store is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..chunking import ChunkSettings
from ..config import Settings
from ..errors import RagError
from ..ingest.base import Problem, Source
from ..schema import Article, Chunk
from .builder import Prepared
from .sentences import VERSION as SENTENCES_VERSION

SPOOL = ".ray-shards"
RETRIES = 4  # restarts of a dead worker, and runs of a shard it held, before the build gives up
IN_FLIGHT = 2  # shards queued on a worker at once
CLEAN_BYTES = 250_000  # bytes of files a cleaning task
SECRETS = ("RAG_ADMIN_TOKEN",)  # settings a worker never needs, kept out of its environment


@dataclass(frozen=True)
class RaySettings:
    """Where and how wide a Ray build runs (`rag index --ray [ADDRESS] [--workers N] [--resume]`)."""

    address: str | None = None  # None: start a local cluster; "auto" or "host:port": join that one
    workers: int | None = None  # None: one per CPU of the cluster
    shard_articles: int = 32  # articles a task (Settings.ray_shard_articles, RAG_RAY_SHARD_ARTICLES)
    object_store_mb: int = 256  # a local cluster's object store: a shard's result is ~0.1-0.5 MB
    resume: bool = False  # keep the shards an interrupted build finished


@dataclass(frozen=True)
class ModelIdentity:
    """What the builder and the manifest need of the model: the driver never loads it."""

    model: str
    backend: str
    variant: str
    dim: int
    makes_sentence_vectors: bool = False  # the workers' embedder makes sentence vectors (Prepared.sentences)
    sentence_vectors: str = "pooled"  # how (config.SENTENCE_VECTORS)


def _worker_class():
    import ray

    @ray.remote(num_cpus=1, max_restarts=RETRIES, max_task_retries=RETRIES)
    class Worker:
        """One model for the whole build, on one core."""

        def __init__(self, choices: dict):
            from ..config import Settings
            from ..models import load_embedder
            from .builder import LocalBackend

            # this machine's own paths and cache; one core a worker: parallelism comes from workers
            self.local = LocalBackend(load_embedder(Settings(embed_workers=1, **choices)))
            self.pid = os.getpid()

        def identity(self) -> tuple[ModelIdentity, int]:
            e = self.local.embedder
            identity = ModelIdentity(
                e.model, e.backend, e.variant, e.dim, e.makes_sentence_vectors, e.sentence_vectors
            )
            return identity, self.pid

        def cpu_seconds(self) -> float:
            import resource

            r = resource.getrusage(resource.RUSAGE_SELF)
            return r.ru_utime + r.ru_stime

        def clean(self, files: list[tuple[bytes, Source]]) -> list[list[Article | Problem]]:
            from ..ingest.folder import read_source

            return [read_source(data, source) for data, source in files]

        def split(self, articles: list[Article], chunking: ChunkSettings) -> list[list[tuple[int, int]]]:
            """Chunk offsets only: the driver cuts the texts from the articles it has."""
            split = self.local.split(articles, chunking)
            return [[(c.start, c.end) for c in split[a.id]] for a in articles]

        def prepare(self, work: list[tuple[Article, list[Chunk]]], chunking: ChunkSettings):
            return self.pid, self.local.prepare(work, chunking)

    return Worker


class RayBackend:
    """The Ray workers of one build: `with RayBackend(...) as b: build_store(..., b.identity, backend=b)`."""

    checkpoints = False  # resumes from its finished shards instead

    def __init__(self, settings: RaySettings, build: Settings):
        self.settings = settings
        # the model as this run chose it; paths, cache and device are each worker machine's own
        self.choices = {"model": build.model, "backend": build.backend, "threads": build.threads,
                        "spin": build.spin, "sentence_vectors": build.sentence_vectors}  # fmt: skip
        self.spool = build.store / SPOOL
        self.started_cluster = False
        self.workers: list = []
        self.worker_pids: list[int] = []
        self.identity: ModelIdentity | None = None
        self.resumed_shards = 0
        self.costs: dict[str, float] = {}  # seconds: start, clean, split, prepare, stop; workers' CPU
        self.on_shard: Callable[[int, int], None] | None = None  # (shard, worker pid) as each finishes

    # --- the cluster ----------------------------------------------------------------------------

    def __enter__(self) -> RayBackend:
        started = time.perf_counter()
        try:
            import ray
        except ImportError:
            raise RagError("the Ray build needs ray: pip install -e '.[ray]'") from None
        env = {"TOKENIZERS_PARALLELISM": "false"}
        if not self.settings.address:  # a local cluster runs this checkout's code, installed or not
            here = str(Path(__file__).resolve().parents[2])
            env["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
            env.update({k: v for k, v in os.environ.items() if k.startswith("RAG_") and k not in SECRETS})
        try:
            if ray.is_initialized():
                pass  # a program that is connected already (a test's cluster): its cluster it is
            elif self.settings.address:
                _check_answers(self.settings.address)
                ray.init(address=self.settings.address, configure_logging=False, log_to_driver=False)
            else:
                ray.init(
                    num_cpus=self.settings.workers or os.cpu_count() or 1,
                    object_store_memory=self.settings.object_store_mb * 2**20,
                    include_dashboard=False,
                    configure_logging=False,
                    log_to_driver=False,
                )
                self.started_cluster = True
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.settings.address or "a local cluster"
            raise RagError(f"cannot start Ray on {where}: {str(exc).splitlines()[0][:200]}") from None
        n = self.settings.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        worker = _worker_class().options(runtime_env={"env_vars": env})
        self.workers = [worker.remote(self.choices) for _ in range(n)]
        try:
            answers = ray.get([w.identity.remote() for w in self.workers])
        except ray.exceptions.RayError as exc:
            self.__exit__()
            raise RagError(f"the Ray workers could not load the model: {_cause(exc)}") from None
        self.identity = answers[0][0]
        self.worker_pids = [pid for _, pid in answers]
        self.costs["start_s"] = time.perf_counter() - started
        return self

    def __exit__(self, *exc) -> None:
        import ray

        started = time.perf_counter()
        with contextlib.suppress(ray.exceptions.RayError, TimeoutError):  # a benchmark's figure only
            cpu = ray.get([w.cpu_seconds.remote() for w in self.workers], timeout=30)
            self.costs["workers_cpu_s"] = sum(cpu)
        for w in self.workers:
            ray.kill(w, no_restart=True)
        self.workers = []
        if self.started_cluster:
            ray.shutdown()
            self.started_cluster = False
        self.costs["stop_s"] = time.perf_counter() - started

    # --- the steps ------------------------------------------------------------------------------

    def clean(self, files: list[tuple[bytes, Source]]) -> Iterator[list[Article | Problem]]:
        """`read_source` over the files on the workers, in order (for `read_articles`); a file is
        cleaned by one worker, so one big JSONL file is cleaned by one."""
        started = time.perf_counter()
        groups = _groups(files, lambda f: len(f[0]), CLEAN_BYTES)
        results = self._run(list(enumerate(groups)), lambda w, item: w.clean.remote(item[1]))
        self.costs["clean_s"] = time.perf_counter() - started
        for i in range(len(groups)):
            yield from results[i]

    def split(self, articles: list[Article], chunking: ChunkSettings) -> dict[str, list[Chunk]]:
        started = time.perf_counter()
        shards = self._shards(articles)
        results = self._run(list(enumerate(shards)), lambda w, item: w.split.remote(item[1], chunking))
        out = {}
        for i, shard in enumerate(shards):
            for a, spans in zip(shard, results[i], strict=True):
                out[a.id] = [Chunk(a.id, k, s, e, a.text[s:e]) for k, (s, e) in enumerate(spans)]
        self.costs["split_s"] = time.perf_counter() - started
        return out

    def prepare(
        self,
        work: list[tuple[Article, list[Chunk]]],
        chunking: ChunkSettings,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Prepared]:
        started = time.perf_counter()
        if not self.settings.resume:
            shutil.rmtree(self.spool, ignore_errors=True)
        shards = self._shards(work)
        keys = [self._key(shard, chunking) for shard in shards]
        done: dict[int, dict[str, Prepared]] = {}
        for i, key in enumerate(keys):
            if (got := self._read_spool(key)) is not None:
                done[i] = got
                if progress:
                    progress(sum(len(c) for _, c in shards[i]))
        self.resumed_shards = len(done)

        def finished(i: int, value) -> dict[str, Prepared]:
            pid, prepared = value
            self._write_spool(keys[i], prepared)
            if progress:
                progress(sum(len(c) for _, c in shards[i]))
            if self.on_shard:
                self.on_shard(i, pid)
            return prepared

        todo = [(i, shards[i]) for i in range(len(shards)) if i not in done]
        done.update(self._run(todo, lambda w, item: w.prepare.remote(item[1], chunking), finished))
        out: dict[str, Prepared] = {}
        for i in range(len(shards)):
            out.update(done[i])
        self.costs["prepare_s"] = self.costs.get("prepare_s", 0.0) + time.perf_counter() - started
        return out

    def finish(self) -> None:
        """After the switch to the new generation: its shards are in the store now."""
        from .layout import build_lock

        # another build has begun meanwhile: it clears them or reuses them itself
        with contextlib.suppress(RagError), build_lock(self.spool.parent):
            shutil.rmtree(self.spool, ignore_errors=True)

    # --- helpers --------------------------------------------------------------------------------

    def _shards(self, items: list) -> list[list]:
        size = max(1, self.settings.shard_articles)
        return [items[lo : lo + size] for lo in range(0, len(items), size)]

    def _run(self, items: list, submit, on_result: Callable | None = None) -> dict:
        """Each (number, item) on a free worker; the results by number."""
        import ray

        queue = list(items)
        pending: dict = {}
        load = dict.fromkeys(range(len(self.workers)), 0)
        results: dict = {}

        def feed() -> None:
            for w in sorted(load, key=load.get):
                while queue and load[w] < IN_FLIGHT:
                    item = queue.pop(0)
                    pending[submit(self.workers[w], item)] = (w, item[0])
                    load[w] += 1

        feed()
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            w, number = pending.pop(ready[0])
            load[w] -= 1
            try:
                value = ray.get(ready[0])
            except ray.exceptions.RayError as exc:
                raise RagError(f"the Ray build failed: {_cause(exc)}") from None
            results[number] = on_result(number, value) if on_result else value
            feed()
        return results

    def _key(self, shard: list[tuple[Article, list[Chunk]]], chunking: ChunkSettings) -> str:
        """A shard's results depend on the model, the chunking, the sentence vectors' kind and its
        articles' contents only."""
        h = hashlib.sha256(
            json.dumps(
                [
                    self.identity.model,
                    self.identity.variant,
                    chunking.to_dict(),
                    SENTENCES_VERSION,
                    self.identity.sentence_vectors,
                ]
            ).encode()
        )
        for a, _ in shard:
            h.update(f"{a.id}\0{a.content_hash}\0".encode())
        return h.hexdigest()[:32]

    def _read_spool(self, key: str) -> dict[str, Prepared] | None:
        path = self.spool / f"{key}.pkl"
        if not self.settings.resume or not path.is_file():
            return None
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)  # written by this program into the store's own folder
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            return None  # a damaged one is made again

    def _write_spool(self, key: str, prepared: dict[str, Prepared]) -> None:
        from ..files import atomic_path

        self.spool.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.spool / f"{key}.pkl") as tmp, tmp.open("wb") as fh:
            pickle.dump(prepared, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _check_answers(address: str) -> None:
    """`ray.init` retries an address nobody answers on for many minutes, logging all the while: a
    mistyped one is said at once instead."""
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not port.isdigit():
        return  # `auto`, or a form Ray judges itself
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as exc:
        raise RagError(
            f"no Ray cluster answers at {address} ({exc.strerror or type(exc).__name__}): "
            "start one there with `ray start --head`, or check the address"
        ) from None


def _groups(items: list, weight: Callable, limit: int) -> list[list]:
    """Consecutive groups of about `limit` total weight."""
    out, cur, total = [], [], 0
    for it in items:
        cur.append(it)
        total += weight(it)
        if total >= limit:
            out.append(cur)
            cur, total = [], 0
    return [*out, cur] if cur else out


def _cause(exc: BaseException) -> str:
    """The last line of what went wrong on a worker (a RagError's own message when it was one)."""
    lines = str(getattr(exc, "cause", None) or exc).strip().splitlines()
    return (lines[-1] if lines else type(exc).__name__)[:300]
