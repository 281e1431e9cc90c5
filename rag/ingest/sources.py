"""Where each added file came from: seeds/.sources.jsonl, one line a file (its path under seeds/, its
SHA-256, when it was added, the name it was uploaded as, the link it was downloaded from).

Kept beside the articles so that `rag index` rebuilds the same articles later without the network (an
article from a link keeps its link), and so that the same file added twice is recognised. A dot-file:
the article reader passes over it, and the page never serves it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from ..files import write_bytes
from .guard import Refused

REGISTRY = ".sources.jsonl"
REMOVED = ".removed"  # where removed files go: a dot-folder, never read again, never deleted


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Entry:
    path: str  # relative to seeds/
    sha256: str
    added_at: str  # ISO 8601, UTC
    name: str | None = None  # as uploaded
    url: str | None = None  # the link it was downloaded from


class Registry:
    """seeds/.sources.jsonl, appended under a lock; entries whose file is gone are ignored."""

    def __init__(self, seeds: Path):
        self.seeds = seeds.resolve()
        self.path = self.seeds / REGISTRY
        self.lock = FileLock(str(self.seeds / ".sources.lock"), timeout=60)

    def entries(self) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (FileNotFoundError, NotADirectoryError):
            return out
        for line in lines:
            try:
                e = Entry(**json.loads(line))
            except (ValueError, TypeError):
                continue
            out[e.path] = e
        return {p: e for p, e in out.items() if (self.seeds / p).is_file()}

    def find(self, digest: str) -> Entry | None:
        return next((e for e in self.entries().values() if e.sha256 == digest), None)

    def keep(self, folder: str, name: str, data: bytes, *, url: str | None = None,
             original: str | None = None) -> tuple[Entry, bool]:  # fmt: skip
        """Write `data` as seeds/<folder>/<name>; -> (entry, True), or (the earlier entry, False) when
        the same bytes were added before."""
        digest = sha256(data)
        self.seeds.mkdir(parents=True, exist_ok=True)
        with self.lock:
            if (same := self.find(digest)) is not None:
                return same, False
            target_dir = (self.seeds / folder).resolve()
            target = (target_dir / name).resolve()
            if target.parent != target_dir or self.seeds not in target.parents:
                raise Refused(f"{name}: unsafe file name", f"{name}: tên tệp không hợp lệ.")
            if target.exists():
                stem, _, ext = name.rpartition(".")
                target = target_dir / f"{stem}-{digest[:8]}.{ext}"
            target_dir.mkdir(parents=True, exist_ok=True)
            write_bytes(target, data)
            entry = Entry(
                target.relative_to(self.seeds).as_posix(),
                digest,
                datetime.now(UTC).isoformat(timespec="seconds"),
                original,
                url,
            )
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            return entry, True

    def put_away(self, rel: str) -> Path:
        """Move seeds/<rel> into seeds/.removed/ (never read again, never deleted)."""
        with self.lock:
            src = (self.seeds / rel).resolve()
            if self.seeds not in src.parents or not src.is_file():
                raise FileNotFoundError(rel)
            dst = self.seeds / REMOVED / datetime.now(UTC).strftime("%Y%m%dT%H%M%S") / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            return dst
