"""Embedding models: one module per backend behind `Embedder`, chosen by name (Settings.backend,
RAG_BACKEND). A backend's module is imported only when it is chosen, so this package is light."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Settings
    from .base import Embedder

# name -> (module of this package, class, options)
BACKENDS: dict[str, tuple[str, str, dict]] = {
    "onnx-int8": ("onnx_embedder", "OnnxEmbedder", {"int8": True}),
    "onnx": ("onnx_embedder", "OnnxEmbedder", {}),
    "torch": ("torch_embedder", "TorchEmbedder", {}),
}


def load_embedder(settings: Settings | None = None, **changes) -> Embedder:
    """The embedder `settings` names (model, backend, threads ...), with `changes` applied."""
    from ..config import Settings

    settings = (settings or Settings()).with_(**changes)
    module, name, options = BACKENDS[settings.backend]
    cls = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    embedder = cls.from_settings(settings, **options)
    embedder.sentence_vectors = settings.sentence_vectors  # how every backend makes them (base.py)
    return embedder
