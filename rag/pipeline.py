"""The one engine behind every face: the CLI, the chat page, the evaluation and the tests."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tqdm import tqdm

from .config import Settings
from .errors import OutdatedStoreError, RagError
from .ingest import Problem, read_articles
from .models import load_embedder
from .models.base import Embedder
from .query.analyse import prepare_question, read_query
from .query.conversation import Completer, Completion, parse_history
from .query.extract import Answerer, AnswerSettings
from .query.filters import Filters
from .query.grounding import Grounder
from .query.retrieve import RetrievalSettings, Retriever
from .query.spanning import Spanner, spans
from .schema import Answer, Article
from .store.builder import BuildReport, build_store
from .store.dense import DenseSettings
from .store.layout import CURRENT, current_name, store_exists
from .store.ray_backend import RayBackend, RaySettings
from .store.store import Store

Log = Callable[[str], None]
History = Sequence[str | dict]  # earlier questions, or {"question", "answer", "standalone"}: parse_history
log = logging.getLogger(__name__)


KINDS_SAID = ".html, .pdf, .docx, .txt, .md or .jsonl"


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class IndexResult:
    report: BuildReport
    problems: list[Problem] = field(default_factory=list)
    ray_costs: dict[str, float] = field(default_factory=dict)  # a Ray build's own costs (RayBackend.costs)


def build_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    show_progress: bool = True,
    log: Log = _stderr,
    ray: RaySettings | None = None,
) -> IndexResult:
    """Read `settings.seeds` and bring the store in line with it; with `ray`, the heavy steps run on a
    Ray cluster (rag/store/ray_backend.py) and the store written is the same."""
    seeds = settings.seeds
    if not seeds.is_dir():
        raise RagError(f"seeds folder {seeds} does not exist: create it and add articles ({KINDS_SAID})")
    if ray is None:
        return _build(settings, rebuild, show_progress, log, embedder)
    with RayBackend(ray, settings) as backend:
        log(f"Ray: {len(backend.workers)} workers")
        result = _build(settings, rebuild, show_progress, log, backend=backend)
        if backend.resumed_shards:
            log(f"resumed: {backend.resumed_shards} shards were already done")
    backend.finish()
    result.ray_costs = backend.costs
    return result


def _build(
    settings: Settings,
    rebuild: bool,
    show_progress: bool,
    log: Log,
    embedder: Embedder | None = None,
    backend: RayBackend | None = None,
) -> IndexResult:
    articles, problems = read_articles(settings.seeds, settings.root, backend.clean if backend else None)
    for p in problems:
        log(f"warning: {p}")
    if not articles:
        raise RagError(f"no articles in {settings.seeds}: add {KINDS_SAID} files, then run `rag index`")
    # a Ray build's driver never loads the model: the workers say which one they loaded
    embedder = backend.identity if backend else embedder or load_embedder(settings)

    def progress(total: int, n_articles: int):
        bar = tqdm(
            total=total,
            desc=f"embedding {n_articles} articles",
            unit="chunk",
            disable=not show_progress or total == 0,
            file=sys.stderr,
        )

        def tick(n: int) -> None:
            bar.update(n)
            if bar.n >= bar.total:
                bar.close()

        return tick

    report = build_store(
        articles,
        settings.store,
        embedder,
        settings.chunking,
        rebuild=rebuild,
        progress=progress,
        dense=DenseSettings(settings.dense_index),
        backend=backend,
    )
    return IndexResult(report, problems)


def _note_sentence_kind(store: Store, settings: Settings, log: Log) -> None:
    """A store of the other kind of sentence vectors still answers (with the weights fitted on its
    kind), a little less well, so it is served as it is (embedding 22 644 articles again at start-up
    would take the better part of an hour) and the operator is told how to bring it in line."""
    kind = store.sentence_kind
    if kind is not None and kind != settings.sentence_vectors:
        log(
            f"note: {settings.store} holds {kind} sentence vectors, not "
            f"{settings.sentence_vectors} (RAG_SENTENCE_VECTORS): `rag index` embeds them again"
        )


def check_store_model(settings: Settings) -> None:
    """An addition to an existing store is embedded by the model that built it, or not at all."""
    if store_exists(settings.store):
        Store.load(settings.store).check_model(settings.model, settings.backend)


@dataclass(frozen=True)
class Engine:
    """One loaded generation with what searches and answers over it; a question keeps the engine it
    started with, so a generation switched meanwhile never changes an answer half-way."""

    store: Store
    retriever: Retriever
    answerer: Answerer
    completer: Completer
    spanner: Spanner


class Pipeline:
    """A loaded store plus the model: answers questions.

    It follows the store: before each question it looks at the store's CURRENT (a stat, a few µs; the
    file is read only when it was replaced), and when a build has switched it to another generation,
    the first question to notice loads that one and answers from it. Questions asked meanwhile from
    other threads answer from the generation loaded before, without waiting; a generation that cannot
    be used (damaged, another model) is logged once and the pipeline stays on the one it has.
    `follow=False` pins the store given (the ablation study searches a store it changed in memory).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: Embedder,
        retrieval: RetrievalSettings | None = None,
        answering: AnswerSettings | None = None,
        *,
        follow: bool = True,
    ):
        store.check_model(embedder.model, embedder.backend)
        self.settings = settings
        self.embedder = embedder
        self._retrieval, self._answering = retrieval, answering
        self._engine = self._engine_for(store)
        self._follow = follow
        self._reload_lock = threading.Lock()
        self._refused: str | None = None  # a generation that could not be used: not tried again
        self._seen: tuple | None = None  # CURRENT's identity when it was last read

    def _engine_for(self, store: Store) -> Engine:
        sentences = store.sentence_vectors if store.sentences is not None else None
        answerer = Answerer(
            store.lexical, self._answering, sentences, steps=(Grounder(),), sentence_kind=store.sentence_kind
        )
        return Engine(
            store,
            Retriever(store, self.embedder, self._retrieval),
            answerer,
            Completer(idf=lambda word: answerer.word_idf(word, "folded")),
            Spanner(answerer),
        )

    @property
    def store(self) -> Store:
        return self._engine.store

    @property
    def retriever(self) -> Retriever:
        return self._engine.retriever

    @property
    def answerer(self) -> Answerer:
        return self._engine.answerer

    def current(self) -> Engine:
        """The engine of the store's current generation, loading it first if a build switched it."""
        engine = self._engine
        if not self._follow:
            return engine
        pointer = engine.store.folder.parent / CURRENT
        try:
            st = pointer.stat()
        except OSError:
            return engine
        seen = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)  # a switch renames a new file onto it
        if seen == self._seen:
            return engine
        name = current_name(pointer.parent)
        if name is None or name in (engine.store.generation, self._refused):
            self._seen = seen
            return engine
        return self._switch(name) or engine

    def _switch(self, name: str) -> Engine | None:
        if not self._reload_lock.acquire(blocking=False):
            return None  # another question is loading it: this one answers from the generation it has
        try:
            if self._engine.store.generation == name:
                return self._engine
            store_dir = self._engine.store.folder.parent
            try:
                store = Store.load(store_dir)
                store.check_model(self.embedder.model, self.embedder.backend)
            except RagError as exc:
                self._refused = name
                log.warning("not switching to %s/%s, still answering from %s: %s",
                            store_dir, name, self._engine.store.generation, exc)  # fmt: skip
                return None
            self._engine = self._engine_for(store)
            self._seen = None  # read CURRENT again at the next question: it may have moved on meanwhile
            log.info("answering from %s/%s", store_dir, store.generation)
            return self._engine
        finally:
            self._reload_lock.release()

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        build_if_missing: bool | None = None,
        log: Log = _stderr,
        show_progress: bool = True,
    ) -> Pipeline:
        """Load the store; with none yet, build the default one from the seeds first, saying so.

        The default store is also brought up to date when its keyword index is of an older kind (after
        an upgrade), which embeds nothing, so `make run` keeps working.

        A store folder named explicitly (`--store DIR`) is never built implicitly: a typo in a path
        should be an error, not a new index.
        """
        settings = settings or Settings()
        if build_if_missing is None:
            build_if_missing = settings.store_dir is None
        embedder = None
        store = None
        if store_exists(settings.store):
            try:
                store = Store.load(settings.store)
            except OutdatedStoreError:
                if not build_if_missing:
                    raise
                log(f"the keyword index in {settings.store} is of an older kind: making it again ...")
        elif not build_if_missing:
            where = f" --store {settings.store}" if settings.store_dir else ""
            raise RagError(f"no index in {settings.store}: run `rag index{where}` to build it")
        else:
            log(f"no index in {settings.store} yet: building it from {settings.seeds} ...")
        if store is None:
            embedder = load_embedder(settings)
            result = build_index(settings, embedder=embedder, show_progress=show_progress, log=log)
            log(result.report.summary())
            store = Store.load(settings.store)
        store.check_model(settings.model, settings.backend)
        _note_sentence_kind(store, settings, log)
        embedder = embedder or load_embedder(settings)
        return cls(settings, store, embedder)

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        *,
        history: History | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        """Answer `question`; with `history` (the earlier turns of its conversation, oldest first: see
        `query.conversation.parse_history`), a follow-up is completed from them first. `filters` limits
        the articles searched (a source, a date range), inside the search itself."""
        started = time.perf_counter()
        text, notice = prepare_question(question, self.settings.max_question_chars)
        engine = self.current()
        turns = parse_history(history)
        completion = engine.completer.complete(text, turns) if turns else Completion(text)
        query = read_query(completion.standalone, engine.retriever.restorer)
        k = max(1, top_k or self.settings.top_k)
        if filters is not None and not filters.active:
            filters = None
        wide = spans(completion.standalone, query.restored_text)
        depth = max(engine.answerer.passages_wanted(k), engine.spanner.settings.depth if wide else 0)
        # encoded once: the dense search and the sentence scorer both read it
        vector = engine.retriever.encode(query)
        hits = engine.retriever.search(query, depth, filters, vector)
        if filters is not None and not hits and not engine.retriever.facets.articles(filters).any():
            notice = f"Không có bài viết nào khớp bộ lọc ({filters.describe()})."
        # an article's title added to a follow-up finds the article; the sentences answer the question
        quoting = read_query(completion.core, engine.retriever.restorer) if completion.core else query
        asked = engine.answerer.read(quoting, vector)
        hits = engine.answerer.rerank(asked, hits)
        reply = (engine.spanner if wide else engine.answerer).compose(asked, hits)
        return Answer(
            question=text,
            text=reply.text,
            abstained=reply.abstained,
            citations=reply.citations,
            hits=reply.hits[:k],
            notice=notice,
            mode=query.mode,
            searched_as=query.restored_text,
            standalone=completion.standalone,
            spans=reply.spans,
            filters=filters.to_dict() if filters is not None else None,
            short_answer=reply.short,
            seconds=time.perf_counter() - started,
        )

    def article(self, article_id: str) -> Article:
        try:
            return self.current().store.articles[article_id]
        except KeyError:
            raise RagError(f"no article {article_id!r} in the index") from None

    def catalogue(self) -> list[dict]:
        """Every article the bot knows, newest first: what the page's article list shows."""
        store = self.current().store
        entries = store.manifest["articles"]
        rows = [
            {
                "id": a.id,
                "title": a.title,
                "date": a.date,
                "publisher": a.publisher,
                "source": a.path,
                "url": a.url,
                "added": entries.get(a.id, {}).get("added"),
            }
            for a in store.articles.values()
        ]
        return sorted(rows, key=lambda r: (r["added"] or "", r["date"] or ""), reverse=True)

    def info(self) -> dict:
        """What the bot knows: shown in the page title and `rag ask` headers."""
        store = self.current().store
        m = store.manifest
        publishers = sorted({a.publisher for a in store.articles.values() if a.publisher})
        return {
            "articles": len(store.articles),
            "chunks": len(store.chunks),
            "publishers": publishers,
            "built_at": m["built_at"],
            "model": m["embedding"]["model"],
            "backend": m["embedding"]["backend"],
            "store": str(self.settings.store),
        }
