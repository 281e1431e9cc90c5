"""`rag bench`: the workers measure a real store, results accumulate per size, the table shows ratios."""

from __future__ import annotations

import json

from benchmarks.bench.report import ratio, table
from benchmarks.bench.runner import BenchConfig, Results, run_bench
from rag.app.cli import main


def test_ratio_reads_the_right_way_round():
    assert ratio(30.0, 10.0, higher_is_better=True) == "3.0x"  # chunks/s: more is better
    assert ratio(0.5, 2.0, higher_is_better=False) == "4.0x"  # seconds: less is better
    assert ratio(None, 2.0, higher_is_better=False) == "-"


def test_results_accumulate_across_runs(tmp_path):
    path = tmp_path / "results.json"
    Results(path).put("rag:onnx-int8", "1000", "build", {"chunks_per_s": 20.0})
    Results(path).put("baseline", "1000", "build", {"chunks_per_s": 8.0})
    both = Results(path)
    assert both.get("rag:onnx-int8", "1000", "build")["chunks_per_s"] == 20.0
    assert "2.5x" in table(both, "onnx-int8")
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_unknown_size_is_a_one_line_error(capsys):
    assert main(["bench", "--sizes", "7"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("rag: error: unknown benchmark size '7'") and "\n" not in err


def test_report_of_an_empty_work_folder_prints_the_header(tmp_path, capsys):
    assert main(["bench", "--report", "--work", str(tmp_path)]) == 0
    assert "| size | articles | chunks |" in capsys.readouterr().out


def test_seeds_build_and_questions_end_to_end(tmp_path):
    cfg = BenchConfig(sizes=["seeds"], steps=["build", "query"], baseline=False, questions=5, work=tmp_path)
    results = run_bench(cfg, log=lambda _msg: None)
    build = results.get("rag:onnx-int8", "seeds", "build")
    query = results.get("rag:onnx-int8", "seeds", "query")
    store = tmp_path / "store-seeds-onnx-int8"
    manifest = json.loads((store / (store / "CURRENT").read_text().strip() / "manifest.json").read_text())
    assert build["chunks"] == manifest["chunks"] == query["chunks"] > 0
    assert build["peak_rss_mb"] > 50 and build["chunks_per_s"] > 0
    assert 0 < query["retrieval_ms"]["median"] <= query["retrieval_ms"]["p95"]
    assert query["recall_at_10"]["store"] == 1.0  # a flat store is exact
    assert "| seeds | 5 |" in table(results, "onnx-int8")


def test_outside_a_checkout_bench_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    import rag.app.cli as cli

    monkeypatch.setattr(cli, "checkout", lambda: None)
    assert main(["bench", "--report", "--work", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("rag: error: `rag bench` runs from a checkout of rag-vi") and "\n" not in err
    monkeypatch.setattr(cli, "checkout", lambda: tmp_path)  # a folder without benchmarks/
    assert main(["bench", "--report", "--work", str(tmp_path)]) == 1
    assert f"{tmp_path} has no benchmarks/bench/" in capsys.readouterr().err


def test_bench_ray_table_reads_medians_against_the_local_build():
    from benchmarks.bench.ray_build import table

    def row(mode, wall, cpu, start=0.0, same=None):
        ray = {"start_s": start, "stop_s": 1.0} if start else {}
        return {"size": 1000, "mode": mode, "chunks": 3000, "wall_s": wall, "cpu_s": cpu, "ray": ray,
                "same_as_local": same, "load1": 2.0}  # fmt: skip

    rows = [row("local", 300.0, 210.0), row("local", 100.0, 190.0), row("local", 200.0, 200.0),
            row("ray@2", 100.0, 170.0, 10.0, True), row("ray@2", 150.0, 190.0, 12.0, True)]  # fmt: skip
    lines = table(rows).splitlines()
    assert lines[2].startswith("| 1000 | local | 3000 | 200.0 | 15.0 | 1.00x | 66.7 |")
    # medians: 125 s against the local 200 s, 75 ms less an article; CPU 180 s / 3000 chunks
    assert lines[3].startswith(
        "| 1000 | ray@2 | 3000 | 125.0 | 24.0 | 1.60x | 60.0 | 11.0 | 1.0 | -75.0 | yes |"
    )
    rows[-1]["same_as_local"] = False
    assert "| NO |" in table(rows)


def test_bench_ray_options_are_one_line_errors(capsys):
    for args, says in [
        (["--sizes", "seeds"], "rag bench --ray measures corpus sizes"),
        (["--sizes", "1000", "--ray-workers", "two"], "--ray-workers takes whole numbers"),
        (["--sizes", "1000", "--ray-workers", "0"], "--ray-workers takes whole numbers of 1 or more"),
    ]:
        assert main(["bench", "--ray", *args]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("rag: error: ") and says in err and "\n" not in err
