"""Entities of questions, answers and articles: the places, persons, organisations, documents and times
the follow-up rewriter and the grounding step rely on."""

from __future__ import annotations

import pytest

from rag.text.entities import gazetteer, mentions, name_key


def kinds(text: str, **kw) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in mentions(text, **kw)]


def places(text: str, **kw) -> list[str]:
    return [m.place.name for m in mentions(text, **kw) if m.place is not None]


def test_places_with_and_without_their_kind():
    assert places("Năm 2020 An Giang có bao nhiêu mô hình Dân vận khéo?") == ["An Giang"]
    assert places("Đồng Nai có bao nhiêu khu công nghiệp?") == ["Đồng Nai"]  # "Đồng" opens the sentence
    assert places("trên địa bàn thị xã An Khê") == ["An Khê"]
    assert mentions("trên địa bàn thị xã An Khê")[0].head == "thị xã"
    # a place the gazetteer does not know, after its kind
    (m,) = mentions("Thôn biên giới bình yên tại xã Tả Ván")
    assert (m.kind, m.text, m.place.kind) == ("place", "Tả Ván", "xã")


def test_typed_without_diacritics_the_gazetteer_is_matched_folded():
    assert places("con bac giang") == ["Bắc Giang"]
    assert places("an giang co bao nhieu mo hinh dan van kheo") == ["An Giang"]
    assert kinds("ai la truong ban dan van tinh uy bac giang") == [
        ("role", "truong ban"),
        ("place", "bac giang"),
    ]
    # a name does not start in lower case and go on in capitals: not "bien Hoa" (Biên Hòa) here
    assert places("Y kien ve vu tai bien Hoa Binh la gi?") == ["Hòa Bình"]


def test_districts_lie_in_their_province():
    g = gazetteer()
    assert g.within(g.get("Yên Minh"), g.get("Hà Giang"))
    assert g.within(g.get("An Khê"), g.get("Gia Lai"))
    assert not g.within(g.get("Bắc Quang"), g.get("Bắc Giang"))
    assert g.get("TP.HCM").name == "Hồ Chí Minh" and g.get("thanh hoa").name == "Thanh Hóa"


def test_the_president_is_not_the_city():
    assert kinds("lời dạy của Chủ tịch Hồ Chí Minh") == [("role", "Chủ tịch"), ("person", "Hồ Chí Minh")]
    assert places("Ban Dân vận Thành ủy TP. Hồ Chí Minh") == ["Hồ Chí Minh"]


def test_persons_after_roles_and_titles():
    assert kinds("Bí thư Thị ủy Nguyễn Thị Thanh Lịch trực tiếp làm việc") == [
        ("role", "Bí thư Thị ủy"),
        ("person", "Nguyễn Thị Thanh Lịch"),
    ]
    assert kinds("Ông Ngô Văn Thuận được trao tặng phần thưởng gì?") == [("person", "Ngô Văn Thuận")]
    assert kinds("Các đồng chí: Lại Thanh Sơn - Ủy viên Ban Thường vụ Tỉnh ủy")[0] == (
        "person",
        "Lại Thanh Sơn",
    )


def test_organisations_keep_the_place_they_name():
    (m,) = mentions("Chủ tịch Ủy ban MTTQ Việt Nam tỉnh An Giang")
    assert m.kind == "role" and m.place.name == "An Giang"  # the narrower place, not Việt Nam
    (org,) = [x for x in mentions("Công an quận Đống Đa (TP Hà Nội) cho biết") if x.kind == "org"]
    assert org.text == "Công an quận Đống Đa" and org.place.name == "Đống Đa"


def test_documents_times_and_quoted_names():
    got = kinds("Ngày 19.5.2023, Ban Thường vụ Tỉnh ủy ban hành Nghị quyết 33, định hướng đến năm 2030.")
    assert (
        ("time", "Ngày 19.5.2023") in got and ("doc", "Nghị quyết 33") in got and ("time", "năm 2030") in got
    )
    assert ("doc", "Chỉ thị số 05-CT/TW") in kinds("Thực hiện Chỉ thị số 05-CT/TW của Bộ Chính trị")
    assert ("quote", "Dân vận khéo") in kinds("mô hình “Dân vận khéo” được duy trì")


def test_a_document_s_number_is_one_mention_with_or_without_its_name():
    # "CTr", "TTg" are parts of the number, not names (they were read as two names "CTr", "TU")
    got = kinds("Chương trình hành động 07-CTr/TU được ban hành ngày nào?")
    assert ("doc", "Chương trình hành động 07-CTr/TU") in got and not any(k == "name" for k, _ in got)
    assert ("doc", "Chỉ thị 17/CT-TTg") in kinds("Theo Chỉ thị 17/CT-TTg của Thủ tướng")
    assert ("doc", "05-CTr/TU") in kinds("Còn 05-CTr/TU thì sao?")
    assert ("doc", "chương trình hành động 05-CTr/TU") in kinds("còn chương trình hành động 05-CTr/TU")
    assert not any(k == "doc" for k, _ in kinds("kế hoạch 5 năm tới"))  # a common noun before a count
    assert not any(k == "doc" for k, _ in kinds("ngày 1/4/2021"))  # a date is no document number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Thủ tướng Anh là ai?", [("role", "Thủ tướng"), ("place", "Anh")]),
        ("Anh ấy ở trong đội", []),  # a pronoun, not England
        ("Đảng và Nhà nước", [("name", "Nhà nước")]),  # a lone capitalised common word is no name
        ("Toyota cho biết họ sẽ đóng cửa nhà máy ở Victoria", [("name", "Toyota"), ("place", "Victoria")]),
        # after "người" a country is a nationality: the name is what follows it
        ("Nhà thám hiểm người Pháp Jean Ribault", [("place", "Pháp"), ("name", "Jean Ribault")]),
        ("Ca sĩ Mỹ Tâm hát", [("person", "Mỹ Tâm")]),  # no "người": "Mỹ" opens a given name
    ],
)
def test_capitalised_words_that_are_or_are_not_names(text, expected):
    assert kinds(text) == expected


def test_keys_join_spellings():
    assert name_key("Thanh Hoá") == name_key("thanh hóa") == name_key("thanh hoa") == "thanh hoa"
