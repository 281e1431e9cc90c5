import unicodedata

from rag.text.normalise import accent_ratio, fold, nfc, tokens, typed_without_diacritics
from rag.text.sentences import sentence_spans


def test_fold_strips_every_vietnamese_mark_and_keeps_length():
    text = "An Khê tiếp nhận bao nhiêu đơn? Đảng ỹ ữ Ộ"
    assert fold(text) == "An Khe tiep nhan bao nhieu don? Dang y u O"
    assert len(fold(text)) == len(text)


def test_nfc_makes_decomposed_and_composed_words_equal():
    decomposed = unicodedata.normalize("NFD", "tiếp nhận")
    assert decomposed != "tiếp nhận"
    assert nfc(decomposed) == "tiếp nhận"
    assert tokens(decomposed) == ["tiếp", "nhận"]


def test_tokens_keep_numbers_whole_and_lowercase_syllables():
    assert tokens("Tiếp nhận 2.054 đơn, ngày 19.5.2023 (COVID-19)") == [
        "tiếp",
        "nhận",
        "2.054",
        "đơn",
        "ngày",
        "19.5.2023",
        "covid",
        "19",
    ]


def test_question_typed_without_diacritics_is_detected():
    assert typed_without_diacritics("an khe tiep nhan bao nhieu don")
    assert typed_without_diacritics("bi thu thi uy an khe la ai")
    assert not typed_without_diacritics("An Khê tiếp nhận bao nhiêu đơn")
    assert not typed_without_diacritics("Super Bowl 50")  # too few syllables to tell
    assert accent_ratio("An Khê tiếp nhận")[1] == 0.75


def _sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def test_sentences_split_on_periods_but_not_numbers_abbreviations_or_initials():
    text = (
        "An Khê đã tiếp nhận 2.054 đơn. Ban Dân vận Thành ủy TP. Hồ Chí Minh ký kết. "
        "Ông Nguyễn Tấn T. bị lừa 970 triệu đồng! “Dân vận khéo” là gì? 6 tháng đầu năm 2022, tốt."
    )
    assert _sentences(text) == [
        "An Khê đã tiếp nhận 2.054 đơn.",
        "Ban Dân vận Thành ủy TP. Hồ Chí Minh ký kết.",
        "Ông Nguyễn Tấn T. bị lừa 970 triệu đồng!",
        "“Dân vận khéo” là gì?",
        "6 tháng đầu năm 2022, tốt.",
    ]


def test_sentences_end_at_line_breaks_and_offsets_are_exact():
    text = "Tiêu đề không dấu chấm\n\nCâu một. câu này không viết hoa nên không tách.\nCuối"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Tiêu đề không dấu chấm",
        "Câu một. câu này không viết hoa nên không tách.",
        "Cuối",
    ]
    assert all(text[s:e] == text[s:e].strip() for s, e in spans)
