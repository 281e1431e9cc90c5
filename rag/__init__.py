"""Cited, extractive question answering over Vietnamese news articles.

The public API, what the evaluation scripts, benchmarks and other tools build on (the modules keep
their own names for their unit tests). `import rag` is light: each name is imported on first use, so
it loads neither gradio, torch, onnxruntime nor faiss.

    import rag
    pipeline = rag.Pipeline.open(rag.Settings())
    print(pipeline.ask("An Khê tiếp nhận bao nhiêu đơn?").text)
"""

from __future__ import annotations

import importlib

_API = {
    # settings and errors
    "Settings": "rag.config",
    "RagError": "rag.errors",
    "ConfigError": "rag.errors",
    "StoreError": "rag.errors",
    "DamagedStoreError": "rag.errors",
    "OutdatedStoreError": "rag.errors",
    "QuestionError": "rag.errors",
    "InternalError": "rag.errors",
    # the records that cross module lines
    "Article": "rag.schema",
    "Chunk": "rag.schema",
    "Query": "rag.schema",
    "Hit": "rag.schema",
    "Citation": "rag.schema",
    "Answer": "rag.schema",
    # the engine
    "Pipeline": "rag.pipeline",
    "build_index": "rag.pipeline",
    "read_articles": "rag.ingest",
    "Chunker": "rag.chunking",
    "ChunkSettings": "rag.chunking",
    "index_text": "rag.chunking",
    "load_embedder": "rag.models",
    "Store": "rag.store.store",
    "build_store": "rag.store.builder",
    "DenseSettings": "rag.store.dense",
    "build_dense_index": "rag.store.dense",
    "LexicalIndex": "rag.lexical.bm25",
    "LEXICAL_SETTINGS": "rag.lexical.bm25",
    "DiacriticRestorer": "rag.lexical.diacritics",
    "read_query": "rag.query.analyse",
    "Retriever": "rag.query.retrieve",
    "RetrievalSettings": "rag.query.retrieve",
    "Filters": "rag.query.filters",
    "Facets": "rag.query.filters",
    "Library": "rag.library",
    "AnswerSettings": "rag.query.extract",
    "fold": "rag.text.normalise",
    "tokens": "rag.text.normalise",
    # evaluation
    "read_squad": "rag.eval.questions",
    "read_jsonl": "rag.eval.questions",
    "split_of": "rag.eval.questions",
    "squad_store": "rag.eval.runner",
    "score_one": "rag.eval.metrics",
    "summarise": "rag.eval.metrics",
    "contains_answer": "rag.eval.metrics",
    "token_recall": "rag.eval.metrics",
    "squad_em": "rag.eval.metrics",
    "squad_f1": "rag.eval.metrics",
    "percentile": "rag.eval.metrics",
    "recall_at_k": "rag.eval.metrics",
}
_RENAMED = {"build_dense_index": "build", "LEXICAL_SETTINGS": "SETTINGS"}  # public name -> name in its module

__all__ = sorted(_API)


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
