"""The Ray build backend on a local cluster: the same store as the local build, through a killed
worker, a killed driver and `--resume`. Kept short: the seeds, one cluster for the module."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.bench.ray_build import store_differences
from rag.config import Settings
from rag.pipeline import Pipeline, build_index
from rag.store.layout import current_generation
from rag.store.store import Store

from .conftest import ROOT, SEEDS, free_port, run_cli
from .test_formats import write_formats

ray = pytest.importorskip("ray")
from rag.store.ray_backend import SPOOL, RayBackend, RaySettings  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """One local cluster for the module: 2 CPUs, a small object store, no dashboard."""
    ray.init(num_cpus=2, object_store_memory=128 * 2**20, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def same_store(a: Path, b: Path) -> None:
    assert not store_differences(a, b)


def test_ray_build_equals_the_local_build_and_answers_the_same(
    cluster, pipeline, seed_settings, embedder, tmp_path
):
    settings = seed_settings.with_(store_dir=tmp_path / "ray-store")
    result = build_index(settings, show_progress=False, log=lambda m: None, ray=RaySettings(shard_articles=2))
    assert result.report.embedded_chunks == result.report.chunks == len(pipeline.store.chunks)
    same_store(seed_settings.store, settings.store)
    ray_store = Store.load(settings.store)
    # the workers pool the sentence vectors too, so the answerer scores with the same (vectors) weights
    assert ray_store.sentences is not None and ray_store.sentences.chunks == len(ray_store.chunks)
    assert ray_store.manifest["sentences"] == pipeline.store.manifest["sentences"]
    ray_pipeline = Pipeline(settings, ray_store, embedder)
    assert ray_pipeline.current().answerer.sentence_vectors is not None
    questions = [
        json.loads(line)["question"] for line in (ROOT / "eval" / "seeds.jsonl").open(encoding="utf-8")
    ]
    for q in questions:
        assert ray_pipeline.ask(q).to_dict() | {"seconds": 0} == pipeline.ask(q).to_dict() | {"seconds": 0}
    assert not (settings.store / SPOOL).exists()


def test_ray_build_is_incremental_like_the_local_build(cluster, seed_settings, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    on_ray = seed_settings.with_(store_dir=tmp_path / "ray", seeds_dir=seeds)
    local = seed_settings.with_(store_dir=tmp_path / "local", seeds_dir=seeds)
    quiet = {"show_progress": False, "log": lambda m: None}
    ray_opts = {"ray": RaySettings(shard_articles=2)}
    build_index(on_ray, **quiet, **ray_opts)
    build_index(local, **quiet)
    path = seeds / "002_3668a75ce5a9aaf6.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2.374 mô hình", "2.375 mô hình"), encoding="utf-8"
    )
    (seeds / "004_d49cf3208f0479d4.txt").unlink()
    report = build_index(on_ray, **quiet, **ray_opts).report
    assert (report.changed, report.added, report.removed) == (
        ["002_3668a75ce5a9aaf6"],
        [],
        ["004_d49cf3208f0479d4"],
    )
    assert report.embedded_chunks == len(Store.load(on_ray.store).article_chunks("002_3668a75ce5a9aaf6"))
    assert build_index(local, **quiet).report.embedded_chunks == report.embedded_chunks
    same_store(local.store, on_ray.store)


def test_html_pdf_docx_and_their_links_come_out_of_a_ray_build_as_out_of_a_local_one(cluster, tmp_path):
    seeds = write_formats(tmp_path / "seeds")  # the pages, a PDF, a Word file and bad files beside them
    link = "https://bacgiang.gov.vn/bao-cao-dan-van-2023.pdf"
    entry = {"path": "bao_cao_dan_van_2023.pdf", "sha256": "-", "added_at": "2026-12-01T08:00:00+00:00"}
    (seeds / ".sources.jsonl").write_text(json.dumps(entry | {"url": link}) + "\n", encoding="utf-8")
    warnings: dict[str, list[str]] = {"local": [], "ray": []}
    for kind, ray_opts in [("local", {}), ("ray", {"ray": RaySettings(shard_articles=2)})]:
        settings = Settings(root=tmp_path).with_(seeds_dir=seeds, store_dir=tmp_path / kind)
        build_index(settings, show_progress=False, log=warnings[kind].append, **ray_opts)
    said = {k: [line for line in lines if line.startswith("warning: ")] for k, lines in warnings.items()}
    assert said["ray"] == said["local"] and len(said["local"]) >= 6  # the six bad files, named alike
    same_store(tmp_path / "local", tmp_path / "ray")
    articles = Store.load(tmp_path / "ray").articles
    assert {a.path.rsplit(".", 1)[-1] for a in articles.values()} >= {"html", "htm", "pdf", "docx"}
    assert articles["bao_cao_dan_van_2023"].url == link


def test_a_worker_killed_mid_build_is_retried_and_nothing_is_missing_or_twice(
    cluster, pipeline, seed_settings, tmp_path, monkeypatch
):  # `pipeline`: the clean build to compare with
    killed: list[int] = []
    ran_on: list[int] = []  # the worker pid of each shard's result
    started: list[int] = []  # the workers' pids before the kill
    original = RayBackend.__enter__

    def enter(self):
        backend = original(self)
        started.extend(backend.worker_pids)

        def on_shard(shard: int, pid: int) -> None:
            ran_on.append(pid)
            if not killed:  # its second shard started as the first returned: it dies in the middle
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        backend.on_shard = on_shard
        return backend

    monkeypatch.setattr(RayBackend, "__enter__", enter)
    settings = seed_settings.with_(store_dir=tmp_path / "store")
    report = build_index(
        settings, show_progress=False, log=lambda m: None, ray=RaySettings(shard_articles=1)
    ).report
    assert killed, "no worker was killed"
    assert len(ran_on) == 5  # one result a shard (an article each), none taken twice
    assert killed[0] not in ran_on[1:]
    assert set(ran_on) - set(started), f"no shard ran on the restarted worker: {ran_on} {started}"
    store = Store.load(settings.store)
    ids = [c.id for c in store.chunks]
    assert len(ids) == len(set(ids)) == report.chunks == report.embedded_chunks
    same_store(seed_settings.store, settings.store)


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [
                int(k)
                for t in Path(f"/proc/{p}/task").iterdir()
                for k in (t / "children").read_text().split()
            ]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def test_a_killed_driver_leaves_the_old_store_serving_and_resume_continues(
    pipeline, seed_settings, embedder, tmp_path
):
    store = tmp_path / "store"
    shutil.copytree(seed_settings.store, store)  # the previous generation, built locally
    before = current_generation(store)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAG_RAY_SHARD_ARTICLES": "1"}
    cmd = [
        sys.executable,
        "-m",
        "rag",
        "index",
        "--store",
        str(store),
        "--rebuild",
        "--quiet",
        "--ray",
        "--workers",
        "1",
    ]
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and child.poll() is None and not list((store / SPOOL).glob("*.pkl")):
        time.sleep(0.01)
    family = _descendants(child.pid)  # its local Ray cluster: ended with it, by pid
    child.send_signal(signal.SIGKILL)
    child.wait()
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    done = len(list((store / SPOOL).glob("*.pkl")))
    assert 1 <= done < 5
    assert current_generation(store) == before  # the old generation still serves
    old = Pipeline(seed_settings.with_(store_dir=store), Store.load(store), embedder)
    question = "Tỉnh An Giang được thành lập năm nào?"
    answer = old.ask(question).to_dict()
    assert answer["citations"][0]["article_id"] == "000_56132f389163c4f7" and "1832" in answer["answer"]
    proc = subprocess.run(
        cmd[:-2] + ["--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert f"resumed: {done} shards were already done" in proc.stderr
    same_store(seed_settings.store, store)
    assert not (store / SPOOL).exists()


def test_the_ray_options_say_in_one_line_what_is_wrong(tmp_path):
    store = ["--store", str(tmp_path / "store")]
    for args, says in [
        (["--workers", "2"], "--workers and --resume go with --ray"),
        (["--resume"], "--workers and --resume go with --ray"),
        (["--ray", f"127.0.0.1:{free_port()}"], "no Ray cluster answers at 127.0.0.1:"),
    ]:
        proc = run_cli("index", *store, *args, timeout=60)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and says in proc.stderr
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").glob("gen-*"))
