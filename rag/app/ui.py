"""The chat page: a Gradio face on the same `Pipeline` the CLI uses; no retrieval or answer logic here.

Layout: the chat (with example questions and folded-away settings) on the left, the sources of the
latest answer on the right. Markup is built by `render`, which escapes every article and question
text. One named API endpoint, `/ask`, returns exactly what `rag ask --json` prints.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import QuestionError, RagError
from ..ingest.jsonl import read_records
from ..ingest.sources import REGISTRY, REMOVED
from ..query.filters import Filters
from ..text.normalise import fold, typed_without_diacritics
from .render import answer_html, header_html, notice_html, question_html, sources_html

# No analytics or version checks: the page must start on a machine without internet access.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 - after the environment above

from .library_panels import (  # noqa: E402 - Gradio components, after the environment above
    articles_panel,
    filter_controls,
    filters_from,
    library_panels,
    publishers_of,
)  # fmt: skip

# gradio's queue on pandas 3: deprecation notices about gradio's own code, nothing a user can act on.
warnings.filterwarnings("ignore", message="'future.no_silent_downcasting' is deprecated", module="gradio")
warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module="gradio")

log = logging.getLogger(__name__)

API_NAME = "ask"
CONCURRENCY = 8  # questions answered at once; the rest wait in Gradio's queue
MAX_TOP_K = 20
INTERNAL_ERROR = "Đã có lỗi khi trả lời câu hỏi này. Hãy thử lại, hoặc hỏi theo cách khác."

# Example questions come from the project's question set about the seed articles (`rag eval`'s
# eval/seeds.jsonl: question, expected answers, source article).
EXAMPLES_FILE = Path("eval") / "seeds.jsonl"
EXAMPLES_SHOWN = 4

# The page's style and script are files of the package (rag/app/static/), read once.
STATIC = resources.files(__package__) / "static"
CSS = (STATIC / "chat.css").read_text(encoding="utf-8")
SOURCES_JS = (STATIC / "sources.js").read_text(encoding="utf-8")


THEME = gr.themes.Soft(
    primary_hue="teal",
    neutral_hue="slate",
    # System fonts, all with Vietnamese glyphs; no web font to fetch.
    font=["Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue", "Liberation Sans", "Arial", "sans-serif"],
)


@dataclass(frozen=True)
class Example:
    question: str
    source: str  # the article it is about, as `Citation.source` names it
    answers: tuple[str, ...]  # any one of them in the answer text means it was answered


def read_examples(path: Path) -> list[Example]:
    """Question-set lines with a question, a source and answers; anything else is passed over (a line
    that is not JSON with a warning in the log): the page starts whatever the file holds."""
    try:
        rows, problems = read_records(path)
    except OSError:
        return []
    for problem in problems:
        log.warning("example questions: %s", problem)
    out = []
    for _, rec in rows:
        try:
            if rec.get("question") and rec.get("source") and rec.get("answers"):
                out.append(Example(str(rec["question"]), str(rec["source"]), tuple(map(str, rec["answers"]))))
        except TypeError:
            continue
    return out


def answers_it(pipeline, question: str, example: Example) -> bool:
    """The loaded index answers `question` from the example's article, with one of its answers."""
    try:
        answer = pipeline.ask(question)
    except RagError:
        return False
    return (
        not answer.abstained
        and bool(answer.citations)
        and answer.citations[0].source == example.source
        and any(a and a in answer.text for a in example.answers)
    )


def pick_examples(
    pipeline, candidates: list[Example] | None = None, limit: int = EXAMPLES_SHOWN
) -> list[str]:
    """A few short questions the loaded index really answers, each about a different article, plus
    one typed without diacritics. An index of other articles gets none rather than dead ends."""
    if candidates is None:
        candidates = read_examples(pipeline.settings.root / EXAMPLES_FILE)
    accented = [e for e in candidates if not typed_without_diacritics(e.question)]
    unaccented = [e for e in candidates if typed_without_diacritics(e.question)]
    by_source: dict[str, list[Example]] = {}
    for ex in sorted(accented, key=lambda e: len(e.question)):
        by_source.setdefault(ex.source, []).append(ex)
    chosen: list[tuple[str, Example]] = []
    for group in by_source.values():
        if len(chosen) >= max(limit - 1, 1):
            break
        if found := next((ex for ex in group if answers_it(pipeline, ex.question, ex)), None):
            chosen.append((found.question, found))
    if len(chosen) < limit:
        typed_plain = [(e.question, e) for e in sorted(unaccented, key=lambda e: len(e.question))]
        folded = [(fold(e.question), e) for _q, e in chosen]
        for question, ex in typed_plain + folded:
            if answers_it(pipeline, question, ex):
                chosen.append((question, ex))
                break
    return [q for q, _ in chosen[:limit]]


