"""The store folder: `<store>/CURRENT` names the generation folder in use (`gen-...`).

A build writes a whole new generation beside the old one and then replaces CURRENT atomically, so an
interrupted or failed build leaves the previous store untouched and usable.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ..errors import RagError

CURRENT = "CURRENT"


def _write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


@contextlib.contextmanager
def _build_lock(store_dir: Path) -> Iterator[None]:
    store_dir.mkdir(parents=True, exist_ok=True)
    with (store_dir / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RagError(f"another `rag index` is building {store_dir}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_generation(store_dir: Path) -> Path | None:
    pointer = store_dir / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return store_dir / name if name else None


def store_exists(store_dir: Path) -> bool:
    return (store_dir / CURRENT).is_file()


def _sweep_stale(store_dir: Path) -> None:
    """Remove what interrupted builds left behind (never the generation CURRENT names)."""
    keep = current_generation(store_dir)
    for path in store_dir.iterdir():
        is_gen = path.name.startswith(("gen-", ".gen-")) and path.is_dir()
        if is_gen and (keep is None or path.resolve() != keep.resolve()):
            shutil.rmtree(path, ignore_errors=True)
