"""Sentence vectors, made at index time and kept with the chunks: each sentence embedded alone
("encoded", the default) or pooled from the passage's own token embeddings ("pooled")."""

import numpy as np
import pytest

from rag.models import load_embedder
from rag.pipeline import Pipeline
from rag.query import scorer as sc
from rag.store.builder import build_store
from rag.store.sentences import SentenceVectors, quantize
from rag.store.store import Store
from rag.text.sentences import sentence_spans

from .test_answer import ARTICLE, OTHER

AN_KHE, HA_GIANG = ARTICLE, OTHER  # the hand-made articles of the answerer's tests


@pytest.fixture(scope="module", params=["encoded", "pooled"])
def kind_embedder(request, seed_settings):
    return load_embedder(seed_settings, sentence_vectors=request.param)


def test_one_vector_per_sentence_of_every_chunk_and_the_right_one_is_closest(
    tmp_path, kind_embedder, seed_settings
):
    embedder = kind_embedder
    store_dir = tmp_path / "store"
    build_store([AN_KHE, HA_GIANG], store_dir, embedder, seed_settings.chunking)
    store = Store.load(store_dir)
    assert store.sentences is not None and store.sentences.consistent(len(store.chunks))
    for row, chunk in enumerate(store.chunks):
        vectors = store.sentences.chunk(row)
        assert len(vectors) == len(sentence_spans(chunk.text))
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    [q] = embedder.encode_queries(["Ai là Bí thư Thị ủy An Khê?"])
    an_khe = store.sentences.chunk(store.rows["an-khe"].start)
    assert int(np.argmax(an_khe @ q)) == 2  # the sentence naming the Bí thư, not the others
    assert store.manifest["sentences"]["kind"] == embedder.sentence_vectors


def test_an_encoded_sentence_vector_is_the_sentence_embedded_alone(tmp_path, seed_settings):
    embedder = load_embedder(seed_settings, sentence_vectors="encoded")
    store_dir = tmp_path / "store"
    build_store([AN_KHE], store_dir, embedder, seed_settings.chunking)
    store = Store.load(store_dir)
    row = store.rows["an-khe"].start
    chunk = store.chunks[row]
    alone = embedder.encode_passages([chunk.text[a:b] for a, b in sentence_spans(chunk.text)])
    kept = store.sentences.chunk(row)
    assert kept.shape == alone.shape
    assert np.all(np.sum(kept * alone, axis=1) > 0.999)  # the same vectors, up to their int8 storage


def test_another_kind_of_sentence_vectors_embeds_the_store_again(tmp_path, seed_settings):
    store_dir = tmp_path / "store"
    pooled = load_embedder(seed_settings, sentence_vectors="pooled")
    build_store([AN_KHE, HA_GIANG], store_dir, pooled, seed_settings.chunking)
    encoded = load_embedder(seed_settings, sentence_vectors="encoded")
    report = build_store([AN_KHE, HA_GIANG], store_dir, encoded, seed_settings.chunking)
    assert report.embedded_chunks == len(Store.load(store_dir).chunks)
    assert "encoded sentence vectors" in report.full_rebuild_reason
    assert Store.load(store_dir).manifest["sentences"]["kind"] == "encoded"
    again = build_store([AN_KHE, HA_GIANG], store_dir, encoded, seed_settings.chunking)
    assert again.embedded_chunks == 0  # the same kind: everything kept


def test_a_store_of_the_other_kind_is_served_with_a_note(tmp_path, seed_settings):
    settings = seed_settings.with_(store_dir=tmp_path / "store", sentence_vectors="pooled")
    pooled = load_embedder(settings)
    build_store([AN_KHE, HA_GIANG], settings.store, pooled, settings.chunking)
    said = []
    Pipeline.open(settings, log=said.append)
    assert said == []
    encoded = settings.with_(sentence_vectors="encoded")
    pipeline = Pipeline.open(encoded, log=said.append)
    answer = pipeline.ask("Ai là Bí thư Thị ủy An Khê?")
    assert [s for s in said if "pooled sentence vectors, not encoded" in s and "rag index" in s], said
    assert answer.citations and answer.citations[0].article_id == "an-khe"  # still answers
    # with the weights fitted on pooled stores, not the default's
    weights = pipeline.current().answerer.weights.to_dict()
    assert weights == sc.shipped("pooled").to_dict() != sc.shipped("vectors").to_dict()


def test_each_kind_of_store_reads_the_weights_fitted_on_its_kind():
    assert sc.variant_for("encoded") == "vectors" and sc.variant_for("pooled") == "pooled"
    assert sc.variant_for(None) == "lexical"


def test_a_later_build_keeps_the_unchanged_articles_sentence_vectors(tmp_path, embedder, seed_settings):
    store_dir = tmp_path / "store"
    build_store([AN_KHE], store_dir, embedder, seed_settings.chunking)
    before = Store.load(store_dir)
    kept = before.sentences.part(before.rows["an-khe"].start)
    build_store([AN_KHE, HA_GIANG], store_dir, embedder, seed_settings.chunking)
    after = Store.load(store_dir)
    again = after.sentences.part(after.rows["an-khe"].start)
    assert np.array_equal(kept[0], again[0]) and np.array_equal(kept[1], again[1])
    assert after.sentences.chunks == len(after.chunks) and after.manifest["sentences"]["sentences"] == len(
        after.sentences
    )


def test_closest_is_each_rows_best_sentence_and_marks_rows_without_any():
    rng = np.random.default_rng(0)
    chunks = [rng.normal(size=(n, 8)).astype(np.float32) for n in (3, 0, 1, 4)]
    sv = SentenceVectors.join([quantize(c) for c in chunks], 8)
    q = rng.normal(size=8).astype(np.float32)
    q /= np.linalg.norm(q)
    best, has = sv.closest(np.array([3, 1, 0, 2]), q)
    assert has.tolist() == [True, False, True, True]
    for got, row in zip(best[has], [3, 0, 2], strict=True):
        assert abs(got - float((sv.chunk(row) @ q).max())) < 1e-5  # as the answerer reads them
    assert best[1] == -np.inf
