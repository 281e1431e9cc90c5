"""Embedding models: one module per backend behind `Embedder`, chosen by name (RAG_BACKEND)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import DEFAULT_BACKEND, DEFAULT_MODEL
from ..errors import RagError
from .base import Embedder
from .onnx_embedder import OnnxEmbedder, _onnx_int8
from .torch_embedder import TorchEmbedder

BACKENDS: dict[str, Callable[..., Embedder]] = {
    "torch": TorchEmbedder,
    "onnx": OnnxEmbedder,
    "onnx-int8": _onnx_int8,
}


def load_embedder(
    model: str = DEFAULT_MODEL, backend: str = DEFAULT_BACKEND, cache: Path | None = None
) -> Embedder:
    if backend not in BACKENDS:
        raise RagError(f"unknown embedding backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    return BACKENDS[backend](model=model, cache=cache)
