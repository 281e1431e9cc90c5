"""One generation of the store, loaded: articles, chunks, vectors, FAISS and BM25, with its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np

from ..chunking import ChunkSettings, index_text
from ..errors import OutdatedStoreError, StoreError
from ..lexical.bm25 import LexicalIndex
from ..lexical.bm25 import is_current as lexical_is_current
from ..lexical.diacritics import DiacriticRestorer
from ..models.base import same_vectors
from ..schema import Article, Chunk
from . import dense as dense_kinds
from .dense.base import DenseIndex
from .layout import current_generation

FORMAT_VERSION = 2  # 2: float16 vectors.npy, IVF dense index, BM25 term counts; version 1 still reads
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
RESTORER = "diacritics"


class Store:
    """One loaded generation, read-only."""

    def __init__(
        self,
        folder: Path,
        manifest: dict,
        articles: list[Article],
        chunks: list[Chunk],
        vectors: np.ndarray,
        dense: DenseIndex,
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
            dense = dense_kinds.load(folder / "dense.faiss", manifest.get("dense_index", {}))
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
        # made a flat search ~6x slower (measured); builds switch threads back on (`build_threads`).
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
