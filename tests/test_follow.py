"""A running Pipeline follows the store's CURRENT generation: a build (another process, an upload, a
checkpoint) switches it, and the next question is answered from the new generation, while questions
already under way finish on the one they started with."""

from __future__ import annotations

import logging
import threading

from rag.chunking import ChunkSettings
from rag.config import Settings
from rag.ingest import read_articles
from rag.pipeline import Pipeline
from rag.query.retrieve import Retriever
from rag.store.builder import build_store
from rag.store.layout import current_name
from rag.store.store import Store

from .conftest import ROOT, HashEmbedder, run_cli

QUESTION = "Huyện Đồng Văn đã trồng bao nhiêu cây xanh?"
NEW_ARTICLE = (
    "Đồng Văn trồng cây xanh\n\n"
    "Năm 2024, huyện Đồng Văn đã trồng 12.345 cây xanh trên các tuyến đường của thị trấn.\n"
)


def articles(folder):
    found, problems = read_articles(folder, ROOT)
    assert not problems
    return found


def cites_new_article(answer) -> bool:
    return bool(answer.citations) and answer.citations[0].source.endswith("dong_van.txt")


def test_a_build_from_another_process_is_followed_by_the_next_question(seeds_copy, tmp_path, embedder):
    store_dir = tmp_path / "store"
    build_store(articles(seeds_copy), store_dir, embedder, ChunkSettings())
    pipeline = Pipeline(Settings().with_(store_dir=store_dir), Store.load(store_dir), embedder)
    before = pipeline.ask(QUESTION)
    assert before.abstained and not cites_new_article(before)
    first = pipeline.store.generation

    (seeds_copy / "dong_van.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    proc = run_cli("index", "--seeds", str(seeds_copy), "--store", str(store_dir), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "added 1" in proc.stdout

    after = pipeline.ask(QUESTION)
    assert not after.abstained and cites_new_article(after)
    assert "12.345 cây xanh" in after.citations[0].quote
    assert pipeline.store.generation == current_name(store_dir) != first
    assert pipeline.article(after.citations[0].article_id).text.startswith("Năm 2024")


def test_a_question_under_way_finishes_on_its_generation(seeds_copy, tmp_path, monkeypatch):
    emb = HashEmbedder()
    (seeds_copy / "dong_van.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    store_dir = tmp_path / "store"
    build_store(articles(seeds_copy), store_dir, emb, ChunkSettings())
    pipeline = Pipeline(Settings().with_(store_dir=store_dir), Store.load(store_dir), emb)
    search = Retriever.search
    switched = []

    def search_then_switch(self, query, k, filters=None, vector=None):
        hits = search(self, query, k, filters, vector)
        if not switched:  # mid-question: a build removes the article this question is about
            (seeds_copy / "dong_van.txt").unlink()
            build_store(articles(seeds_copy), store_dir, HashEmbedder(), ChunkSettings())
            switched.append(current_name(store_dir))
        return hits

    monkeypatch.setattr(Retriever, "search", search_then_switch)
    under_way = pipeline.ask(QUESTION)
    assert switched and cites_new_article(under_way)  # answered, whole, from the generation it began on
    quote = under_way.citations[0]
    assert quote.passage[quote.start : quote.end] == quote.quote
    after = pipeline.ask(QUESTION)
    assert pipeline.store.generation == switched[0]
    assert not cites_new_article(after)


def test_questions_from_threads_never_fail_while_builds_switch_generations(seeds_copy, tmp_path):
    emb = HashEmbedder()
    store_dir = tmp_path / "store"
    build_store(articles(seeds_copy), store_dir, emb, ChunkSettings())
    pipeline = Pipeline(Settings().with_(store_dir=store_dir), Store.load(store_dir), emb)
    questions = [QUESTION, "An Khê tiếp nhận bao nhiêu đơn?", "ha giang co bao nhieu mo hinh dan van kheo"]
    stop = threading.Event()
    failures: list[BaseException] = []
    seen: set[str] = set()
    answered = [0]

    def ask_in_a_loop(offset: int) -> None:
        i = offset
        while not stop.is_set():
            try:
                answer = pipeline.ask(questions[i % len(questions)])
                for c in answer.citations:
                    assert c.passage[c.start : c.end] == c.quote
                seen.add(pipeline.store.generation)
                answered[0] += 1
            except BaseException as exc:  # noqa: BLE001 - every failure is the test's finding
                failures.append(exc)
                return
            i += 1

    threads = [threading.Thread(target=ask_in_a_loop, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        for round_ in range(6):  # the article comes and goes: each build switches CURRENT
            path = seeds_copy / "dong_van.txt"
            if round_ % 2 == 0:
                path.write_text(NEW_ARTICLE, encoding="utf-8")
            else:
                path.unlink()
            build_store(articles(seeds_copy), store_dir, HashEmbedder(), ChunkSettings())
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert failures == []
    assert answered[0] > 20 and len(seen) >= 3  # they kept answering, from several generations
    assert pipeline.ask(QUESTION) and pipeline.store.generation == current_name(store_dir)


def test_a_generation_it_cannot_use_is_logged_once_and_the_old_one_kept(seeds_copy, tmp_path, caplog):
    emb = HashEmbedder()
    store_dir = tmp_path / "store"
    build_store(articles(seeds_copy), store_dir, emb, ChunkSettings())
    pipeline = Pipeline(Settings().with_(store_dir=store_dir), Store.load(store_dir), emb)
    first = pipeline.store.generation

    class Other(HashEmbedder):
        model = "test/other"

    build_store(articles(seeds_copy), store_dir, Other(), ChunkSettings())
    with caplog.at_level(logging.WARNING, logger="rag.pipeline"):
        for _ in range(3):
            answer = pipeline.ask("An Khê tiếp nhận bao nhiêu đơn?")
            assert answer.citations and answer.citations[0].source.endswith("001_d75d204a71cd5d84.txt")
    assert pipeline.store.generation == first
    refusals = [r for r in caplog.records if "not switching" in r.getMessage()]
    assert len(refusals) == 1 and "test/other" in refusals[0].getMessage()
