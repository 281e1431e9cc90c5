"""Builds of the store: unchanged articles keep their vectors and their BM25 term counts, so an
incremental build embeds and tokenises only new or changed articles.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..chunking import Chunker, ChunkSettings, index_text
from ..config import Settings
from ..errors import StoreError
from ..files import atomic_path
from ..lexical.bm25 import SETTINGS as LEXICAL_SETTINGS
from ..lexical.bm25 import LexicalIndex
from ..lexical.bm25 import is_current as lexical_is_current
from ..lexical.diacritics import DiacriticRestorer
from ..models.base import Embedder, same_vectors
from ..schema import Article, Chunk
from ..text.normalise import tokens
from . import dense as dense_kinds
from .dense import DenseSettings
from .layout import build_lock, new_generation_name, store_exists, sweep, switch
from .store import FORMAT_VERSION, MANIFEST, RESTORER, Store

CHECKPOINT_CHUNKS = 5_000  # a long build writes a usable generation every this many embedded chunks


@dataclass
class BuildReport:
    store: Path
    articles: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded_chunks: int = 0
    seconds: float = 0.0
    full_rebuild_reason: str | None = None
    up_to_date: bool = False

    def summary(self) -> str:
        state = "up to date" if self.up_to_date else "built"
        return (
            f"{state}: {self.articles} articles, {self.chunks} chunks "
            f"(added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}; "
            f"embedded {self.embedded_chunks} chunks) in {self.seconds:.1f} s -> {self.store}"
        )


def _previous(
    store_dir: Path, embedder: Embedder, settings: ChunkSettings
) -> tuple[Store | None, str | None]:
    """The store to reuse vectors from, or why everything must be embedded again."""
    if not store_exists(store_dir):
        return None, "new store"
    try:
        prev = Store.load(store_dir, strict=False)
    except StoreError as exc:
        return None, f"previous store unusable ({exc})"
    emb = prev.manifest["embedding"]
    if emb["model"] != embedder.model or not same_vectors(emb["backend"], embedder.backend):
        return None, f"model changed from {emb['model']} ({emb['backend']})"
    if emb["backend"] == embedder.backend and emb.get("variant", embedder.variant) != embedder.variant:
        return (
            None,
            f"the {embedder.backend} model was exported again ({emb.get('variant')} -> {embedder.variant})",
        )
    if prev.manifest["chunking"] != settings.to_dict():
        return None, "chunking settings changed"
    return prev, None


def build_store(
    articles: list[Article],
    store_dir: Path,
    embedder: Embedder,
    settings: ChunkSettings,
    *,
    rebuild: bool = False,
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
    dense: DenseSettings | None = None,
    checkpoint_chunks: int | None = CHECKPOINT_CHUNKS,
) -> BuildReport:
    """Bring the store in line with `articles`, embedding only new or changed ones.

    `progress(total_chunks_to_embed, total_articles)` returns a callback advanced per embedded chunk.
    With more than `checkpoint_chunks` chunks to embed, a complete (partial) generation is written
    after each such slice of new articles: an interrupted long build resumes where it stopped
    (the next run reuses what was written), and the store stays usable meanwhile.
    """
    started = time.perf_counter()
    report = BuildReport(store=store_dir)
    chunker = Chunker(settings)
    with build_lock(store_dir):
        sweep(store_dir)
        prev, reason = (None, "--rebuild asked") if rebuild else _previous(store_dir, embedder, settings)
        report.full_rebuild_reason = reason
        prev_hashes = prev.manifest["articles"] if prev else {}
        report.removed = sorted(set(prev_hashes) - {a.id for a in articles})
        fresh_ids = [
            a.id
            for a in articles
            if prev is None or a.id not in prev_hashes or prev_hashes[a.id]["hash"] != a.content_hash
        ]
        report.changed = [i for i in fresh_ids if i in prev_hashes]
        report.added = [i for i in fresh_ids if i not in prev_hashes]
        report.articles = len(articles)
        lexical_stale = prev is not None and not lexical_is_current(prev.manifest)
        if prev is not None and not fresh_ids and not report.removed and not lexical_stale:
            report.chunks = len(prev.chunks)
            report.up_to_date = True
            report.seconds = time.perf_counter() - started
            return report
        fresh_set = set(fresh_ids)
        splits = {a.id: chunker.split(a) for a in articles if a.id in fresh_set}
        total = sum(len(c) for c in splits.values())
        tick = progress(total, len(articles)) if progress else None
        # Slices of new articles, each ending where `checkpoint_chunks` more chunks are reached.
        cuts, pending = [], 0
        for aid in fresh_ids:
            pending += len(splits[aid])
            if checkpoint_chunks and pending >= checkpoint_chunks:
                cuts.append(aid)
                pending = 0
        done: set[str] = set()
        position = {a.id: i for i, a in enumerate(articles)}
        stops = [position[c] for c in cuts if c != fresh_ids[-1]] + [len(articles) - 1]
        for i, stop in enumerate(stops):
            done |= {a.id for a in articles[: stop + 1] if a.id in fresh_set}
            step_articles = [a for a in articles if a.id not in fresh_set or a.id in done]
            prev, report.chunks = _build_step(
                step_articles,
                store_dir,
                embedder,
                settings,
                prev,
                splits,
                tick,
                dense or DenseSettings(Settings().dense_index),
                started,
                reload=i < len(stops) - 1,
            )
            report.embedded_chunks = sum(len(splits[a]) for a in done)
    report.seconds = time.perf_counter() - started
    return report


def _build_step(
    articles: list[Article],
    store_dir: Path,
    embedder: Embedder,
    settings: ChunkSettings,
    prev: Store | None,
    splits: dict[str, list[Chunk]],
    tick: Callable[[int], None] | None,
    dense: DenseSettings,
    started: float,
    reload: bool,
) -> tuple[Store | None, int]:
    """Write one generation holding `articles`, reusing `prev` for those unchanged.

    Returns the number of chunks, and the new generation loaded when another step follows.
    """
    prev_hashes = prev.manifest["articles"] if prev else {}
    plan: list[tuple[Article, list[Chunk], range | None]] = []
    to_embed: list[str] = []
    for article in articles:
        old = prev_hashes.get(article.id)
        if prev is not None and old is not None and old["hash"] == article.content_hash:
            rows = prev.article_chunks(article.id)
            plan.append((article, prev.chunks[rows.start : rows.stop], rows))
            continue
        chunks = splits[article.id]
        plan.append((article, chunks, None))
        to_embed.extend(index_text(article, c, settings) for c in chunks)
    added = sum(1 for a in articles if a.id not in prev_hashes)
    changed = len([a for a, _, rows in plan if rows is None]) - added
    removed = len(set(prev_hashes) - {a.id for a in articles})
    fresh = (
        embedder.encode_passages(to_embed, progress=tick)
        if to_embed
        else np.zeros((0, embedder.dim), np.float32)
    )
    # Row i of the new store is row `order[i]` of [previous store's rows, then the fresh chunks].
    n_prev = len(prev.chunks) if prev is not None else 0
    order, cursor = [], n_prev
    for _, chunks, rows in plan:
        if rows is None:
            order.append(np.arange(cursor, cursor + len(chunks)))
            cursor += len(chunks)
        else:
            order.append(np.arange(rows.start, rows.stop))
    order_arr = np.concatenate(order) if order else np.zeros(0, np.int64)
    vectors = np.empty((len(order_arr), embedder.dim), np.float16)
    old_rows = order_arr < n_prev
    if prev is not None and old_rows.any():
        vectors[old_rows] = np.asarray(prev.vectors)[order_arr[old_rows]]
    vectors[~old_rows] = fresh[order_arr[~old_rows] - n_prev]
    chunks_all = [c for _, chunks, _ in plan for c in chunks]
    # Keyword side: only new chunks are tokenised when the previous store's BM25 is of the current
    # kind (it keeps its postings); the diacritics model's counts are updated the same way.
    new_tokens = [tokens(t) for t in to_embed]
    reuse = prev is not None and lexical_is_current(prev.manifest) and (prev.folder / RESTORER).is_dir()
    if reuse:
        lexical = LexicalIndex.combine(prev.lexical, order_arr, new_tokens)
        gone = np.setdiff1d(np.arange(n_prev), order_arr[order_arr < n_prev])
        gone_tokens = [
            tokens(index_text(prev.articles[prev.chunks[r].article_id], prev.chunks[r], settings))
            for r in gone
        ]
        restorer = prev.restorer.updated(gone_tokens, new_tokens)
    else:
        by_id = {a.id: a for a in articles}
        tokenised = [tokens(index_text(by_id[c.article_id], c, settings)) for c in chunks_all]
        lexical = LexicalIndex.from_tokens(tokenised)
        restorer = DiacriticRestorer.from_tokens(tokenised)
    # The previous rows, unchanged and in order, then only new ones: an HNSW graph can be extended.
    appended = (
        n_prev > 0 and len(order_arr) >= n_prev and np.array_equal(order_arr[:n_prev], np.arange(n_prev))
    )
    _write_generation(
        store_dir,
        articles,
        chunks_all,
        vectors,
        lexical,
        restorer,
        embedder,
        settings,
        (added, changed, removed),
        started,
        dense,
        prev,
        n_prev if appended else None,
    )
    return (Store.load(store_dir) if reload else None), len(chunks_all)


def _write_generation(
    store_dir: Path,
    articles: list[Article],
    chunks: list[Chunk],
    vectors: np.ndarray,
    lexical: LexicalIndex,
    restorer: DiacriticRestorer,
    embedder: Embedder,
    settings: ChunkSettings,
    counts: tuple[int, int, int],
    started: float,
    dense: DenseSettings,
    prev: Store | None,
    appended_from: int | None = None,
) -> None:
    name = new_generation_name()
    with atomic_path(store_dir / name) as tmp:
        tmp.mkdir()
        position = {a.id: i for i, a in enumerate(articles)}
        with (tmp / "articles.jsonl").open("w", encoding="utf-8") as fh:
            for a in articles:
                fh.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
        table = np.array([(position[c.article_id], c.index, c.start, c.end) for c in chunks], dtype=np.int64)
        np.save(tmp / "chunks.npy", table.reshape(-1, 4))
        np.save(tmp / "vectors.npy", vectors)  # float16: the source for reuse; search uses dense.faiss
        index = dense_kinds.build(vectors, dense, prev.dense if prev is not None else None, appended_from)
        index.save(tmp / "dense.faiss")
        lexical.save(tmp / "lexical")
        restorer.save(tmp / RESTORER)
        manifest = {
            "format_version": FORMAT_VERSION,
            "embedding": {
                "model": embedder.model,
                "backend": embedder.backend,
                "variant": embedder.variant,
                "dim": embedder.dim,
            },
            "chunking": settings.to_dict(),
            "dense_index": index.entry,
            "lexical": LEXICAL_SETTINGS,
            "articles": {a.id: {"hash": a.content_hash, "path": a.path} for a in articles},
            "chunks": len(chunks),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 3),
            "last_build": dict(zip(("added", "changed", "removed"), counts, strict=True)),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    switch(store_dir, name)  # the switch: one atomic rename
