"""Adding articles while the bot answers: links downloaded once, files checked, both indexed at once.

Links come from a web server on this machine (tests/documents.py); the pages are tests/data/pages/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest.guard import Limits, Refused
from rag.ingest.sources import REGISTRY
from rag.library import Library
from rag.pipeline import Pipeline, build_index
from rag.store.store import Store

from .conftest import SEEDS, run_cli
from .documents import make_docx, make_pdf, make_zip_bomb, serve_folder
from .test_formats import PAGES, PDF_PAGES

GOV = "bacgiang_gov_dan_van.htm"  # a page naming no link of its own: the one it came from is kept


@pytest.fixture()
def project(tmp_path) -> Path:
    """A project folder with the seed articles and no index yet."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    return tmp_path


@pytest.fixture()
def site(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copyfile(PAGES / GOV, folder / GOV)
    (folder / "bao-cao.pdf").write_bytes(
        make_pdf(PDF_PAGES, title="Báo cáo kết quả công tác dân vận năm 2023")
    )
    with serve_folder(folder) as url:
        yield folder, url


def test_rag_add_downloads_a_link_once_and_index_rebuilds_it_offline(project, site):
    folder, url = site
    seeds, store = project / "seeds", project / "store"
    run = run_cli("add", "--seeds", str(seeds), "--store", str(store), f"{url}/{GOV}", f"{url}/bao-cao.pdf")
    assert run.returncode == 0, run.stderr
    assert "added: Yên Dũng: Phát huy vai trò của Mặt trận trong xây dựng nông thôn mới" in run.stdout
    assert "added: Báo cáo kết quả công tác dân vận năm 2023" in run.stdout
    kept = sorted(p.relative_to(seeds).as_posix() for p in (seeds / "links").rglob("*") if p.is_file())
    assert kept == ["links/127.0.0.1/bacgiang_gov_dan_van.htm", "links/127.0.0.1/bao-cao.pdf"]
    shutil.rmtree(folder)  # the site is gone: everything must come from seeds/ now

    again = run_cli("index", "--seeds", str(seeds), "--store", str(store))
    assert again.returncode == 0 and "up to date" in again.stdout, again.stderr
    rebuilt = run_cli("index", "--seeds", str(seeds), "--store", str(store), "--rebuild", "--quiet")
    assert rebuilt.returncode == 0, rebuilt.stderr
    ask = run_cli("ask", "--store", str(store), "--json", "Nhân dân huyện Yên Dũng đã hiến bao nhiêu m2 đất?")
    cited = json.loads(ask.stdout)["citations"][0]
    assert "48.600 m2 đất" in cited["quote"]
    assert cited["url"] == f"{url}/{GOV}"  # the page names no link: the one it was downloaded from
    question = "Có bao nhiêu mô hình Dân vận khéo được công nhận?"
    pdf = json.loads(run_cli("ask", "--store", str(store), "--json", question).stdout)["citations"][0]
    assert pdf["source"].endswith("seeds/links/127.0.0.1/bao-cao.pdf")
    assert (pdf["page"], pdf["url"]) == (2, f"{url}/bao-cao.pdf")
    assert "1.135 mô hình" in pdf["quote"]


def test_links_that_cannot_be_fetched_are_named_with_the_reason(project, site):
    _, url = site
    seeds, store = project / "seeds", project / "store"
    run = run_cli(
        "add", "--seeds", str(seeds), "--store", str(store),
        f"{url}/khong-co.html", "http://127.0.0.1:9/bai.html", "ftp://example.vn/bai.html",
    )  # fmt: skip
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert f"rag: not added: {url}/khong-co.html: the server answered 404 File not found" in lines
    assert any(ln.startswith("rag: not added: http://127.0.0.1:9/bai.html: cannot connect") for ln in lines)
    assert "rag: not added: ftp://example.vn/bai.html: only http:// and https:// links can be added" in lines
    assert "Traceback" not in run.stderr
    assert not (seeds / "links").exists() and not store.exists()  # nothing kept, nothing built


# --- the library, as the page uses it ------------------------------------------------------------


@pytest.fixture()
def library(project, embedder) -> tuple[Library, Pipeline]:
    settings = Settings(root=project)
    build_index(settings, embedder=embedder, show_progress=False, log=lambda m: None)
    pipeline = Pipeline(settings, Store.load(settings.store), embedder)
    return Library(settings, embedder, limits=Limits(file_bytes=2 * 2**20, request_bytes=3 * 2**20)), pipeline


def seeds_files(settings: Settings) -> set[str]:
    return {p.relative_to(settings.seeds).as_posix() for p in settings.seeds.rglob("*") if p.is_file()}


def test_bad_uploads_get_a_clear_reason_and_nothing_is_written(library, tmp_path):
    lib, pipeline = library
    before = seeds_files(lib.settings), Store.load(lib.settings.store).folder
    big = tmp_path / "lon.pdf"
    with big.open("wb") as fh:  # 200 MB on paper, nothing on disk: the limit is checked before reading
        fh.truncate(200 * 2**20)
    report = lib.add(
        [
            ("rong.html", b""),
            ("rong.pdf", b""),
            ("anh.pdf", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16),
            ("bom.docx", make_zip_bomb(200)),
            ("lon.pdf", big),
            ("chuong-trinh.exe", b"MZ\x90\x00"),
            ("bai.docx", make_pdf(PDF_PAGES)),
        ]
    )
    why = {o.given: o.vi for o in report.outcomes}
    assert not report.added and report.build is None
    assert why["rong.html"] == "rong.html: tệp rỗng."
    assert why["rong.pdf"] == "rong.pdf: tệp rỗng."
    assert "không phải PDF" in why["anh.pdf"]
    assert "bom ZIP" in why["bom.docx"]
    assert why["lon.pdf"] == "lon.pdf: tệp 200 MB, quá giới hạn 2 MB mỗi tệp."
    assert "không nhận loại tệp này" in why["chuong-trinh.exe"]
    assert "không phải Word (.docx)" in why["bai.docx"] and "PDF" in why["bai.docx"]
    assert (seeds_files(lib.settings), Store.load(lib.settings.store).folder) == before


def test_a_request_over_its_limits_is_refused_whole(library):
    lib, _ = library
    with pytest.raises(Refused, match="at most 20 files") as refused:
        lib.add([(f"{i}.txt", b"x") for i in range(21)])
    assert "tối đa 20 tệp" in refused.value.vi
    heavy = [(f"bai-{i}.pdf", b"%PDF-1.7\n" + b"\0" * (1800 * 1024)) for i in range(2)]
    report = lib.add(heavy)  # 1.8 MB each, 3 MB a request: the second does not fit
    assert "PDF bị hỏng" in report.outcomes[0].vi
    assert report.outcomes[1].vi == "bai-1.pdf: tổng dung lượng một lần thêm tối đa 3 MB."


def test_a_path_in_the_name_never_leaves_seeds(library):
    lib, pipeline = library
    page = (PAGES / GOV).read_bytes()
    report = lib.add([("../../etc/passwd.html", page)])
    [outcome] = report.outcomes
    assert outcome.added and outcome.path == "uploads/passwd.html"
    assert (lib.settings.seeds / "uploads" / "passwd.html").read_bytes() == page
    assert (
        not (lib.settings.root / "etc").exists() and not (lib.settings.seeds.parent.parent / "etc").exists()
    )
    assert pipeline.ask("Nhân dân huyện Yên Dũng đã hiến bao nhiêu m2 đất?").citations[0].article_id == (
        "uploads/passwd"
    )


def test_the_same_article_twice_is_recognised(library):
    lib, _ = library
    page = (PAGES / GOV).read_bytes()
    first = lib.add([("yen-dung.htm", page)])
    assert first.outcomes[0].added
    title = first.outcomes[0].title
    same_bytes = lib.add([("ban-sao.htm", page)]).outcomes[0]
    assert not same_bytes.added and same_bytes.duplicate_of == title and "đã được thêm" in same_bytes.vi
    saved_again = lib.add([("luu-lai.htm", page.replace(b"<body>", b"<body><!-- saved 2024 -->"))]).outcomes[
        0
    ]
    assert not saved_again.added and saved_again.duplicate_of == title and "bài này đã có" in saved_again.vi
    assert seeds_files(lib.settings) >= {"uploads/yen-dung.htm"}
    assert not {"uploads/ban-sao.htm", "uploads/luu-lai.htm"} & seeds_files(lib.settings)


def ask_meanwhile(pipeline: Pipeline, stop: threading.Event, seen: list) -> None:
    """Ask the An Khê question until told to stop; every answer (or error) is recorded."""
    while not stop.is_set():
        try:
            a = pipeline.ask("An Khê tiếp nhận bao nhiêu đơn?")
            seen.append((a.store_generation if hasattr(a, "store_generation") else None, a.text))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            seen.append(("error", repr(exc)))


def test_two_uploads_at_once_are_both_indexed_while_questions_go_on(library):
    lib, pipeline = library
    docx = make_docx(
        title="Báo cáo thi đua Lục Ngạn", heading=None,
        paragraphs=["Huyện Lục Ngạn đã khen thưởng 146 tập thể có thành tích xuất sắc."],
    )  # fmt: skip
    pdf = make_pdf(PDF_PAGES, title="Báo cáo kết quả công tác dân vận năm 2023")
    stop, seen, results = threading.Event(), [], {}
    asker = threading.Thread(target=ask_meanwhile, args=(pipeline, stop, seen))
    asker.start()
    uploads = [
        threading.Thread(target=lambda: results.setdefault("docx", lib.add([("thi-dua.docx", docx)]))),
        threading.Thread(target=lambda: results.setdefault("pdf", lib.add([("bao-cao.pdf", pdf)]))),
    ]
    for t in uploads:
        t.start()
    for t in uploads:
        t.join(120)
    stop.set()
    asker.join(30)
    assert results["docx"].outcomes[0].added and results["pdf"].outcomes[0].added
    assert seen and not [s for s in seen if s[0] == "error"]
    assert all("2.054 đơn" in text for _, text in seen)  # answered all along, from one generation or the next
    assert (
        pipeline.ask("Lục Ngạn khen thưởng bao nhiêu tập thể?").citations[0].article_id == "uploads/thi-dua"
    )
    cited = pipeline.ask("Có bao nhiêu mô hình Dân vận khéo được công nhận?").citations[0]
    assert (cited.article_id, cited.page) == ("uploads/bao-cao", 2)


HOLD_LOCK = """
import fcntl, sys, time
with open(sys.argv[1], "w") as fh:
    fcntl.flock(fh, fcntl.LOCK_EX)
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_an_upload_during_a_rebuild_waits_for_it_and_loses_nothing(library):
    """Another process holds the store's build lock (as `rag index` does while it builds)."""
    lib, pipeline = library
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lib.settings.store / ".lock"), "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    said: list[str] = []
    started = time.monotonic()
    report = lib.add([("thi-dua.docx", make_docx(title="Thi đua Lục Ngạn", heading=None, paragraphs=[
        "Huyện Lục Ngạn đã khen thưởng 146 tập thể có thành tích xuất sắc."]))], log=said.append)  # fmt: skip
    holder.wait(10)
    assert report.outcomes[0].added and time.monotonic() - started >= 2.5
    assert any("another build of the index is running" in m for m in said)
    assert (
        pipeline.ask("Lục Ngạn khen thưởng bao nhiêu tập thể?").citations[0].article_id == "uploads/thi-dua"
    )


