"""`rag bench --ray`: the local build against the Ray build at 1 and 2 workers, side by side in one run.

Each build is `build_index`, as `rag index` and `rag index --ray` run it, in a fresh process
(`runner.in_fresh_process`), timed from before the articles are read to the
written store: the Ray build's cluster start, its model load on every worker and its shutdown count.
The modes run interleaved (local, Ray@1, Ray@2, and again each round), so that a change of load on a
shared machine hits each of them. Besides wall time the table gives the CPU seconds of every process
(the driver, Ray's daemons, the workers), which a busy machine changes far less, and checks that each
Ray store is byte-identical to the local one.
"""

from __future__ import annotations

import filecmp
import json
import os
import resource
import shutil
import statistics
import time
from pathlib import Path

from rag.files import write_text

from .corpus import corpus_records


def corpus_folder(work: Path, size: int) -> Path:
    """The first `size` articles as one JSONL file under the work folder (never in the project)."""
    folder = work / f"corpus-{size}"
    if not (folder / "vietnews.jsonl").is_file():
        write_text(folder / "vietnews.jsonl", "".join(corpus_records(size)))
    return folder


def worker(seeds: Path, store: Path, workers: int) -> dict:
    """One build in this process; `workers` 0: the local build."""
    started = time.perf_counter()
    from rag.config import Settings
    from rag.pipeline import build_index
    from rag.store.ray_backend import RaySettings

    settings = Settings().with_(seeds_dir=seeds, store_dir=store)
    ray = RaySettings(workers=workers, shard_articles=settings.ray_shard_articles) if workers else None
    result = build_index(settings, rebuild=True, show_progress=False, log=lambda m: None, ray=ray)
    wall = time.perf_counter() - started
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    costs = result.ray_costs
    return {
        "workers": workers,
        "articles": result.report.articles,
        "chunks": result.report.chunks,
        "wall_s": wall,
        # this process, what it reaped (Ray's daemons, once they have exited), and the workers' own
        # count (they are not this process's children)
        "cpu_s": own.ru_utime
        + own.ru_stime
        + kids.ru_utime
        + kids.ru_stime
        + costs.get("workers_cpu_s", 0.0),
        "cpu_driver_s": own.ru_utime + own.ru_stime,
        "cpu_reaped_s": kids.ru_utime + kids.ru_stime,
        "ray": costs,
        "load1": os.getloadavg()[0],
    }


def store_differences(a: Path, b: Path) -> list[str]:
    """What differs between the two stores' current generations: their files, byte for byte, and their
    manifests but for the time stamps (the build's, and when each article was first added). Empty: the
    same store."""
    ga, gb = (s / (s / "CURRENT").read_text(encoding="utf-8").strip() for s in (a, b))
    names = sorted({p.relative_to(g).as_posix() for g in (ga, gb) for p in g.rglob("*") if p.is_file()})
    out = [
        n
        for n in names
        if n != "manifest.json"
        and not ((ga / n).is_file() and (gb / n).is_file() and filecmp.cmp(ga / n, gb / n, shallow=False))
    ]
    ma, mb = (json.loads((g / "manifest.json").read_text(encoding="utf-8")) for g in (ga, gb))
    for m in (ma, mb):
        m.pop("built_at"), m.pop("build_seconds")
        for entry in m.get("articles", {}).values():
            entry.pop("added", None)
    return out + [f"manifest.json: {k}" for k in sorted(set(ma) | set(mb)) if ma.get(k) != mb.get(k)]


def run(sizes: list[int], modes: list[int], rounds: int, work: Path, log=print) -> list[dict]:
    """Every (size, round, mode) build in its own process, interleaved: one row each."""
    from .runner import in_fresh_process

    rows = []
    for size in sizes:
        seeds = corpus_folder(work, size)
        for r in range(rounds):
            for workers in modes:
                mode = f"ray@{workers}" if workers else "local"
                store = work / f"store-{size}-{mode}"
                shutil.rmtree(store, ignore_errors=True)
                log(f"[{size}] round {r + 1}: {mode} build ...")
                row = in_fresh_process(worker, seeds, store, workers) | {"size": size, "mode": mode}
                local = work / f"store-{size}-local"
                row["same_as_local"] = (
                    not store_differences(local, store) if workers and local.is_dir() else None
                )
                rows.append(row)
                log("  " + json.dumps(row))
    write_text(work / "ray-results.json", json.dumps(rows, indent=1))
    return rows


def table(rows: list[dict]) -> str:
    out = [
        "| articles | build | chunks | wall s | chunks/s | x local | CPU s / 1000 chunks | Ray start s "
        "| Ray stop s | wall - local, ms an article | same store as local | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sorted({r["size"] for r in rows}):
        by_mode: dict[str, list[dict]] = {}
        for r in rows:
            if r["size"] == size:
                by_mode.setdefault(r["mode"], []).append(r)
        local = statistics.median(r["wall_s"] for r in by_mode["local"]) if "local" in by_mode else None
        for mode, rs in by_mode.items():
            wall = statistics.median(r["wall_s"] for r in rs)
            chunks = rs[0]["chunks"]
            cpu = statistics.median(r["cpu_s"] for r in rs) / chunks * 1000
            start = statistics.median(r["ray"].get("start_s", 0.0) for r in rs)
            stop = statistics.median(r["ray"].get("stop_s", 0.0) for r in rs)
            x = f"{local / wall:.2f}x" if local else "-"
            over = f"{(wall - local) / size * 1000:+.1f}" if local and mode != "local" else "-"
            same = {None: "-", True: "yes", False: "NO"}[
                None if mode == "local" else all(r["same_as_local"] for r in rs)
            ]
            loads = "/".join(f"{r['load1']:.1f}" for r in rs)
            out.append(
                f"| {size} | {mode} | {chunks} | {wall:.1f} | {chunks / wall:.1f} | {x} | {cpu:.1f} "
                f"| {start:.1f} | {stop:.1f} | {over} | {same} | {loads} |"
            )
    return "\n".join(out)
