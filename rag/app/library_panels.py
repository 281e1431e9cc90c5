"""The page's library panels: filters by source and date, "Thêm bài viết", and the admin's removal
(the article list itself, with "when added", is the page's tab "Bài viết"). Small functions that add
their components to whatever Blocks is open, so they can be placed in the page's own layout; no
retrieval or indexing logic here (that is `Library`).
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ..ingest.guard import KINDS, Refused
from ..query.filters import Filters
from .render import esc

ANY_SOURCE = "Mọi nguồn"
WRONG_PASSWORD = "Sai mật khẩu quản trị: chưa thêm hay gỡ gì cả."
FILE_TYPES = sorted(KINDS)


@dataclass
class FilterControls:
    source: gr.Dropdown
    since: gr.Textbox
    until: gr.Textbox

    @property
    def inputs(self) -> list:
        return [self.source, self.since, self.until]


def filter_controls(publishers: list[str]) -> FilterControls:
    """A source picker (the index's publishers, or any name typed) and a date range."""
    with gr.Row(elem_id="rv-filters", equal_height=True):
        source = gr.Dropdown(
            [ANY_SOURCE, *publishers],
            value=ANY_SOURCE,
            label="Nguồn",
            info="Chỉ tìm trong bài của nguồn này (gõ được tên hay địa chỉ trang).",
            allow_custom_value=True,
            elem_id="rv-filter-source",
            scale=2,
        )
        with gr.Group(elem_id="rv-filter-dates"), gr.Row():
            since = gr.Textbox(label="Từ ngày", placeholder="2023-01-01, 2023", elem_id="rv-filter-since")
            until = gr.Textbox(label="Đến ngày", placeholder="31/12/2023", elem_id="rv-filter-until")
    return FilterControls(source, since, until)


def filters_from(source: str | None, since: str | None, until: str | None) -> Filters | None:
    """The controls' values as Filters; `QuestionError` (shown as a notice) for a date it cannot read."""
    src = None if not source or source == ANY_SOURCE else source
    f = Filters.parse(src, since or None, until or None)
    return f if f.active else None


def publishers_of(pipeline) -> list[str]:
    return list(pipeline.info().get("publishers") or [])


def _password_box(password: str | None, elem_id: str) -> gr.Textbox:
    """Shown only when the page has an admin password."""
    return gr.Textbox(
        label="Mật khẩu quản trị", type="password", visible=password is not None, elem_id=elem_id
    )


def _checked(password: str | None, given: str | None) -> bool:
    return password is None or hmac.compare_digest((given or "").encode(), password.encode())


def outcomes_html(report=None, error: str | None = None, progress: str | None = None) -> str:
    """What became of each file and link, one line each."""
    if progress:
        return f'<div class="rv-add-status rv-busy" role="status">⏳ {esc(progress)}</div>'
    if error:
        return f'<div class="rv-add-status rv-add-error" role="alert">⚠ {esc(error)}</div>'
    if report is None:
        return ""
    lines = []
    for o in report.outcomes:
        if o.added:
            lines.append(
                f'<li class="rv-added">✔ Đã thêm: <b>{esc(o.title)}</b> — có thể hỏi về bài này ngay.</li>'
            )
        else:
            lines.append(f'<li class="rv-not-added">✖ {esc(o.vi or o.reason)}</li>')
    took = f"<p class='rv-took'>Xong trong {report.seconds:.1f} giây.</p>" if report.added else ""
    return f'<div class="rv-add-status" role="status"><ul>{"".join(lines)}</ul>{took}</div>'


def add_panel(library, password: str | None, on_change: Callable[[], list]) -> None:
    """ "Thêm bài viết": several files at once, or links one a line; the answer says what was added.

    `on_change()` returns the updates of the components that show what the bot knows (the header,
    the article list, the source picker), refreshed once an addition is indexed.
    """
    limits = library.limits
    with gr.Accordion("Thêm bài viết", open=False, elem_id="rv-add"):
        gr.Markdown(
            f"Tải lên tệp **.html, .htm, .pdf, .docx, .txt, .md** (tối đa {limits.file_bytes // 2**20} MB "
            f"mỗi tệp, {limits.request_bytes // 2**20} MB và {limits.request_files} tệp mỗi lần), "
            "hoặc dán liên kết bài báo, mỗi dòng một liên kết.",
            elem_classes="rv-add-help",
        )
        files = gr.File(
            file_count="multiple", file_types=FILE_TYPES, label="Tệp bài viết", elem_id="rv-add-files"
        )
        links = gr.Textbox(
            label="Liên kết", placeholder="https://…", lines=2, max_lines=10, elem_id="rv-add-links"
        )
        secret = _password_box(password, "rv-add-password")
        button = gr.Button("Thêm", variant="primary", elem_id="rv-add-button")
        status = gr.HTML("", elem_id="rv-add-status")
    outputs = [status, files, links]

    def run(paths, text, given, progress=gr.Progress()):  # noqa: B008 - Gradio's way
        extra = [gr.skip()] * len(on_change_outputs)
        if not _checked(password, given):
            yield outcomes_html(error=WRONG_PASSWORD), gr.skip(), gr.skip(), *extra
            return
        items = [(Path(p).name, Path(p)) for p in (paths or [])]
        urls = [u for u in (text or "").splitlines() if u.strip()]
        if not items and not urls:
            yield outcomes_html(error="Chưa chọn tệp hay dán liên kết nào."), gr.skip(), gr.skip(), *extra
            return
        yield outcomes_html(progress="Đang kiểm tra, lưu và cập nhật chỉ mục…"), gr.skip(), gr.skip(), *extra
        box: dict = {}
        worker = threading.Thread(target=_add_into, args=(library, items, urls, box), daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
            if box.get("log"):
                yield outcomes_html(progress=box["log"][-1]), gr.skip(), gr.skip(), *extra
        if "error" in box:
            yield outcomes_html(error=box["error"]), gr.skip(), gr.skip(), *extra
            return
        report = box["report"]
        refreshed = on_change() if report.added else extra
        yield outcomes_html(report), None, "", *refreshed

    on_change_outputs = getattr(on_change, "outputs", [])
    button.click(
        run,
        [files, links, secret],
        outputs + on_change_outputs,
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="library",
    )


_VI_LOG = {
    "indexing": "Đang cập nhật chỉ mục…",
    "another build": "Đang chờ một lần dựng chỉ mục khác xong (bài đã được lưu)…",
}


def _add_into(library, items, urls, box: dict) -> None:
    def log(message: str) -> None:
        box.setdefault("log", []).append(next((v for k, v in _VI_LOG.items() if k in message), message))

    try:
        box["report"] = library.add(items, urls, log=log)
    except Refused as exc:
        box["error"] = exc.vi
    except Exception as exc:  # noqa: BLE001 - the page says so; the log keeps the traceback
        import logging

        logging.getLogger("rag.ui").exception("adding articles failed")
        box["error"] = f"Không thêm được: {type(exc).__name__}. Các tệp đã lưu vẫn còn trong seeds/."


def remove_panel(library, password: str | None, pick: gr.Dropdown, on_change) -> None:
    """The admin's removal: pick an article, give the password, "Gỡ bài"; `on_change` refreshes the
    components that show what the bot knows, `pick` among them."""
    with gr.Accordion("Gỡ bài viết (quản trị)", open=False, elem_id="rv-remove"):
        pick.render()
        secret = _password_box(password, "rv-remove-password")
        button = gr.Button("Gỡ bài", variant="stop", elem_id="rv-remove-button")
        status = gr.HTML("", elem_id="rv-remove-status")

    def run(article_id, given):
        extra = [gr.skip()] * len(on_change.outputs)
        if not _checked(password, given):
            return outcomes_html(error=WRONG_PASSWORD), *extra
        if not article_id:
            return outcomes_html(error="Chưa chọn bài nào."), *extra
        try:
            title = library.remove(article_id)
        except Refused as exc:
            return outcomes_html(error=exc.vi), *extra
        done = f'<div class="rv-add-status" role="status">✔ Đã gỡ: <b>{esc(title)}</b></div>'
        return done, *on_change()

    button.click(
        run,
        [pick, secret],
        [status, *on_change.outputs],
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="library",
    )


def removal_choices(pipeline) -> list[tuple[str, str]]:
    return [(f"{r['title']} ({r['source']})", r["id"]) for r in pipeline.catalogue()]


def library_panels(pipeline, library, password: str | None, shows: dict) -> gr.Dropdown:
    """ "Thêm bài viết" and the admin's removal; once either is done, each component of `shows` (the
    header, the article list, the source pickers) is given what its function returns then, and the
    removal's list of articles is refreshed too. -> that list, for the page to refresh on load."""
    pick = gr.Dropdown(removal_choices(pipeline), label="Bài cần gỡ", elem_id="rv-remove-pick", render=False)

    def changed() -> list:
        return [show() for show in shows.values()] + [
            gr.update(choices=removal_choices(pipeline), value=None)
        ]

    changed.outputs = [*shows, pick]
    add_panel(library, password, changed)
    remove_panel(library, password, pick, changed)
    return pick
