"""A generation's manifest: what built it (model, backend, chunking, index kinds) and what it holds.

One place for the rules that read it: which format versions load, which embedder may search a
store, and when a previous generation's vectors may be reused by a build.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from ..chunking import ChunkSettings
from ..errors import DamagedStoreError, StoreError
from ..lexical.bm25 import SETTINGS as LEXICAL_SETTINGS
from ..models.base import Embedder, same_vectors
from ..schema import Article
from .sentences import same_kind

FILE = "manifest.json"
FORMAT_VERSION = 2  # 2: float16 vectors.npy, IVF dense index, BM25 term counts; version 1 still reads
READABLE_VERSIONS = (1, 2)
_REQUIRED = {"embedding": dict, "chunking": dict, "articles": dict, "chunks": int}


def make(
    embedder: Embedder,
    chunking: ChunkSettings,
    dense_entry: dict,
    articles: list[Article],
    chunks: int,
    counts: dict[str, int],
    started: float,
    known: dict | None = None,
    sentences: dict | None = None,
) -> dict:
    """`known`: the previous generation's "articles", whose "added" times carry over; `sentences`: the
    record of the sentence vectors (store/sentences.py), when the build made them."""
    known = known or {}
    now = datetime.now(UTC).isoformat(timespec="seconds")

    def added(aid: str) -> str | None:
        # when the article first entered the store; unknown (None) for one an older store had
        return known[aid].get("added") if aid in known else now

    manifest = {
        "format_version": FORMAT_VERSION,
        "embedding": {
            "model": embedder.model,
            "backend": embedder.backend,
            "variant": embedder.variant,
            "dim": embedder.dim,
        },
        "chunking": chunking.to_dict(),
        "dense_index": dense_entry,
        "lexical": LEXICAL_SETTINGS,
        "articles": {a.id: {"hash": a.content_hash, "path": a.path, "added": added(a.id)} for a in articles},
        "chunks": chunks,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "last_build": counts,
    }
    if sentences is not None:
        manifest["sentences"] = sentences
    return manifest


def write(folder: Path, manifest: dict) -> None:
    (folder / FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def read(folder: Path, store_dir: Path) -> dict:
    """The manifest of a generation folder, checked for the fields every reader relies on."""
    try:
        manifest = json.loads((folder / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedStoreError.of(store_dir, exc) from None
    if not isinstance(manifest, dict):
        raise DamagedStoreError.of(store_dir, "its manifest is not an object")
    if manifest.get("format_version") not in READABLE_VERSIONS:
        raise StoreError(
            f"the index in {store_dir} has format version {manifest.get('format_version')}, "
            f"this program reads version {FORMAT_VERSION}: run `rag index --rebuild`"
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(manifest.get(key), kind):
            raise DamagedStoreError.of(store_dir, f"its manifest has no valid {key!r}")
    if not {"model", "backend"} <= set(manifest["embedding"]):
        raise DamagedStoreError.of(store_dir, "its manifest does not name its model")
    return manifest


def check_model(manifest: dict, model: str, backend: str, store_dir: Path) -> None:
    """A store is searched only with the model that built it, by a backend of equal vectors."""
    emb = manifest["embedding"]
    if emb["model"] != model or not same_vectors(emb["backend"], backend):
        raise StoreError(
            f"the index in {store_dir} was built with model {emb['model']!r} ({emb['backend']}), "
            f"but this run uses {model!r} ({backend}): run `rag index --rebuild`"
        )


def reuse_problem(manifest: dict, embedder: Embedder, chunking: ChunkSettings) -> str | None:
    """Why a build cannot reuse this generation's vectors, or None when it can."""
    emb = manifest["embedding"]
    if emb["model"] != embedder.model or not same_vectors(emb["backend"], embedder.backend):
        return f"model changed from {emb['model']} ({emb['backend']})"
    if emb["backend"] == embedder.backend and emb.get("variant", embedder.variant) != embedder.variant:
        return f"the {embedder.backend} model was exported again ({emb.get('variant')} -> {embedder.variant})"
    if manifest["chunking"] != chunking.to_dict():
        return "chunking settings changed"
    kind = embedder.sentence_vectors
    if embedder.makes_sentence_vectors and not same_kind(manifest.get("sentences"), kind):
        return f"the store has no {kind} sentence vectors (RAG_SENTENCE_VECTORS)"
    return None
