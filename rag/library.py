"""Adding articles while the bot answers: files and links checked, kept under seeds/, and indexed.

One `Library` per store. An addition reads only the new files and hands the builder the current
store's articles plus them, so the update embeds only what is new and never re-reads the whole seeds
folder (re-reading and cleaning 22 644 VietNews articles takes ~25 s). The builder writes a new
generation beside the one in use and switches CURRENT: a running Pipeline keeps answering from the
previous generation until then (`Pipeline.refresh`). Additions are serialised in the process, and
wait for a build another process is running (`rag index`) instead of failing.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .config import Settings
from .errors import BuildLockedError, RagError
from .ingest import Problem, Source, read_articles, read_file, reader_for
from .ingest.guard import KINDS, Limits, Refused, accepted_suffix, check_content, safe_name, sniff
from .ingest.links import FetchError, fetch
from .ingest.sources import Registry, sha256
from .models.base import Embedder
from .schema import Article
from .store.builder import BuildReport, build_store
from .store.dense import DenseSettings
from .store.layout import current_name, store_exists
from .store.store import Store

Log = Callable[[str], None]

UPLOADS = "uploads"  # seeds/uploads/: files added from the page or `rag add FILE`
LINKS = "links"  # seeds/links/<host>/: pages downloaded by `rag add URL` or the page
_SUFFIX_OF_KIND = {"html": ".html", "pdf": ".pdf", "docx": ".docx", "text": ".txt"}


@dataclass
class Outcome:
    """What became of one file or link."""

    given: str  # the file name or link as given
    added: bool = False
    title: str | None = None
    article_id: str | None = None
    path: str | None = None  # where it is kept, relative to seeds/
    duplicate_of: str | None = None  # the title of the article it repeats
    reason: str | None = None  # why not, in English (CLI)
    vi: str | None = None  # why not, or what was done, in Vietnamese (page)


@dataclass
class AddReport:
    outcomes: list[Outcome] = field(default_factory=list)
    build: BuildReport | None = None
    seconds: float = 0.0

    @property
    def added(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.added]


class Library:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        *,
        limits: Limits | None = None,
        allow_private_links: bool = True,
        wait_for_build: float = 1800.0,
    ):
        self.settings = settings
        self.embedder = embedder
        self.limits = limits or Limits(
            file_bytes=settings.upload_max_mb * 2**20, request_bytes=settings.request_max_mb * 2**20
        )
        self.allow_private_links = allow_private_links
        self.wait_for_build = wait_for_build
        self.registry = Registry(settings.seeds)
        self._lock = threading.Lock()  # one addition at a time in this process
        self._store: tuple[str | None, Store] | None = None  # the current generation, loaded once
        self._texts: tuple[Store, dict[str, str]] | None = None

    # --- checks -------------------------------------------------------------------------------

    def _read(self, name: str, data: bytes) -> tuple[str, Article]:
        """(suffix, the article `rag index` will make of it) after every check; `Refused` otherwise."""
        suffix = check_content(name, data)
        reader = reader_for(Path(f"x{suffix}"))
        items = list(reader.read(data, Source(Path(name), name, Path(name).stem)))
        article = next((i for i in items if isinstance(i, Article)), None)
        if article is None:
            reason = next((i.reason for i in items if isinstance(i, Problem)), "no article in it")
            raise Refused(f"{name}: {reason}", f"{name}: {_vi_reason(reason)}")
        return suffix, article

    def _known_texts(self) -> dict[str, str]:
        """sha256 of each indexed article's text -> its title: the same article added under another
        name is recognised by its content."""
        store = self._current_store()
        if store is None:
            return {}
        if self._texts is None or self._texts[0] is not store:
            self._texts = (store, {_text_hash(a.text): a.title for a in store.articles.values()})
        return self._texts[1]

    # --- adding --------------------------------------------------------------------------------

    def add(
        self,
        files: Sequence[tuple[str, bytes | Path]] = (),
        links: Sequence[str] = (),
        *,
        log: Log = lambda m: None,
    ) -> AddReport:
        """Check, keep and index files (name, bytes or a path to read) and links; never raises for bad
        input: each one's outcome says what became of it."""
        started = time.perf_counter()
        report = AddReport()
        files, links = list(files), [u.strip() for u in links if u and u.strip()]
        if len(files) + len(links) > self.limits.request_files:
            raise Refused(
                f"at most {self.limits.request_files} files or links at once",
                f"Mỗi lần chỉ thêm được tối đa {self.limits.request_files} tệp hoặc liên kết.",
            )
        total = 0
        kept: list[tuple[Outcome, str]] = []
        with self._lock:
            known = self._known_texts()
            for name, source in files:
                outcome = Outcome(given=name)
                report.outcomes.append(outcome)
                try:
                    data = self._load(name, source, total)
                    total += len(data)
                    self._keep(outcome, name, data, UPLOADS, None, known, kept)
                except Refused as exc:
                    outcome.reason, outcome.vi = str(exc), exc.vi
            for url in links:
                outcome = Outcome(given=url)
                report.outcomes.append(outcome)
                try:
                    got = self._download(url)
                    folder = f"{LINKS}/{safe_name(urlsplit(got.url).hostname or 'web', '')}"
                    self._keep(outcome, _link_name(got), got.data, folder, got.url, known, kept)
                except Refused as exc:
                    outcome.reason, outcome.vi = str(exc), exc.vi
            if kept:
                log(f"indexing {len(kept)} new article(s) ...")
                report.build = self._update(new=[rel for _, rel in kept], log=log)
                store = self._current_store()
                for outcome, rel in kept:
                    article = _article_at(store, rel)
                    if article is None:  # the builder dropped it: cannot happen for a checked file
                        outcome.added, outcome.reason = False, f"{rel}: not indexed"
                        outcome.vi = f"{outcome.given}: không đưa được vào chỉ mục."
                        continue
                    outcome.added, outcome.title, outcome.article_id = True, article.title, article.id
                    outcome.vi = f"Đã thêm: {article.title}"
        report.seconds = time.perf_counter() - started
        return report

    def _load(self, name: str, source: bytes | Path, so_far: int) -> bytes:
        """The bytes of one file, refusing before reading anything too large (its size on disk)."""
        size = Path(source).stat().st_size if isinstance(source, Path) else len(source)
        if size > self.limits.file_bytes:
            raise Refused(
                f"{name}: {size / 2**20:,.1f} MB, over the limit of {self.limits.file_bytes / 2**20:,.0f} MB",
                f"{name}: tệp {_mb(size)} MB, quá giới hạn {_mb(self.limits.file_bytes)} MB mỗi tệp.",
            )
        if so_far + size > self.limits.request_bytes:
            raise Refused(
                f"{name}: one request's files may weigh {self.limits.request_bytes / 2**20:,.0f} MB in all",
                f"{name}: tổng dung lượng một lần thêm tối đa {_mb(self.limits.request_bytes)} MB.",
            )
        if isinstance(source, Path):
            with source.open("rb") as fh:
                data = fh.read(self.limits.file_bytes + 1)  # never more than the limit, whatever stat said
            if len(data) > self.limits.file_bytes:
                raise Refused(f"{name}: over the size limit", f"{name}: tệp quá giới hạn dung lượng.")
            return data
        return source

    def _download(self, url: str):
        try:
            got = fetch(url, allow_private=self.allow_private_links, max_bytes=self.limits.file_bytes)
        except FetchError as exc:
            raise Refused(f"{url}: {exc}", f"{url}: không tải được ({exc.vi}).") from None
        return got

    def _keep(self, outcome: Outcome, name: str, data: bytes, folder: str, url: str | None,
              known: dict[str, str], kept: list) -> None:  # fmt: skip
        if (earlier := self.registry.find(sha256(data))) is not None:
            article = _article_at(self._current_store(), earlier.path)
            outcome.duplicate_of = title = article.title if article else earlier.path
            raise Refused(f"{name}: the same file was added before ({earlier.path})",
                          f"{name}: tệp này đã được thêm trước đây: “{title}”.")  # fmt: skip
        suffix, draft = self._read(name, data)
        text = draft.text
        if title := known.get(_text_hash(text)):
            outcome.duplicate_of = title
            raise Refused(f"{name}: already indexed as {title!r}", f"{name}: bài này đã có: “{title}”.")
        entry, new = self.registry.keep(folder, safe_name(name, suffix), data, url=url, original=name)
        outcome.path = entry.path
        if not new:
            article = _article_at(self._current_store(), entry.path)
            title = article.title if article else entry.path
            outcome.duplicate_of = title
            raise Refused(f"{name}: the same file was added before ({entry.path})",
                          f"{name}: tệp này đã được thêm trước đây: “{title}”.")  # fmt: skip
        kept.append((outcome, entry.path))
        known[_text_hash(text)] = draft.title

    # --- removing ------------------------------------------------------------------------------

    def remove(self, article_id: str, *, log: Log = lambda m: None) -> str:
        """Take an article out: its file goes to seeds/.removed/ (kept, never read again), then the
        index is updated. -> the removed article's title."""
        with self._lock:
            store = self._current_store()
            article = store.articles.get(article_id) if store is not None else None
            if article is None:
                raise Refused(
                    f"no article {article_id!r} in the index", "Không có bài viết này trong chỉ mục."
                )
            if "#" in article.path:
                raise Refused(
                    f"{article.path} is a record of a bulk file: edit that file, then run `rag index`",
                    "Bài này nằm trong một tệp nhiều bài (.jsonl): hãy sửa tệp đó rồi chạy rag index.",
                )
            rel = _seeds_relative(self.settings, article)
            with contextlib.suppress(FileNotFoundError):  # already gone from seeds/: only the index has it
                self.registry.put_away(rel)
            self._update(removed=[article_id], log=log)
            return article.title

    # --- the index -------------------------------------------------------------------------------

    def _current_store(self) -> Store | None:
        store_dir = self.settings.store
        if not store_exists(store_dir):
            return None
        pointer = current_name(store_dir)
        if self._store is None or self._store[0] != pointer:
            self._store = (pointer, Store.load(store_dir))
        return self._store[1]

    def _update(self, *, new: Sequence[str] = (), removed: Sequence[str] = (), log: Log) -> BuildReport:
        """The current store's articles, less `removed`, plus the articles of the `new` files."""
        deadline = time.monotonic() + self.wait_for_build
        told = False
        while True:
            try:
                return self._build_once(new, removed)
            except BuildLockedError:
                if time.monotonic() > deadline:
                    raise RagError(
                        "another build of the index has been running for too long; the files are kept "
                        "in seeds/ and `rag index` will add them"
                    ) from None
                if not told:
                    log("another build of the index is running: waiting for it to finish ...")
                    told = True
                time.sleep(0.5)

    def _build_once(self, new: Sequence[str], removed: Sequence[str]) -> BuildReport:
        settings = self.settings
        store = self._current_store()
        if store is None:  # no index yet: a full build from seeds/
            articles, _ = read_articles(settings.seeds, settings.root)
        else:
            gone = set(removed)
            articles = [store.articles[a] for a in store.article_order if a not in gone]
            have = {a.id for a in articles}
            links = {rel: e.url for rel, e in self.registry.entries().items() if e.url}
            for rel in new:
                for item in read_file(settings.seeds / rel, settings.seeds, settings.root, links):
                    if isinstance(item, Article) and item.id not in have:
                        articles.append(item)
                        have.add(item.id)
        if not articles:
            raise RagError(f"no articles left in {settings.seeds}")
        return build_store(
            articles,
            settings.store,
            self.embedder,
            settings.chunking,
            dense=DenseSettings(settings.dense_index),
        )


