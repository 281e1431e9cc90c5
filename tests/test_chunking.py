from rag.chunking import Chunker, ChunkSettings, index_text
from rag.ingest import read_articles

from .conftest import ROOT, SEEDS


def test_chunks_are_exact_slices_that_cover_the_article_with_overlap():
    settings = ChunkSettings()
    chunker = Chunker(settings)
    articles, _ = read_articles(SEEDS, ROOT)
    for a in articles:
        chunks = chunker.split(a)
        assert chunks and [c.index for c in chunks] == list(range(len(chunks)))
        for c in chunks:
            assert a.text[c.start : c.end] == c.text
            assert len(c.text) <= settings.size
            assert c.article_id == a.id and c.id == f"{a.id}#{c.index}"
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        # only the whitespace between chunks is left out
        assert all(a.text[i].isspace() for i in range(len(a.text)) if i not in covered)
        assert all(b.start >= p.start for p, b in zip(chunks, chunks[1:], strict=False))


def test_long_paragraph_is_split_at_sentence_ends_with_overlap():
    from rag.schema import Article

    sentence = "Câu thứ {} nói về công tác dân vận của tỉnh trong năm 2022."
    text = " ".join(sentence.format(i) for i in range(60))
    chunks = Chunker(ChunkSettings(size=300, overlap=80)).split(Article("x", "x.txt", "T", text))
    assert len(chunks) > 5
    assert all(c.text.endswith(".") for c in chunks)  # sentence boundaries, not mid-word
    assert any(nxt.start < cur.end for cur, nxt in zip(chunks, chunks[1:], strict=False))  # overlap


def test_chunks_stay_well_under_the_model_limit(model_tokenizer):
    articles, _ = read_articles(SEEDS, ROOT)
    settings = ChunkSettings()
    chunker = Chunker(settings)
    longest = max(
        len(model_tokenizer.encode("passage: " + index_text(a, c, settings)).ids)
        for a in articles
        for c in chunker.split(a)
    )
    assert longest < 400


def test_title_heads_the_indexed_text_but_is_not_part_of_the_passage():
    articles, _ = read_articles(SEEDS, ROOT)
    a = articles[0]
    c = Chunker().split(a)[0]
    assert index_text(a, c, ChunkSettings()).startswith(a.title + "\n")
    assert a.title not in c.text
    assert index_text(a, c, ChunkSettings(title_in_index=False)) == c.text
