"""Atomic writes: a target is the old one or the new one, whole, and no temporary is left behind."""

import pytest

from rag.files import atomic_path, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "CURRENT"
    write_text(target, "gen-1\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("gen-2 (half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "gen-1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]
    write_text(target, "gen-2\n")
    assert target.read_text() == "gen-2\n" and [p.name for p in tmp_path.iterdir()] == ["CURRENT"]


def test_a_folder_is_written_whole_and_an_existing_one_can_be_kept(tmp_path):
    target = tmp_path / "model"
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "a.bin").write_bytes(b"first")
    assert (target / "a.bin").read_bytes() == b"first"
    with atomic_path(target, keep_existing=True) as tmp:  # another process finished first
        tmp.mkdir()
        (tmp / "a.bin").write_bytes(b"second")
    assert (target / "a.bin").read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
