"""The CLI as a user runs it: child processes, real output, exit codes."""

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from rag.store.layout import current_generation
from rag.store.store import Store

from .conftest import ROOT, SEED, SEEDS, run_cli


def home(base):
    """Run as if `base` were the project root, so sources read `seeds/...`."""
    return {"RAG_HOME": str(base)}


def one_line_error(proc, code=1):
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    """A store built by `rag index`, as an operator would."""
    base = tmp_path_factory.mktemp("cli")
    seeds = base / "seeds"
    shutil.copytree(SEEDS, seeds)
    proc = run_cli("index", "--seeds", str(seeds), "--store", str(base / "store"), env=home(base))
    assert proc.returncode == 0, proc.stderr
    assert "built: 5 articles" in proc.stdout and "added 5, changed 0, removed 0" in proc.stdout
    return base


def test_ask_json_answers_a_batch_from_stdin_with_one_model(cli_store):
    questions = [
        "An Khê tiếp nhận bao nhiêu đơn?",
        "an khe tiep nhan bao nhieu don",
        "Giá vàng hôm nay là bao nhiêu?",
        "Hà Giang đã xây dựng bao nhiêu mô hình Dân vận khéo? " + "thêm chữ " * 12000,
    ]
    proc = run_cli(
        "ask",
        "--store",
        str(cli_store / "store"),
        "--json",
        "-",
        stdin="\n".join(questions) + "\n",
        env=home(cli_store),
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 4
    accented, plain, unknown, long = rows
    for row in (accented, plain):
        assert not row["abstained"]
        c = row["citations"][0]
        assert c["source"] == SEED["an_khe"] and "2.054 đơn" in c["quote"]
        assert c["passage"][c["start"] : c["end"]] == c["quote"]
        assert f"{c['quote']} [1]" in row["answer"]
        short = row["short_answer"]  # None when unsure; else offsets into citation n's quote
        if short is not None:
            quote = next(x["quote"] for x in row["citations"] if x["n"] == short["n"])
            assert quote[short["start"] : short["end"]] == short["text"]
    assert unknown["short_answer"] is None
    assert (
        unknown["abstained"] and unknown["citations"] == [] and unknown["answer"].startswith("Không tìm thấy")
    )
    assert long["notice"] and "ký tự đầu" in long["notice"]
    assert long["citations"][0]["source"] == SEED["ha_giang"]
    assert "ký tự đầu" in proc.stderr  # said on the terminal too


def test_ask_prints_a_readable_answer_with_its_sources(cli_store):
    proc = run_cli(
        "ask",
        "--store",
        str(cli_store / "store"),
        "Ai",
        "là",
        "Bí",
        "thư",
        "Thị",
        "ủy",
        "An",
        "Khê?",
        env=home(cli_store),
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Đáp:" in out and "Nguyễn Thị Thanh Lịch" in out and "[1]" in out
    assert SEED["an_khe"] in out


def test_index_again_touches_only_the_changed_article(cli_store):
    seeds = cli_store / "seeds"
    path = seeds / "002_3668a75ce5a9aaf6.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2.374 mô hình", "2.375 mô hình"), encoding="utf-8"
    )
    proc = run_cli(
        "index", "--seeds", str(seeds), "--store", str(cli_store / "store"), "--quiet", env=home(cli_store)
    )
    assert proc.returncode == 0, proc.stderr
    assert "added 0, changed 1, removed 0" in proc.stdout
    store = Store.load(cli_store / "store")
    assert "2.375 mô hình" in store.articles["002_3668a75ce5a9aaf6"].text
    assert f"embedded {len(store.article_chunks('002_3668a75ce5a9aaf6'))} chunks" in proc.stdout


def test_a_killed_rebuild_leaves_the_old_store_usable(cli_store):
    store_dir = cli_store / "store"
    before = current_generation(store_dir)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag",
            "index",
            "--seeds",
            str(cli_store / "seeds"),
            "--store",
            str(store_dir),
            "--rebuild",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    seen: list[str] = []
    threading.Thread(target=lambda: seen.extend(iter(lambda: child.stderr.read(1), "")), daemon=True).start()
    deadline = time.time() + 120

    def mid_embedding() -> bool:  # the progress bar shows some chunks embedded, not all
        done = re.findall(r"(\d+)/(\d+) \[", "".join(seen))
        return any(0 < int(n) < int(total) for n, total in done)

    while time.time() < deadline and child.poll() is None and not mid_embedding():
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the rebuild finished before it could be killed"
    assert current_generation(store_dir) == before
    assert len(Store.load(store_dir).articles) == 5
    proc = run_cli("index", "--seeds", str(cli_store / "seeds"), "--store", str(store_dir), "--quiet")
    assert proc.returncode == 0, proc.stderr
    # what the killed build left is gone; the generation a build replaces stays until the next one
    left = [p.name for p in store_dir.iterdir() if "gen-" in p.name]
    assert sorted(left) == sorted({before.name, current_generation(store_dir).name})


