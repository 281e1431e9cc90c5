"""Follow-ups completed from the conversation: ellipsis, pronouns, a missing subject; a question that
stands alone is left alone; the history is whatever the caller passes, in either form."""

from __future__ import annotations

import pytest

from rag.query.conversation import Completer, Turn, parse_history


def chat(pipeline, *questions):
    """Ask in turn, each with the answers before it as history (as the page and the API do)."""
    history, answers = [], []
    for q in questions:
        answer = pipeline.ask(q, history=history)
        answers.append(answer)
        history.append({"question": q, "answer": answer.to_dict()})
    return answers


def test_ellipsis_puts_the_new_place_in_the_old_question(pipeline):
    first, follow, folded = chat(
        pipeline,
        "Năm 2020 An Giang có bao nhiêu mô hình Dân vận khéo?",
        "Còn Bắc Giang thì sao?",
        "con ha giang",
    )
    assert follow.standalone == "Năm 2020 Bắc Giang có bao nhiêu mô hình Dân vận khéo?"
    assert "4,2 nghìn" in follow.text and "2.374" not in follow.text
    assert folded.standalone == "Năm 2020 Hà Giang có bao nhiêu mô hình Dân vận khéo?"  # spelt out
    assert "1.115" in folded.text
    assert first.standalone == first.question  # the first question stands alone


def test_ellipsis_of_a_programme_gets_that_programme_s_date_as_the_short_answer(pipeline):
    # One seed sentence dates both programmes; the short answer must be the asked one's date.
    first, follow = chat(
        pipeline,
        "Chương trình hành động 07-CTr/TU được ban hành ngày nào?",
        "Còn Chương trình hành động 05-CTr/TU thì sao?",
    )
    assert first.short_answer is not None and first.short_answer.text == "ngày 13/8/2021"
    assert follow.standalone == "Chương trình hành động 05-CTr/TU được ban hành ngày nào?"
    assert follow.short_answer is not None and follow.short_answer.text == "ngày 1/4/2021"


def test_a_pronoun_stands_for_whom_the_last_answer_named(pipeline):
    _, follow = chat(
        pipeline, "Chủ tịch Ủy ban MTTQ tỉnh An Giang là ai?", "Ông ấy thăm và động viên lực lượng nào?"
    )
    assert follow.standalone == "Ông Nguyễn Tiếc Hùng thăm và động viên lực lượng nào?"
    assert "lực lượng kiểm soát phòng" in follow.text


def test_the_place_a_question_asked_for_comes_from_its_answer(pipeline):
    _, follow = chat(
        pipeline,
        "Tỉnh nào có 2.374 mô hình Dân vận khéo năm 2020?",
        "Tỉnh đó vận động được bao nhiêu tiền cho an sinh xã hội?",
    )
    assert follow.standalone.startswith("Tỉnh An Giang vận động")
    assert "100 tỷ đồng" in follow.text


def test_a_missing_subject_is_the_topic_of_the_conversation(pipeline):
    _, follow = chat(pipeline, "An Khê tiếp nhận bao nhiêu đơn?", "Đang xét bao nhiêu đơn?")
    assert follow.standalone == "Đang xét bao nhiêu đơn ở An Khê?"
    assert "28 đơn" in follow.text


@pytest.mark.parametrize(
    "before, question",
    [
        ("An Khê tiếp nhận bao nhiêu đơn?", "Giá vàng hôm nay là bao nhiêu?"),
        ("Nghị quyết 33 của Hà Giang được ban hành ngày nào?", "Ai là Trưởng Ban Dân vận Tỉnh ủy Bắc Giang?"),
        ("An Khê tiếp nhận bao nhiêu đơn?", "Con sông nào chạy qua thị xã?"),  # "Con", not "Còn"
    ],
)
def test_a_question_of_its_own_is_not_changed(pipeline, before, question):
    _, after = chat(pipeline, before, question)
    alone = pipeline.ask(question)
    assert after.standalone == question
    assert (after.text, after.abstained) == (alone.text, alone.abstained)


def test_a_follow_up_the_articles_cannot_answer_abstains(pipeline):
    _, follow = chat(pipeline, "Chủ tịch Ủy ban MTTQ tỉnh An Giang là ai?", "Ông ấy bao nhiêu tuổi?")
    assert follow.standalone == "Ông Nguyễn Tiếc Hùng bao nhiêu tuổi?"
    assert follow.abstained


def test_history_of_plain_questions_and_of_answer_objects():
    turns = parse_history(
        [
            "An Khê tiếp nhận bao nhiêu đơn?",
            {"question": "Ai?", "standalone": "Ai là Bí thư Thị ủy An Khê?", "answer": "Bí thư ... [1]"},
            {
                "question": "x",
                "answer": {"answer": "y", "abstained": True, "citations": [{"context": "An Khê"}]},
            },
            42,
            {"no": "question"},
            "  ",
        ]
    )
    assert [t.searched for t in turns] == [
        "An Khê tiếp nhận bao nhiêu đơn?",
        "Ai là Bí thư Thị ủy An Khê?",
        "x",
    ]
    assert turns[1].answer == "Bí thư ..."  # markers dropped
    assert turns[2].abstained and turns[2].answer == "" and turns[2].contexts == ["An Khê"]


