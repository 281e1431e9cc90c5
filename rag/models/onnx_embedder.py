"""The onnx and onnx-int8 backends: the exported model on onnxruntime, without torch."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import DEFAULT_MODEL, Settings
from ..errors import RagError
from .base import Embedder, Progress, Spans, onnx_providers, pool_spans, resolve_model_path


class OnnxEmbedder(Embedder):
    """onnxruntime, float32 or dynamic int8, on the CPU (or CUDA where onnxruntime-gpu and RAG_DEVICE allow);
    imports neither torch nor sentence-transformers.

    The graph (exported once by `rag.models.onnx_export`) ends in mean pooling and L2 normalisation; inputs
    are tokenised with the model folder's own `tokenizer.json` and e5 prompts, as the torch backend does.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        cache: Path | None = None,
        *,
        int8: bool = False,
        threads: int = 1,
        workers: int | None = None,
        spin: bool = False,
        device: str = "auto",
    ):
        from .onnx_export import EXPORT_VERSION, ensure_onnx_model

        providers = onnx_providers(device)
        path = resolve_model_path(model, cache)
        if not Path(path).is_dir():
            raise RagError(
                f"the onnx backends need a local model folder, {model!r} is not one: use RAG_BACKEND=torch"
            )
        onnx_file = ensure_onnx_model(Path(path), cache or Settings().cache_dir, int8=int8)
        folder = onnx_file.parent
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model = model
        self.backend = "onnx-int8" if int8 else "onnx"
        self._int8 = int8
        self.runs_alone = int8
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
        options.intra_op_num_threads = threads
        self.workers = workers or os.cpu_count() or 1
        options.log_severity_level = 3
        # Busy-waiting worker threads steal the cores they wait for when the machine is shared.
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        try:
            self._session = ort.InferenceSession(str(onnx_file), options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - a damaged cache file is reported as one line
            raise RagError(f"cannot load {onnx_file} ({exc}): delete it to export it again") from None
        # the provider the session took: CUDA's may fail to load (no device, no CUDA libraries)
        self.device = "cuda" if "CUDAExecutionProvider" in self._session.get_providers() else "cpu"
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    @classmethod
    def from_settings(cls, settings: Settings, **options) -> Embedder:
        return cls(
            settings.model,
            settings.cache_dir,
            threads=settings.threads,
            workers=settings.embed_workers,
            spin=settings.spin,
            device=settings.device,
            **options,
        )

    makes_sentence_vectors = True

    @property
    def variant(self) -> str:
        return self._variant

    def _inputs(self, texts: Sequence[str]) -> tuple[list, dict[str, np.ndarray]]:
        with self._tok_lock:  # the session runs concurrently; the tokenizer is not shared while it works
            enc = self._tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        return enc, {"input_ids": ids, "attention_mask": mask}

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        _, inputs = self._inputs(texts)
        (vecs,) = self._session.run(["embedding"], inputs)
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

    def encode_passages_with_sentences(
        self,
        texts: Sequence[str],
        spans: Sequence[Spans],
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """int8 one passage at a time, as `encode_passages`."""
        return super().encode_passages_with_sentences(texts, spans, 1 if self._int8 else batch_size, progress)

    def _pool_documents_with_sentences(
        self, texts: list[str], spans: list[Spans]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        enc, inputs = self._inputs([self._doc_prompt + t for t in texts])
        vecs, hidden = self._session.run(["embedding", "tokens"], inputs)
        shift = len(self._doc_prompt)
        sentences = [
            pool_spans(hidden[i], np.asarray(e.offsets, dtype=np.int64).reshape(-1, 2), spans[i], shift)
            for i, e in enumerate(enc)
        ]
        return np.asarray(vecs, dtype=np.float32), sentences


def _read_json(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
