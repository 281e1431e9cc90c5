"""The chat page: a Gradio face on the same `Pipeline` the CLI uses; no retrieval or answer logic here.

Layout: the chat (with example questions and folded-away settings) on the left, the sources of the
latest answer on the right. Markup is built by `render`, which escapes every article and question
text. One named API endpoint, `/ask`, returns exactly what `rag ask --json` prints.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import QuestionError, RagError
from ..text.normalise import fold, typed_without_diacritics
from .render import answer_html, header_html, notice_html, question_html, sources_html

# No analytics or version checks: the page must start on a machine without internet access.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 - after the environment above

log = logging.getLogger("rag.ui")

API_NAME = "ask"
CONCURRENCY = 8  # questions answered at once; the rest wait in Gradio's queue
MAX_TOP_K = 20
INTERNAL_ERROR = "Đã có lỗi khi trả lời câu hỏi này. Hãy thử lại, hoặc hỏi theo cách khác."

# Example questions come from the project's question set about the seed articles (`rag eval`'s
# eval/seeds.jsonl: question, expected answers, source article).
EXAMPLES_FILE = Path("eval") / "seeds.jsonl"
EXAMPLES_SHOWN = 4

CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto; }
.rv-header h1 { font-size: 1.6rem; margin: 0 0 .25rem 0; }
.rv-header p { margin: .15rem 0; color: var(--body-text-color-subdued); }
.rv-header .rv-facts { font-size: .92rem; }
.rv-header code { font-size: .85em; }
#rv-chat .message-content { font-family: var(--font); line-height: 1.55; }
#rv-chat .rv-cite { font-weight: 600; color: var(--color-accent); white-space: nowrap; }
#rv-chat .rv-hint { display: block; margin-top: .4rem; }
#rv-chat .rv-meta { display: block; margin-top: .5rem; font-size: .8rem;
  color: var(--body-text-color-subdued); }
#rv-chat .rv-warn { display: block; margin-top: .4rem; font-size: .9rem; color: #b45309; }
#rv-chat .rv-abstain { font-weight: 600; }
#rv-examples { gap: .4rem; flex-wrap: wrap; }
#rv-examples button { flex: 0 1 auto !important; min-width: 0 !important; white-space: normal;
  text-align: left; font-weight: 400; }
.rv-examples-label p { margin: .3rem 0 0 0; font-size: .9rem; color: var(--body-text-color-subdued); }
.rv-notice { margin: .25rem 0; padding: .5rem .75rem; border-radius: 8px; background: #fef3c7;
  color: #78350f; border: 1px solid #f59e0b; font-size: .95rem; }
.rv-sources h2 { font-size: 1.1rem; margin: .2rem 0 .6rem 0; display: flex; align-items: baseline;
  justify-content: space-between; gap: .5rem; }
.rv-sources h3.rv-all { font-size: 1rem; margin: 1rem 0 .5rem 0; }
.rv-took { font-size: .8rem; font-weight: 400; color: var(--body-text-color-subdued); white-space: nowrap; }
.rv-empty p, .rv-abstain-note { color: var(--body-text-color-subdued); }
.rv-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: .7rem .85rem;
  margin-bottom: .75rem; background: var(--background-fill-primary); }
.rv-card-head { display: flex; gap: .5rem; align-items: baseline; }
.rv-badge { font-weight: 700; color: var(--color-accent); }
.rv-rank { font-weight: 600; color: var(--body-text-color-subdued); }
.rv-title { font-weight: 600; line-height: 1.35; }
.rv-tag { margin-left: auto; font-size: .75rem; padding: 0 .4rem; border-radius: 6px; white-space: nowrap;
  background: var(--color-accent-soft); }
.rv-meta-line, .rv-scores { font-size: .8rem; color: var(--body-text-color-subdued);
  margin: .2rem 0 .4rem 0; }
.rv-path { font-size: .75rem; }
.rv-passage { white-space: pre-wrap; line-height: 1.55; font-size: .92rem; }
.rv-hit .rv-passage { max-height: 9.5em; overflow: auto; }
.rv-sources mark { background: #fde68a; color: #1f2937; padding: .05em .1em; border-radius: 3px; }
.rv-article { margin-top: .5rem; }
.rv-article summary { cursor: pointer; color: var(--color-accent); font-size: .9rem; }
.rv-article-head { display: flex; justify-content: space-between; gap: .5rem; margin: .4rem 0; }
.rv-article-body { position: relative; white-space: pre-wrap; line-height: 1.55; font-size: .9rem;
  max-height: 26rem; overflow: auto; padding: .5rem .7rem; border-radius: 8px;
  background: var(--background-fill-secondary); }
@media (min-width: 1024px) {
  /* beside the chat: about as tall as it, scrolling on its own */
  .rv-sources { max-height: 47rem; overflow-y: auto; padding-right: .35rem; }
}
.rv-in-passage { background: rgba(253, 230, 138, .28); }
"""

