"""Load run (issue 11): 64 concurrent clients for 30 s across the form (with real CSRF tokens), results, the API
and saving summaries; then every summary saved during the run is read back and compared. A second, short
run with rate limits on must show 429s, never errors.

Only 127.0.0.1 is used; each run stops by itself. It needs PostgreSQL (concurrent writers): TEST_DATABASE_URL,
default postgresql://postgres@127.0.0.1:5432/test, in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.http_bench import BIN, CHECK_BODY, stop  # noqa: E402 - after the path set-up
from bench.http_bench import start as start_gunicorn  # noqa: E402 - after the path set-up

CLIENTS = int(os.environ.get("LOAD_CLIENTS", "64"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
PG = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test").replace("+psycopg", "")
ANSWERS = CHECK_BODY  # the same check as the HTTP benchmark's
FORM = {
    "region": "US",
    "residence": "SG",
    "adult": "yes",
    "relapsed_or_refractory": "yes",
    "prior_lines": "3",
    "drugs_PI": "bortezomib",
    "refr_bortezomib": "no",
    "drugs_IMiD": "lenalidomide",
    "refr_lenalidomide": "yes",
    "drugs_anti_CD38": "_unsure",
    "progressed_on_last": "unsure",
    "prior_bcma_car_t": "no",
}


class Client:
    """One person: a keep-alive connection and a cookie jar of one session cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(
        self, method: str, path: str, body: bytes | None = None, ctype: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if ctype:
            headers["Content-Type"] = ctype
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data


def journey(client: Client, stats: Counter[str], saved: list[tuple[str, dict]]) -> None:
    """Form with a real CSRF token, check your answers, results; the API check; a saved summary."""
    status, body = client.request("GET", "/check")
    stats[f"GET /check {status}"] += 1
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if match:
        form = urllib.parse.urlencode({"csrf_token": match.group(1).decode(), **FORM}).encode()
        status, _ = client.request("POST", "/check", form, "application/x-www-form-urlencoded")
        stats[f"POST /check {status}"] += 1
    status, _ = client.request("GET", "/results")
    stats[f"GET /results {status}"] += 1
    status, _ = client.request("POST", "/api/v1/check", json.dumps(ANSWERS).encode(), "application/json")
    stats[f"POST /api/v1/check {status}"] += 1
    answers = {**ANSWERS, "prior_lines": secrets.randbelow(6)}
    body = json.dumps({"answers": answers, "consent": True, "lang": "zh-Hans"}).encode()
    status, data = client.request("POST", "/api/v1/summaries", body, "application/json")
    stats[f"POST /api/v1/summaries {status}"] += 1
    if status == 201:
        saved.append((json.loads(data)["token"], answers))


def run(port: int, seconds: float, clients: int) -> tuple[Counter[str], list[tuple[str, dict]], int]:
    stats: Counter[str] = Counter()
    saved: list[tuple[str, dict]] = []
    errors = [0]
    deadline = time.time() + seconds
    lock = threading.Lock()

    def worker() -> None:
        client = Client(port)
        local: Counter[str] = Counter()
        mine: list[tuple[str, dict]] = []
        while time.time() < deadline:
            try:
                journey(client, local, mine)
            except (OSError, http.client.HTTPException, json.JSONDecodeError):
                with lock:
                    errors[0] += 1
                client = Client(port)
        with lock:
            stats.update(local)
            saved.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats, saved, errors[0]


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """Four workers (concurrent writers), ready once the database answers."""
    proc, port, _seconds = start_gunicorn("webapp:create_app()", env, workers=4, ready="/readyz")
    return proc, port


def report(title: str, stats: Counter[str], errors: int) -> int:
    server_errors = sum(n for key, n in stats.items() if key.rsplit(" ", 1)[1].startswith("5"))
    print(title)
    for key in sorted(stats):
        print(f"  {key:<34} {stats[key]:7d}")
    print(f"  connection errors: {errors}; 5xx responses: {server_errors}")
    return server_errors + errors


def main() -> None:
    schema = "load_" + secrets.token_hex(4)
    psql = ["psql", PG.replace("postgresql://", "postgresql://"), "-qc"]
    subprocess.run([*psql, f'CREATE SCHEMA "{schema}"'], check=True)
    url = f"{PG}?options=-csearch_path%3D{schema}"
    env = {"DATABASE_URL": url, "SECRET_KEY": "load-" + "s" * 40, "FLASK_RATELIMIT_ENABLED": "false"}
    try:
        subprocess.run(
            [str(BIN / "flask"), "--app", "webapp", "db", "upgrade"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        proc, port = start(env)
        try:
            stats, saved, errors = run(port, SECONDS, CLIENTS)
            bad = report(f"{CLIENTS} clients for {SECONDS:.0f} s, rate limits off:", stats, errors)
            total = sum(stats.values())
            print(f"  requests: {total} ({total / SECONDS:.0f}/s)")
            client, intact = Client(port), 0
            for token, answers in saved:
                status, data = client.request("GET", f"/api/v1/summaries/{token}")
                if status == 200 and json.loads(data)["answers"]["prior_lines"] == answers["prior_lines"]:
                    intact += 1
            print(f"  summaries saved during the run: {len(saved)}; read back intact: {intact}")
            bad += len(saved) - intact
        finally:
            stop(proc)
        # Limits shared by the 4 workers through Redis (the multi-process path); in memory each worker counts alone.
        redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
        subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True)
        limited_env = {
            **env,
            "REDIS_URL": redis_url,
            "FLASK_RATELIMIT_ENABLED": "true",
            "FLASK_RATELIMIT_CHECK": '"20 per minute"',
        }
        proc, port = start(limited_env)
        try:
            stats, _saved, errors = run(port, 5, 16)
            bad += report("16 clients for 5 s, rate limits on (20 checks a minute):", stats, errors)
            limited = sum(n for key, n in stats.items() if key.endswith(" 429"))
            print(f"  429 responses: {limited}")
            bad += 0 if limited else 1
        finally:
            stop(proc)
    finally:
        subprocess.run([*psql, f'DROP SCHEMA "{schema}" CASCADE'], check=False)
    print("LOAD RESULT:", "OK" if bad == 0 else f"FAILED ({bad} problems)")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