def article_lookup(pipeline):
    """`Pipeline.article`, with None for an id the index does not hold."""

    def lookup(article_id: str):
        try:
            return pipeline.article(article_id)
        except RagError:
            return None

    return lookup


def file_link(pipeline):
    """The page's address of an article's original file under seeds/ (served read-only), or None."""
    seeds = pipeline.settings.seeds

    def url(source: str) -> str | None:
        if not source or "#" in source:
            return None
        path = (Path(source) if Path(source).is_absolute() else pipeline.settings.root / source).resolve()
        try:
            rel = path.relative_to(seeds)
        except ValueError:
            return None
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            return None
        return "/gradio_api/file=" + quote(str(path))

    return url


def _notice(message: str | None) -> dict:
    return gr.update(value=notice_html(message), visible=bool(message))


def respond(
    pipeline,
    question: str,
    history: list | None,
    top_k: float,
    show_all: bool,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> tuple:
    """One chat turn -> (chat, input box, sources, latest answer, notice); never raises. `source`,
    `since` and `until` are the filter controls' values."""
    history = list(history or [])
    try:
        filters = filters_from(source, since, until)
        extra = {"filters": filters} if filters is not None else {}  # an engine without filters still works
        answer = pipeline.ask(question, top_k=int(top_k), **extra)
    except QuestionError as exc:
        return history, gr.skip(), gr.skip(), gr.skip(), _notice(str(exc))
    except Exception:  # noqa: BLE001 - the page shows a notice; the log keeps the traceback
        log.exception("question failed: %r", question[:200] if isinstance(question, str) else question)
        return history, gr.skip(), gr.skip(), gr.skip(), _notice(INTERNAL_ERROR)
    d = answer.to_dict()
    history += [
        {"role": "user", "content": question_html(d["question"])},
        {"role": "assistant", "content": answer_html(d)},
    ]
    sources = sources_html(d, article_lookup(pipeline), show_all=show_all, file_url=file_link(pipeline))
    return history, "", sources, d, _notice(answer.notice)


def api_ask(pipeline, question: str, top_k: int, source=None, since=None, until=None) -> dict[str, Any]:
    """What `rag ask --json` prints: the answer object, or {question, error} for a question it refuses."""
    try:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 100:
            raise QuestionError(f"top_k phải là số nguyên từ 1 đến 100, không phải {top_k!r}.")
        filters = Filters.parse(source or None, since or None, until or None)
        extra = {"filters": filters} if filters.active else {}
        return pipeline.ask(question, top_k=top_k, **extra).to_dict()
    except QuestionError as exc:
        return {"question": question, "error": str(exc)}


def build_app(
    pipeline, examples: list[str] | None = None, *, library=None, password: str | None = None
) -> gr.Blocks:
    """The page; `examples` defaults to `pick_examples(pipeline)`. With a `library` (--allow-uploads)
    it has the "Thêm bài viết" panel and the admin's removal; `password` protects both."""
    info = pipeline.info()
    if examples is None:
        examples = pick_examples(pipeline)
    default_k = pipeline.settings.top_k
    lookup = article_lookup(pipeline)

    def turn(question: str, history: list | None, top_k: float, show_all: bool, source, since, until):
        return respond(pipeline, question, history, top_k, show_all, source, since, until)

    def rerender(latest: dict | None, show_all: bool) -> str:
        return sources_html(latest, lookup, show_all=show_all, file_url=file_link(pipeline))

    def clear():
        return [], "", sources_html(None, lookup), None, _notice(None)

    def ask(
        question: str, top_k: int = default_k, source: str = "", since: str = "", until: str = ""
    ) -> dict[str, Any]:
        """Answer one question: the same JSON object `rag ask --json` prints for it. `source`, `since`
        and `until` (2023-01-01, 2023-05, 2023) limit the articles searched."""
        return api_ask(pipeline, question, top_k, source, since, until)

    # uploaded files wait in Gradio's cache until an addition reads them; an hour later they are deleted
    page = {"title": "Hỏi đáp tin tức · rag-vi", "analytics_enabled": False, "delete_cache": (3600, 3600)}
    with gr.Blocks(**page) as demo:
        header = gr.HTML(header_html(info), elem_id="rv-header")
        latest = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(
                    label="Hội thoại",
                    show_label=False,
                    elem_id="rv-chat",
                    height=480,
                    placeholder=(
                        "**Hãy đặt một câu hỏi về nội dung các bài báo.**  \n"
                        "Ví dụ: một con số, một ngày tháng, ai đã làm gì."
                    ),
                    render_markdown=False,  # messages are HTML built by render, every text escaped
                    sanitize_html=True,  # and sanitized again by the page
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=[],
                    autoscroll=True,
                )
                notice = gr.HTML("", elem_id="rv-notice", visible=False)
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        placeholder="Nhập câu hỏi, có dấu hoặc không dấu, rồi nhấn Enter…",
                        label="Câu hỏi",
                        show_label=False,
                        lines=1,
                        max_lines=6,
                        scale=6,
                        autofocus=True,
                        elem_id="rv-question",
                    )
                    send = gr.Button("Gửi", variant="primary", scale=1, min_width=90, elem_id="rv-send")
                example_buttons = []
                if examples:
                    gr.Markdown("Thử hỏi:", elem_classes="rv-examples-label")
                    with gr.Row(elem_id="rv-examples"):
                        for q in examples:
                            example_buttons.append((q, gr.Button(q, size="sm", variant="secondary")))
                with gr.Accordion("Tùy chọn", open=False, elem_id="rv-settings"):
                    top_k = gr.Slider(
                        1,
                        MAX_TOP_K,
                        value=default_k,
                        step=1,
                        label="Số đoạn văn truy xuất",
                        info="Bao nhiêu đoạn gần nhất được tìm cho mỗi câu hỏi.",
                    )
                    show_all = gr.Checkbox(
                        label="Hiện mọi đoạn đã truy xuất, kèm điểm số", elem_id="rv-show-all"
                    )
                with gr.Accordion("Lọc theo nguồn và thời gian", open=False, elem_id="rv-filter"):
                    controls = filter_controls(publishers_of(pipeline))
                catalogue = articles_panel(pipeline)
                if library is not None:
                    library_panels(pipeline, library, password, header, catalogue, controls.source)
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(
                    sources_html(None, lookup),
                    elem_id="rv-sources",
                    js_on_load=SOURCES_JS,
                    container=True,
                    padding=True,
                )

        outputs = [chat, box, sources, latest, notice]
        private = {"api_visibility": "private", "show_progress": "minimal"}
        asked = [box, chat, top_k, show_all, *controls.inputs]
        box.submit(turn, asked, outputs, **private)
        send.click(turn, asked, outputs, **private)
        for q, button in example_buttons:
            inputs = [chat, top_k, show_all, *controls.inputs]
            button.click(lambda h, k, s, *f, q=q: turn(q, h, k, s, *f), inputs, outputs, **private)
        show_all.change(rerender, [latest, show_all], sources, api_visibility="private", queue=False)
        chat.clear(clear, None, outputs, api_visibility="private", queue=False)
        gr.api(ask, api_name=API_NAME)
    return demo


