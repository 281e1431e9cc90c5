"""RAG_DEVICE: a CUDA device where the backend can use one, else the CPU (this machine has no GPU)."""

import pytest

from rag.config import Settings
from rag.errors import ConfigError, RagError
from rag.models.base import onnx_providers, torch_device


def test_without_a_gpu_auto_chooses_the_cpu(embedder, monkeypatch):
    import onnxruntime as ort
    import torch

    if torch.cuda.is_available() or "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has a CUDA device or provider")
    monkeypatch.delenv("RAG_DEVICE", raising=False)
    assert Settings().device == "auto"
    assert torch_device("auto") == "cpu"
    assert onnx_providers("auto") == ["CPUExecutionProvider"]
    assert embedder.device == "cpu"  # the session fixture's embedder (RAG_DEVICE unset)
    for ask in (torch_device, onnx_providers):
        with pytest.raises(RagError, match="RAG_DEVICE=cuda"):
            ask("cuda")


def test_a_cuda_device_is_chosen_when_the_runtime_has_one(monkeypatch):
    import onnxruntime as ort
    import torch

    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert (
        onnx_providers("auto") == onnx_providers("cuda") == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert onnx_providers("cpu") == ["CPUExecutionProvider"]
    assert torch_device("auto") == torch_device("cuda") == "cuda"
    assert torch_device("cpu") == "cpu"


def test_an_unknown_device_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("RAG_DEVICE", "tpu")
    with pytest.raises(ConfigError, match="RAG_DEVICE='tpu': unknown device; choose auto, cpu or cuda"):
        Settings()
