"""The serving set-up for real (issue 24): gunicorn as `make run` starts it (deploy/gunicorn.conf.py), with real
sockets, and nginx in front of two app processes as deploy/ describes. Counts and behaviour only; the times
are measured by bench/serving_bench.py."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, UNDER_CI

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
BIN = Path(sys.executable).parent
TOKEN = "A" * 43  # well formed, so the app asks the database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None, timeout: float = 20
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait_for(port: int, path: str = "/healthz", seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with contextlib.suppress(OSError):
            if request(port, path, timeout=2)[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


def migrate_sqlite(instance: Path) -> None:
    code = (
        "from webapp import create_app; from flask_migrate import upgrade; app = create_app(); "
        "app.app_context().push(); upgrade(directory='migrations')"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**_base_env(), "INSTANCE_PATH": str(instance)},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        env.pop(key, None)
    return env


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    """gunicorn with make run's configuration on a free port; yields the port. Its log goes to ``log``."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "webapp:create_app()"],
            cwd=ROOT,
            env={**_base_env(), "WEB_BIND": f"127.0.0.1:{port}", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(port)
            yield port
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class SlowClient(threading.Thread):
    """Sends a request's headers one byte at a time, ``delay`` seconds apart, for ``seconds``."""

    def __init__(self, port: int, seconds: float, delay: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.port, self.seconds, self.delay = port, seconds, delay
        self.sent = 0

    def run(self) -> None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            end = time.time() + self.seconds
            while time.time() < end:
                s.sendall(b"X")
                self.sent += 1
                time.sleep(self.delay)


class HangingServer(threading.Thread):
    """A "database" that accepts connections and never says a word."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        self.accepted = 0

    def run(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                self.accepted += 1
                self.held.append(conn)

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    instance = tmp_path / "instance"
    migrate_sqlite(instance)
    return {"INSTANCE_PATH": str(instance), "SECRET_KEY": "deploy-test-" + "k" * 32}


def test_two_slow_clients_do_not_hold_up_healthz(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    """Two connections sending headers slowly took both sync workers (issue 24: /healthz took 13 to 31 s).
    With make run's gthread workers each takes one thread; /healthz answers meanwhile (bench/serving_bench.py
    measures how fast)."""
    with gunicorn(sqlite_env, tmp_path / "gunicorn.log") as port:
        slow = [SlowClient(port, seconds=8) for _ in range(2)]
        for client in slow:
            client.start()
        time.sleep(1)
        codes = []
        for _ in range(5):
            codes.append(request(port, "/healthz", timeout=5)[0])  # sync workers would still be held here
            time.sleep(0.5)
        assert all(client.is_alive() for client in slow)  # still sending while /healthz answered
        assert codes == [200] * 5
        for client in slow:
            client.join(timeout=15)
        assert all(client.sent >= 10 for client in slow)


def test_gunicorn_trusts_no_forwarded_headers(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    """X-Forwarded-Proto from 127.0.0.1 is not believed (gunicorn's default would): only FLASK_PROXY_FIX."""
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"}
    with gunicorn(sqlite_env, tmp_path / "plain.log") as port:
        status, headers, _body = request(port, "/?lang=zh-Hans", headers=forged)
        assert status == 200
        assert "strict-transport-security" not in headers
        assert "secure" not in headers["set-cookie"].lower()
    with gunicorn({**sqlite_env, "FLASK_PROXY_FIX": "1"}, tmp_path / "proxied.log") as port:
        status, headers, _body = request(port, "/?lang=zh-Hans", headers={"X-Forwarded-Proto": "https"})
        assert status == 200
        assert "strict-transport-security" in headers  # one trusted proxy, as configured


def test_a_hanging_database_gives_503_and_no_worker_times_out(tmp_path: Path) -> None:
    """A database that accepts and never answers: summary routes answer 503 (the connect timeout), /readyz
    says not ready, /healthz stays up, and gunicorn never has to kill a worker (WEB_TIMEOUT 10 s here)."""
    server = HangingServer()
    server.start()
    env = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "deploy-test-" + "k" * 32,
        "DATABASE_URL": f"postgresql://maa@127.0.0.1:{server.port}/maa",
        "WEB_TIMEOUT": "10",
        "WEB_WORKERS": "1",
    }
    log = tmp_path / "gunicorn.log"
    try:
        with gunicorn(env, log) as port:
            results: list[int] = []

            def one(path: str) -> None:
                results.append(request(port, path, timeout=30)[0])

            threads = [
                threading.Thread(target=one, args=(path,))
                for path in (f"/s/{TOKEN}", f"/s/{TOKEN}/print", f"/s/{TOKEN}/pdf", "/readyz")
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(results) == [503] * 4
            assert request(port, "/healthz")[0] == 200
            assert request(port, "/")[0] == 200
        assert server.accepted >= 1  # the app did try the database
    finally:
        server.close()
    text = log.read_text(errors="replace")
    assert "WORKER TIMEOUT" not in text
    assert "Traceback" not in text or "OperationalError" in text  # only the logged, expected failures


def test_make_runs_limits_hold_across_worker_restarts(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    """ "3 per minute" means 3 per host: the count lives in the host's store, not in a worker's memory, so a
    worker recycled by max_requests (here after 2 or 3 requests) forgets nothing. (Memory storage counted per
    worker: 30 per minute allowed 60 with two workers, and a fresh worker started again from zero.)"""
    import json

    env = {
        **sqlite_env,
        "FLASK_RATELIMIT_CHECK": '"3 per minute"',
        "WEB_WORKERS": "1",
        "WEB_MAX_REQUESTS": "2",
    }
    body = json.dumps({"region": "US", "prior_lines": 3})
    codes: list[int] = []
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log) as port:
        for _ in range(8):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", "/api/v1/check", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            codes.append(response.status)
            conn.close()
    assert codes == [200, 200, 200] + [429] * 5
    assert log.read_text(errors="replace").count("Booting worker") >= 3  # the worker was recycled


class FreezingProxy(threading.Thread):
    """A TCP proxy to PostgreSQL that can freeze: connections stay open and nothing more passes either way,
    as when the server stops answering on connections the pool already holds."""

    def __init__(self, target: tuple[str, int]) -> None:
        super().__init__(daemon=True)
        self.target = target
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.frozen = threading.Event()
        self.conns: list[socket.socket] = []

    def run(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.sock.accept()
                server = socket.create_connection(self.target)
                self.conns += [client, server]
                threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        import select

        with contextlib.suppress(OSError, ValueError):
            while True:
                if self.frozen.is_set():
                    time.sleep(0.1)
                    continue
                ready, _, _ = select.select([a, b], [], [], 0.1)
                for src in ready:
                    if self.frozen.is_set():
                        break
                    data = src.recv(65536)
                    if not data:
                        return
                    (b if src is a else a).sendall(data)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.close()
        self.sock.close()


def test_a_database_that_stops_answering_on_pooled_connections_gives_503s(
    tmp_path: Path, pg_url: str
) -> None:
    """The pool holds connections; then the server stops answering (issue 24: a request waited until gunicorn
    killed the worker). Requests now answer 503 (the app's read timeout), /healthz stays up, no worker is
    killed (WEB_TIMEOUT 10 s here)."""
    from sqlalchemy.engine import make_url

    real = make_url(pg_url)
    proxy = FreezingProxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.start()
    schema, _ = pg_schema_url(pg_url)
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    env = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "deploy-test-" + "k" * 32,
        "DATABASE_URL": url,
        "FLASK_SQLALCHEMY_ENGINE_OPTIONS": '{"connect_args": {"options": "-csearch_path=' + schema + '"}}',
        "WEB_TIMEOUT": "10",
        "WEB_WORKERS": "1",
    }
    code = (
        "from webapp import create_app; from flask_migrate import upgrade; app = create_app(); "
        "app.app_context().push(); upgrade(directory='migrations')"
    )
    log = tmp_path / "gunicorn.log"
    try:
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**_base_env(), **env},
            check=True,
            capture_output=True,
        )
        with gunicorn(env, log) as port:
            from .test_summaries import ANSWERS

            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                "/api/v1/summaries",
                body=__import__("json").dumps({"answers": ANSWERS, "consent": True}),
                headers={"Content-Type": "application/json"},
            )
            created = conn.getresponse()
            assert created.status == 201
            token = __import__("json").loads(created.read())["token"]
            conn.close()
            assert request(port, f"/s/{token}")[0] == 200  # the pool now holds a working connection
            proxy.frozen.set()
            codes = [request(port, path, timeout=30)[0] for path in (f"/s/{token}", f"/s/{token}/print")]
            assert codes == [503, 503]
            assert request(port, "/healthz")[0] == 200
    finally:
        proxy.close()
        drop_schema(pg_url, schema)
    assert "WORKER TIMEOUT" not in log.read_text(errors="replace")