def launch(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    block: bool = True,
    max_file_size: int = 0,
    seeds: Path | None = None,
):
    """Queue (so one slow question never holds up another person's) and serve.

    `max_file_size` is enforced by Gradio while an upload streams in (413 past it, nothing kept); 0,
    without --allow-uploads, refuses every upload, so nobody can write anything from the page. The
    original files under `seeds` are offered to open; what lies beside them (the registry, removed
    files) is not.
    """
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=256)
    try:
        return demo.launch(
            server_name=host,
            server_port=port,
            prevent_thread_lock=not block,
            show_error=False,
            quiet=not block,
            ssr_mode=False,
            theme=THEME,
            css=CSS,
            footer_links=["api"],
            max_file_size=max_file_size,
            allowed_paths=[str(seeds)] if seeds else None,
            blocked_paths=[str(seeds / n) for n in (REMOVED, REGISTRY, ".sources.lock")] if seeds else None,
        )
    except OSError as exc:
        raise RagError(f"cannot serve on {host}:{port} ({exc}): is the port in use? Pass --port") from None


def serve(pipeline, host: str = "127.0.0.1", port: int = 7860, *, library=None, password=None) -> None:
    """`rag serve`: build the page on the loaded pipeline and serve it until interrupted."""
    size = library.limits.file_bytes if library is not None else 0
    demo = build_app(pipeline, library=library, password=password)
    launch(demo, host, port, block=True, max_file_size=size, seeds=pipeline.settings.seeds)
