"""An answer keeps to the place the question names: "tỉnh ta" of a Hà Giang article does not answer a
question about Bắc Giang; each quote that leaves its place implicit says whose it is."""

from __future__ import annotations

import pytest

from rag.lexical.bm25 import LexicalIndex
from rag.query.analyse import read_query
from rag.query.extract import Answerer, AnswerSettings
from rag.query.grounding import Grounder, about, named
from rag.schema import Article, Chunk, Hit

HA_GIANG = "seeds/003_14835b168dfc66a9.txt"
BAC_GIANG = "seeds/004_d49cf3208f0479d4.txt"
AN_GIANG = "seeds/002_3668a75ce5a9aaf6.txt"


def test_articles_are_about_the_place_of_their_title_or_body(pipeline):
    places = {a.path: about(a).main for a in pipeline.store.articles.values()}
    assert places[BAC_GIANG].name == "Bắc Giang"
    assert places[HA_GIANG].name == "Hà Giang"  # its title names no place; its body and districts do
    assert places["seeds/001_d75d204a71cd5d84.txt"].name == "An Khê"


def test_what_a_question_names():
    assert [p.name for p in named("bac giang co bao nhieu mo hinh dan van kheo").places] == ["Bắc Giang"]
    assert named("Kiến trúc sư người Đức nào?").places == ()  # a people, not a place asked about
    assert [m.text for m in named("Ông Ngô Văn Thuận được trao gì?").persons] == ["Ngô Văn Thuận"]


def test_typed_without_diacritics_a_place_in_lower_case_is_one_only_if_restored_as_one():
    def places(question, restored=None):
        return [p.name for p in named(question, restored).places]

    plain = "Phi cong nguoi Duc nao co to tien la nguoi Huguenot?"
    assert places(plain) == ["Cô Tô"]  # folded, "co to" spells the district
    assert places(plain, "Phi công người Đức nào có tổ tiên là người Huguenot?") == []
    assert places("tieu thu do uong tang bao nhieu", "tiêu thụ đồ uống tăng bao nhiêu") == []
    assert places("tieu thu do uong o thu do tang", "tiêu thụ đồ uống ở thủ đô tăng") == ["Hà Nội"]
    assert places("bac giang co bao nhieu mo hinh", "bắc giang có bao nhiêu mô hình") == ["Bắc Giang"]
    # capitalised, a place stays one whatever the restorer made of it; a question's first capital
    # says nothing ("Con dao" is a knife, "Con Dao" the islands)
    assert places("Co To co bao nhieu dao?", "Có Tổ có bao nhiêu đảo?") == ["Cô Tô"]
    assert places("Con dao co nhung dac diem gi?", "Con dao có những đặc điểm gì?") == []
    assert places("Con Dao co nhung bai bien nao?", "Con Dao có những bãi biển nào?") == ["Côn Đảo"]


@pytest.mark.parametrize(
    "question, source, figure",
    [
        ("Bắc Giang đã xây dựng bao nhiêu mô hình Dân vận khéo?", BAC_GIANG, "4,2 nghìn"),
        ("an giang co bao nhieu mo hinh dan van kheo", AN_GIANG, "2.374"),
    ],
)
def test_a_sentence_about_another_province_does_not_answer(pipeline, question, source, figure):
    answer = pipeline.ask(question)
    assert figure in answer.text
    assert {c.source for c in answer.citations} == {source}
    assert "1.115" not in answer.text  # Hà Giang's "tỉnh ta đã xây dựng ... 1.115 mô hình"


def test_a_province_no_article_is_about_gets_no_answer(pipeline):
    answer = pipeline.ask("Đà Nẵng có bao nhiêu mô hình Dân vận khéo?")
    assert answer.abstained and not answer.citations


def test_an_implicit_subject_is_shown_with_its_place(pipeline):
    answer = pipeline.ask("Hà Giang có bao nhiêu mô hình Dân vận khéo?")
    c = answer.citations[0]
    assert "tỉnh ta" in c.quote and "1.115" in c.quote
    assert c.context == "Hà Giang" and answer.to_dict()["citations"][0]["context"] == "Hà Giang"
    # a quote that names its place needs none
    named_itself = pipeline.ask(
        "Ban Dân vận Tỉnh ủy An Giang ký kết kế hoạch phối hợp với Ban Dân vận Thành ủy nào?"
    )
    assert named_itself.citations[0].context is None


def test_a_second_sentence_comes_from_the_same_article(pipeline):
    answer = pipeline.ask("Năm 2020 An Giang có bao nhiêu mô hình Dân vận khéo?")
    assert len({c.article_id for c in answer.citations}) == 1


def test_a_pdf_article_read_back_from_the_store_is_grounded_too():
    pdf = Article(
        id="bc", path="seeds/bc.pdf", title="Báo cáo của tỉnh Bắc Giang",
        text="Tỉnh Bắc Giang có 1.135 mô hình. Trang hai.", pages=[0, 30],
    )  # fmt: skip
    assert pdf.pages == (0, 30) and hash(pdf)  # pages come back from JSON as a list
    assert about(pdf).main.name == "Bắc Giang" and pdf.page_at(31) == 2


def test_a_question_typed_without_diacritics_is_grounded_as_restored():
    # the article is about Hà Nội; folded, "co to tien" would ask about the district Cô Tô and drop it
    text = "Ông Trần Văn Tâm sống ở Hà Nội. Ông Tâm có tổ tiên là người Pháp, sang Việt Nam từ năm 1890."
    a = Article(id="tam", path="seeds/tam.txt", title="Một gia đình ở Hà Nội", text=text)
    other = Article(id="x", path="seeds/x.txt", title="Thời tiết", text="Trời mưa to cả ngày.")
    hits = [Hit(Chunk(a.id, 0, 0, len(text), text), a, 1.0, 1)]
    answerer = Answerer(
        LexicalIndex.build([f"{x.title}\n{x.text}" for x in (a, other)]),
        AnswerSettings(scorer="hand", max_sentences=1),
        steps=(Grounder(),),
    )

    class Restorer:
        @staticmethod
        def restore(question):
            return "Ông Tâm có tổ tiên là người nước nào?"

    plain = "Ong Tam co to tien la nguoi nuoc nao?"
    restored = answerer.answer(read_query(plain, Restorer()), hits)
    assert not restored.abstained and "người Pháp" in restored.citations[0].quote
    assert answerer.answer(read_query(plain), hits).abstained  # read folded alone: "about Cô Tô"
