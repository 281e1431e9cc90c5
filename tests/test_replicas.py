"""Two `rag serve` processes on one store folder switch to a new generation by themselves, while they
are being asked, with no failed request (what a two-replica set-up behind nginx relies on)."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

from benchmarks.load_test import NEW_ARTICLE, ask, serves_new_article
from rag.pipeline import build_index

from .conftest import ROOT, SEEDS, free_port


def test_two_replicas_pick_up_a_new_generation_without_a_failed_request(tmp_path, seed_settings, embedder):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    settings = seed_settings.with_(store_dir=tmp_path / "store", seeds_dir=seeds)
    quiet = {"embedder": embedder, "show_progress": False, "log": lambda m: None}
    build_index(settings, **quiet)
    ports = [free_port(), free_port()]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--store", str(settings.store), "--port", str(p)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for p in ports
    ]
    try:
        deadline = time.time() + 180
        for p in ports:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{p}/gradio_api/info", timeout=2).read()
                    break
                except OSError:
                    assert time.time() < deadline, "a replica did not start"
                    time.sleep(0.3)
        failures: list[str] = []
        answered = [0]
        stop = threading.Event()

        def asker(port: int) -> None:  # asks without pause until told to stop
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while not stop.is_set():
                try:
                    ask(conn, "An Khê tiếp nhận bao nhiêu đơn?")
                    answered[0] += 1
                except Exception as exc:  # noqa: BLE001 - every failure is the test's finding
                    failures.append(f"{port}: {type(exc).__name__}: {exc}")
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        threads = [threading.Thread(target=asker, args=(p,), daemon=True) for p in ports for _ in range(2)]
        for th in threads:
            th.start()
        assert not any(serves_new_article(p) for p in ports)
        (seeds / "zz_cau_bach_mai.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        build_index(settings, **quiet)  # a new generation while both are being asked
        deadline = time.time() + 60
        switched = set()
        while len(switched) < len(ports) and time.time() < deadline:
            switched |= {p for p in ports if p not in switched and serves_new_article(p)}
            time.sleep(0.2)
        before = answered[0]
        time.sleep(1)
        stop.set()
        for th in threads:
            th.join(60)
        assert switched == set(ports), "a replica still answers from the old generation"
        assert not failures, failures[:3]
        assert answered[0] > before, "the replicas stopped answering"
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(30)