# -- nginx in front of two app processes (deploy/) ----------------------------------------------------------------
def _nginx() -> str | None:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    return found


def require_nginx() -> str:
    found = _nginx()
    if found:
        return found
    if UNDER_CI:
        pytest.fail("nginx is missing: `make test` installs Debian's nginx (make nginx-deps)", pytrace=False)
    pytest.skip("nginx is not installed (make nginx-deps installs it): the deployment test did not run")


def render_site(template: Path, values: dict[str, str]) -> str:
    """deploy/nginx/maa.conf.template with its ${NAME} placeholders filled (what envsubst does)."""
    text = template.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "${" not in code, "a placeholder was left unfilled"
    return text


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def nginx_main_conf(folder: Path, site: Path) -> Path:
    """A minimal main configuration that runs nginx as this user, in the foreground, under ``folder``."""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {site};
}}
"""
    )
    return conf


def pg_schema_url(pg_url: str) -> tuple[str, str]:
    import secrets

    from sqlalchemy import create_engine, text

    schema = "deploy_" + secrets.token_hex(5)
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema, pg_url


def drop_schema(pg_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def https(port: int, path: str, method: str = "GET", body: Any = None, timeout: float = 30) -> Any:
    import json
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    try:
        headers = {"Host": "localhost"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_nginx_in_front_of_two_app_processes(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    nginx = require_nginx()
    folder = tmp_path / "nginx"
    folder.mkdir()
    cert, key = self_signed(folder)
    apps = [free_port(), free_port()]
    http_port, https_port = free_port(), free_port()
    site = folder / "maa.conf"
    site.write_text(
        render_site(
            ROOT / "deploy" / "nginx" / "maa.conf.template",
            {
                "SERVER_NAME": "localhost",
                "LISTEN_HTTP": f"127.0.0.1:{http_port}",
                "LISTEN_HTTPS": f"127.0.0.1:{https_port}",
                "APP_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in apps),
                "STATIC_ROOT": str(ROOT / "webapp"),
                "TLS_CERT": str(cert),
                "TLS_KEY": str(key),
            },
        )
    )
    conf = nginx_main_conf(folder, site)
    checked = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr

    schema, url = pg_schema_url(pg_url)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    shared = {
        "SECRET_KEY": "deploy-test-" + "k" * 32,
        "DATABASE_URL": url,
        "FLASK_SQLALCHEMY_ENGINE_OPTIONS": '{"connect_args": {"options": "-csearch_path=' + schema + '"}}',
        "REDIS_URL": redis_url,
        "FLASK_PROXY_FIX": "1",
        "FLASK_PUBLIC_BASE_URL": f"https://localhost:{https_port}",
        "FLASK_RATELIMIT_PDF": '"1000 per minute"',
        "FLASK_PDF_WAIT_SECONDS": "15",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "6",
    }
    code = (
        "from webapp import create_app; from flask_migrate import upgrade; app = create_app(); "
        "app.app_context().push(); upgrade(directory='migrations')"
    )
    env0 = {**_base_env(), **shared, "INSTANCE_PATH": str(tmp_path / "i0")}
    subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env0, check=True, capture_output=True, timeout=120
    )
    stack = contextlib.ExitStack()
    proc = None
    try:
        for i, port in enumerate(apps):
            env = {**shared, "INSTANCE_PATH": str(tmp_path / f"i{i}")}
            stack.enter_context(_gunicorn_on(port, env, tmp_path / f"app{i}.log"))
        with (folder / "stderr.log").open("wb") as err:
            proc = subprocess.Popen([nginx, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=err)
        wait_for_https(https_port)
        _exercise(http_port, https_port, apps, tmp_path)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        stack.close()
        drop_schema(pg_url, schema)


@contextlib.contextmanager
def _gunicorn_on(port: int, env: dict[str, str], log: Path) -> Iterator[int]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "webapp:create_app()"],
            cwd=ROOT,
            env={**_base_env(), "WEB_BIND": f"127.0.0.1:{port}", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(port)
            yield port
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for_https(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with contextlib.suppress(OSError):
            if https(port, "/healthz", timeout=2)[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("nginx did not answer")


def _exercise(http_port: int, https_port: int, apps: list[int], tmp_path: Path) -> None:
    import json

    # Plain HTTP is sent to HTTPS.
    status, headers, _ = request(http_port, "/check", headers={"Host": "localhost"})
    assert status == 301
    assert headers["location"] == "https://localhost/check"

    # A static file is served by nginx itself, with long caching: the apps' logs never see it.
    before = [(tmp_path / f"app{i}.log").read_text(errors="replace").count('"/static/') for i in range(2)]
    status, headers, body = https(https_port, "/static/css/app.css")
    assert status == 200
    assert b"--blue" in body
    assert "immutable" in headers["cache-control"]
    assert "max-age=31536000" in headers["cache-control"]
    assert headers["server"] == "nginx"
    assert "content-security-policy" not in headers  # the app sends one on every response: not from the app
    after = [(tmp_path / f"app{i}.log").read_text(errors="replace").count('"/static/') for i in range(2)]
    assert before == after

    # Save on one app process, read on the other (they share PostgreSQL; nginx's upstreams are bypassed
    # to pick the process, then the reads go through nginx too).
    from .test_summaries import ANSWERS

    conn = http.client.HTTPConnection("127.0.0.1", apps[0], timeout=30)
    conn.request(
        "POST",
        "/api/v1/summaries",
        body=json.dumps({"answers": ANSWERS, "consent": True, "lang": "en"}),
        headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"},
    )
    created = conn.getresponse()
    assert created.status == 201
    token = json.loads(created.read())["token"]
    conn.close()
    status, _, _ = request(apps[1], f"/api/v1/summaries/{token}")
    assert status == 200
    for _ in range(4):  # round robin: both processes answer through nginx
        status, headers, body = https(https_port, f"/s/{token}/print")
        assert status == 200
        assert f"https://localhost:{https_port}/s/{token}".encode() in body  # PUBLIC_BASE_URL
        assert headers["strict-transport-security"].startswith("max-age=")  # the app knows it is HTTPS

    # A body larger than the limit is refused by nginx.
    status, _, _ = https(https_port, "/api/v1/check", method="POST", body={"x": "y" * 40000})
    assert status == 413

    # Two slow clients through nginx hold nothing of the apps: nginx buffers whole requests first.
    slow = [SlowTLSClient(https_port, seconds=6) for _ in range(2)]
    for client in slow:
        client.start()
    time.sleep(0.5)
    assert [https(https_port, "/healthz", timeout=5)[0] for _ in range(4)] == [200] * 4
    for client in slow:
        client.join(timeout=15)

    # A short PDF storm: 6 clients, 4 requests each, none started after 20 s. Each app process renders one PDF
    # at a time (PDF_RENDERS=1) and lets a request wait 15 s for its slot (FLASK_PDF_WAIT_SECONDS): busy
    # answers are 503 with Retry-After, after which a client waits a second. Macau's summary makes a short
    # PDF, and each process has made one before (the first loads the fonts), so the count made in the
    # storm depends little on the machine.
    conn = http.client.HTTPConnection("127.0.0.1", apps[0], timeout=30)
    conn.request(
        "POST",
        "/api/v1/summaries",
        body=json.dumps({"answers": {"region": "MO", "adult": True, "prior_lines": 1}, "consent": True}),
        headers={"Content-Type": "application/json"},
    )
    created = conn.getresponse()
    assert created.status == 201
    short = json.loads(created.read())["token"]
    conn.close()
    for port in apps:
        assert request(port, f"/s/{short}/pdf", timeout=120)[0] == 200
    codes: list[int] = []
    missing_retry: list[int] = []
    deadline = time.time() + 20
    lock = threading.Lock()

    def storm() -> None:
        for _ in range(4):
            if time.time() > deadline:
                return
            status, headers, body = https(https_port, f"/s/{short}/pdf", timeout=60)
            with lock:
                codes.append(status)
                if status == 503 and "retry-after" not in headers:
                    missing_retry.append(status)
                if status == 200:
                    assert body.startswith(b"%PDF")
            if status == 503:
                time.sleep(1)

    threads = [threading.Thread(target=storm) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert set(codes) <= {200, 503}, codes
    assert codes.count(200) >= 10, codes
    assert missing_retry == []


class SlowTLSClient(threading.Thread):
    """A TLS client that sends its request headers a byte at a time."""

    def __init__(self, port: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.port, self.seconds = port, seconds

    def run(self) -> None:
        import ssl

        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as s,
        ):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            end = time.time() + self.seconds
            while time.time() < end:
                s.sendall(b"X")
                time.sleep(0.5)


def test_the_site_template_has_no_unfilled_placeholder_when_rendered_for_production() -> None:
    """The example values in deploy/README's steps fill every placeholder (same renderer as above)."""
    text = render_site(
        ROOT / "deploy" / "nginx" / "maa.conf.template",
        {
            "SERVER_NAME": "maa.example.org",
            "LISTEN_HTTP": "80",
            "LISTEN_HTTPS": "443",
            "APP_SERVERS": "server 10.0.0.11:8000; server 10.0.0.12:8000;",
            "STATIC_ROOT": "/srv/maa/app/webapp",
            "TLS_CERT": "/etc/ssl/maa/fullchain.pem",
            "TLS_KEY": "/etc/ssl/maa/privkey.pem",
        },
    )
    assert "proxy_buffering on" in text
    assert "client_max_body_size" in text
    assert tempfile.gettempdir() not in text


