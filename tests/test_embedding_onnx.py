"""The ONNX backends: exported once, equal to torch at float32, close at int8, never mixed by mistake.

Most checks use a tiny BERT made here (export and quantisation take a second); one uses the real
multilingual-e5-small, whose export is cached after the first run.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from rag.errors import RagError
from rag.models import BACKENDS, load_embedder
from rag.models.base import same_vectors
from rag.models.onnx_embedder import OnnxEmbedder
from rag.models.onnx_export import FP32_FILE, INT8_FILE, ensure_onnx_model, onnx_folder
from rag.models.torch_embedder import TorchEmbedder

WORDS = "hà nội đà nẵng công an tỉnh thành phố người dân năm tiền đồng bão lũ học sinh trường".split()  # noqa: SIM905


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-layer BERT with mean pooling + normalize, saved as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    root = tmp_path_factory.mktemp("tiny")
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "query", "passage", ":"] + WORDS)}
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    hf_dir = root / "hf"
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
    )
    BertModel(config).save_pretrained(hf_dir)
    PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    ).save_pretrained(hf_dir)
    transformer = models.Transformer(str(hf_dir), max_seq_length=64)
    st = SentenceTransformer(
        modules=[transformer, models.Pooling(32, pooling_mode="mean"), models.Normalize()],
        prompts={"query": "query: ", "document": "passage: "},
    )
    folder = root / "st"
    st.save(str(folder))
    return folder


TEXTS = [
    "Công an tỉnh Đà Nẵng",
    "người dân Hà Nội năm",
    "bão lũ học sinh trường tiền đồng thành phố người dân",
    "tiền",
]


def test_onnx_fp32_equals_torch_and_int8_is_close(tiny_model, tmp_path):
    torch_emb = TorchEmbedder(str(tiny_model))
    fp32 = OnnxEmbedder(str(tiny_model), cache=tmp_path)
    int8 = OnnxEmbedder(str(tiny_model), cache=tmp_path, int8=True)
    ref = torch_emb.encode_passages(TEXTS, batch_size=2)
    for emb in (fp32, int8):
        assert emb.dim == torch_emb.dim == 32
        vecs = emb.encode_passages(TEXTS, batch_size=2)
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos_fp32 = np.sum(fp32.encode_passages(TEXTS) * ref, axis=1)
    cos_int8 = np.sum(int8.encode_passages(TEXTS) * ref, axis=1)
    assert cos_fp32.min() > 0.99999
    assert cos_int8.min() > 0.95
    # queries get the query prompt, passages the passage prompt, as with torch
    q = fp32.encode_queries(["người dân Hà Nội"])
    assert np.sum(q * torch_emb.encode_queries(["người dân Hà Nội"])) > 0.99999
    assert np.sum(q * fp32.encode_passages(["người dân Hà Nội"])) < 0.9999


def test_int8_vector_of_a_passage_does_not_depend_on_its_batch(tiny_model, tmp_path):
    int8 = OnnxEmbedder(str(tiny_model), cache=tmp_path, int8=True)
    together = int8.encode_passages(TEXTS, batch_size=4)
    alone = np.vstack([int8.encode_passages([t]) for t in TEXTS])
    assert np.array_equal(together, alone)


def test_export_happens_once_and_leaves_no_temporary_files(tiny_model, tmp_path):
    path = ensure_onnx_model(tiny_model, tmp_path, int8=True)
    folder = onnx_folder(tiny_model, tmp_path)
    assert path == folder / INT8_FILE and (folder / FP32_FILE).is_file()
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert ensure_onnx_model(tiny_model, tmp_path, int8=True) == path
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps
    assert not [p for p in folder.iterdir() if ".tmp-" in p.name]


def test_onnx_refuses_a_model_it_would_pool_wrongly(tiny_model, tmp_path):
    import shutil

    other = tmp_path / "cls-model"
    shutil.copytree(tiny_model, other)
    pooling = other / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config["pooling_mode"] = "cls"
    pooling.write_text(json.dumps(config))
    with pytest.raises(RagError, match="mean pooling"):
        OnnxEmbedder(str(other), cache=tmp_path)


def test_backends_are_registered_and_only_equal_vectors_mix():
    assert {"torch", "onnx", "onnx-int8"} <= set(BACKENDS)
    assert same_vectors("torch", "onnx")
    assert not same_vectors("torch", "onnx-int8")
    assert not same_vectors("onnx", "onnx-int8")
    with pytest.raises(RagError, match="unknown embedding backend"):
        load_embedder(backend="tensorflow")


def test_onnx_query_path_imports_no_torch(tiny_model, tmp_path):
    """A process that only asks questions should not pay for importing torch."""
    import subprocess

    ensure_onnx_model(tiny_model, tmp_path, int8=True)
    code = (
        "import sys; from rag.models.onnx_embedder import OnnxEmbedder; from pathlib import Path; "
        f"e = OnnxEmbedder({str(tiny_model)!r}, cache=Path({str(tmp_path)!r}), int8=True); "
        "e.encode_queries(['người dân']); "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_real_model_int8_keeps_the_gold_passage_first():
    """Real e5-small: int8 stays close to float32 and ranks a Vietnamese query's passage first."""
    passages = [
        "Thị xã An Khê đã tiếp nhận 2.054 đơn thư khiếu nại, tố cáo trong 10 năm.",
        "Đội tuyển bóng đá Việt Nam thắng Thái Lan 2-0 tại sân Mỹ Đình.",
        "Giá xăng giảm mạnh từ 15 giờ chiều nay theo quyết định của liên bộ.",
    ]
    fp32, int8 = load_embedder(backend="onnx"), load_embedder(backend="onnx-int8")
    a, b = fp32.encode_passages(passages), int8.encode_passages(passages)
    assert np.sum(a * b, axis=1).min() > 0.95
    for emb in (fp32, int8):
        q = emb.encode_queries(["An Khê tiếp nhận bao nhiêu đơn?"])
        assert int(np.argmax(emb.encode_passages(passages) @ q[0])) == 0


def test_quantising_leaves_the_root_logger_alone_and_drops_only_its_hint(tiny_model, tmp_path, caplog):
    import logging

    root = logging.getLogger()
    filters = list(root.filters)
    with caplog.at_level(logging.INFO):
        ensure_onnx_model(tiny_model, tmp_path, int8=True)
        assert (root.level, root.filters) == (logging.INFO, filters)  # as it was, and no filter left
        logging.getLogger("some.library").warning("still heard")
    assert "pre-processing" not in caplog.text and "still heard" in caplog.text


def test_int8_instructions_read_off_the_cpu_flags(tmp_path):
    """What eval/train_scorer.py records beside the weights it fits: their last bits depend on it."""
    from rag.models.onnx_export import int8_instructions

    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu sse2 avx2 avx512f avx512_vnni\n", encoding="utf-8")
    assert int8_instructions(info) == "avx512_vnni"
    info.write_text(
        "processor : 0\nflags : fpu sse2 avx2\nprocessor : 1\nflags : fpu sse2 avx2\n", encoding="utf-8"
    )
    assert int8_instructions(info) == "avx2"
    info.write_text("processor : 0\nflags : fpu sse2\n", encoding="utf-8")
    assert int8_instructions(info) == "other"
    assert int8_instructions(tmp_path / "absent") == "unknown"