def _article_at(store: Store | None, rel: str) -> Article | None:
    if store is None:
        return None
    aid = rel.rsplit(".", 1)[0]
    return store.articles.get(aid)


def _seeds_relative(settings: Settings, article: Article) -> str:
    path = (settings.root / article.path) if not Path(article.path).is_absolute() else Path(article.path)
    return path.resolve().relative_to(settings.seeds).as_posix()


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link_name(got) -> str:
    """A file name for a downloaded page: the link's last path part, with the suffix its content has."""
    parts = urlsplit(got.url)
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or parts.hostname or "trang"
    own = accepted_suffix(last)
    kind = sniff(got.data)
    if own and KINDS[own] == kind:
        return last  # the link's own name says what it is
    stem = last[: -len(own)] if own else last
    return stem + (got.suffix or _SUFFIX_OF_KIND.get(kind, ".html"))


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f}".replace(",", " ").replace(".", ",").removesuffix(",0")


_VI = {
    "no text layer": "PDF không có lớp chữ (bản scan?): hãy nhận dạng chữ (OCR) trước rồi thêm lại.",
    "protected by a password": "PDF có mật khẩu: hãy lưu một bản không mật khẩu.",
    "ZIP bomb": "tệp Word bị từ chối: nội dung giải nén quá lớn (nghi là “bom ZIP”).",
    "not a Word": "không phải tệp Word .docx hợp lệ.",
    "damaged Word": "tệp Word bị hỏng, không đọc được.",
    "not a PDF": "không phải tệp PDF (có thể là tệp khác bị đổi đuôi).",
    "damaged PDF": "tệp PDF bị hỏng, không đọc được.",
    "not a web page": "không phải trang web (có thể là tệp khác bị đổi đuôi).",
    "no article text": "không tìm thấy nội dung bài viết trong trang.",
    "no text": "không có nội dung chữ.",
    "pages, more than": "PDF quá nhiều trang.",
}


def _vi_reason(reason: str) -> str:
    return next((vi for key, vi in _VI.items() if key in reason), reason)
