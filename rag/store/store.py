"""One generation of the store, loaded whole and read-only: articles, chunks, vectors, the dense index,
BM25 and the diacritics model, with its manifest.

Everything is read (or memory-mapped) at load, nothing later: a generation that a newer build has
replaced, or a sweep has removed, keeps answering from what it holds.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from ..chunking import ChunkSettings, index_text
from ..errors import DamagedStoreError, InternalError, OutdatedStoreError, StoreError
from ..lexical.bm25 import LexicalIndex
from ..lexical.bm25 import is_current as lexical_is_current
from ..lexical.diacritics import DiacriticRestorer
from ..schema import Article, Chunk, Hit
from . import dense as dense_kinds
from . import manifest as manifests
from .dense.base import DenseIndex
from .layout import current_generation
from .sentences import VERSION as SENTENCES_VERSION
from .sentences import SentenceVectors

log = logging.getLogger(__name__)

ARTICLES, CHUNKS, VECTORS, DENSE, LEXICAL, RESTORER = (
    "articles.jsonl", "chunks.npy", "vectors.npy", "dense.faiss", "lexical", "diacritics",
)  # fmt: skip
_ARTICLE_FIELDS = set(Article.__dataclass_fields__)
_REQUIRED_FIELDS = {"id", "path", "title", "text"}
# What reading damaged files raises (faiss reports a bad file as RuntimeError, caught where it reads).
_DAMAGE = (OSError, ValueError, KeyError, EOFError)


@dataclass(frozen=True)
class Store:
    """One loaded generation. Built by `load`, or by a build from what it has just written."""

    folder: Path
    manifest: dict
    articles: dict[str, Article]  # in stored order
    chunks: list[Chunk]  # an article's chunks stand together, in order
    vectors: np.ndarray  # float16 rows, the source a build reuses; search goes through `dense`
    dense: DenseIndex
    lexical: LexicalIndex | None  # None only for an older keyword index loaded to be rebuilt
    restorer: DiacriticRestorer | None  # the same
    rows: dict[str, range] = field(repr=False)  # an article's chunk rows
    sentences: SentenceVectors | None = field(default=None, repr=False)  # None: a store built before them

    @classmethod
    def of(
        cls,
        folder: Path,
        manifest: dict,
        articles: list[Article],
        chunks: list[Chunk],
        vectors: np.ndarray,
        dense: DenseIndex,
        lexical: LexicalIndex | None,
        restorer: DiacriticRestorer | None,
        sentences: SentenceVectors | None = None,
    ) -> Store:
        rows: dict[str, range] = {}
        for i, c in enumerate(chunks):
            lo = rows[c.article_id].start if c.article_id in rows else i
            rows[c.article_id] = range(lo, i + 1)
        by_id = {a.id: a for a in articles}
        return cls(folder, manifest, by_id, chunks, vectors, dense, lexical, restorer, rows, sentences)

    @property
    def generation(self) -> str:
        return self.folder.name

    @property
    def article_order(self) -> list[str]:
        return list(self.articles)

    @property
    def chunking(self) -> ChunkSettings:
        return ChunkSettings(**self.manifest["chunking"])

    @property
    def model(self) -> str:
        return self.manifest["embedding"]["model"]

    @property
    def backend(self) -> str:
        return self.manifest["embedding"]["backend"]

    def index_texts(self, rows=None) -> list[str]:
        """What the retrievers saw for each chunk (or for `rows`): the passage headed by its title."""
        chunking = self.chunking
        chosen = self.chunks if rows is None else [self.chunks[int(r)] for r in rows]
        return [index_text(self.articles[c.article_id], c, chunking) for c in chosen]

    def article_chunks(self, article_id: str) -> range:
        """Rows of an article's chunks (they are stored contiguously)."""
        return self.rows.get(article_id, range(0))

    @property
    def sentence_kind(self) -> str | None:
        """How the sentence vectors were made (config.SENTENCE_VECTORS), None without them; a store
        whose record names no kind predates "encoded": its vectors were pooled."""
        if self.sentences is None:
            return None
        return self.manifest.get("sentences", {}).get("kind", "pooled")

    def sentence_vectors(self, hit: Hit) -> np.ndarray | None:
        """The sentence vectors of a hit's chunk (one per sentence of its text), or None without them."""
        rows = self.rows.get(hit.chunk.article_id)
        if self.sentences is None or rows is None:
            return None
        return self.sentences.chunk(rows.start + hit.chunk.index)

    def check_model(self, model: str, backend: str) -> None:
        manifests.check_model(self.manifest, model, backend, self.folder.parent)

    @classmethod
    def load(cls, store_dir: Path, *, strict: bool = True) -> Store:
        """The current generation; `strict=False` accepts a keyword index of an older kind (to rebuild it).

        Files that cannot be read, or that disagree, are a `DamagedStoreError`. Anything else that
        goes wrong is a bug: logged with its traceback, and raised as an `InternalError`.
        """
        folder = current_generation(store_dir)
        if folder is None:
            raise StoreError(f"no index in {store_dir}: run `rag index` to build it")
        try:
            return cls._load(folder, store_dir, strict)
        except StoreError:
            raise
        except _DAMAGE as exc:
            raise DamagedStoreError.of(store_dir, exc) from None
        except Exception as exc:
            log.exception("loading the index in %s failed", store_dir)
            raise InternalError(
                f"loading the index in {store_dir} failed on a bug, not on a damaged index "
                f"({type(exc).__name__}: {str(exc)[:120]}); the traceback is in the log above"
            ) from exc

    @classmethod
    def _load(cls, folder: Path, store_dir: Path, strict: bool) -> Store:
        manifest = manifests.read(folder, store_dir)
        current_kind = lexical_is_current(manifest)
        if strict and not current_kind:
            raise OutdatedStoreError(f"the keyword index in {store_dir} is of an older kind: run `rag index`")
        articles = _read_articles(folder / ARTICLES, store_dir)
        chunks = _read_chunks(folder / CHUNKS, articles, store_dir)
        vectors = np.load(folder / VECTORS, mmap_mode="r")
        try:
            dense = dense_kinds.load(folder / DENSE, manifest.get("dense_index", {}))
        except RuntimeError as exc:  # FAISS on a file it cannot read
            raise DamagedStoreError.of(store_dir, exc) from None
        # An older keyword index (and its diacritics model) is not read at all: the next build makes
        # both again from the chunks.
        lexical = LexicalIndex.load(folder / LEXICAL) if current_kind else None
        restorer = DiacriticRestorer.load(folder / RESTORER) if current_kind else None
        n = len(chunks)
        lexical_size = lexical.size if lexical is not None else n
        if not (len(vectors) == dense.ntotal == lexical_size == n == manifest["chunks"]):
            raise DamagedStoreError.of(store_dir, "its parts disagree on the number of chunks")
        sentences = None
        if manifest.get("sentences", {}).get("version") == SENTENCES_VERSION:
            sentences = SentenceVectors.load(folder)
            if not sentences.consistent(n) or len(sentences) != manifest["sentences"].get("sentences"):
                raise DamagedStoreError.of(store_dir, "its sentence vectors disagree with its chunks")
        # One query at a time gains nothing from OpenMP threads, and on busy cores their spin-waits
        # made a flat search ~6x slower (measured); builds switch threads back on (`build_threads`).
        faiss.omp_set_num_threads(1)
        return cls.of(folder, manifest, articles, chunks, vectors, dense, lexical, restorer, sentences)


def _read_articles(path: Path, store_dir: Path) -> list[Article]:
    articles = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if (
                not isinstance(rec, dict)
                or not {"id", "path", "title", "text"} <= set(rec) <= _ARTICLE_FIELDS
            ):
                raise DamagedStoreError.of(store_dir, f"an article record of {path.name} is not one")
            articles.append(Article(**rec))
    return articles


def _read_chunks(path: Path, articles: list[Article], store_dir: Path) -> list[Chunk]:
    """Chunks from their (article, index, start, end) rows: texts are slices of their article."""
    table = np.load(path)
    if table.ndim != 2 or table.shape[1] != 4 or table.dtype.kind not in "iu":
        raise DamagedStoreError.of(store_dir, f"{path.name} is not a table of chunk offsets")
    if len(table) and not (table[:, 0].min() >= 0 and table[:, 0].max() < len(articles)):
        raise DamagedStoreError.of(store_dir, f"{path.name} names articles the store does not hold")
    by_pos = [a.id for a in articles]
    return [Chunk(by_pos[a], int(i), int(s), int(e), articles[a].text[s:e]) for a, i, s, e in table.tolist()]
