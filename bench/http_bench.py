"""HTTP benchmarks, measured in one run and printed as ratios (issue 12).

The same gunicorn configuration (2 sync workers on 127.0.0.1, rate limits off) serves a bare Flask app and the
real app; wrk drives each endpoint in turn, the rounds interleaved so drift on a shared machine hits all
alike. Also: page weight as served (compressed, with every asset), start-up time, and RSS per worker after
1,000 requests. Only loopback addresses are used; every run is bounded in time.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SECRET = "bench-" + "k" * 40
CHECK_BODY = {
    "region": "CN",
    "prior_lines": 3,
    "drugs": ["bortezomib", "lenalidomide"],
    "relapsed_or_refractory": True,
    "adult": True,
}
DURATION = os.environ.get("BENCH_DURATION", "5s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    app: str, env: dict[str, str], workers: int = 2, ready: str = "/healthz"
) -> tuple[subprocess.Popen[bytes], int, float]:
    """Start gunicorn; return the process, its port and the seconds until ``ready`` first answered 200."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=1) as r:
                if r.status == 200:
                    return proc, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    stop(proc)
    raise RuntimeError(f"{app} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url: str, lua: str | None = None, headers: dict[str, str] | None = None) -> tuple[float, float, int]:
    """requests/s, p99 in ms, and non-2xx/3xx responses plus socket errors."""
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=120, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99_match = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99 = float(p99_match.group(1)) * scale[p99_match.group(2)] if p99_match else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = int(bad.group(1)) if bad else 0
    if errors:
        failures += sum(int(x) for x in errors.groups())
    return rps, p99, failures


def session_cookie() -> str:
    """A signed session holding a check's answers, as the form would leave it (for the results page)."""
    from webapp import create_app
    from webapp.patient.answers import SESSION_ANSWERS

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps({SESSION_ANSWERS: CHECK_BODY})}"


def rss_of_workers(master: int) -> list[float]:
    out = subprocess.run(["ps", "--ppid", str(master), "-o", "rss="], capture_output=True, text=True).stdout
    return [int(x) / 1024 for x in out.split()]


def page_weight(base: str, path: str, cookie: str | None = None) -> tuple[int, int, list[str]]:
    """Bytes on the wire (compressed as served) for the page and every asset it loads, and the request count."""
    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie

    def fetch(url: str) -> tuple[bytes, bytes]:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            raw = r.read()
            body = gzip.decompress(raw) if r.headers.get("Content-Encoding") == "gzip" else raw
            return raw, body

    raw, body = fetch(base + path)
    total, requests = len(raw), 1
    html = body.decode("utf-8")
    # What the browser fetches by itself: scripts, images, stylesheets and icons (links to sources are not).
    assets = re.findall(r'(?:<script[^>]+src|<img[^>]+src|<link[^>]+href)="(/[^"]+)"', html)
    third_party = re.findall(
        r'(?:<script[^>]+src|<img[^>]+src|<link[^>]+href|<iframe[^>]+src)="(https?://[^"]+)"', html
    )
    for asset in dict.fromkeys(assets):
        total += len(fetch(base + asset)[0])
        requests += 1
    return total, requests, [u for u in third_party if not u.startswith(base)]


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it from Debian's packages)")
    env = {"SECRET_KEY": SECRET, "FLASK_RATELIMIT_ENABLED": "false", "INSTANCE_PATH": tempfile.mkdtemp()}
    bare, bare_port, _ = start("bench.bare_app:app", env)
    real, real_port, startup = start("webapp:create_app()", env)
    try:
        cookie = session_cookie()
        lua = Path(tempfile.mkdtemp()) / "post.lua"
        lua.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(json.dumps(CHECK_BODY))}\n"
        )
        bare_url, real_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{real_port}"
        cases = {
            "a  bare JSON endpoint": (bare_url + "/bare.json", None, None),
            "a' bare HTML page": (bare_url + "/bare.html", None, None),
            "b  POST /api/v1/check": (real_url + "/api/v1/check", str(lua), None),
            "   home page": (real_url + "/", None, None),
            "   form page": (real_url + "/check", None, None),
            "c  results page": (real_url + "/results", None, {"Cookie": cookie}),
        }
        figures: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
        for _ in range(ROUNDS):  # interleaved rounds
            for name, (url, script, headers) in cases.items():
                figures[name].append(wrk(url, script, headers))
        print(
            f"wrk -t2 -c{CONNECTIONS} -d{DURATION}, {ROUNDS} interleaved rounds, gunicorn 2 sync workers, limits off"
        )
        summary = {}
        for name, runs in figures.items():
            rps = statistics.median(r[0] for r in runs)
            p99 = statistics.median(r[1] for r in runs)
            failures = sum(r[2] for r in runs)
            summary[name] = rps
            print(f"  {name:<24} {rps:8.0f} req/s   p99 {p99:7.1f} ms   errors/non-2xx: {failures}")
        a, a_html = summary["a  bare JSON endpoint"], summary["a' bare HTML page"]
        print("ratios (budget):")
        print(f"  b/a  API check / bare JSON     {summary['b  POST /api/v1/check'] / a:5.2f}  (>= 0.50)")
        print(f"  home / bare HTML               {summary['   home page'] / a_html:5.2f}  (>= 0.50)")
        print(f"  form / bare HTML               {summary['   form page'] / a_html:5.2f}  (>= 0.25)")
        print(f"  c/a  results / bare HTML       {summary['c  results page'] / a_html:5.2f}  (>= 0.25)")

        print("page weight, compressed as served, with every asset (budget 50 KB, 5 requests):")
        for path, use_cookie in (("/", False), ("/check", False), ("/results", True)):
            size, count, third = page_weight(real_url, path, cookie if use_cookie else None)
            print(
                f"  {path:<10} {size / 1024:6.1f} KB in {count} requests; third-party requests: {len(third)}"
            )

        for _ in range(1000):
            with urllib.request.urlopen(real_url + "/", timeout=5) as r:
                r.read()
        rss = rss_of_workers(real.pid)
        print(f"start-up to first answered request: {startup:.2f} s (budget 1 s)")
        print(f"RSS per worker after 1,000+ requests: {', '.join(f'{x:.0f} MB' for x in rss)} (budget 80 MB)")
    finally:
        stop(bare)
        stop(real)


if __name__ == "__main__":
    main()
