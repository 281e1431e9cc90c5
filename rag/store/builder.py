"""Builds of the store: unchanged articles keep their vectors and their BM25 term counts, so an
incremental build embeds and tokenises only new or changed articles.

A `BuildPlan` says, before anything is embedded, what the build will do: which articles are new,
changed or removed, how they are chunked, and in which steps (checkpoints) generations are written.
Each step writes a whole generation and switches CURRENT to it; what it wrote, still in memory, is
the `Store` the next step reuses, so a long build never reads back what it has just written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..chunking import Chunker, ChunkSettings, index_text
from ..config import Settings
from ..errors import StoreError
from ..files import atomic_path
from ..lexical.bm25 import LexicalIndex
from ..lexical.diacritics import DiacriticRestorer
from ..models.base import Embedder
from ..schema import Article, Chunk
from ..text.normalise import tokens
from ..text.sentences import sentence_spans
from . import dense as dense_kinds
from . import manifest as manifests
from .dense import DenseSettings
from .layout import build_lock, current_generation, new_generation_name, store_exists, sweep, switch
from .sentences import SentenceVectors, quantize
from .sentences import entry as sentence_entry
from .store import ARTICLES, CHUNKS, DENSE, LEXICAL, RESTORER, VECTORS, Store

CHECKPOINT_CHUNKS = 5_000  # a long build writes a usable generation every this many embedded chunks

Progress = Callable[[int, int], Callable[[int], None]]


@dataclass
class Prepared:
    """One article after the build's heavy steps: its chunks' vectors (rows in chunk order), keyword
    tokens and, when the embedder makes them, each chunk's sentence vectors (store/sentences.py). A
    backend running elsewhere returns it as is (pickled), so a field added here reaches the store
    through every backend."""

    vectors: np.ndarray
    tokens: list[list[str]]
    sentences: list[np.ndarray] | None = None  # per chunk, one float32 row per sentence


class BuildBackend(Protocol):
    """Where a build's heavy steps run. It chunks (`split`, before the plan is made, so that the plan
    can place checkpoints), then prepares (embeds and tokenises) the chunks of each step; the builder
    does everything else (plan, BM25, diacritics, dense index, the write and the switch) the same way
    whichever backend ran them. `LocalBackend` runs them in this process,
    `rag.store.ray_backend.RayBackend` on a Ray cluster."""

    checkpoints: bool  # whether a long build may be cut into steps, each written as a usable generation

    def split(self, articles: list[Article], chunking: ChunkSettings) -> dict[str, list[Chunk]]: ...

    def prepare(
        self,
        work: list[tuple[Article, list[Chunk]]],
        chunking: ChunkSettings,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Prepared]: ...


class LocalBackend:
    """The heavy steps in this process: chunking, then one `encode_passages` call over every chunk to
    embed (the embedder's own threads), then tokenising."""

    checkpoints = True  # a long build may be cut into steps, each written as a usable generation

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def split(self, articles: list[Article], chunking: ChunkSettings) -> dict[str, list[Chunk]]:
        chunker = Chunker(chunking) if articles else None
        return {a.id: chunker.split(a) for a in articles}

    def prepare(
        self,
        work: list[tuple[Article, list[Chunk]]],
        chunking: ChunkSettings,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Prepared]:
        texts = [index_text(a, c, chunking) for a, chunks in work for c in chunks]
        vectors, sentences = _embed(self.embedder, texts, [c for _, chunks in work for c in chunks], progress)
        out, lo = {}, 0
        for a, chunks in work:
            hi = lo + len(chunks)
            out[a.id] = Prepared(
                vectors[lo:hi],
                [tokens(t) for t in texts[lo:hi]],
                sentences[lo:hi] if sentences is not None else None,
            )
            lo = hi
        return out


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


@dataclass(frozen=True)
class BuildPlan:
    """What one build does, decided before anything is embedded."""

    store_dir: Path
    articles: list[Article]  # what the store will hold, in this order
    embedder: Embedder
    chunking: ChunkSettings
    dense: DenseSettings
    prev: Store | None  # the generation whose vectors and term counts are reused
    reason: str | None  # why every article is embedded again, when it is
    fresh: dict[str, list[Chunk]]  # chunks of the new or changed articles, by article
    added: list[str]
    changed: list[str]
    removed: list[str]
    steps: list[list[Article]]  # the articles of each generation written; the last holds them all
    known_articles: dict = field(default_factory=dict)  # the current manifest's entries ("added" times)

    @classmethod
    def make(
        cls,
        articles: list[Article],
        store_dir: Path,
        embedder: Embedder,
        chunking: ChunkSettings,
        dense: DenseSettings,
        *,
        rebuild: bool = False,
        checkpoint_chunks: int | None = CHECKPOINT_CHUNKS,
        backend: BuildBackend | None = None,
    ) -> BuildPlan:
        backend = backend or LocalBackend(embedder)
        prev, reason = (None, "--rebuild asked") if rebuild else _previous(store_dir, embedder, chunking)
        known = prev.manifest["articles"] if prev else {}
        fresh_ids = [a.id for a in articles if a.id not in known or known[a.id]["hash"] != a.content_hash]
        by_id = {a.id: a for a in articles}
        fresh = backend.split([by_id[i] for i in fresh_ids], chunking)
        checkpoint_chunks = checkpoint_chunks if backend.checkpoints else None
        return cls(
            store_dir, articles, embedder, chunking, dense, prev, reason, fresh,
            added=[i for i in fresh_ids if i not in known],
            changed=[i for i in fresh_ids if i in known],
            removed=sorted(set(known) - set(by_id)),
            steps=_steps(articles, fresh, checkpoint_chunks),
            known_articles=known or _current_articles(store_dir),
        )  # fmt: skip

    @property
    def up_to_date(self) -> bool:
        return self.prev is not None and not self.fresh and not self.removed and self.prev.lexical is not None

    @property
    def chunks_to_embed(self) -> int:
        return sum(len(c) for c in self.fresh.values())

    def report(self) -> BuildReport:
        return BuildReport(
            store=self.store_dir,
            articles=len(self.articles),
            chunks=len(self.prev.chunks) if self.up_to_date else 0,
            added=self.added,
            changed=self.changed,
            removed=self.removed,
            full_rebuild_reason=self.reason,
            up_to_date=self.up_to_date,
        )


def _current_articles(store_dir: Path) -> dict:
    """The current generation's article entries even when it is not reused (--rebuild, a new model),
    so that when each article was added survives a rebuild."""
    folder = current_generation(store_dir)
    try:
        return manifests.read(folder, store_dir).get("articles", {}) if folder is not None else {}
    except StoreError:
        return {}


def _previous(
    store_dir: Path, embedder: Embedder, chunking: ChunkSettings
) -> tuple[Store | None, str | None]:
    """The store to reuse vectors from, or why everything must be embedded again."""
    if not store_exists(store_dir):
        return None, "new store"
    try:
        prev = Store.load(store_dir, strict=False)
    except StoreError as exc:
        return None, f"previous store unusable ({exc})"
    problem = manifests.reuse_problem(prev.manifest, embedder, chunking)
    return (None, problem) if problem else (prev, None)


def _steps(articles: list[Article], fresh: dict[str, list[Chunk]], every: int | None) -> list[list[Article]]:
    """The articles of each generation a build writes: unchanged ones always, new ones in slices that
    end where `every` more chunks are reached, so that an interrupted build resumes from the last."""
    cuts, pending = set(), 0
    for aid, chunks in fresh.items():
        pending += len(chunks)
        if every and pending >= every:
            cuts.add(aid)
            pending = 0
    steps, done = [], set()
    for aid in fresh:
        done.add(aid)
        if aid in cuts and len(done) < len(fresh):
            steps.append([a for a in articles if a.id not in fresh or a.id in done])
    return [*steps, articles]


def build_store(
    articles: list[Article],
    store_dir: Path,
    embedder: Embedder,
    settings: ChunkSettings,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    dense: DenseSettings | None = None,
    checkpoint_chunks: int | None = CHECKPOINT_CHUNKS,
    backend: BuildBackend | None = None,
) -> BuildReport:
    """Bring the store in line with `articles`, embedding only new or changed ones.

    `progress(total_chunks_to_embed, total_articles)` returns a callback advanced per embedded chunk.
    With more than `checkpoint_chunks` chunks to embed, a complete (partial) generation is written
    after each such slice of new articles: an interrupted long build resumes where it stopped
    (the next run reuses what was written), and the store stays usable meanwhile.

    `backend` runs the heavy steps (chunk, embed, tokenise): `LocalBackend(embedder)` by default, or
    a `RayBackend` on a cluster (no checkpoints: it resumes from its finished shards), whose model
    identity then stands in for `embedder` (only its model, backend, variant, dim and
    makes_sentence_vectors are read).
    """
    started = time.perf_counter()
    dense = dense or DenseSettings(Settings().dense_index)
    backend = backend or LocalBackend(embedder)
    with build_lock(store_dir):
        sweep(store_dir)
        plan = BuildPlan.make(
            articles,
            store_dir,
            embedder,
            settings,
            dense,
            rebuild=rebuild,
            checkpoint_chunks=checkpoint_chunks,
            backend=backend,
        )
        report = plan.report()
        if not plan.up_to_date:
            tick = progress(plan.chunks_to_embed, len(articles)) if progress else None
            prev = plan.prev
            for step in plan.steps:
                prev = _write_step(plan, step, prev, backend, tick, started)
                report.embedded_chunks = sum(len(plan.fresh[a.id]) for a in step if a.id in plan.fresh)
            report.chunks = len(prev.chunks)
    report.seconds = time.perf_counter() - started
    return report


def _write_step(
    plan: BuildPlan,
    articles: list[Article],
    prev: Store | None,
    backend: BuildBackend,
    tick: Callable[[int], None] | None,
    started: float,
) -> Store:
    """Write one generation holding `articles` and make it current, reusing `prev` for those unchanged.

    Row i of the new store is row `order[i]` of [the previous store's rows, then the fresh chunks].
    """
    known = prev.manifest["articles"] if prev else {}
    n_prev = len(prev.chunks) if prev is not None else 0
    chunks: list[Chunk] = []
    order: list[np.ndarray] = []
    work: list[tuple[Article, list[Chunk]]] = []
    n_fresh = 0
    for article in articles:
        old = known.get(article.id)
        if prev is not None and old is not None and old["hash"] == article.content_hash:
            rows = prev.article_chunks(article.id)
            chunks.extend(prev.chunks[rows.start : rows.stop])
            order.append(np.arange(rows.start, rows.stop))
        else:
            fresh = plan.fresh[article.id]
            work.append((article, fresh))
            chunks.extend(fresh)
            order.append(np.arange(n_prev + n_fresh, n_prev + n_fresh + len(fresh)))
            n_fresh += len(fresh)
    embedded_articles = len(work)
    order_arr = np.concatenate(order) if order else np.zeros(0, np.int64)
    embedder = plan.embedder
    by_article = backend.prepare(work, plan.chunking, tick) if work else {}
    prepared = [by_article[a.id] for a, _ in work]  # in the order of the fresh rows
    embedded = (
        np.concatenate([p.vectors for p in prepared]) if prepared else np.zeros((0, embedder.dim), np.float32)
    )
    new_tokens = [t for p in prepared for t in p.tokens]
    # None when the embedder makes no sentence vectors
    fresh_sentences = (
        [s for p in prepared for s in p.sentences]
        if embedder.makes_sentence_vectors and all(p.sentences is not None for p in prepared)
        else None
    )
    vectors = np.empty((len(order_arr), embedder.dim), np.float16)
    old_rows = order_arr < n_prev
    if prev is not None and old_rows.any():
        vectors[old_rows] = np.asarray(prev.vectors)[order_arr[old_rows]]
    vectors[~old_rows] = embedded[order_arr[~old_rows] - n_prev]
    sentences = None
    if fresh_sentences is not None and (prev is None or prev.sentences is not None or not old_rows.any()):
        parts = [
            prev.sentences.part(int(r)) if r < n_prev else quantize(fresh_sentences[int(r) - n_prev])
            for r in order_arr
        ]
        sentences = SentenceVectors.join(parts, embedder.dim)
    lexical, restorer = _keywords(plan, articles, chunks, prev, order_arr, new_tokens)
    # The previous rows, unchanged and in order, then only new ones: an HNSW graph can be extended.
    appended = (
        n_prev > 0 and len(order_arr) >= n_prev and np.array_equal(order_arr[:n_prev], np.arange(n_prev))
    )
    dense = dense_kinds.build(vectors, plan.dense, prev.dense if prev else None, n_prev if appended else None)
    added = sum(1 for a in articles if a.id not in known)
    counts = {
        "added": added,
        "changed": embedded_articles - added,
        "removed": len(set(known) - {a.id for a in articles}),
    }
    manifest = manifests.make(
        embedder,
        plan.chunking,
        dense.entry,
        articles,
        len(chunks),
        counts,
        started,
        plan.known_articles,
        sentence_entry(sentences, embedder.sentence_vectors) if sentences is not None else None,
    )
    name = new_generation_name()
    with atomic_path(plan.store_dir / name) as tmp:
        _write_parts(tmp, articles, chunks, vectors, dense, lexical, restorer, manifest)
        if sentences is not None:
            sentences.save(tmp)
    switch(plan.store_dir, name)  # the switch: one atomic rename
    return Store.of(
        plan.store_dir / name, manifest, articles, chunks, vectors, dense, lexical, restorer, sentences
    )


def _embed(
    embedder: Embedder, texts: list[str], chunks: list[Chunk], tick: Callable[[int], None] | None
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """The fresh chunks' vectors and, when the backend makes them, their sentence vectors: the spans
    of the chunk's sentences in the text embedded (the chunk after its title)."""
    if not texts:
        return np.zeros((0, embedder.dim), np.float32), [] if embedder.makes_sentence_vectors else None
    if not embedder.makes_sentence_vectors:
        return embedder.encode_passages(texts, progress=tick), None
    spans = []
    for text, chunk in zip(texts, chunks, strict=True):
        shift = len(text) - len(chunk.text)  # the title and its line break, when indexed with it
        spans.append([(a + shift, b + shift) for a, b in sentence_spans(chunk.text)])
    return embedder.encode_passages_with_sentences(texts, spans, progress=tick)


def _keywords(
    plan: BuildPlan,
    articles: list[Article],
    chunks: list[Chunk],
    prev: Store | None,
    order: np.ndarray,
    new_tokens: list[list[str]],
) -> tuple[LexicalIndex, DiacriticRestorer]:
    """BM25 and the diacritics model: when the previous store's are of the current kind, only the new
    chunks are tokenised (its postings and counts are kept, the removed chunks' counts taken out)."""
    if prev is not None and prev.lexical is not None and prev.restorer is not None:
        lexical = LexicalIndex.combine(prev.lexical, order, new_tokens)
        gone = np.setdiff1d(np.arange(len(prev.chunks)), order[order < len(prev.chunks)])
        restorer = prev.restorer.updated([tokens(t) for t in prev.index_texts(gone)], new_tokens)
        return lexical, restorer
    by_id = {a.id: a for a in articles}
    n_prev = len(prev.chunks) if prev is not None else 0
    # the fresh chunks' tokens come from the backend; reused ones (of an older store kind) are made here
    tokenised = [
        new_tokens[row - n_prev]
        if row >= n_prev
        else tokens(index_text(by_id[c.article_id], c, plan.chunking))
        for c, row in zip(chunks, order.tolist(), strict=True)
    ]
    return LexicalIndex.from_tokens(tokenised), DiacriticRestorer.from_tokens(tokenised)


def _write_parts(
    folder: Path,
    articles: list[Article],
    chunks: list[Chunk],
    vectors: np.ndarray,
    dense,
    lexical: LexicalIndex,
    restorer: DiacriticRestorer,
    manifest: dict,
) -> None:
    import json

    folder.mkdir()
    position = {a.id: i for i, a in enumerate(articles)}
    with (folder / ARTICLES).open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
    table = np.array([(position[c.article_id], c.index, c.start, c.end) for c in chunks], dtype=np.int64)
    np.save(folder / CHUNKS, table.reshape(-1, 4))
    np.save(folder / VECTORS, vectors)  # float16: the source for reuse; search uses dense.faiss
    dense.save(folder / DENSE)
    lexical.save(folder / LEXICAL)
    restorer.save(folder / RESTORER)
    manifests.write(folder, manifest)
