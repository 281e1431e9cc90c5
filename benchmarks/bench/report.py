"""The table of everything measured so far: each figure of the engine beside the baseline's."""

from __future__ import annotations

from .corpus import SIZES
from .runner import Results


def ratio(ours: float | None, theirs: float | None, higher_is_better: bool) -> str:
    if not ours or not theirs:
        return "-"
    r = ours / theirs if higher_is_better else theirs / ours
    return f"{r:.1f}x"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(results: Results, backend: str) -> str:
    """A Markdown table: each figure of the engine beside the baseline's and their ratio."""
    me = f"rag:{backend}"
    rows = [
        "| size | articles | chunks | build chunks/s (rag / base / x) | build wall s (rag / base) "
        "| build peak RSS MB (rag / base) | retrieval ms median / p95 (rag) | answer ms median / p95 (rag) "
        "| completing a follow-up ms median / p95 (rag) | baseline search ms median / p95 "
        "| answers/s (rag / base) | cold start s (rag / base / x) "
        "| add 100 articles s | dense index |",
        "|" + "---|" * 14,
    ]
    for size in SIZES:
        b, bb = results.get(me, size, "build"), results.get("baseline", size, "build")
        q, bq = results.get(me, size, "query"), results.get("baseline", size, "query")
        c, bc = results.get(me, size, "cold"), results.get("baseline", size, "cold")
        add = results.get(me, size, "add")
        if not (b or q):
            continue
        g = lambda d, *keys: _dig(d, keys)  # noqa: E731
        rows.append(
            "| "
            + " | ".join(
                [
                    size,
                    _fmt(g(b, "articles") or g(q, "articles"), 0),
                    _fmt(g(b, "chunks") or g(q, "chunks"), 0),
                    f"{_fmt(g(b, 'chunks_per_s'))} / {_fmt(g(bb, 'chunks_per_s'))} / "
                    f"{ratio(g(b, 'chunks_per_s'), g(bb, 'chunks_per_s'), True)}",
                    f"{_fmt(g(b, 'wall_s'))} / {_fmt(g(bb, 'wall_s'))}",
                    f"{_fmt(g(b, 'peak_rss_mb'), 0)} / {_fmt(g(bb, 'peak_rss_mb'), 0)}",
                    f"{_fmt(g(q, 'retrieval_ms', 'median'))} / {_fmt(g(q, 'retrieval_ms', 'p95'))}",
                    f"{_fmt(g(q, 'answer_ms', 'median'))} / {_fmt(g(q, 'answer_ms', 'p95'))}",
                    f"{_fmt(g(q, 'completion_ms', 'median'), 2)} / {_fmt(g(q, 'completion_ms', 'p95'), 2)}",
                    f"{_fmt(g(bq, 'search_ms', 'median'))} / {_fmt(g(bq, 'search_ms', 'p95'))}",
                    f"{_fmt(g(q, 'questions_per_s'))} / {_fmt(g(bq, 'questions_per_s'))}",
                    f"{_fmt(g(c, 'median_s'), 2)} / {_fmt(g(bc, 'median_s'), 2)} / "
                    f"{ratio(g(c, 'median_s'), g(bc, 'median_s'), False)}",
                    _fmt(g(add, "add", "seconds")),
                    (g(q, "dense_index", "type") or g(b, "dense_index", "type") or "-"),
                ]
            )
            + " |"
        )
    return "\n".join(rows)


def _dig(d: dict | None, keys: tuple) -> float | None:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d
