"""The torch backend: sentence-transformers on PyTorch, float32, on CUDA where RAG_DEVICE and torch allow."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import RagError
from .base import Embedder, Spans, pool_spans, resolve_model_path, torch_device


class TorchEmbedder(Embedder):
    """sentence-transformers on PyTorch, float32, on the device `torch_device` chooses."""

    backend = "torch"

    def __init__(self, model: str = DEFAULT_MODEL, cache: Path | None = None, *, device: str = "auto"):
        self.device = torch_device(device)
        path = resolve_model_path(model, cache)
        if Path(path).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        try:
            self._st = SentenceTransformer(path, device=self.device)
        except Exception as exc:  # noqa: BLE001 - any loader failure is reported the same way
            raise RagError(f"cannot load embedding model {model!r}: {exc}") from exc
        self.model = model
        self.dim = int(self._st.get_embedding_dimension())
        prompts = self._st.prompts or {}
        # e5 needs its prefixes; a model without configured prompts gets e5's by name.
        self._query_prompt = prompts.get("query", "query: ")
        self._doc_prompt = prompts.get("document", prompts.get("passage", "passage: "))

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int = 32) -> np.ndarray:
        vecs = self._st.encode(
            list(texts),
            prompt=prompt,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def _encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._doc_prompt, batch_size=len(texts))

    makes_sentence_vectors = True

    def _pool_documents_with_sentences(
        self, texts: list[str], spans: list[Spans]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        import torch

        prompted = [self._doc_prompt + t for t in texts]
        enc = self._st.tokenizer(
            prompted,
            padding=True,
            truncation=True,
            max_length=self._st.max_seq_length,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = enc.pop("offset_mapping").numpy()
        with torch.no_grad():
            out = self._st.forward({k: v.to(self.device) for k, v in enc.items()})
        tokens = out["token_embeddings"].cpu().numpy()
        vecs = out["sentence_embedding"].cpu().numpy().astype(np.float32)
        shift = len(self._doc_prompt)
        return vecs, [pool_spans(tokens[i], offsets[i], spans[i], shift) for i in range(len(texts))]