# When "Xem toàn bài" is opened, scroll the article to the quoted sentence.
SOURCES_JS = """
element.addEventListener('toggle', (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const body = details.querySelector('.rv-article-body');
  const target = body && (body.querySelector('mark') || body.querySelector('.rv-in-passage'));
  if (target) body.scrollTop = Math.max(0, target.offsetTop - 48);
}, true);
"""

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
    """Question-set lines with a question, a source and answers; anything else is passed over."""
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            rec = json.loads(line)
            if rec.get("question") and rec.get("source") and rec.get("answers"):
                out.append(Example(str(rec["question"]), str(rec["source"]), tuple(map(str, rec["answers"]))))
        except (ValueError, AttributeError, TypeError):
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


def _notice(message: str | None) -> dict:
    return gr.update(value=notice_html(message), visible=bool(message))


def respond(pipeline, question: str, history: list | None, top_k: float, show_all: bool) -> tuple:
    """One chat turn -> (chat, input box, sources, latest answer, notice); never raises."""
    history = list(history or [])
    try:
        answer = pipeline.ask(question, top_k=int(top_k))
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
    sources = sources_html(d, article_lookup(pipeline), show_all=show_all)
    return history, "", sources, d, _notice(answer.notice)


def api_ask(pipeline, question: str, top_k: int) -> dict[str, Any]:
    """What `rag ask --json` prints: the answer object, or {question, error} for a question it refuses."""
    try:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 100:
            raise QuestionError(f"top_k phải là số nguyên từ 1 đến 100, không phải {top_k!r}.")
        return pipeline.ask(question, top_k=top_k).to_dict()
    except QuestionError as exc:
        return {"question": question, "error": str(exc)}


def build_app(pipeline, examples: list[str] | None = None) -> gr.Blocks:
    """The page; `examples` defaults to `pick_examples(pipeline)`."""
    info = pipeline.info()
    if examples is None:
        examples = pick_examples(pipeline)
    default_k = pipeline.settings.top_k
    lookup = article_lookup(pipeline)

    def turn(question: str, history: list | None, top_k: float, show_all: bool):
        return respond(pipeline, question, history, top_k, show_all)

    def rerender(latest: dict | None, show_all: bool) -> str:
        return sources_html(latest, lookup, show_all=show_all)

    def clear():
        return [], "", sources_html(None, lookup), None, _notice(None)

    def ask(question: str, top_k: int = default_k) -> dict[str, Any]:
        """Answer one question: the same JSON object `rag ask --json` prints for it."""
        return api_ask(pipeline, question, top_k)

    with gr.Blocks(title="Hỏi đáp tin tức · rag-vi", analytics_enabled=False) as demo:
        gr.HTML(header_html(info), elem_id="rv-header")
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
        box.submit(turn, [box, chat, top_k, show_all], outputs, **private)
        send.click(turn, [box, chat, top_k, show_all], outputs, **private)
        for q, button in example_buttons:
            button.click(lambda h, k, s, q=q: turn(q, h, k, s), [chat, top_k, show_all], outputs, **private)
        show_all.change(rerender, [latest, show_all], sources, api_visibility="private", queue=False)
        chat.clear(clear, None, outputs, api_visibility="private", queue=False)
        gr.api(ask, api_name=API_NAME)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True):
    """Queue (so one slow question never holds up another person's) and serve."""
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
        )
    except OSError as exc:
        raise RagError(f"cannot serve on {host}:{port} ({exc}): is the port in use? Pass --port") from None


def serve(pipeline, host: str = "127.0.0.1", port: int = 7860) -> None:
    """`rag serve`: build the page on the loaded pipeline and serve it until interrupted."""
    launch(build_app(pipeline), host, port, block=True)
