"""Questions limited to a source and a date range: inside the search, so the best passages of the
chosen articles are found even where the best of all articles would have crowded them out."""

from __future__ import annotations

import json
from datetime import date

import faiss
import numpy as np
import pytest

from rag.config import Settings
from rag.errors import QuestionError
from rag.pipeline import Pipeline, build_index
from rag.query.analyse import read_query
from rag.query.filters import Filters, parse_day
from rag.query.retrieve import RetrievalSettings, Retriever
from rag.store.dense import index_kind
from rag.store.dense.base import EXACT_BELOW
from rag.store.store import Store

from .conftest import run_cli


@pytest.mark.parametrize(
    ("text", "end", "day"),
    [
        ("2023-05-19", False, date(2023, 5, 19)),
        ("19/05/2023", False, date(2023, 5, 19)),
        ("2023-05", False, date(2023, 5, 1)),
        ("2023-05", True, date(2023, 5, 31)),
        ("2024-02", True, date(2024, 2, 29)),
        ("2023", False, date(2023, 1, 1)),
        ("2023", True, date(2023, 12, 31)),
    ],
)
def test_dates_as_people_write_them(text, end, day):
    assert parse_day(text, end=end, what="x") == day


@pytest.mark.parametrize("bad", ["hôm qua", "2023-13-01", "31/02/2023", "23"])
def test_a_date_it_cannot_read_is_a_clear_error(bad):
    with pytest.raises(QuestionError, match="không phải một ngày"):
        Filters.parse(since=bad)


def test_an_empty_range_is_refused():
    with pytest.raises(QuestionError, match="Khoảng ngày trống"):
        Filters.parse(since="2024", until="2023")


