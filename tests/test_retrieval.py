from rag.lexical.bm25 import LexicalIndex, with_pairs
from rag.query.analyse import read_query

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


def test_questions_are_routed_by_how_they_were_typed(pipeline):
    q = read_query("an khe tiep nhan bao nhieu don", pipeline.store.restorer)
    assert q.mode == "unaccented" and q.restored
    assert q.search_text == "an khê tiếp nhận bao nhiêu đơn"
    q = read_query("An Khê tiếp nhận bao nhiêu đơn?", pipeline.store.restorer)
    assert q.mode == "accented" and not q.restored


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
