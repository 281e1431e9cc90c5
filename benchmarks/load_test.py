"""Load test of the chat server's HTTP API: one replica, then two behind nginx, at 20 / 50 / 100 users.

    python benchmarks/load_test.py [--store DIR] [--seconds 30] [--users 20,50,100] [--replicas 1,2]
                                   [--switch]

Each simulated user is a thread with its own keep-alive connection, bound to its own loopback source
address (127.0.x.y), so that nginx, which keeps a client on one replica by hashing its address (Gradio
answers the second request of its two-step API from the process that took the first), spreads users
over replicas as it spreads people. A user asks (POST /gradio_api/call/ask), reads the answer's event
stream to its end, and asks the next question at once, for a fixed time; every non-200 answer, error
event, answer without text or socket error counts as an error. Only loopback addresses are targeted.

Without --store the seeds are copied to a temporary folder and indexed there. `--switch` adds an
article and runs `rag index` half-way through each two-replica level: the replicas must switch to
the new generation by themselves, with no failed request (checked afterwards by asking each one
directly about the new article). The machine's load average is printed beside each level: the load
generator and nginx share the two cores with the replicas.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from rag import percentile

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = """
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
    upstream rag {{
        hash $remote_addr consistent;   # one client, one replica (ip_hash would look at 3 octets only)
        {servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://rag;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;        # the answer's event stream passes through as it comes
            proxy_read_timeout 300s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""
NEW_ARTICLE = (
    "Thành phố Hoa Sen khánh thành cây cầu thứ 37\n\n"
    "Ngày 3/12/2026, thành phố Hoa Sen khánh thành cây cầu Bạch Mai dài 1.250 mét bắc qua sông Lam. "
    "Cây cầu có tổng vốn đầu tư 2.400 tỷ đồng và được xây dựng trong 30 tháng."
)
NEW_QUESTION = "Cầu Bạch Mai dài bao nhiêu mét?"


@dataclass
class UserLog:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    upstreams: dict[str, int] = field(default_factory=dict)


def ask(conn: http.client.HTTPConnection, question: str) -> tuple[dict, str | None]:
    """One answer over Gradio's two-step API: (the answer object, the replica nginx chose)."""
    conn.request(
        "POST",
        "/gradio_api/call/ask",
        # every input (question, top_k, history, source, since, until), no history and no filters:
        # Gradio refuses a call with fewer values than /ask takes
        json.dumps({"data": [question, 5, None, "", "", ""]}),
        {"Content-Type": "application/json"},
    )
    resp = conn.getresponse()
    body = resp.read()
    upstream = resp.getheader("X-Upstream")
    if resp.status != 200:
        raise RuntimeError(f"POST {resp.status}")
    conn.request("GET", f"/gradio_api/call/ask/{json.loads(body)['event_id']}")
    resp = conn.getresponse()
    text = resp.read().decode("utf-8")
    if resp.status != 200 or "event: complete" not in text:
        raise RuntimeError(f"GET {resp.status}: {text[:120]!r}")
    answer = json.loads(text.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0])[0]
    if "error" in answer or not answer.get("answer"):
        raise RuntimeError(f"no answer: {str(answer)[:120]}")
    return answer, upstream


def load(url: str, users: int, seconds: float, questions: list[str]) -> dict:
    """`users` closed-loop users for `seconds`; latency of every completed answer."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not ipaddress.ip_address("127.0.0.1" if host == "localhost" else host).is_loopback:
        raise SystemExit(f"refusing to load {host}: only loopback addresses are load-tested")
    logs = [UserLog() for _ in range(users)]
    stop = time.perf_counter() + seconds

    def user(i: int) -> None:
        source = (f"127.0.{(i + 2) // 250}.{(i + 2) % 250 + 1}", 0)
        conn, k = None, i
        while time.perf_counter() < stop:
            question = questions[k % len(questions)]
            k += users
            t = time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection(host, port, timeout=120, source_address=source)
                _, upstream = ask(conn, question)
            except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the test
                logs[i].errors.append(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
                continue
            logs[i].latencies.append(time.perf_counter() - t)
            if upstream:
                logs[i].upstreams[upstream] = logs[i].upstreams.get(upstream, 0) + 1
        if conn is not None:
            conn.close()

    load1 = os.getloadavg()[0]
    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(seconds + 180)
    wall = time.perf_counter() - started
    lat = sorted(x for log in logs for x in log.latencies)
    errors = [e for log in logs for e in log.errors]
    upstreams: dict[str, int] = {}
    for log in logs:
        for k, v in log.upstreams.items():
            upstreams[k] = upstreams.get(k, 0) + v
    return {
        "users": users,
        "seconds": round(wall, 1),
        "answers": len(lat),
        "errors": len(errors),
        "error_samples": errors[:3],
        "median_s": statistics.median(lat) if lat else float("nan"),
        "p95_s": percentile(lat, 95),
        "answers_per_s": len(lat) / wall,
        "per_replica": sorted(upstreams.values(), reverse=True),
        "load1": f"{load1:.1f}/{os.getloadavg()[0]:.1f}",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    """Ends a process this script started, by its own process group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url} exited ({proc.returncode}): {log.read_text()[-500:]}")
        try:
            urllib.request.urlopen(url + "/gradio_api/info", timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not start in {timeout:.0f} s")


def nginx(ports: list[int], run: Path) -> tuple[subprocess.Popen, int]:
    find = lambda: shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")  # noqa: E731
    if not find():
        subprocess.run([str(ROOT / "scripts" / "install-nginx.sh")], check=True)
    port = free_port()
    servers = "\n        ".join(f"server 127.0.0.1:{p};" for p in ports)
    conf = run / "nginx.conf"
    conf.write_text(NGINX_CONF.format(run=run, servers=servers, port=port), encoding="utf-8")
    proc = start([find() or "nginx", "-c", str(conf), "-g", "daemon off;"], run / "nginx.log")
    deadline = time.time() + 20
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.1)
    raise SystemExit(f"nginx did not start: {(run / 'error.log').read_text()[-500:]}")


def serves_new_article(port: int) -> bool:
    """Whether the replica on `port` answers from the article `--switch` added, citing it."""
    answer, _ = ask(http.client.HTTPConnection("127.0.0.1", port, timeout=60), NEW_QUESTION)
    return any("zz_cau_bach_mai" in c["source"] for c in answer["citations"]) and "1.250" in answer["answer"]


def index(seeds: Path, store: Path, log: Path) -> None:
    """`rag index` of `seeds` into `store`, as a person runs it beside the replicas."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "rag", "index", "--seeds", str(seeds), "--store", str(store), "--quiet"]
    with log.open("a") as out:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)


def switch_generation(store: Path, seeds: Path, run: Path, delay: float) -> threading.Thread:
    """After `delay` s, add an article and run `rag index`: a new generation while users ask."""

    def go() -> None:
        time.sleep(delay)
        (seeds / "zz_cau_bach_mai.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        index(seeds, store, run / "index.log")

    th = threading.Thread(target=go, daemon=True)
    th.start()
    return th


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--store", type=Path, help="an index folder (default: the seeds, indexed in a temporary one)"
    )
    ap.add_argument("--seconds", type=float, default=30, help="per level (default: 30)")
    ap.add_argument("--users", default="20,50,100")
    ap.add_argument("--replicas", default="1,2")
    ap.add_argument(
        "--switch", action="store_true", help="a new generation half-way through each 2-replica level"
    )
    a = ap.parse_args(argv)
    questions = [
        json.loads(line)["question"] for line in (ROOT / "eval" / "seeds.jsonl").open(encoding="utf-8")
    ]
    run = Path(tempfile.mkdtemp(prefix="rag-load-"))
    env = {"PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    store, seeds = a.store, None
    if store is None:
        seeds, store = run / "seeds", run / "store"
        shutil.copytree(ROOT / "seeds", seeds)
        index(seeds, store, run / "index.log")
    elif a.switch:
        raise SystemExit("--switch needs the default seeds store (it adds an article to it)")
    rows = []
    try:
        for n in [int(x) for x in a.replicas.split(",")]:
            ports = [free_port() for _ in range(n)]
            logs = [run / f"replica-{p}.log" for p in ports]
            procs = [
                start(
                    [sys.executable, "-m", "rag", "serve", "--store", str(store), "--port", str(p)], log, env
                )
                for p, log in zip(ports, logs, strict=True)
            ]
            front = None
            try:
                for p, proc, log in zip(ports, procs, logs, strict=True):
                    wait_up(f"http://127.0.0.1:{p}", proc, log)
                front, port = nginx(ports, run)
                url = f"http://127.0.0.1:{port}"
                load(url, 4, 3, questions)  # warm-up: examples, first questions
                for users in [int(x) for x in a.users.split(",")]:
                    switcher = None
                    if a.switch and n > 1 and seeds is not None:
                        (seeds / "zz_cau_bach_mai.txt").unlink(missing_ok=True)
                        index(seeds, store, run / "index.log")
                        switcher = switch_generation(store, seeds, run, a.seconds / 3)
                    row = load(url, users, a.seconds, questions) | {"replicas": n}
                    if switcher is not None:
                        switcher.join(300)
                        row["switched"] = all(serves_new_article(p) for p in ports)
                    rows.append(row)
                    print(json.dumps(row, ensure_ascii=False), flush=True)
            finally:
                if front is not None:
                    stop(front)
                for proc in procs:
                    stop(proc)
    finally:
        shutil.rmtree(run, ignore_errors=True)
    print()
    print(
        "| replicas | users | seconds | answers | errors | median s | p95 s | answers/s "
        "| answers per replica | new generation served by all | load avg before/after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['replicas']} | {r['users']} | {r['seconds']} | {r['answers']} | {r['errors']} "
            f"| {r['median_s']:.3f} | {r['p95_s']:.3f} | {r['answers_per_s']:.1f} "
            f"| {'/'.join(map(str, r['per_replica']))} "
            f"| {({True: 'yes', False: 'NO'}).get(r.get('switched'), '-')} | {r['load1']} |"
        )
    return 1 if any(r["errors"] for r in rows) or any(r.get("switched") is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
