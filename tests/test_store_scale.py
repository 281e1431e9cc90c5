"""Scale paths of the store: approximate dense indexes (HNSW, IVF) and incremental, checkpointed builds."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from rag.chunking import ChunkSettings, index_text
from rag.config import Settings
from rag.errors import StoreError
from rag.eval.metrics import recall_at_k
from rag.ingest import read_articles
from rag.lexical.bm25 import SETTINGS as LEXICAL_SETTINGS
from rag.lexical.bm25 import LexicalIndex, view_terms
from rag.lexical.diacritics import DiacriticRestorer
from rag.models import load_embedder
from rag.schema import Article
from rag.store import dense
from rag.store.builder import build_store
from rag.store.dense import DenseSettings
from rag.store.dense.hnsw import ef_search as hnsw_ef_search
from rag.store.dense.ivf import params_for as ivf_params
from rag.store.store import Store
from rag.text.normalise import tokens

from .conftest import HashEmbedder


def clustered(n: int, dim: int = 48, clusters: int = 60, seed: int = 0) -> np.ndarray:
    """Unit vectors around fixed random centres (topics): the shape real sentence embeddings have.

    `seed` draws other points around the same centres, as questions fall near their passages' topics.
    """
    centres = np.random.default_rng(0).standard_normal((clusters, dim)).astype(np.float32)
    rng = np.random.default_rng(seed + 1)
    x = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recall_at_10(index, vectors: np.ndarray, queries: np.ndarray) -> float:
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    return recall_at_k(index.search(queries, 10)[1], truth)


def approximate(kind: str):
    """An approximate index over clustered vectors, the vectors and questions near them."""
    vectors, queries = clustered(20_000), clustered(200, seed=1)
    index = dense.build(vectors, DenseSettings(kind=kind))
    assert index.entry["type"] == kind and index.entry["vectors"] == "float16"
    return index, vectors, queries


def test_ivf_recall_at_10_against_exact_search():
    index, vectors, queries = approximate("ivf")
    assert index.entry["nlist"] == ivf_params(20_000)["nlist"] and index.index.nprobe == index.entry["nprobe"]
    assert recall_at_10(index, vectors, queries) >= 0.98
    # the index really is approximate: one list scanned loses neighbours
    index.index.nprobe = 1
    assert recall_at_10(index, vectors, queries) < 0.98


def test_hnsw_recall_at_10_against_exact_search():
    index, vectors, queries = approximate("hnsw")
    assert index.entry["ef_search"] == index.index.hnsw.efSearch == hnsw_ef_search(20_000)
    assert recall_at_10(index, vectors, queries) >= 0.98
    index.index.hnsw.efSearch = 1  # the index really is approximate
    assert recall_at_10(index, vectors, queries) < 0.98


def test_hnsw_search_depth_grows_with_the_store():
    # 768 is what kept recall@10 >= 0.98 at the full VietNews store (80 594 chunks; docs/performance.md)
    assert hnsw_ef_search(50_000) == hnsw_ef_search(80_594) == 768
    assert hnsw_ef_search(320_000) == 2 * 768 and hnsw_ef_search(1_000_000) > hnsw_ef_search(320_000)


def test_dense_kind_follows_the_size_threshold():
    auto = DenseSettings(kind="auto", approximate_from=1000)
    assert auto.kind_for(999) == "flat" and auto.kind_for(1000) == "hnsw"
    assert DenseSettings(kind="ivf").kind_for(10) == "ivf"
    assert DenseSettings(kind="flat").kind_for(10**7) == "flat"
    params = ivf_params(1_000_000)
    assert params["nlist"] == 1024 and params["nprobe"] == 128


@pytest.fixture(scope="module")
def embedder():
    return load_embedder(backend="onnx-int8")


@pytest.fixture(scope="module")
def seeds() -> list[Article]:
    settings = Settings()
    articles, _ = read_articles(settings.seeds, settings.root)
    assert len(articles) >= 4
    return articles


def test_incremental_add_embeds_only_new_articles_and_matches_a_full_build(tmp_path, embedder, seeds):
    settings = ChunkSettings()
    store_dir = tmp_path / "store"
    build_store(seeds[:-2], store_dir, embedder, settings)
    before = Store.load(store_dir)
    old_vectors = np.asarray(before.vectors).copy()

    report = build_store(seeds, store_dir, embedder, settings)
    after = Store.load(store_dir)
    new_chunks = sum(1 for c in after.chunks if c.article_id in {a.id for a in seeds[-2:]})
    assert report.added == [a.id for a in seeds[-2:]] and report.full_rebuild_reason is None
    assert report.embedded_chunks == new_chunks > 0
    assert np.array_equal(np.asarray(after.vectors)[: len(old_vectors)], old_vectors)

    full_dir = tmp_path / "full"
    build_store(seeds, full_dir, embedder, settings)
    full = Store.load(full_dir)
    assert [c.id for c in after.chunks] == [c.id for c in full.chunks]
    # BM25 from reused term counts scores exactly like a fresh build, in both views
    for view, question in (
        ("accented", "An Khê tiếp nhận bao nhiêu đơn"),
        ("folded", "an khe tiep nhan don"),
    ):
        syllables = tokens(question)
        assert np.allclose(
            after.lexical.scores(syllables, view), full.lexical.scores(syllables, view), atol=1e-5
        )
        for term in view_terms(syllables, view):
            assert after.lexical.idf(term, view) == pytest.approx(full.lexical.idf(term, view))
    # the diacritics model is updated from the new chunks alone, and equals one built from all
    assert after.restorer.same_counts(full.restorer)
    q = embedder.encode_queries(["An Khê tiếp nhận bao nhiêu đơn?"])
    assert np.array_equal(after.dense.search(q, 5)[1], full.dense.search(q, 5)[1])


def test_removing_and_changing_articles_keeps_parts_consistent(tmp_path, seeds):
    embedder = HashEmbedder()  # store mechanics: a deterministic embedder is enough
    settings = ChunkSettings()
    store_dir = tmp_path / "store"
    build_store(seeds, store_dir, embedder, settings)
    changed = Article(**{**seeds[1].to_dict(), "title": seeds[1].title + " (cập nhật)"})
    articles = [seeds[0], changed] + seeds[3:]
    report = build_store(articles, store_dir, embedder, settings)
    assert report.removed == [seeds[2].id] and report.changed == [changed.id]
    store = Store.load(store_dir)
    assert report.embedded_chunks == len(store.article_chunks(changed.id))
    assert len(store.chunks) == len(store.vectors) == store.dense.ntotal == store.lexical.size
    fresh = LexicalIndex.build(store.index_texts())
    for view in ("accented", "folded"):
        # terms of removed chunks are gone
        assert store.lexical.vocabulary_size(view) == fresh.vocabulary_size(view)
        syllables = tokens("Khê khe cập nhật")
        assert np.allclose(store.lexical.scores(syllables, view), fresh.scores(syllables, view), atol=1e-5)
    rebuilt = DiacriticRestorer.from_tokens([tokens(t) for t in store.index_texts()])
    assert store.restorer.same_counts(rebuilt)


def test_checkpointed_build_writes_usable_partial_generations_and_resumes(tmp_path, seeds):
    embedder = HashEmbedder()  # store mechanics: a deterministic embedder is enough
    settings = ChunkSettings()
    store_dir = tmp_path / "store"
    generations = []

    def progress(total, n_articles):
        def tick(n):
            if (store_dir / "CURRENT").is_file():
                generations.append(len(Store.load(store_dir).articles))

        return tick

    report = build_store(seeds, store_dir, embedder, settings, checkpoint_chunks=10, progress=progress)
    assert report.embedded_chunks == report.chunks
    # partial generations held a growing prefix of the articles, each one loadable
    assert generations and max(generations) < len(seeds) and generations == sorted(generations)
    # a build interrupted after its first checkpoint resumes from it: only the rest is embedded
    resume_dir = tmp_path / "resume"
    with pytest.raises(KeyboardInterrupt):
        build_store(seeds, resume_dir, HashEmbedder(fail_after=20), settings, checkpoint_chunks=10)
    partial = Store.load(resume_dir)
    assert 0 < len(partial.articles) < len(seeds)
    rest = HashEmbedder()
    resumed = build_store(seeds, resume_dir, rest, settings, checkpoint_chunks=10)
    assert resumed.full_rebuild_reason is None
    assert resumed.added == [a.id for a in seeds if a.id not in partial.articles]
    assert rest.embedded == resumed.embedded_chunks == resumed.chunks - len(partial.chunks) > 0
    # and it ends as the uninterrupted build did
    whole, again = Store.load(store_dir), Store.load(resume_dir)
    assert [c.id for c in again.chunks] == [c.id for c in whole.chunks]
    assert np.array_equal(np.asarray(again.vectors), np.asarray(whole.vectors))


def test_ivf_store_records_parameters_and_reuses_centroids(tmp_path, seeds):
    embedder = HashEmbedder()  # store mechanics: a deterministic embedder is enough
    settings = ChunkSettings()
    store_dir = tmp_path / "store"
    ivf = DenseSettings(kind="ivf")
    build_store(seeds[:-1], store_dir, embedder, settings, dense=ivf)
    first = Store.load(store_dir)
    entry = first.manifest["dense_index"]
    assert entry["type"] == "ivf" and {"nlist", "nprobe", "trained_on"} <= set(entry)
    assert faiss.extract_index_ivf(first.dense.index).nprobe == entry["nprobe"]
    centroids = faiss.extract_index_ivf(first.dense.index).quantizer.reconstruct_n(0, entry["nlist"])

    build_store(seeds, store_dir, embedder, settings, dense=ivf)
    second = Store.load(store_dir)
    assert second.manifest["dense_index"]["trained_on"] == entry["trained_on"]
    again = faiss.extract_index_ivf(second.dense.index).quantizer.reconstruct_n(0, entry["nlist"])
    assert np.array_equal(centroids, again)
    q = embedder.encode_queries(["An Khê tiếp nhận bao nhiêu đơn?"])
    exact = faiss.IndexFlatIP(q.shape[1])
    exact.add(np.asarray(second.vectors, dtype=np.float32))
    assert set(second.dense.search(q, 3)[1][0]) == set(exact.search(q, 3)[1][0])


def test_hnsw_store_extends_its_graph_on_additions_and_rebuilds_on_removals(tmp_path, seeds):
    embedder = HashEmbedder()
    settings = ChunkSettings()
    store_dir = tmp_path / "store"
    hnsw = DenseSettings(kind="hnsw")
    build_store(seeds[:-1], store_dir, embedder, settings, dense=hnsw)
    first = Store.load(store_dir)
    assert first.manifest["dense_index"]["type"] == "hnsw"
    assert faiss.downcast_index(first.dense.index).hnsw.efSearch == hnsw_ef_search(first.dense.ntotal)
    build_store(seeds, store_dir, embedder, settings, dense=hnsw)  # an addition: the graph is extended
    grown = Store.load(store_dir)
    levels_before = faiss.vector_to_array(faiss.downcast_index(first.dense.index).hnsw.levels)
    levels_after = faiss.vector_to_array(faiss.downcast_index(grown.dense.index).hnsw.levels)
    assert np.array_equal(levels_after[: len(levels_before)], levels_before)  # old nodes kept as they were
    build_store(seeds[1:], store_dir, embedder, settings, dense=hnsw)  # a removal: rebuilt, rows shift
    shrunk = Store.load(store_dir)
    assert shrunk.dense.ntotal == len(shrunk.chunks) == len(shrunk.vectors)
    q = embedder.encode_queries(["An Khê tiếp nhận bao nhiêu đơn"])
    exact = faiss.IndexFlatIP(q.shape[1])
    exact.add(np.asarray(shrunk.vectors, dtype=np.float32))
    assert shrunk.dense.search(q, 1)[1][0][0] == exact.search(q, 1)[1][0][0]


def test_store_written_by_format_1_still_loads(tmp_path, seeds):
    """A version-1 store (float32 vectors, an older keyword index) loads, and the next build upgrades
    its keyword index without embedding its articles again."""
    embedder = HashEmbedder()  # store mechanics: a deterministic embedder is enough
    store_dir = tmp_path / "store"
    build_store(seeds[:2], store_dir, embedder, ChunkSettings())
    gen = store_dir / (store_dir / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["format_version"] = 1
    manifest["lexical"] = {**manifest["lexical"], "v": 2}
    (gen / "manifest.json").write_text(json.dumps(manifest))
    np.save(gen / "vectors.npy", np.load(gen / "vectors.npy").astype(np.float32))
    for path in (gen / "lexical").rglob("*.npy"):
        path.unlink()  # an older keyword index: not even readable by this version
    with pytest.raises(StoreError, match="older kind.*rag index"):
        Store.load(store_dir)
    assert Store.load(store_dir, strict=False).lexical is None
    embedder.embedded = 0
    report = build_store(seeds[:3], store_dir, embedder, ChunkSettings())
    upgraded = Store.load(store_dir)
    assert report.embedded_chunks == embedder.embedded == len(upgraded.article_chunks(seeds[2].id))
    assert upgraded.lexical.size == len(upgraded.chunks)


def test_lexical_counts_build_equals_bm25s_own_index(seeds):
    import bm25s

    texts = [index_text(a, c, ChunkSettings()) for a in seeds for c in _chunks(a)]
    ours = LexicalIndex.build(texts)
    ref = bm25s.BM25(k1=LEXICAL_SETTINGS["k1"], b=LEXICAL_SETTINGS["b"])
    ref.index([view_terms(tokens(t), "accented") for t in texts], show_progress=False)
    for question in ("An Khê tiếp nhận bao nhiêu đơn", "công tác dân vận"):
        terms = [t for t in dict.fromkeys(view_terms(tokens(question), "accented")) if t in ref.vocab_dict]
        assert np.allclose(ours.scores(tokens(question), "accented"), ref.get_scores(terms), atol=1e-5)


def _chunks(article: Article):
    from rag.chunking import Chunker

    return Chunker().split(article)


def test_lexical_index_loads_memory_mapped_with_equal_scores(tmp_path, seeds):
    texts = [index_text(a, c, ChunkSettings()) for a in seeds for c in _chunks(a)]
    built = LexicalIndex.build(texts)
    for view in ("accented", "folded"):
        (tmp_path / view).mkdir()
    built.save(tmp_path)
    mapped = LexicalIndex.load(tmp_path, mmap=True)
    assert mapped.memory_mapped and not built.memory_mapped
    syllables = tokens("An Khê tiếp nhận bao nhiêu đơn")
    assert np.array_equal(mapped.scores(syllables, "accented"), built.scores(syllables, "accented"))
    assert mapped.vocabulary_size("accented") == built.vocabulary_size("accented")
