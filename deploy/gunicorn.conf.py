"""gunicorn's settings for `make run` and for deployments (deploy/systemd/maa-web.service): one file, so
what is measured (bench/) is what is served. Issue 24 and the README's "Serving" section explain the numbers.

Every value can be changed from the environment (WEB_BIND, WEB_WORKERS, WEB_THREADS, WEB_MAX_REQUESTS,
WEB_TIMEOUT) without editing this file.
"""

from __future__ import annotations

import os
import sys


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("WEB_BIND") or "127.0.0.1:5000"
# W processes of T threads each (gthread). A thread blocked on a slow client, a database wait or a PDF slot
# costs the others nothing: light pages keep flowing while W x K PDFs render (K = FLASK_PDF_RENDERS, 1).
worker_class = "gthread"
workers = _int("WEB_WORKERS", 2)
threads = _int("WEB_THREADS", 8)
# A worker that served about max_requests requests is replaced by a fresh one: the memory a PDF render grew
# it to is given back. The jitter spreads the restarts so the workers do not all restart at once. (The rate
# limits count in a shared store, Redis or the host's SQLite file, so a restart forgets no count; only the
# in-memory fallback, used while Redis is down, starts again from zero in the new worker.)
max_requests = _int("WEB_MAX_REQUESTS", 1000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
timeout = _int("WEB_TIMEOUT", 30)  # a worker silent this long is killed (no request should get near it)
graceful_timeout = 20
keepalive = 5  # seconds an idle keep-alive connection may hold a thread
# Headers: the same bounds nginx applies in front (deploy/nginx/maa.conf.template).
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190
# Trust no forwarded headers here: behind a proxy, FLASK_PROXY_FIX=1 makes the app (werkzeug's ProxyFix)
# read X-Forwarded-For/-Proto from exactly that many proxies. gunicorn's default would trust them from
# 127.0.0.1, which any local process can send.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
# gunicorn's control socket (one path per user, $HOME/.gunicorn/gunicorn.ctl) would be shared by every
# gunicorn the user runs (tests start several at once) and needs a writable home: off.
control_socket_disable = True
accesslog = None  # the app logs each request itself (webapp.security), without tokens or full addresses
errorlog = "-"


def post_fork(server: object, worker: object) -> None:
    # PDF renders are Python code holding the GIL for long stretches; the threads serving light pages get it
    # back sooner with a shorter switch interval (Python's default is 5 ms).
    sys.setswitchinterval(0.001)
