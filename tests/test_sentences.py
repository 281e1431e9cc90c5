"""Sentence vectors: pooled from the passage's own token embeddings at index time, kept with the chunks."""

import numpy as np

from rag.store.builder import build_store
from rag.store.store import Store
from rag.text.sentences import sentence_spans

from .test_answer import ARTICLE, OTHER

AN_KHE, HA_GIANG = ARTICLE, OTHER  # the hand-made articles of the answerer's tests


def test_one_vector_per_sentence_of_every_chunk_and_the_right_one_is_closest(
    tmp_path, embedder, seed_settings
):
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
