"""Serving under pressure (issue 24), with make run's set-up (deploy/gunicorn.conf.py: W gthread workers of T
threads, K PDF renders at a time per worker), rate limits off, SQLite, on loopback only. Prints:

1. PDF memory: each worker's RSS before, and its peak RSS (VmHWM) after one PDF and after 20 parallel PDF
   requests, with max_requests off (a recycled worker would hide the growth).
2. The home page's latency while 4 clients loop HEAD and GET on a saved summary's PDF for 20 s: median, p90,
   max, and every status the PDF clients got (the only 5xx allowed is the deliberate 503).
3. /healthz's latency while 2 clients send their request headers one byte every 0.5 s.
4. How long a summary route takes to answer (503) when the database accepts connections and never answers.

Times come from here, never from the tests (they assert counts and behaviour only).
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_bench import machine, start, stop  # noqa: E402

ANSWERS = {
    "region": "CN",
    "adult": True,
    "prior_lines": 4,
    "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    "relapsed_or_refractory": True,
    "progressed_on_last": True,
}
STORM_SECONDS = float(os.environ.get("BENCH_STORM_SECONDS", "20"))


def call(
    port: int, path: str, method: str = "GET", body: object = None, timeout: float = 120
) -> tuple[int, float]:
    """(status, seconds) of one request on a fresh connection."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def save(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/summaries",
        body=json.dumps({"answers": ANSWERS, "consent": True, "lang": "en"}),
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    token = json.loads(response.read())["token"]
    conn.close()
    return str(token)


def workers_of(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in children]


def memory(pid: int) -> tuple[float, float]:
    """(RSS, peak RSS) in MB of one process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def parallel(n: int, fn: object) -> list[object]:
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        value = fn()  # type: ignore[operator]
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def migrate(instance: str) -> None:
    import subprocess

    code = (
        "from webapp import create_app; from flask_migrate import upgrade; app = create_app(); "
        "app.app_context().push(); upgrade(directory='migrations')"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "INSTANCE_PATH": instance, "SECRET_KEY": "bench-" + "k" * 40},
        check=True,
        capture_output=True,
    )


def env_for(instance: str, **extra: str) -> dict[str, str]:
    return {
        "INSTANCE_PATH": instance,
        "SECRET_KEY": "bench-" + "k" * 40,
        "FLASK_RATELIMIT_ENABLED": "false",
        "WEB_MAX_REQUESTS": "0",
        **extra,
    }


def pdf_memory() -> None:
    instance = tempfile.mkdtemp()
    migrate(instance)
    proc, port, _ = start("webapp:create_app()", env_for(instance))
    try:
        token = save(port)
        pids = workers_of(proc.pid)
        before = {pid: memory(pid)[0] for pid in pids}
        status, seconds = call(port, f"/s/{token}/pdf")
        after_one = {pid: memory(pid)[1] for pid in pids}
        print(f"one PDF (bilingual off, {status}): {seconds:.1f} s")
        codes = parallel(20, lambda: call(port, f"/s/{token}/pdf")[0])
        after = {pid: memory(pid) for pid in pids}
        print(
            "PDF memory, max_requests off, per worker (MB): RSS before / peak after one PDF / peak after 20"
        )
        print("parallel PDF requests / RSS after")
        for pid in pids:
            print(
                f"  worker {pid}: {before[pid]:.0f} / {after_one[pid]:.0f} / {after[pid][1]:.0f} / {after[pid][0]:.0f}"
            )
        print(f"  statuses of the 20: {dict(collections.Counter(codes))}")
    finally:
        stop(proc)


def storm() -> None:
    instance = tempfile.mkdtemp()
    migrate(instance)
    proc, port, _ = start("webapp:create_app()", env_for(instance))
    try:
        token = save(port)
        call(port, f"/s/{token}/pdf")  # each worker's first PDF loads the fonts: not part of the storm
        call(port, f"/s/{token}/pdf")
        quiet = [call(port, "/")[1] for _ in range(50)]
        stop_at = time.time() + STORM_SECONDS
        statuses: collections.Counter[int] = collections.Counter()
        lock = threading.Lock()

        def pdf_client() -> None:
            while time.time() < stop_at:
                for method in ("HEAD", "GET"):
                    status, _ = call(port, f"/s/{token}/pdf", method=method)
                    with lock:
                        statuses[status] += 1

        clients = [threading.Thread(target=pdf_client) for _ in range(4)]
        for c in clients:
            c.start()
        home: list[float] = []
        home_codes: collections.Counter[int] = collections.Counter()
        while time.time() < stop_at:
            status, seconds = call(port, "/")
            home.append(seconds)
            home_codes[status] += 1
            time.sleep(0.05)
        for c in clients:
            c.join()
        ms = sorted(x * 1000 for x in home)
        print(f"home page, quiet: median {statistics.median(quiet) * 1000:.1f} ms")
        print(
            f"home page during {STORM_SECONDS:.0f} s of 4 clients looping HEAD+GET on a saved summary's PDF: "
            f"median {statistics.median(ms):.1f} ms, p90 {ms[int(len(ms) * 0.9)]:.1f} ms, max {ms[-1]:.1f} ms "
            f"({len(ms)} requests, statuses {dict(home_codes)}) [target: median under 100 ms]"
        )
        bad = {s: n for s, n in statuses.items() if s >= 500 and s != 503}
        print(f"  PDF clients' statuses: {dict(statuses)}; 5xx other than 503: {bad or 'none'}")
    finally:
        stop(proc)


def slow_clients() -> None:
    instance = tempfile.mkdtemp()
    migrate(instance)
    proc, port, _ = start("webapp:create_app()", env_for(instance))
    try:
        done = threading.Event()

        def slow() -> None:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                while not done.is_set():
                    s.sendall(b"X")
                    time.sleep(0.5)

        threads = [threading.Thread(target=slow) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(1)
        times = []
        for _ in range(20):
            status, seconds = call(port, "/healthz", timeout=60)
            times.append(seconds * 1000 if status == 200 else float("inf"))
            time.sleep(0.2)
        done.set()
        for t in threads:
            t.join()
        print(
            f"/healthz with 2 slow-header clients: median {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms (20 requests) [target: under 1 s]"
        )
    finally:
        stop(proc)


def hanging_database() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(sock.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    db_port = sock.getsockname()[1]
    env = env_for(tempfile.mkdtemp(), DATABASE_URL=f"postgresql://maa@127.0.0.1:{db_port}/maa")
    proc, port, _ = start("webapp:create_app()", env)
    try:
        for path in ("/s/" + "A" * 43, "/readyz"):
            status, seconds = call(port, path)
            print(
                f"hanging database: {path[:10]}... answered {status} in {seconds:.1f} s [target: 503 within 5 s]"
            )
    finally:
        stop(proc)
        for conn in held:
            conn.close()
        sock.close()


def main() -> None:
    workers = os.environ.get("WEB_WORKERS", "2")
    threads = os.environ.get("WEB_THREADS", "8")
    print(f"machine: {machine()}")
    print(
        f"serving: deploy/gunicorn.conf.py, W={workers} gthread workers x T={threads} threads, K=1 PDF per "
        "worker (FLASK_PDF_RENDERS), limits off, max_requests off, SQLite"
    )
    pdf_memory()
    storm()
    slow_clients()
    hanging_database()


if __name__ == "__main__":
    main()
