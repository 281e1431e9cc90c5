"""Sentence choice and abstention, on hand-made hits so that each rule is seen alone."""

from dataclasses import replace

from rag.lexical.bm25 import LexicalIndex
from rag.query import scorer as sc
from rag.query.analyse import read_query
from rag.query.extract import ABSTAIN_MESSAGE, Answerer, AnswerSettings, question_type
from rag.schema import Article, Chunk, Hit
from rag.text.words import segment, words

ARTICLE = Article(
    id="an-khe",
    path="seeds/an-khe.txt",
    title="An Khê: kinh nghiệm công tác dân vận",
    text=(
        "Công tác tiếp dân luôn được thị xã quan tâm. "
        "Trong 10 năm, thị xã đã tiếp nhận 2.054 đơn khiếu nại. "
        "Bí thư Thị ủy Nguyễn Thị Thanh Lịch làm việc với cán bộ cơ sở."
    ),
)
OTHER = Article(id="ha-giang", path="seeds/ha-giang.txt", title="Hà Giang", text="Hà Giang có 1.115 mô hình.")


def article(name: str, title: str, text: str) -> Article:
    return Article(id=name, path=f"seeds/{name}.txt", title=title, text=text)


def hits_for(*articles):
    out = []
    for rank, a in enumerate(articles, 1):
        out.append(Hit(Chunk(a.id, 0, 0, len(a.text), a.text), a, 1.0 / rank, rank))
    return out


def answerer(*articles, **settings):
    """An answerer whose index holds `articles` (ARTICLE and OTHER unless given), as the store's would."""
    lexical = LexicalIndex.build([f"{a.title}\n{a.text}" for a in articles or (ARTICLE, OTHER)])
    return Answerer(lexical, AnswerSettings(**settings))


def test_question_types():
    assert question_type("An Khê tiếp nhận bao nhiêu đơn?") == "number"
    assert question_type("Tháng Dân vận là tháng mấy?") == "number"
    assert question_type("Nghị quyết 33 ban hành năm nào?") == "time"
    assert question_type("khi nao nghi quyet ban hanh") == "time"
    assert question_type("Ai là Bí thư Thị ủy?") == "name"
    assert question_type("Công tác dân vận là gì?") is None


def test_words_keep_names_and_dictionary_words_together():
    assert words("Dân số Hà Nội là bao nhiêu người?") == [
        ("dân", "số"), ("hà", "nội"), ("là",), ("bao", "nhiêu"), ("người",)]  # fmt: skip
    assert segment(["tiep", "nhan", "don"], folded=True) == [("tiep", "nhan"), ("don",)]


def test_the_sentence_holding_the_asked_number_is_quoted_verbatim():
    a = answerer(max_sentences=1)
    answer = a.answer(read_query("Thị xã An Khê tiếp nhận bao nhiêu đơn?"), hits_for(ARTICLE, OTHER))
    assert not answer.abstained
    [c] = answer.citations
    assert c.quote == "Trong 10 năm, thị xã đã tiếp nhận 2.054 đơn khiếu nại."
    assert c.passage[c.start : c.end] == c.quote and c.source == "seeds/an-khe.txt"
    assert answer.text == f"{c.quote} [1]"


def test_a_name_question_prefers_the_sentence_with_a_new_name():
    answer = answerer(max_sentences=1).answer(read_query("Ai là Bí thư Thị ủy An Khê?"), hits_for(ARTICLE))
    assert "Nguyễn Thị Thanh Lịch" in answer.citations[0].quote


def test_a_second_sentence_only_when_it_scores_close_to_the_first():
    q = read_query("Thị xã An Khê tiếp nhận bao nhiêu đơn?")
    hand = {"scorer": "hand", "max_sentences": 2}
    assert len(answerer(**hand, second_ratio=0.0).answer(q, hits_for(ARTICLE)).citations) == 2
    assert len(answerer(**hand, second_ratio=1.01).answer(q, hits_for(ARTICLE)).citations) == 1
    # the learned scorer: a further sentence when its probability reaches `second` times the first's
    lexical = sc.shipped("lexical")
    for second, quoted in ((0.0, 2), (1.01, 1)):
        w = replace(lexical, second=second)
        assert len(answerer(max_sentences=2, weights=w).answer(q, hits_for(ARTICLE)).citations) == quoted


def test_abstains_when_the_question_words_are_not_in_the_passage():
    a = answerer()
    for question in ["Dân số Hà Nội là bao nhiêu người?", "Giá vàng hôm nay là bao nhiêu?"]:
        answer = a.answer(read_query(question), hits_for(ARTICLE, OTHER))
        assert answer.abstained and answer.text == ABSTAIN_MESSAGE and answer.citations == []
        assert answer.hits  # the closest passages are still offered


def test_a_question_without_diacritics_has_its_own_abstention_threshold():
    lexical = sc.shipped("lexical")
    typed, plain = "Thị xã An Khê tiếp nhận bao nhiêu đơn?", "thi xa an khe tiep nhan bao nhieu don"
    for below, below_folded, abstained in ((-1e9, 1e9, (False, True)), (1e9, -1e9, (True, False))):
        w = replace(lexical, abstain_below=below, abstain_below_folded=below_folded)
        got = tuple(
            answerer(weights=w).answer(read_query(q), hits_for(ARTICLE)).abstained for q in (typed, plain)
        )
        assert got == abstained
    # weights fitted before there were two thresholds: one serves both
    old = sc.Weights.from_dict({k: v for k, v in lexical.to_dict().items() if k != "abstain_below_folded"})
    assert old.abstains_below(True) == old.abstains_below(False) == lexical.abstain_below
    assert sc.shipped("vectors").abstain_below_folded is not None