def test_completion_without_an_index():
    c = Completer()
    prev = [Turn("Năm 2020 An Giang có bao nhiêu mô hình Dân vận khéo?")]
    assert (
        c.complete("Thế còn năm 2019?", prev).standalone
        == "Năm 2019 An Giang có bao nhiêu mô hình Dân vận khéo?"
    )
    assert c.complete("Ở đâu?", [Turn("Ông Quới bị con vật gì tấn công?")]).standalone == (
        "Ông Quới bị con vật tấn công ở đâu?"
    )
    assert c.complete("Họ của cầu thủ là gì?", prev).how == "unchanged"  # a surname, not "they"


@pytest.mark.parametrize(
    "follow_up",
    [
        "Còn 05-CTr/TU thì sao?",  # the number alone: it was read as the names "CTr", "TU", and the
        # old question came back unchanged, answered for 07-CTr/TU
        "Còn chương trình hành động 05-CTr/TU thì sao?",  # the name in lower case: it was left as typed
        "con chuong trinh hanh dong 05-CTr/TU thi sao",  # typed without diacritics: left as typed too
    ],
)
def test_ellipsis_of_a_document_puts_its_number_under_the_old_name(follow_up):
    prev = [Turn("Chương trình hành động 07-CTr/TU được ban hành ngày nào?")]
    done = Completer().complete(follow_up, prev)
    assert done.standalone == "Chương trình hành động 05-CTr/TU được ban hành ngày nào?"
    assert (done.replaced, done.by) == ("07-CTr/TU", "05-CTr/TU")


def test_ong_ay_stands_for_a_foreign_name_the_last_question_asked_about():
    """The recogniser knows Vietnamese surnames, not "Tesla" or "Luther"; a capitalised name the last
    question was about is still whom "ông ấy" means, but a thing's name is not."""
    c = Completer()
    tesla = [Turn("Tesla chết năm nào?"), Turn("Tesla đã sống ở đâu trong phần lớn cuộc đời mình?")]
    assert c.complete("Ông ấy có mấy người con?", tesla).standalone == "Tesla có mấy người con?"
    luther = [Turn("Một số tác phẩm nổi tiếng nhất của Martin Luther được xuất bản khi nào?")]
    assert c.complete("Ông ấy kết hôn năm nào?", luther).standalone == "Martin Luther kết hôn năm nào?"
    obama = [Turn("Obama đã đến thăm Kenya khi nào?", answer="Barack Obama thăm Kenya vào tháng 7 năm 2015.")]
    assert c.complete("Ông ấy có mấy con gái?", obama).standalone == "Barack Obama có mấy con gái?"  # in full
    things = [Turn("Năm 2020 An Giang có bao nhiêu mô hình Dân vận khéo?")]
    assert c.complete("Ông ấy là ai?", things).how == "unchanged"
    acronym = [Turn("WHO khuyến cáo gì về vắc xin?")]
    assert c.complete("Ông ấy nói gì?", acronym).how == "unchanged"


def test_whom_a_pronoun_stands_for_past_connectives_nationalities_and_mere_names():
    c = Completer()
    # "sau đó" is "after that", no noun to resolve: "ông ấy" after it still is
    khan = [Turn("Khi nào Thiết Mộc Chân được bầu là hãn của người Mông Cổ?")]
    assert c.complete("Ngay sau đó ông ấy thua trận nào?", khan).standalone == (
        "Ngay sau đó Thiết Mộc Chân thua trận nào?"
    )
    # "khi đó" finds no antecedent of its own: the pronoun after it is still read
    assert c.complete("Khi đó ông ấy bao nhiêu tuổi?", khan).standalone == (
        "Khi đó Thiết Mộc Chân bao nhiêu tuổi?"
    )
    # the answer wrote "người Pháp Jean Ribault": the nationality is not part of the name
    ribault = [
        Turn(
            "Ai đã lập bản đồ sông St. Johns năm 1562?",
            answer="Nhà thám hiểm người Pháp Jean Ribault đã lập biểu đồ cho sông St. Johns vào năm 1562.",
        )
    ]
    assert c.complete("Ông ấy mất năm nào?", ribault).standalone == "Jean Ribault mất năm nào?"
    # the last question asked "ở ai" about her: a recognised person, not the capitalised "Y Dược" of
    # the answer, is whom "bà ấy" means
    lan = [
        Turn(
            "Bà ấy cho biết bệnh tâm thần phân liệt thường khởi phát ở ai?",
            standalone="Bà Trương Thị Ngọc Lan cho biết bệnh tâm thần phân liệt thường khởi phát ở ai?",
            answer="Tiến sĩ Trương Thị Ngọc Lan, Phó Viện trưởng Y Dược học Dân tộc TP HCM cho biết bệnh "
            "thường khởi phát ở người trẻ.",
        )
    ]
    assert c.complete("Bà ấy tốt nghiệp trường nào?", lan).standalone == (
        "Bà Trương Thị Ngọc Lan tốt nghiệp trường nào?"
    )


def test_the_noun_a_which_question_asked_about_is_what_its_answer_named():
    # "bộ phim hoạt hình nào": the head noun and "nào" with a modifier between them
    moana = [
        Turn(
            "Con gái út của Jason rất yêu thích bộ phim hoạt hình nào của Disney?",
            answer="Jason cho biết con gái rất thích Moana của Disney, "
            "có nhân vật Maui do The Rock lồng tiếng.",
        )
    ]
    assert Completer().complete("Ai lồng tiếng cho nhân vật Maui trong phim đó?", moana).standalone == (
        "Ai lồng tiếng cho nhân vật Maui trong phim Moana?"
    )