def test_first_ask_builds_the_default_store_and_says_so(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    proc = run_cli("ask", "Nghị quyết 33 được ban hành ngày nào?", env={"RAG_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert "building it from" in proc.stderr and "19.5.2023" in proc.stdout
    assert (tmp_path / "vectorstore" / "CURRENT").is_file()

    # after an upgrade that changes the keyword index, the default store is remade without embedding
    gen = current_generation(tmp_path / "vectorstore")
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["lexical"]["v"] -= 1
    (gen / "manifest.json").write_text(json.dumps(manifest))
    proc = run_cli("ask", "--store", str(tmp_path / "vectorstore"), "x", env={"RAG_HOME": str(tmp_path)})
    assert "older kind: run `rag index`" in one_line_error(proc)  # a named store is never built implicitly
    proc = run_cli("ask", "Nghị quyết 33 được ban hành ngày nào?", env={"RAG_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert "older kind: making it again" in proc.stderr and "embedded 0 chunks" in proc.stderr
    assert "19.5.2023" in proc.stdout
    assert Store.load(tmp_path / "vectorstore").manifest["lexical"]["v"] == manifest["lexical"]["v"] + 1


# --- bad input: one line, non-zero exit, no traceback, no model loaded -------------------------


def test_empty_question():
    for q in ["", "   "]:
        assert "Câu hỏi trống" in one_line_error(run_cli("ask", q))


def test_unknown_option_and_missing_arguments():
    assert "unrecognized arguments: --bogus" in one_line_error(run_cli("ask", "--bogus", "x"), code=2)
    assert "required" in one_line_error(run_cli("ask"), code=2)
    assert "expected a number" in one_line_error(run_cli("ask", "--top-k", "0", "x"), code=2)
    assert "invalid choice" in one_line_error(run_cli("frobnicate"), code=2)


def test_missing_or_empty_seeds_folder(tmp_path):
    msg = one_line_error(run_cli("index", "--seeds", str(tmp_path / "nope"), "--store", str(tmp_path / "s")))
    assert "does not exist" in msg
    (tmp_path / "empty").mkdir()
    msg = one_line_error(run_cli("index", "--seeds", str(tmp_path / "empty"), "--store", str(tmp_path / "s")))
    assert "no articles" in msg


def test_missing_damaged_or_foreign_store(tmp_path, cli_store):
    msg = one_line_error(run_cli("ask", "--store", str(tmp_path / "nope"), "câu hỏi"))
    assert "no index" in msg and "rag index" in msg

    broken = tmp_path / "broken"
    shutil.copytree(cli_store / "store", broken)
    (current_generation(broken) / "dense.faiss").write_bytes(b"not faiss")
    msg = one_line_error(run_cli("ask", "--store", str(broken), "câu hỏi"))
    assert "damaged" in msg and "rag index --rebuild" in msg

    foreign = tmp_path / "foreign"
    shutil.copytree(cli_store / "store", foreign)
    manifest_path = current_generation(foreign) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["embedding"]["model"] = "intfloat/multilingual-e5-large"
    manifest_path.write_text(json.dumps(manifest))
    msg = one_line_error(run_cli("ask", "--store", str(foreign), "câu hỏi"))
    assert "multilingual-e5-large" in msg and "rag index --rebuild" in msg


# --- settings from the environment: a bad value is one line naming the variable and what it accepts ----


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("RAG_THREADS", "abc", "whole number of 0 or more"),
        ("RAG_THREADS", "-1", "whole number of 0 or more"),
        ("RAG_EMBED_WORKERS", "0", "whole number of 1 or more"),
        ("RAG_BACKEND", "nope", "choose onnx-int8, onnx or torch"),
        ("RAG_DENSE_INDEX", "nope", "choose auto, flat, hnsw or ivf"),
        ("RAG_SENTENCE_VECTORS", "mean", "choose encoded or pooled"),
        ("RAG_SPIN", "yes", "choose 0 or 1"),
        ("RAG_RAY_SHARD_ARTICLES", "0", "whole number of 1 or more"),
        ("RAG_CACHE_DIR", "{file}/cache", "is not a folder"),
        ("RAG_HOME", "{tmp}/nowhere", "no such folder"),
        ("RAG_BENCH_CORPUS", "{tmp}/nowhere.jsonl.gz", "no such file"),
    ],
)
@pytest.mark.parametrize("command", [["ask", "An Khê tiếp nhận bao nhiêu đơn?"], ["index"]])
def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path, variable, value, says, command):
    (tmp_path / "file").write_text("not a folder")
    value = value.format(file=tmp_path / "file", tmp=tmp_path)
    msg = one_line_error(run_cli(*command, env={variable: value}))
    assert msg.startswith(f"rag: error: {variable}={value!r}: ") and says in msg


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_cache_folder_is_one_line(tmp_path, cli_store):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    env = {**home(cli_store), "RAG_CACHE_DIR": str(locked / "cache")}
    msg = one_line_error(run_cli("ask", "--store", str(cli_store / "store"), "x", env=env))
    assert "RAG_CACHE_DIR" in msg and "cannot be written" in msg


def test_a_cache_folder_the_file_system_refuses_is_one_line(cli_store):
    """/proc takes no new folders, whatever the permissions say (root included, as in CI). A built store,
    so that on a clean clone no "building it" notice comes before the error."""
    env = {**home(cli_store), "RAG_CACHE_DIR": "/proc/rag-vi"}
    proc = run_cli("ask", "--store", str(cli_store / "store"), "An Khê tiếp nhận bao nhiêu đơn?", env=env)
    msg = one_line_error(proc)
    assert "RAG_CACHE_DIR" in msg and "cannot create" in msg


def test_settings_from_the_environment_are_used(tmp_path):
    """RAG_DENSE_INDEX and RAG_EMBED_WORKERS reach the build: the store is an HNSW one."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    env = {"RAG_HOME": str(tmp_path), "RAG_DENSE_INDEX": "hnsw", "RAG_EMBED_WORKERS": "1", "RAG_THREADS": "0"}
    proc = run_cli("index", "--quiet", env=env)
    assert proc.returncode == 0, proc.stderr
    assert Store.load(tmp_path / "vectorstore").manifest["dense_index"]["type"] == "hnsw"
    proc = run_cli("ask", "--json", "An Khê tiếp nhận bao nhiêu đơn?", env=env)
    assert proc.returncode == 0 and "2.054 đơn" in json.loads(proc.stdout)["answer"]


def test_a_question_set_with_a_broken_line_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    good = '{"question": "Ai?", "answers": ["B"], "source": "seeds/a.txt"}'
    path.write_text(f"{good}\n\n{{broken\n", encoding="utf-8")
    msg = one_line_error(run_cli("eval", str(path)))
    assert f"{path}:3: not a JSON object" in msg and "must be whole" in msg


def test_a_conversation_read_from_stdin_one_json_object_a_turn(pipeline, monkeypatch, capsys):
    """`rag ask --json --conversation -`: each turn completed from those before; an empty line starts over."""
    from rag.app import cli
    from rag.pipeline import Pipeline

    lines = "An Khê tiếp nhận bao nhiêu đơn?\nĐang xét bao nhiêu đơn?\n\nĐang xét bao nhiêu đơn?\n"
    monkeypatch.setattr(Pipeline, "open", classmethod(lambda cls, *a, **k: pipeline))
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert cli.main(["ask", "--json", "--conversation", "-"]) == 0
    turns = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["standalone"] for t in turns] == [
        "An Khê tiếp nhận bao nhiêu đơn?",
        "Đang xét bao nhiêu đơn ở An Khê?",
        "Đang xét bao nhiêu đơn?",  # a new conversation: nothing to complete it from
    ]
    assert "28 đơn" in turns[1]["answer"]


def test_chat_in_the_terminal(pipeline, monkeypatch, capsys):
    from rag.app import cli
    from rag.pipeline import Pipeline

    follow = "Ông ấy thăm và động viên lực lượng nào?"
    typed = iter(["Chủ tịch Ủy ban MTTQ tỉnh An Giang là ai?", follow, "/new", follow])

    def fake_input(prompt=""):
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(Pipeline, "open", classmethod(lambda cls, *a, **k: pipeline))
    monkeypatch.setattr("builtins.input", fake_input)
    assert cli.main(["chat"]) == 0  # Ctrl-D leaves
    out = capsys.readouterr().out
    assert out.count("Hiểu là: Ông Nguyễn Tiếc Hùng thăm và động viên lực lượng nào?") == 1  # not after /new
    assert "(cuộc trò chuyện mới)" in out and "lực lượng kiểm soát phòng" in out


def test_conversation_reads_its_turns_from_stdin_only():
    error = one_line_error(run_cli("ask", "--conversation", "An Khê?"))
    assert "--conversation reads its turns from stdin" in error