def test_abstains_on_a_number_question_when_the_passage_has_no_new_number():
    a = answerer()
    text = "Thị xã An Khê tổ chức đối thoại với người dân về COVID-19."
    art = Article("x", "x.txt", "An Khê", text)
    answer = a.answer(read_query("An Khê có bao nhiêu người mắc COVID-19?"), hits_for(art))
    assert answer.abstained


def test_rerank_lifts_the_passage_with_an_answering_sentence():
    a = answerer()
    q = read_query("Hà Giang có bao nhiêu mô hình?")
    hits = a.rerank(a.read(q), hits_for(ARTICLE, OTHER))
    assert hits[0].article.id == "ha-giang" and [h.rank for h in hits] == [1, 2]
    assert hits[0].scores["answer"] > hits[1].scores["answer"]


def test_rerank_returns_new_hits_and_leaves_the_retrieved_ones_as_they_were():
    a = answerer()
    retrieved = hits_for(ARTICLE, OTHER)
    before = [(h.article.id, h.rank, h.score, dict(h.scores)) for h in retrieved]
    reranked = a.rerank(a.read(read_query("Hà Giang có bao nhiêu mô hình?")), retrieved)
    assert [h.article.id for h in reranked] == ["ha-giang", "an-khe"]
    assert [(h.article.id, h.rank, h.score, h.scores) for h in retrieved] == before
    assert all("answer" not in h.scores for h in retrieved)


def test_a_missing_word_list_is_an_error_not_an_empty_lexicon(tmp_path, monkeypatch):
    import pytest

    from rag.errors import RagError
    from rag.text import words as words_module

    assert len(words_module.lexicon()[0]) == 25_426  # the shipped list's multi-syllable words, all of them
    monkeypatch.setattr(words_module, "WORD_LIST", tmp_path / "missing.txt")
    words_module.lexicon.cache_clear()
    try:
        with pytest.raises(RagError, match="word list .*missing.txt cannot be read"):
            words_module.lexicon()
        (tmp_path / "missing.txt").write_text("a\nb\n", encoding="utf-8")  # no multi-syllable word
        with pytest.raises(RagError, match="holds no words"):
            words_module.lexicon()
    finally:
        words_module.lexicon.cache_clear()


def test_a_short_answer_is_the_asked_number_with_its_unit_inside_the_quote():
    answer = answerer().answer(read_query("Thị xã An Khê tiếp nhận bao nhiêu đơn?"), hits_for(ARTICLE, OTHER))
    short = answer.short
    assert short is not None and short.text == "2.054 đơn" and short.n == 1
    quote = answer.citations[0].quote
    assert quote[short.start : short.end] == short.text  # offsets into citation n's quote


def test_no_short_answer_when_the_question_asks_for_no_phrase_or_the_answer_abstains():
    a = answerer()
    why = a.answer(read_query("Vì sao công tác tiếp dân được thị xã quan tâm?"), hits_for(ARTICLE))
    assert not why.abstained and why.short is None  # "vì sao" wants a sentence, not a phrase
    none = a.answer(read_query("Giá vàng hôm nay là bao nhiêu?"), hits_for(ARTICLE, OTHER))
    assert none.abstained and none.short is None


def test_the_short_answer_is_the_date_next_to_the_asked_word_the_sentence_writes_once():
    # Both programmes' dates sit near "Chương trình hành động ... CTr/TU"; only "05" tells them apart.
    plans = article(
        "dan-van",
        "Công tác dân vận của tỉnh",
        "Ban Dân vận Tỉnh ủy sẽ triển khai Chương trình hành động 07-CTr/TU, ngày 13/8/2021 của Ban Chấp"
        " hành Đảng bộ tỉnh về thực hiện Nghị quyết Đại hội; Chương trình hành động 05-CTr/TU, ngày"
        " 1/4/2021 của Ban Chấp hành Đảng bộ tỉnh về xây dựng Đảng.",
    )
    answer = answerer(plans, OTHER).answer(
        read_query("Chương trình hành động 05-CTr/TU được ban hành ngày nào?"), hits_for(plans, OTHER)
    )
    assert answer.short is not None and answer.short.text.endswith("1/4/2021"), answer.short


def test_a_range_is_one_short_answer_and_a_percentage_takes_no_unit():
    # Either end of a range alone states what the article does not ("85% tùy", "1,2 tỷ người" before).
    worms = article(
        "giun",
        "Bệnh giun đũa ở trẻ em",
        "Bệnh giun đũa rất phổ biến ở nước ta. Trên thế giới có khoảng 800 triệu đến 1,2 tỷ người mắc"
        " giun đũa. Nếu được điều trị sớm, tỷ lệ khỏi bệnh của bệnh nhân là 75-85% tùy giai đoạn.",
    )
    a = answerer(worms, OTHER)
    for question, expected in (
        ("Tỷ lệ khỏi bệnh của bệnh nhân là bao nhiêu?", "75-85%"),
        ("Trên thế giới có bao nhiêu người mắc giun đũa?", "800 triệu đến 1,2 tỷ người"),
    ):
        answer = a.answer(read_query(question), hits_for(worms, OTHER))
        assert answer.short is not None and answer.short.text == expected, (question, answer.short)
        assert answer.citations[0].quote[answer.short.start : answer.short.end] == expected
