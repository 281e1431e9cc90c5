from dataclasses import replace

import numpy as np

from rag.lexical.bm25 import LexicalIndex, with_pairs
from rag.query.analyse import read_query
from rag.query.retrieve import InContext, RetrievalSettings, Retriever

from .conftest import SEED


def test_pairs_of_syllables_are_index_terms():
    assert with_pairs(["dân", "vận", "khéo"]) == ["dân", "vận", "khéo", "dân_vận", "vận_khéo"]


def test_bm25_prefers_the_word_over_scattered_syllables():
    idx = LexicalIndex.build(["công tác dân vận ở cơ sở", "dân cư và vận tải công cộng"])
    scores = idx.scores(["dân", "vận"], "accented")
    assert scores[0] > scores[1] > 0
    folded = idx.scores(["dan", "van"], "folded")
    assert folded[0] > folded[1] > 0
    assert idx.idf("dân") > 0 and idx.idf("không-có") == 0.0
    # the same question asked again (restoring its diacritics, then in the fusion) is scored once
    again = idx.scores(["dan", "van"], "folded")
    assert again is folded and not again.flags.writeable
    assert idx.scores(["dân", "vận"], "accented") is not scores  # only the last question is kept
    assert np.array_equal(idx.scores(["dân", "vận"], "accented"), scores)


def test_questions_are_routed_by_how_they_were_typed(pipeline):
    q = read_query("an khe tiep nhan bao nhieu don", pipeline.store.restorer)
    assert q.mode == "unaccented" and q.restored
    assert q.search_text == "an khê tiếp nhận bao nhiêu đơn"
    q = read_query("An Khê tiếp nhận bao nhiêu đơn?", pipeline.store.restorer)
    assert q.mode == "accented" and not q.restored


def test_diacritics_are_restored_with_the_passage_folded_bm25_ranks_first(pipeline):
    restorer = pipeline.retriever.restorer
    assert isinstance(restorer, InContext) and restorer.restorer is pipeline.store.restorer
    context = restorer.context("chi thi 05-CTr/TU ban hanh ngay nao")
    assert len(context) == 1 and {"chỉ", "thị", "05", "ctr", "tu"} <= set(context[0])
    assert restorer.restore("an khe tiep nhan bao nhieu don") == "an khê tiếp nhận bao nhiêu đơn"
    alone = Retriever(pipeline.store, pipeline.retriever.embedder, RetrievalSettings(restore_context=0))
    assert alone.restorer is pipeline.store.restorer
    off = Retriever(pipeline.store, pipeline.retriever.embedder, RetrievalSettings(restore_diacritics=False))
    assert off.restorer is None


def test_hybrid_search_ranks_the_gold_article_first_both_ways(pipeline):
    for question, source in [
        ("Hà Giang đã xây dựng bao nhiêu mô hình Dân vận khéo?", SEED["ha_giang"]),
        ("ha giang da xay dung bao nhieu mo hinh dan van kheo", SEED["ha_giang"]),
        ("Chủ tịch Ủy ban MTTQ Việt Nam tỉnh An Giang là ai?", SEED["an_giang_qcdc"]),
        ("chu tich uy ban mttq tinh an giang la ai", SEED["an_giang_qcdc"]),
    ]:
        hits = pipeline.retriever.search(read_query(question, pipeline.store.restorer), 5)
        assert hits[0].article.path == source, question
        assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
        assert hits[0].score >= hits[1].score
        assert "bm25" in hits[0].scores


def test_dense_candidates_are_scored_by_their_closest_sentence(pipeline):
    """The fusion reads each dense candidate's best sentence cosine; the reranker still reads the
    passage cosine."""
    retriever = pipeline.retriever
    query = read_query("Hà Giang đã xây dựng bao nhiêu mô hình Dân vận khéo?", pipeline.store.restorer)
    vector = retriever.encode(query)
    hits = retriever.search(query, 5, vector=vector)
    assert hits[0].article.path == SEED["ha_giang"]
    assert any(len(pipeline.store.sentence_vectors(h)) > 1 for h in hits)
    for h in hits:
        assert {"sentences", "dense", "bm25"} <= set(h.scores)
        sentences = pipeline.store.sentence_vectors(h)
        assert len(sentences) >= 1
        # the best of the chunk's own sentence vectors, as the answerer reads them
        assert abs(h.scores["sentences"] - float((sentences @ vector).max())) < 1e-4
        passage = np.asarray(pipeline.store.vectors[_row(pipeline, h)], np.float32)
        assert abs(h.scores["dense"] - float(passage @ vector)) < 1e-3


def test_without_sentence_vectors_the_passage_vector_is_fused(pipeline):
    store = replace(pipeline.store, sentences=None)
    retriever = Retriever(store, pipeline.retriever.embedder)
    assert retriever.weights("accented") == {"dense": 0.5, "bm25": 0.5}
    assert pipeline.retriever.weights("accented") == {"sentences": 0.5, "bm25": 0.5}
    hits = retriever.search(read_query("Chủ tịch Ủy ban MTTQ Việt Nam tỉnh An Giang là ai?"), 3)
    assert hits[0].article.path == SEED["an_giang_qcdc"]
    assert "sentences" not in hits[0].scores and "dense" in hits[0].scores


def _row(pipeline, hit) -> int:
    return pipeline.store.article_chunks(hit.article.id).start + hit.chunk.index
