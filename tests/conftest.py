"""Shared fixtures: the real model and the seed store are loaded once per test session."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.models import load_embedder
from rag.models.base import Embedder
from rag.pipeline import Pipeline, build_index
from rag.text.normalise import tokens

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = {
    "an_giang_dan_van": "seeds/000_56132f389163c4f7.txt",
    "an_khe": "seeds/001_d75d204a71cd5d84.txt",
    "an_giang_qcdc": "seeds/002_3668a75ce5a9aaf6.txt",
    "ha_giang": "seeds/003_14835b168dfc66a9.txt",
    "bac_giang": "seeds/004_d49cf3208f0479d4.txt",
}


class HashEmbedder(Embedder):
    """A tiny deterministic embedder for index mechanics: counts what it is asked to embed."""

    model = "test/hash-embedder"
    backend = "test"
    dim = 64

    def __init__(self, fail_after: int | None = None):
        self.embedded = 0
        self.fail_after = fail_after

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for t in tokens(text):
            v[int(hashlib.md5(t.encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / (np.linalg.norm(v) or 1.0)

    def encode_queries(self, texts):
        return np.stack([self._vec(t) for t in texts])

    def _encode_documents(self, texts):
        if self.fail_after is not None and self.embedded + len(texts) > self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.embedded += len(texts)
        return np.stack([self._vec(t) for t in texts])


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    s = Settings()
    return load_embedder(s)


@pytest.fixture(scope="session")
def model_tokenizer():
    """The converted model's own tokenizer.json, whatever backend runs it."""
    from tokenizers import Tokenizer

    from rag.config import Settings
    from rag.models.e5convert import ensure_model_folder

    return Tokenizer.from_file(str(ensure_model_folder(Settings().cache_dir) / "tokenizer.json"))


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> Settings:
    store = tmp_path_factory.mktemp("seed-store") / "store"
    return Settings().with_(store_dir=store, seeds_dir=SEEDS)


@pytest.fixture(scope="session")
def pipeline(seed_settings, embedder) -> Pipeline:
    build_index(seed_settings, embedder=embedder, show_progress=False, log=lambda m: None)
    from rag.store.store import Store

    return Pipeline(seed_settings, Store.load(seed_settings.store), embedder)


@pytest.fixture()
def seeds_copy(tmp_path) -> Path:
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    return dst


def run_cli(
    *args: str,
    stdin: str | None = None,
    env: dict | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """`python -m rag ...` in a child process, as a user runs it."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


# --- the chat page ------------------------------------------------------------------------------------
# Its index holds the seeds plus tests/data/markup.jsonl, an article whose title, text, source and URL
# carry markup (`<script>`, `<img onerror>`, a Markdown link to `javascript:`), so every face of the page
# can be checked for escaping against real retrieval. It lives in artifacts/test-root/ (git-ignored) and
# is brought up to date incrementally, so later runs are fast.

UI_DATA = Path(__file__).resolve().parent / "data"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sync_ui_seeds(dest: Path) -> None:
    """dest/ = seeds/*.txt + tests/data/*.jsonl, rewriting only what changed (the build goes by content)."""
    wanted = {p.name: p for p in sorted(SEEDS.glob("*.txt"))}
    wanted.update({p.name: p for p in sorted(UI_DATA.glob("*.jsonl"))})
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if old.name not in wanted:
            old.unlink()
    for name, src in wanted.items():
        target = dest / name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            shutil.copyfile(src, target)


@pytest.fixture(scope="session")
def ui_pipeline(embedder) -> Pipeline:
    from rag.store.store import Store

    root = ROOT / "artifacts" / "test-root"
    _sync_ui_seeds(root / "seeds")
    (root / "eval").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "eval" / "seeds.jsonl", root / "eval" / "seeds.jsonl")  # the page's examples
    settings = Settings(root=root)
    build_index(settings, embedder=embedder, show_progress=False, log=lambda m: None)
    return Pipeline(settings, Store.load(settings.store), embedder)


@pytest.fixture(scope="session")
def ui_server(ui_pipeline):
    """The chat page on a free port for the session: its URL."""
    from rag.app.ui import build_app, launch

    demo = build_app(ui_pipeline)
    launch(demo, "127.0.0.1", (port := free_port()), block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()
