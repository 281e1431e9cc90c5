"""The store folder: `<store>/CURRENT` names the generation folder in use (`gen-...`).

A build writes a whole new generation beside the old one and then replaces CURRENT atomically, so an
interrupted or failed build leaves the previous store untouched and usable. One build at a time holds
`<store>/.lock` (filelock: a lock the system drops when its process dies, on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import filelock

from ..errors import BuildLockedError
from ..files import remove, write_text

CURRENT = "CURRENT"
LOCK = ".lock"


@contextlib.contextmanager
def build_lock(store_dir: Path) -> Iterator[None]:
    store_dir.mkdir(parents=True, exist_ok=True)
    try:
        with filelock.FileLock(store_dir / LOCK, timeout=0):
            yield
    except filelock.Timeout:
        message = f"another `rag index` is building {store_dir}; wait for it to finish"
        raise BuildLockedError(message) from None


def new_generation_name() -> str:
    return f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def current_name(store_dir: Path) -> str | None:
    """What CURRENT says (a generation folder's name), or None without one."""
    try:
        name = (store_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def current_generation(store_dir: Path) -> Path | None:
    name = current_name(store_dir)
    return store_dir / name if name else None


def store_exists(store_dir: Path) -> bool:
    return (store_dir / CURRENT).is_file()


def switch(store_dir: Path, name: str) -> None:
    """Make generation `name` the current one (one atomic rename).

    The generation it replaces stays on disk until the next build's `sweep`: a reader that read CURRENT
    just before the switch can still load it whole (a running Pipeline moves to the new one at its next
    question). Older ones (a long build's earlier checkpoints) are removed now.
    """
    old = current_name(store_dir)
    write_text(store_dir / CURRENT, name + "\n")
    _remove_generations(store_dir, keep={name, old})


def sweep(store_dir: Path) -> None:
    """At the start of a build: remove what interrupted builds left behind, and every generation but
    the current one."""
    _remove_generations(store_dir, keep={current_name(store_dir)})


def _remove_generations(store_dir: Path, keep: set[str | None]) -> None:
    for path in store_dir.iterdir():
        if path.name.startswith(("gen-", ".gen-")) and path.is_dir() and path.name not in keep:
            remove(path)
