"""The on-disk store: articles, chunks, vectors, FAISS and BM25, with a manifest.

Layout: `<store>/CURRENT` names the generation folder in use (`gen-...`). A build writes a whole new
generation beside the old one and then replaces CURRENT atomically, so an interrupted or failed
build leaves the previous store untouched and usable. Unchanged articles keep their vectors and
their BM25 term counts, so an incremental build embeds and tokenises only new or changed articles.

Dense search is exact (FAISS flat) on small stores and approximate (IVF over float16 vectors) from
`APPROXIMATE_FROM` chunks on; the choice and its parameters are recorded in the manifest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from ..chunking import Chunker, ChunkSettings, index_text
from ..config import RagError
from ..lexical.bm25 import SETTINGS as LEXICAL_SETTINGS
from ..lexical.bm25 import LexicalIndex
from ..lexical.bm25 import is_current as lexical_is_current
from ..lexical.diacritics import DiacriticRestorer
from ..models.base import Embedder, same_vectors
from ..schema import Article, Chunk
from ..text.normalise import tokens

FORMAT_VERSION = 2  # 2: float16 vectors.npy, IVF dense index, BM25 term counts; version 1 still reads
READABLE_VERSIONS = (1, 2)
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
RESTORER = "diacritics"


class StoreError(RagError):
    """The store is missing, damaged or incompatible; the message says to run `rag index`."""


class OutdatedStoreError(StoreError):
    """The keyword index is of an older kind: a build remakes it from the chunks, embedding nothing."""


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


def _write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


@contextlib.contextmanager
def _build_lock(store_dir: Path) -> Iterator[None]:
    store_dir.mkdir(parents=True, exist_ok=True)
    with (store_dir / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RagError(f"another `rag index` is building {store_dir}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_generation(store_dir: Path) -> Path | None:
    pointer = store_dir / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return store_dir / name if name else None


def store_exists(store_dir: Path) -> bool:
    return (store_dir / CURRENT).is_file()


# Measured (docs/performance.md): a flat search grows linearly with the store (4.4 ms at 80k chunks on
# a quiet machine, 35 ms on a busy one, 480 ms at 1M), while HNSW answers in a millisecond or two. The
# benchmark's questions are off-topic for most of the store, so their top 10 are near-ties: there IVF
# needed 3/4 of its lists, and HNSW's efSearch has to grow with the store (`hnsw_ef_search`).
APPROXIMATE_FROM = 50_000
HNSW_PARAMS = {"M": 32, "ef_construction": 80}
RETRAIN_GROWTH = 4.0  # retrain IVF centroids once the store has grown this much since training
CHECKPOINT_CHUNKS = 5_000  # a long build writes a usable generation every this many embedded chunks


@dataclass(frozen=True)
class DenseSettings:
    """How the dense index is chosen: "auto", "flat", "hnsw" or "ivf" (env RAG_DENSE_INDEX).

    "auto" is exact below `approximate_from` chunks and HNSW (float16 vectors) from there on.
    """

    kind: str = field(default_factory=lambda: os.environ.get("RAG_DENSE_INDEX", "auto"))
    approximate_from: int = APPROXIMATE_FROM

    def kind_for(self, n: int) -> str:
        if self.kind not in ("auto", "flat", "hnsw", "ivf"):
            raise RagError(f"unknown dense index kind {self.kind!r}: choose auto, flat, hnsw or ivf")
        if self.kind == "auto":
            return "hnsw" if n >= self.approximate_from else "flat"
        return self.kind


def hnsw_ef_search(n: int) -> int:
    """efSearch for a store of `n` chunks, set again at every build.

    Recall@10 against exact search on 300 benchmark questions at 80 594 chunks: efSearch 256 -> 0.951,
    512 -> 0.984, 768 -> 0.992 (1.9 ms). Past that size it grows with sqrt(n), an extrapolation.
    """
    return int(64 * round(768 * max(1.0, (n / 80_000) ** 0.5) / 64))


def ivf_params(n: int) -> dict:
    """nlist ~ sqrt(n) (a power of two), and nprobe scanning ~1/8 of the lists (at least 16)."""
    nlist = int(2 ** round(np.log2(max(16.0, np.sqrt(max(n, 1))))))
    nlist = max(16, min(nlist, 65536, max(16, n // 39)))  # FAISS wants >= 39 training points a list
    return {"nlist": nlist, "nprobe": min(nlist, max(16, nlist // 8))}


def _add_in_batches(index: faiss.Index, vectors: np.ndarray, batch: int = 65536) -> None:
    for lo in range(0, len(vectors), batch):
        index.add(np.ascontiguousarray(vectors[lo : lo + batch], dtype=np.float32))


@contextlib.contextmanager
def _build_threads() -> Iterator[None]:
    """All cores while building; queries run on one thread (see `Store.load`)."""
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def _dense_index(
    vectors: np.ndarray, settings: DenseSettings, prev: Store | None = None, appended_from: int | None = None
) -> tuple[faiss.Index, dict]:
    """The dense index over `vectors` and its manifest entry.

    A previous IVF's centroids are reused; a previous HNSW graph is extended when the first
    `appended_from` rows are the previous store's, unchanged and in order (new articles only).
    """
    n, dim = vectors.shape
    kind = settings.kind_for(n)
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
        with _build_threads():
            _add_in_batches(index, vectors)
        return index, {"type": "flat", "metric": "inner_product", "vectors": "float32"}
    old = prev.manifest.get("dense_index", {}) if prev is not None else {}
    if kind == "hnsw":
        params = {k: old.get(k) for k in HNSW_PARAMS} if old.get("type") == "hnsw" else dict(HNSW_PARAMS)
        params["ef_search"] = hnsw_ef_search(n)
        with _build_threads():
            if old.get("type") == "hnsw" and appended_from is not None and prev.dense.ntotal == appended_from:
                index = faiss.clone_index(prev.dense)
                _add_in_batches(index, vectors[appended_from:])
            else:
                index = faiss.IndexHNSWSQ(
                    dim, faiss.ScalarQuantizer.QT_fp16, params["M"], faiss.METRIC_INNER_PRODUCT
                )
                index.hnsw.efConstruction = params["ef_construction"]
                index.train(np.ascontiguousarray(vectors[: min(n, 65536)], dtype=np.float32))
                _add_in_batches(index, vectors)
        _configure(index, {"type": "hnsw", **params})
        return index, {"type": "hnsw", "metric": "inner_product", "vectors": "float16", **params}
    with _build_threads():
        if old.get("type") == "ivf" and n <= old.get("trained_on", 0) * RETRAIN_GROWTH:
            index = faiss.clone_index(prev.dense)
            index.reset()  # keeps the trained centroids: adding is cheap, training is not
            params = {k: old[k] for k in ("nlist", "nprobe", "trained_on")}
        else:
            params = ivf_params(n)
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, params["nlist"], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
            )
            sample = min(n, 64 * params["nlist"])
            rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
            index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
            params["trained_on"] = n
        _add_in_batches(index, vectors)
    index.nprobe = params["nprobe"]
    return index, {"type": "ivf", "metric": "inner_product", "vectors": "float16", **params}


def _configure(dense: faiss.Index, entry: dict) -> None:
    """Search-time parameters are not all saved by FAISS: they come from the manifest."""
    if entry.get("type") == "ivf":
        faiss.extract_index_ivf(dense).nprobe = int(entry["nprobe"])
    elif entry.get("type") == "hnsw":
        faiss.downcast_index(dense).hnsw.efSearch = int(entry["ef_search"])


class Store:
    """One loaded generation, read-only."""

    def __init__(
        self,
        folder: Path,
        manifest: dict,
        articles: list[Article],
        chunks: list[Chunk],
        vectors: np.ndarray,
        dense: faiss.Index,
        lexical: LexicalIndex | None,  # None only for an older keyword index loaded to be rebuilt
    ):
        self.folder = folder
        self.manifest = manifest
        self.articles = {a.id: a for a in articles}
        self.article_order = [a.id for a in articles]
        self.chunks = chunks
        self.vectors = vectors
        self.dense = dense
        self.lexical = lexical
        self.settings = ChunkSettings(**manifest["chunking"])
        self._restorer: DiacriticRestorer | None = None

    @property
    def index_texts(self) -> list[str]:
        """What the retrievers saw for each chunk; made on first use (a copy of every chunk's text)."""
        if not hasattr(self, "_index_texts"):
            self._index_texts = [
                index_text(self.articles[c.article_id], c, self.settings) for c in self.chunks
            ]
        return self._index_texts

    @property
    def model(self) -> str:
        return self.manifest["embedding"]["model"]

    @property
    def backend(self) -> str:
        return self.manifest["embedding"]["backend"]

    @classmethod
    def load(cls, store_dir: Path, *, strict: bool = True) -> Store:
        """The current generation; `strict=False` accepts a keyword index of an older kind (to rebuild it)."""
        folder = current_generation(store_dir)
        if folder is None:
            raise StoreError(f"no index in {store_dir}: run `rag index` to build it")
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if manifest.get("format_version") not in READABLE_VERSIONS:
                raise StoreError(
                    f"the index in {store_dir} has format version {manifest.get('format_version')}, "
                    f"this program reads version {FORMAT_VERSION}: run `rag index --rebuild`"
                )
            with (folder / "articles.jsonl").open(encoding="utf-8") as fh:
                articles = [Article(**json.loads(line)) for line in fh]
            table = np.load(folder / "chunks.npy")
            by_pos = [a.id for a in articles]
            chunks = [
                Chunk(by_pos[a], int(i), int(s), int(e), articles[a].text[s:e])
                for a, i, s, e in table.tolist()
            ]
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
            dense = faiss.read_index(str(folder / "dense.faiss"))
            _configure(dense, manifest.get("dense_index", {}))
            current_kind = lexical_is_current(manifest)
            if strict and not current_kind:
                raise OutdatedStoreError(
                    f"the keyword index in {store_dir} is of an older kind: run `rag index`"
                )
            # an older keyword index is not read at all: the next build makes it again from the chunks
            lexical = LexicalIndex.load(folder / "lexical") if current_kind else None
        except StoreError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, IndexError) as exc:
            raise StoreError(
                f"the index in {store_dir} is damaged ({type(exc).__name__}: {str(exc)[:120]}): "
                "run `rag index --rebuild`"
            ) from None
        n = len(chunks)
        lexical_size = lexical.size if lexical is not None else n
        if not (len(vectors) == dense.ntotal == lexical_size == n == manifest.get("chunks")):
            raise StoreError(
                f"the index in {store_dir} is damaged (its parts disagree on the number of chunks): "
                "run `rag index --rebuild`"
            )
        # One query at a time gains nothing from OpenMP threads, and on busy cores their spin-waits
        # made a flat search ~6x slower (measured); builds switch threads back on (`_build_threads`).
        faiss.omp_set_num_threads(1)
        return cls(folder, manifest, articles, chunks, vectors, dense, lexical)

    @property
    def restorer(self) -> DiacriticRestorer:
        """Loaded on the first question typed without diacritics."""
        if self._restorer is None:
            try:
                self._restorer = DiacriticRestorer.load(self.folder / RESTORER)
            except (OSError, ValueError) as exc:
                raise StoreError(
                    f"the index in {self.folder.parent} is damaged ({exc}): run `rag index --rebuild`"
                ) from None
        return self._restorer

    def check_model(self, model: str, backend: str) -> None:
        if self.model != model or not same_vectors(self.backend, backend):
            raise StoreError(
                f"the index in {self.folder.parent} was built with model {self.model!r} ({self.backend}), "
                f"but this run uses {model!r} ({backend}): run `rag index --rebuild`"
            )

    def article_chunks(self, article_id: str) -> range:
        """Rows of an article's chunks (they are stored contiguously)."""
        rows = self._rows_by_article().get(article_id)
        return range(rows[0], rows[1]) if rows else range(0)

    def _rows_by_article(self) -> dict[str, tuple[int, int]]:
        if not hasattr(self, "_rows"):
            rows: dict[str, tuple[int, int]] = {}
            for i, c in enumerate(self.chunks):
                lo, _ = rows.get(c.article_id, (i, i))
                rows[c.article_id] = (lo, i + 1)
            self._rows = rows
        return self._rows


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
    with _build_lock(store_dir):
        _sweep_stale(store_dir)
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
                dense or DenseSettings(),
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
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"gen-{stamp}"
    tmp = store_dir / f".{name}.tmp"
    tmp.mkdir(parents=True)
    position = {a.id: i for i, a in enumerate(articles)}
    with (tmp / "articles.jsonl").open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
    table = np.array([(position[c.article_id], c.index, c.start, c.end) for c in chunks], dtype=np.int64)
    np.save(tmp / "chunks.npy", table.reshape(-1, 4))
    np.save(tmp / "vectors.npy", vectors)  # float16: the source for reuse; search uses dense.faiss
    index, dense_entry = _dense_index(vectors, dense, prev, appended_from)
    faiss.write_index(index, str(tmp / "dense.faiss"))
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
        "dense_index": dense_entry,
        "lexical": LEXICAL_SETTINGS,
        "articles": {a.id: {"hash": a.content_hash, "path": a.path} for a in articles},
        "chunks": len(chunks),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "last_build": dict(zip(("added", "changed", "removed"), counts, strict=True)),
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(tmp)
    os.replace(tmp, store_dir / name)
    old = current_generation(store_dir)
    _write_atomic(store_dir / CURRENT, name + "\n")  # the switch: one atomic rename
    if old is not None and old.name != name:
        shutil.rmtree(old, ignore_errors=True)


def _sweep_stale(store_dir: Path) -> None:
    """Remove what interrupted builds left behind (never the generation CURRENT names)."""
    keep = current_generation(store_dir)
    for path in store_dir.iterdir():
        is_gen = path.name.startswith(("gen-", ".gen-")) and path.is_dir()
        if is_gen and (keep is None or path.resolve() != keep.resolve()):
            shutil.rmtree(path, ignore_errors=True)
