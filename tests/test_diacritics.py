from rag.ingest import read_articles
from rag.lexical.diacritics import DiacriticRestorer
from rag.text.normalise import tokens

from .conftest import ROOT, SEEDS


def seed_restorer():
    articles, _ = read_articles(SEEDS, ROOT)
    return DiacriticRestorer.from_tokens(tokens(a.title + "\n" + a.text) for a in articles)


def test_questions_typed_without_diacritics_are_restored_from_the_articles():
    r = seed_restorer()
    assert r.restore("an khe tiep nhan bao nhieu don") == "an khê tiếp nhận bao nhiêu đơn"
    assert r.restore("bi thu thi uy an khe la ai") == "bí thư thị ủy an khê là ai"
    assert r.restore("Nghi quyet 33 ban hanh ngay nao?") == "Nghị quyết 33 ban hành ngày nào?"
    assert (
        r.restore("ha giang co bao nhieu mo hinh dan van kheo")
        == "hà giang có bao nhiêu mô hình dân vận khéo"
    )


def test_context_picks_between_words_that_fold_alike():
    # "ban" folds bán/bàn/bạn/bản/ban: the bigrams of the corpus choose
    docs = [["ban", "dân", "vận"]] * 5 + [["bàn", "làm", "việc"]] * 5 + [["bạn", "bè"]] * 5
    r = DiacriticRestorer.from_tokens(docs)
    assert r.restore("ban dan van") == "ban dân vận"
    assert r.restore("ban lam viec") == "bàn làm việc"
    assert r.restore("ban be") == "bạn bè"


def test_unknown_words_case_and_typed_diacritics_are_kept(tmp_path):
    r = seed_restorer()
    assert r.restore("gia xang hom nay") == "gia xang hom nay"  # not in the articles: left as typed
    assert r.restore("Quyet dinh 23-QD/TW") == "Quyết định 23-QĐ/TW"
    assert r.restore("an khê tiep nhan") == "an khê tiếp nhận"
    assert r.restore("Chi thi 05-CTr/TU ban hanh ngay nao") == "Chỉ thị 05-CTr/TU ban hành ngày nào"
    r.save(tmp_path / "d")
    loaded = DiacriticRestorer.load(tmp_path / "d")
    assert loaded.same_counts(r)
    assert loaded.restore("an khe tiep nhan") == "an khê tiếp nhận"


def test_updating_the_counts_equals_counting_again():
    old = [["ban", "dân", "vận"], ["bàn", "làm", "việc"], ["bạn", "bè"]]
    new = [["ban", "dân", "vận", "khéo"], ["bạn", "học"]]
    updated = DiacriticRestorer.from_tokens(old).updated(removed=[old[1]], added=new)
    assert updated.same_counts(DiacriticRestorer.from_tokens([old[0], old[2], *new]))
    assert updated.restore("ban hoc") == "bạn học"


def test_question_words_win_over_lookalikes_the_articles_use_more():
    # Health news writes "não" (brain) and "đầu" (head) far more than questions' "nào", "đâu": read
    # by the articles' counts alone, "khu vuc nao" was "khu vực não" and "dua den dau" "đưa đến đầu".
    articles, _ = read_articles(SEEDS, ROOT)
    news = [tokens(a.title + "\n" + a.text) for a in articles] * 10
    health = [["viêm", "não", "nhật", "bản"], ["chấn", "thương", "sọ", "não"], ["đau", "đầu", "kéo", "dài"]]
    r = DiacriticRestorer.from_tokens(news + health * 40)
    assert r.restore("Dich benh lan ra khu vuc nao") == "Dịch bệnh lan ra khu vực nào"
    assert r.restore("Benh nhan duoc dua den dau") == "Bệnh nhân được đưa đến đâu"
    assert r.restore("benh viem nao nhat ban") == "bệnh viêm não nhật bản"  # the article's word stays


def test_a_passage_given_as_context_picks_the_word_it_uses():
    # a small corpus where "đóng băng" (freeze) outnumbers "đồng bằng" (delta): the corpus model reads
    # "dong bang" as the former whatever the question is about; the passage it is about says otherwise
    freeze = ["nước", "đóng", "băng", "vào", "mùa", "đông"]
    delta = ["vùng", "đồng", "bằng", "sông", "cửu", "long", "trồng", "lúa"]
    r = DiacriticRestorer.from_tokens([freeze] * 6 + [delta])
    assert r.restore("Biet danh cua dong bang la gi") == "Biet danh của đóng băng là gì"
    assert r.restore("Biet danh cua dong bang la gi", [delta]) == "Biet danh của đồng bằng là gì"
    assert r.restore("nuoc dong bang", [delta]) == "nước đóng băng"  # the corpus still has its say