def test_the_example_environment_names_real_settings() -> None:
    """Every FLASK_ setting in deploy/maa.env.example exists (a typo would be silently ignored)."""
    from webapp.config import Defaults

    names = [
        line.split("=", 1)[0]
        for line in (ROOT / "deploy" / "maa.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    flask_names = {"SESSION_COOKIE_SECURE"}
    for name in names:
        if name.startswith("FLASK_"):
            key = name.removeprefix("FLASK_")
            assert hasattr(Defaults, key) or key in flask_names, name
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_PROXY_FIX", "FLASK_PUBLIC_BASE_URL"} <= set(
        names
    )
    units = (ROOT / "deploy" / "systemd").glob("*.service")
    for unit in units:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/maa/maa.env" in text
    assert "deploy/gunicorn.conf.py" in (ROOT / "deploy" / "systemd" / "maa-web.service").read_text()
    assert "summaries purge" in (ROOT / "deploy" / "systemd" / "maa-purge.service").read_text()


def test_make_runs_serving_set_up_is_what_the_readme_states() -> None:
    """W gthread workers of T threads, recycled with jitter, trusting no forwarded header (issue 24)."""
    import runpy

    conf = runpy.run_path(str(GUNICORN_CONF))
    assert conf["worker_class"] == "gthread"
    assert (conf["workers"], conf["threads"]) == (2, 8)
    assert conf["max_requests"] == 1000
    assert conf["max_requests_jitter"] == 100
    assert conf["forwarded_allow_ips"] == ""
    assert conf["secure_scheme_headers"] == {}
    makefile = (ROOT / "Makefile").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py" in makefile
    readme = (ROOT / "README.md").read_text()
    assert "W = 2 workers of the gthread class, T = 8 threads each" in readme
    assert "K = 1 PDF render at a time per worker" in readme
