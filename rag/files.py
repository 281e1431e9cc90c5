"""Writes that are never seen half done, used for every file or folder others may read meanwhile.

What is written goes under a temporary name beside its target, is flushed to disk (fsync), and is
renamed onto the target in one step, then the folder holding it is flushed too, so that after a crash
or a kill the target is either the old one or the new one, whole. Written by hand: no well-kept library
does this for folders as well as files (atomicwrites, for files only, is unmaintained).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """A temporary path beside `target`: write a file or a folder there; on leaving the block it
    replaces `target`, or is removed if the block failed.

    `keep_existing`: when `target` exists by then (another process made it first), keep that one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        fsync_tree(tmp)
        if not (keep_existing and target.exists()):
            os.replace(tmp, target)
            fsync_folder(target.parent)
    finally:
        remove(tmp)


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def fsync_tree(path: Path) -> None:
    """Flush a file, or every file and folder under a folder, to disk."""
    if path.is_dir():
        for sub in sorted(path.rglob("*")):
            if sub.is_file():
                _fsync_file(sub)
            elif sub.is_dir():
                fsync_folder(sub)
        fsync_folder(path)
    elif path.is_file():
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def fsync_folder(path: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows: folders are not opened this way, and renames are durable there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    """Remove a file or a folder if it is there; what cannot be removed now is left for a later sweep."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
