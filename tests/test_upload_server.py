"""The served page's guards, over HTTP as a browser (or anyone) talks to it: size limits enforced while
the upload streams in, no upload at all without --allow-uploads, the original files offered read-only,
and the filters on the /ask API."""

from __future__ import annotations

import httpx
import pytest
from gradio_client import Client

from rag.ingest.guard import Limits

from .documents import seeded_pipeline, served_page
from .test_formats import PAGES

LIMIT = 2 * 2**20


@pytest.fixture(scope="module")
def project(tmp_path_factory, embedder):
    page = PAGES / "baobacgiang_vai_thieu.html"
    return seeded_pipeline(tmp_path_factory.mktemp("served"), embedder, {"vai_thieu.html": page})


@pytest.fixture(scope="module")
def open_server(project):
    with served_page(project, uploads=True, password="mat-khau", limits=Limits(file_bytes=LIMIT)) as url:
        yield url


@pytest.fixture(scope="module")
def closed_server(project):
    with served_page(project, uploads=False) as url:
        yield url


def streamed_upload(size: int, name: str = "lon.pdf", boundary: str = "rvboundary"):
    """A multipart body of `size` bytes made while it is sent: nothing of it is ever held or written here."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    sent = {"bytes": 0}

    def body():
        yield head + b"%PDF-1.7\n"
        block = b"\0" * (1 << 20)
        for _ in range(size >> 20):
            sent["bytes"] += len(block)
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    return body(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}, sent


def test_a_200_mb_upload_is_cut_off_at_the_limit(open_server, project):
    body, headers, sent = streamed_upload(200 * 2**20)
    reply = httpx.post(f"{open_server}/gradio_api/upload", content=body, headers=headers, timeout=120)
    assert reply.status_code == 413 and f"maximum allowed size of {LIMIT} bytes" in reply.text
    assert sent["bytes"] >= 100 * 2**20  # it really was sent (a streamed 200 MB, not a small stand-in)
    assert not (project.settings.seeds / "uploads").exists()


def test_a_file_within_the_limit_uploads(open_server):
    reply = httpx.post(
        f"{open_server}/gradio_api/upload",
        files={"files": ("bai.html", (PAGES / "dantri_ha_giang.html").read_bytes())},
    )
    assert reply.status_code == 200 and reply.json()[0].endswith("bai.html")


def test_without_allow_uploads_nothing_can_be_uploaded(closed_server, project):
    reply = httpx.post(
        f"{closed_server}/gradio_api/upload", files={"files": ("a.html", b"<html><p>x</p></html>")}
    )
    assert reply.status_code == 413
    page = httpx.get(closed_server).text
    assert "Thêm bài viết" not in page and "rv-add-button" not in page


def test_the_original_file_is_offered_and_what_lies_beside_it_is_not(open_server, project):
    seeds = project.settings.seeds
    (seeds / ".sources.jsonl").write_text('{"path": "x"}\n', encoding="utf-8")
    ok = httpx.get(f"{open_server}/gradio_api/file={seeds / 'vai_thieu.html'}")
    assert ok.status_code == 200 and "Vải thiều sớm Tân Yên" in ok.text
    assert httpx.get(f"{open_server}/gradio_api/file={seeds / '.sources.jsonl'}").status_code in (403, 404)
    assert httpx.get(f"{open_server}/gradio_api/file={project.settings.store / 'CURRENT'}").status_code in (
        403,
        404,
    )


def test_the_api_takes_a_source_and_dates(open_server):
    client = Client(open_server + "/", verbose=False)
    d = client.predict(question="Vải sớm Tân Yên xuất khẩu sang Nhật Bản bao nhiêu tấn?", top_k=5,
                       source="Báo Bắc Giang", since="2023", until="2023", api_name="/ask")  # fmt: skip
    assert d["filters"] == {"source": ["bao bac giang"], "since": "2023-01-01", "until": "2023-12-31"}
    assert {p["article_id"] for p in d["passages"]} == {"vai_thieu"}
    assert "18 tấn" in d["citations"][0]["quote"]
    bad = client.predict(
        question="Vải thiều?", top_k=5, source="", since="hôm qua", until="", api_name="/ask"
    )
    assert "không phải một ngày" in bad["error"]
    plain = client.predict(
        question="An Khê tiếp nhận bao nhiêu đơn?", api_name="/ask"
    )  # old callers unchanged
    assert plain["filters"] is None and "2.054 đơn" in plain["answer"]
