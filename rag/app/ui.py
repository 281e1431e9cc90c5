"""The chat page: a Gradio face on the same `Pipeline` the CLI uses; no retrieval or answer logic here.

Layout: two tabs. "Hỏi đáp": the conversation (examples, folded-away settings and filters) and, beside
it on a wide screen, the sources of the answer last clicked (on a phone each answer's own, under it).
"Bài viết": the one list of the articles the bot knows, and with --allow-uploads the panels that add
and remove them. Markup is built by `render`, which escapes every article and question
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
from .render import EMPTY_SOURCES, answer_html, articles_html, header_html, notice_html, question_html

# No analytics or version checks: the page must start on a machine without internet access.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 - after the environment above

from .library_panels import (  # noqa: E402 - Gradio components, after the environment above
    ANY_SOURCE,
    filter_controls,
    filters_from,
    library_panels,
    publishers_of,
    removal_choices,
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


HISTORY_TURNS = 8  # earlier turns a request may carry: what a follow-up leans on is recent


def _turn_record(d: dict) -> dict:
    """What the page keeps of an answer for the next question's history: enough to complete a
    follow-up (what was asked and answered, and what the answer was about), not its passages list."""
    keep = ("question", "standalone", "answer", "abstained")
    cites = [{k: c.get(k) for k in ("context", "title", "passage")} for c in d.get("citations", [])]
    return {"question": d["question"], "answer": {**{k: d.get(k) for k in keep}, "citations": cites}}


def _answers_in(chat: list) -> int:
    return sum(
        1 for m in chat if (m.get("role") if isinstance(m, dict) else getattr(m, "role", None)) == "assistant"
    )


def respond(
    pipeline,
    question: str,
    chat: list | None,
    turns: list | None,
    top_k: float,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> tuple:
    """One chat turn -> (chat, input box, conversation, notice); never raises. `source`, `since` and
    `until` are the filter controls' values.

    The conversation (the earlier turns, passed as the question's history) lives in the page and comes
    with each request: the server keeps nothing between them."""
    chat, turns = list(chat or []), list(turns or [])
    try:
        filters = filters_from(source, since, until)
        answer = pipeline.ask(question, top_k=int(top_k), history=turns[-HISTORY_TURNS:], filters=filters)
    except QuestionError as exc:
        return chat, gr.skip(), gr.skip(), _notice(str(exc))
    except Exception:  # noqa: BLE001 - the page shows a notice; the log keeps the traceback
        log.exception("question failed: %r", question[:200] if isinstance(question, str) else question)
        return chat, gr.skip(), gr.skip(), _notice(INTERNAL_ERROR)
    d = answer.to_dict()
    bubble = answer_html(d, _answers_in(chat) + 1, article_lookup(pipeline), file_link(pipeline))
    chat += [
        {"role": "user", "content": question_html(d["question"])},
        {"role": "assistant", "content": bubble},
    ]
    return chat, "", [*turns, _turn_record(d)], _notice(answer.notice)


def api_ask(
    pipeline, question: str, top_k: int, history: list | None = None, source=None, since=None, until=None
) -> dict[str, Any]:
    """What `rag ask --json` prints: the answer object, or {question, error} for a question it refuses.
    `history` is the conversation so far, oldest first (questions, or {question, answer} objects)."""
    try:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 100:
            raise QuestionError(f"top_k phải là số nguyên từ 1 đến 100, không phải {top_k!r}.")
        if history is not None and not isinstance(history, list):
            raise QuestionError("history phải là danh sách các câu hỏi trước (cũ nhất trước), hoặc để trống.")
        filters = Filters.parse(source or None, since or None, until or None)  # an inactive one is None
        turns = (history or [])[-HISTORY_TURNS:]
        return pipeline.ask(question, top_k=top_k, history=turns, filters=filters).to_dict()
    except QuestionError as exc:
        return {"question": question, "error": str(exc)}


# --- the articles the bot knows ----------------------------------------------------------------------

ARTICLES_PAGE = 20


def article_rows(pipeline, query: str = "", source: str | None = None) -> list[dict]:
    """The articles (`Pipeline.catalogue`: newest added first, then newest); `query` keeps those whose
    title, place, publisher or file hold it (with or without diacritics), `source` those of a publisher."""
    from ..query.grounding import about

    wanted = fold(" ".join(query.lower().split()))
    source = None if not source or source == ANY_SOURCE else source
    articles = pipeline.current().store.articles
    rows = []
    for r in pipeline.catalogue():
        if source is not None and r["publisher"] != source:
            continue
        hay = fold(f"{r['title']} {r['publisher'] or ''} {r['source']}".lower())
        article = articles.get(r["id"])
        if wanted and wanted not in hay:
            main = about(article).main if article else None  # the place is read only when needed
            if main is None or wanted not in fold(main.name.lower()):
                continue
        rows.append({**r, "article": article})
    return rows


def articles_page(pipeline, query: str, page: float, source: str | None = None) -> tuple[str, int]:
    """One page of the list: (its HTML, the page number shown)."""
    from ..query.grounding import about

    found = article_rows(pipeline, query or "", source)
    pages = max(1, -(-len(found) // ARTICLES_PAGE))
    page = min(max(1, int(page or 1)), pages)
    shown = found[(page - 1) * ARTICLES_PAGE : page * ARTICLES_PAGE]
    rows = []
    for r in shown:
        main = about(r["article"]).main if r["article"] else None
        rows.append({**r, "place": main.name if main else "", "path": r["source"]})
    return articles_html(rows, len(found), (query or "").strip(), page, pages), page


# --- the page --------------------------------------------------------------------------------------------


def chat_panel(examples: list[str], default_k: int) -> dict:
    """The conversation: the chat, notices, the question box, examples, settings. -> its components."""
    c: dict = {}
    c["chat"] = gr.Chatbot(
        label="Hội thoại",
        show_label=False,
        elem_id="rv-chat",
        height=520,
        placeholder=(
            "**Hãy đặt một câu hỏi về nội dung các bài báo.**  \n"
            "Ví dụ: một con số, một ngày tháng, ai đã làm gì. Hỏi tiếp được: “Còn Bắc Giang thì sao?”"
        ),
        render_markdown=False,  # messages are HTML built by render, every text escaped
        sanitize_html=True,  # and sanitized again by the page
        latex_delimiters=[],
        feedback_options=None,
        buttons=[],
        autoscroll=True,
    )
    c["notice"] = gr.HTML("", elem_id="rv-notice", visible=False)
    with gr.Row(equal_height=True, elem_id="rv-ask-row"):
        c["box"] = gr.Textbox(
            placeholder="Nhập câu hỏi, có dấu hoặc không dấu, rồi nhấn Enter…",
            label="Câu hỏi",
            show_label=False,
            lines=1,
            max_lines=6,
            scale=6,
            autofocus=True,
            elem_id="rv-question",
        )
        c["send"] = gr.Button("Gửi", variant="primary", scale=1, min_width=90, elem_id="rv-send")
    c["new"] = gr.Button("Cuộc trò chuyện mới", size="sm", variant="secondary", elem_id="rv-new")
    c["examples"] = []
    if examples:
        gr.Markdown("Thử hỏi:", elem_classes="rv-examples-label")
        with gr.Row(elem_id="rv-examples"):
            for q in examples:
                c["examples"].append((q, gr.Button(q, size="sm", variant="secondary")))
    with gr.Accordion("Tùy chọn", open=False, elem_id="rv-settings"):
        c["top_k"] = gr.Slider(
            1,
            MAX_TOP_K,
            value=default_k,
            step=1,
            label="Số đoạn văn truy xuất",
            info="Bao nhiêu đoạn gần nhất được tìm cho mỗi câu hỏi.",
        )
        c["show_all"] = gr.Checkbox(label="Hiện mọi đoạn đã truy xuất, kèm điểm số", elem_id="rv-show-all")
    # the conversation so far, held by the page (a hidden value, not server state): each question's history
    c["turns"] = gr.JSON([], visible=False)
    return c


def sources_panel() -> gr.HTML:
    """Beside the chat on a wide screen: the sources of the answer last clicked (the latest by default)."""
    return gr.HTML(
        f'<div class="rv-panel">{EMPTY_SOURCES}</div>',
        elem_id="rv-sources",
        js_on_load=SOURCES_JS,
        container=True,
        padding=True,
    )


@dataclass
class ArticleList:
    """The list "Bài viết" and what it is shown by, so that an addition or a removal can refresh it."""

    listing: gr.HTML
    page: gr.Number
    inputs: list  # the search box, the source picker


def articles_panel(pipeline, publishers: list[str]) -> ArticleList:
    """The list "Bài viết": the articles the bot knows (title, place, date, source, when added),
    searchable, narrowed to one source, a page at a time."""
    first, _ = articles_page(pipeline, "", 1)
    with gr.Row(equal_height=True):
        search = gr.Textbox(
            placeholder="Tìm theo tiêu đề, nơi, nguồn (có dấu hoặc không dấu)…",
            show_label=False,
            scale=4,
            elem_id="rv-article-search",
        )
        source = gr.Dropdown(
            [ANY_SOURCE, *publishers],
            value=ANY_SOURCE,
            show_label=False,
            scale=2,
            elem_id="rv-articles-source",
        )
        back = gr.Button("‹ Trang trước", size="sm", scale=1, elem_id="rv-articles-back")
        forward = gr.Button("Trang sau ›", size="sm", scale=1, elem_id="rv-articles-next")
    listing = gr.HTML(first, elem_id="rv-articles")
    page = gr.Number(1, visible=False)
    private = {"api_visibility": "private", "queue": False}

    def show(query, src, p):
        return articles_page(pipeline, query, p, src)

    shown = [listing, page]
    search.change(lambda q, s: show(q, s, 1), [search, source], shown, **private)
    source.change(lambda q, s: show(q, s, 1), [search, source], shown, **private)
    back.click(lambda q, s, p: show(q, s, (p or 1) - 1), [search, source, page], shown, **private)
    forward.click(lambda q, s, p: show(q, s, (p or 1) + 1), [search, source, page], shown, **private)
    return ArticleList(listing, page, [search, source])


# gradio scopes the page's CSS to its container, so the switch is a class on an element inside it
# On <body>, which Gradio never re-renders: a class on a component's element (the tabs) is overwritten
# whenever Svelte updates that component, and the passages hid again under a later answer.
SHOW_ALL_JS = "(on) => { document.body.classList.toggle('rv-show-all', !!on); }"


def build_app(
    pipeline, examples: list[str] | None = None, *, library=None, password: str | None = None
) -> gr.Blocks:
    """The page; `examples` defaults to `pick_examples(pipeline)`. With a `library` (--allow-uploads)
    the tab "Bài viết" has the "Thêm bài viết" panel and the admin's removal; `password` protects both."""
    info = pipeline.info()
    if examples is None:
        examples = pick_examples(pipeline)
    default_k = pipeline.settings.top_k

    def turn(question: str, chat: list | None, turns: list | None, top_k: float, source, since, until):
        return respond(pipeline, question, chat, turns, top_k, source, since, until)

    def ask(
        question: str,
        top_k: int = default_k,
        history: list | None = None,
        source: str = "",
        since: str = "",
        until: str = "",
    ) -> dict[str, Any]:
        """Answer one question: the same JSON object `rag ask --json` prints for it. `history`: the
        earlier questions of the conversation, oldest first (or {question, answer} objects, the answer
        as /ask returned it); a follow-up is completed from them, see "standalone". `source`, `since`
        and `until` (2023-01-01, 2023-05, 2023) limit the articles searched."""
        return api_ask(pipeline, question, top_k, history, source, since, until)

    # uploaded files wait in Gradio's cache until an addition reads them; an hour later they are deleted
    page = {"title": "Hỏi đáp tin tức · rag-vi", "analytics_enabled": False, "delete_cache": (3600, 3600)}
    with gr.Blocks(**page) as demo:
        header = gr.HTML(header_html(info), elem_id="rv-header")
        with gr.Tabs(elem_id="rv-tabs"):
            with gr.Tab("Hỏi đáp", elem_id="rv-tab-chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=360):
                    c = chat_panel(examples, default_k)
                    with gr.Accordion("Lọc theo nguồn và thời gian", open=False, elem_id="rv-filter"):
                        controls = filter_controls(publishers_of(pipeline))
                with gr.Column(scale=2, min_width=320, elem_id="rv-sources-col"):
                    sources_panel()
            with gr.Tab("Bài viết", elem_id="rv-tab-articles"):
                articles = articles_panel(pipeline, publishers_of(pipeline))
                pick = None
                if library is not None:

                    def sources_now(**kw):
                        return gr.update(choices=[ANY_SOURCE, *publishers_of(pipeline)], **kw)

                    shows = {  # what shows what the bot knows, once an article is added or removed
                        header: lambda: header_html(pipeline.info()),
                        articles.listing: lambda: articles_page(pipeline, "", 1)[0],
                        articles.page: lambda: 1,
                        articles.inputs[0]: lambda: "",
                        articles.inputs[1]: lambda: sources_now(value=ANY_SOURCE),
                        controls.source: sources_now,
                    }
                    pick = library_panels(pipeline, library, password, shows)
        gr.HTML('<p class="rv-footer"><a href="?view=api">Dùng qua API</a></p>', elem_id="rv-footer")

        outputs = [c["chat"], c["box"], c["turns"], c["notice"]]
        inputs = [c["box"], c["chat"], c["turns"], c["top_k"], *controls.inputs]
        private = {"api_visibility": "private", "show_progress": "minimal"}
        c["box"].submit(turn, inputs, outputs, **private)
        c["send"].click(turn, inputs, outputs, **private)
        for q, button in c["examples"]:
            button.click(lambda *rest, q=q: turn(q, *rest), inputs[1:], outputs, **private)
        c["new"].click(
            lambda: ([], "", [], _notice(None)), None, outputs, api_visibility="private", queue=False
        )
        c["show_all"].change(None, c["show_all"], None, js=SHOW_ALL_JS, api_visibility="private", queue=False)

        def now_known():  # a page opened after an addition shows it: the values above are the build's
            choices = gr.update(choices=[ANY_SOURCE, *publishers_of(pipeline)])
            shown = [header_html(pipeline.info()), articles_page(pipeline, "", 1)[0], choices, choices]
            return shown + ([gr.update(choices=removal_choices(pipeline))] if pick is not None else [])

        known = [header, articles.listing, articles.inputs[1], controls.source, *([pick] if pick else [])]
        demo.load(now_known, None, known, api_visibility="private", queue=False)
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
            footer_links=[],  # gradio's own are in English: ours is rv-footer
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