def make_articles(folder):
    """Ten articles of one paper, all about the rice price, and one of another paper that mentions it
    once among other news: unfiltered, the ten crowd the one out of every retriever's candidates."""
    folder.mkdir()
    rows = []
    for i in range(10):
        rows.append(
            {
                "id": f"a{i}",
                "title": f"Giá lúa tăng mạnh, nông dân phấn khởi (kỳ {i})",
                "date": f"2022-0{1 + i % 9}-15",
                "source": "baonongthon.vn",
                "text": f"Giá lúa ở đồng bằng sông Cửu Long tăng lên {6000 + 100 * i} đồng/kg. Giá lúa tăng "
                "giúp nông dân có lãi. Thương lái thu mua lúa tại ruộng với giá cao hơn năm trước.",
            }
        )
    rows.append(
        {
            "id": "b0",
            "title": "Tin vắn tỉnh Bắc Giang ngày 3/3/2023",
            "date": "2023-03-03",
            "source": "baobacgiang.vn",
            "text": "Tỉnh khánh thành cầu Đồng Sơn dài 1.020 m. Trường THPT Lục Ngạn đạt chuẩn quốc gia. "
            "Tại Bắc Giang, giá lúa tháng 3 ở mức 5.900 đồng/kg, thấp hơn cùng kỳ.",
        }
    )
    rows.append({"id": "c0", "title": "Giá lúa hôm nay", "source": "baobacgiang.vn",
                 "text": "Giá lúa hôm nay ở Bắc Giang ổn định ở mức 5.900 đồng/kg."})  # no date  # fmt: skip
    (folder / "tin.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, embedder) -> Pipeline:
    root = tmp_path_factory.mktemp("crowded")
    make_articles(root / "seeds")
    settings = Settings(root=root)
    build_index(settings, embedder=embedder, show_progress=False, log=lambda m: None)
    return Pipeline(settings, Store.load(settings.store), embedder)


def test_the_filter_applies_inside_the_search_not_after_it(crowded):
    few = Retriever(crowded.store, crowded.embedder, RetrievalSettings(candidates=5))
    query = read_query("giá lúa bao nhiêu đồng một kg", crowded.retriever.restorer)
    unfiltered = few.search(query, 5)
    assert "b0" not in {h.article.id for h in unfiltered}  # crowded out of every retriever's candidates
    hits = few.search(query, 5, Filters.parse("Báo Bắc Giang"))
    assert {h.article.id for h in hits} == {"b0", "c0"}  # all the chosen paper has, and nothing else


def test_a_filtered_question_is_answered_from_the_chosen_articles(crowded):
    answer = crowded.ask(
        "Giá lúa ở Bắc Giang bao nhiêu đồng/kg?", filters=Filters.parse(since="2023", until="2023")
    )
    assert not answer.abstained
    assert {c.article_id for c in answer.citations} == {"b0"}  # c0 has no date: outside every range
    assert "5.900 đồng/kg" in answer.citations[0].quote
    assert answer.to_dict()["filters"] == {"source": [], "since": "2023-01-01", "until": "2023-12-31"}


def test_a_follow_up_is_completed_and_searched_within_the_filter(crowded):
    first = crowded.ask("Tỉnh Bắc Giang khánh thành cầu nào?")
    assert "Đồng Sơn" in first.text
    answer = crowded.ask(
        "Ở đó giá lúa bao nhiêu đồng/kg?",
        history=[{"question": first.question, "answer": first.to_dict()}],
        filters=Filters.parse(since="2023", until="2023"),
    )
    assert "Bắc Giang" in answer.standalone  # completed from the conversation
    assert {c.article_id for c in answer.citations} == {"b0"}  # and searched inside the filter
    assert "5.900 đồng/kg" in answer.citations[0].quote


def test_a_filter_no_article_matches_says_so(crowded):
    answer = crowded.ask("Giá lúa bao nhiêu?", filters=Filters.parse("vnexpress"))
    assert answer.abstained and not answer.hits
    assert answer.notice == "Không có bài viết nào khớp bộ lọc (nguồn vnexpress)."


def test_sources_match_by_publisher_or_site_folded(crowded):
    facets = crowded.retriever.facets
    ids = np.array(list(crowded.store.articles))
    for name in ["baobacgiang.vn", "BAOBACGIANG", "bắc giang", "https://www.baobacgiang.vn/"]:
        assert set(ids[facets.articles(Filters.parse(name))]) == {"b0", "c0"}, name
    both = Filters.parse(["bac giang", "nong thon"])
    assert facets.articles(both).all()


def test_the_cli_and_its_mistakes(crowded):
    home = {"RAG_HOME": str(crowded.settings.root)}
    run = run_cli(
        "ask", "--json", "--source", "baobacgiang.vn", "--since", "2023-01-01", "Giá lúa bao nhiêu?", env=home
    )
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert d["filters"] == {"source": ["baobacgiang.vn"], "since": "2023-01-01", "until": None}
    assert {p["article_id"] for p in d["passages"]} == {"b0"}
    bad = run_cli("ask", "--until", "31/02/2023", "Giá lúa bao nhiêu?", env=home)
    assert bad.returncode == 1 and bad.stderr.startswith(
        "rag: error: Đến ngày: '31/02/2023' không phải một ngày"
    )
    assert "Traceback" not in bad.stderr


def random_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_top(x: np.ndarray, q: np.ndarray, mask: np.ndarray, k: int) -> list[int]:
    rows = np.flatnonzero(mask)
    return rows[np.argsort(-(x[rows] @ q))[:k]].tolist()


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
@pytest.mark.parametrize("share", [0.01, 0.1, 0.6])
def test_every_dense_index_kind_searches_only_the_chosen_rows(kind, share):
    n, k = 4000, 10
    x = random_vectors(n)
    if kind == "flat":
        index = faiss.IndexFlatIP(x.shape[1])
    elif kind == "hnsw":
        index = faiss.IndexHNSWSQ(x.shape[1], faiss.ScalarQuantizer.QT_fp16, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(x.shape[1]),
            x.shape[1],
            32,
            faiss.ScalarQuantizer.QT_fp16,
            faiss.METRIC_INNER_PRODUCT,
        )
        index.nprobe = 16
    index.train(x)
    index.add(x)
    entry = {"type": kind, "ef_search": 128, "nprobe": 16}
    dense = index_kind(kind)(index, entry)
    mask = np.random.default_rng(1).random(n) < share
    queries = random_vectors(20, seed=2)
    found = 0
    for q in queries:
        _, rows = dense.search(q[None, :], k, mask)
        got = [int(r) for r in rows[0] if r >= 0]
        assert got and all(mask[got])  # never a row outside the filter
        truth = exact_top(x, q, mask, k)
        found += len(set(got) & set(truth))
        if share < EXACT_BELOW:  # few rows: scanned exactly
            assert got == truth
    assert found / (k * len(queries)) >= 0.9


def test_no_chosen_row_gives_no_result():
    index = faiss.IndexFlatIP(32)
    index.add(random_vectors(100))
    dense = index_kind("flat")(index, {"type": "flat"})
    scores, rows = dense.search(random_vectors(1, seed=3), 10, np.zeros(100, bool))
    assert rows.shape == (1, 0)