def test_removal_puts_the_file_away_and_the_index_forgets_it(library):
    lib, pipeline = library
    lib.add([("yen-dung.htm", (PAGES / GOV).read_bytes())])
    assert (
        pipeline.ask("Nhân dân huyện Yên Dũng đã hiến bao nhiêu m2 đất?").citations[0].article_id
        == "uploads/yen-dung"
    )
    title = lib.remove("uploads/yen-dung")
    assert title.startswith("Yên Dũng")
    answer = pipeline.ask("Nhân dân huyện Yên Dũng đã hiến bao nhiêu m2 đất?")
    assert all(c.article_id != "uploads/yen-dung" for c in answer.citations)
    assert not (lib.settings.seeds / "uploads" / "yen-dung.htm").exists()
    assert list((lib.settings.seeds / ".removed").rglob("yen-dung.htm"))  # kept, out of the way
    again = run_cli("index", env={"RAG_HOME": str(lib.settings.root)})
    assert "up to date" in again.stdout  # `rag index` does not bring it back
    with pytest.raises(Refused, match="no article"):
        lib.remove("uploads/yen-dung")


def test_added_articles_are_listed_with_when_they_were_added(library):
    lib, pipeline = library
    lib.add([("yen-dung.htm", (PAGES / GOV).read_bytes())])
    rows = pipeline.catalogue()
    assert rows[0]["id"] == "uploads/yen-dung" and rows[0]["added"]  # newest first
    assert (lib.settings.seeds / REGISTRY).is_file()
    entry = json.loads((lib.settings.seeds / REGISTRY).read_text(encoding="utf-8").splitlines()[-1])
    assert entry["path"] == "uploads/yen-dung.htm" and len(entry["sha256"]) == 64


def test_links_from_the_page_may_not_reach_this_machine(project, site, embedder):
    _, url = site
    settings = Settings(root=project)
    page_library = Library(settings, embedder, allow_private_links=False)  # as `rag serve` makes it
    [outcome] = page_library.add(links=[f"{url}/{GOV}"]).outcomes
    assert not outcome.added and "127.0.0.1 is a private or local address: refused" in outcome.reason
    assert not (settings.seeds / "links").exists()
