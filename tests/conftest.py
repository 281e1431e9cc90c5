"""Shared fixtures: one index, one model load and one page server for the whole session.

The test index is built from the project's seeds plus `tests/data/markup.jsonl`, an article whose
title, text, source and URL carry markup (`<script>`, `<img onerror>`, a Markdown link to
`javascript:`), so every face can be checked for escaping against real retrieval. It lives in
artifacts/test-root/ (git-ignored) and is brought up to date incrementally, so later runs are fast.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MARKUP_ARTICLE = "markup-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sync_seeds(dest: Path) -> None:
    """dest/ = seeds/*.txt + tests/data/*.jsonl, touching only what changed (the build is by content)."""
    wanted = {p.name: p for p in sorted((ROOT / "seeds").glob("*.txt"))}
    wanted.update({p.name: p for p in sorted(DATA.glob("*.jsonl"))})
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if old.name not in wanted:
            old.unlink()
    for name, src in wanted.items():
        target = dest / name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            shutil.copyfile(src, target)


@pytest.fixture(scope="session")
def settings():
    from rag.config import Settings

    root = ROOT / "artifacts" / "test-root"
    _sync_seeds(root / "seeds")
    return Settings(root=root)


@pytest.fixture(scope="session")
def pipeline(settings):
    from rag.embedding import load_embedder
    from rag.index import Store
    from rag.pipeline import Pipeline, build_index

    embedder = load_embedder(settings.model, settings.backend)
    build_index(settings, embedder=embedder, show_progress=False, log=lambda _msg: None)
    return Pipeline(settings, Store.load(settings.store), embedder)


@pytest.fixture(scope="session")
def server(pipeline):
    """The page, served on a free port for the session: its URL."""
    from rag.ui import build_app, launch

    demo = build_app(pipeline)
    port = free_port()
    launch(demo, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()
