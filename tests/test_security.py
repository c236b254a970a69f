"""Hardening: headers on every response, cookies, rate limits (memory and Redis), and privacy-safe logs."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import flask
import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, TimestampSigner

from webapp.security import CSP, anonymize_ip

from .conftest import make_app

CHECK = {"region": "US", "prior_lines": 3, "drugs": ["bortezomib"], "relapsed_or_refractory": True}


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/regions", "/no-such-page"])
def test_security_headers_on_every_response(client, path: str) -> None:
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == CSP
    assert "'unsafe-inline'" not in CSP
    assert "script-src 'self'" in CSP
    assert "frame-ancestors 'none'" in CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored and misleading


def test_hsts_and_secure_cookies_over_https(client) -> None:
    response = client.get("/?lang=zh-Hans", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_static_assets_may_be_cached(client) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_the_api_is_rate_limited_with_a_json_429(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_CHECK="2 per minute")
    client = app.test_client()
    codes = [client.post("/api/v1/check", json=CHECK).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = client.post("/api/v1/check", json=CHECK, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 429
    assert response.json == {"errors": {"_request": ["请求过于频繁。请等一分钟，然后再试。"]}}
    assert "Retry-After" in response.headers


def test_limits_can_be_turned_off_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp import create_app

    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("FLASK_RATELIMIT_CHECK", '"1 per minute"')
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["RATELIMIT_ENABLED"] is False
    client = app.test_client()
    assert {client.post("/api/v1/check", json=CHECK).status_code for _ in range(5)} == {200}


@pytest.mark.redis
def test_limits_are_shared_through_redis(tmp_path: Path, redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    apps = [
        make_app(
            tmp_path / str(i), RATELIMIT_ENABLED=True, RATELIMIT_CHECK="3 per minute", REDIS_URL=redis_url
        )
        for i in range(2)
    ]
    for i, app in enumerate(apps):
        (tmp_path / str(i)).mkdir(exist_ok=True)
        assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    first, second = (a.test_client() for a in apps)
    codes = [c.post("/api/v1/check", json=CHECK).status_code for c in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]  # two "hosts", one shared count
    assert redis.Redis.from_url(redis_url).keys("*")


def test_redis_down_falls_back_to_memory_limits(tmp_path: Path) -> None:
    app = make_app(
        tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_CHECK="2 per minute", REDIS_URL="redis://127.0.0.1:9/0"
    )
    client = app.test_client()
    codes = [client.post("/api/v1/check", json=CHECK).status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # still answering, still limited, never a 500


def test_access_log_is_one_line_without_answers_or_full_ip(client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="webapp.access"):
        client.post(
            "/api/v1/check?secret=1",
            json={**CHECK, "drugs": ["lenalidomide"]},
            environ_base={"REMOTE_ADDR": "203.0.113.77"},
        )
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "webapp.access"]
    assert records == [
        {
            **records[0],
            "event": "request",
            "method": "POST",
            "route": "/api/v1/check",
            "status": 200,
            "ip": "203.0.113.0",
        }
    ]
    assert isinstance(records[0]["duration_ms"], float)
    line = caplog.text
    assert "lenalidomide" not in line
    assert "secret" not in line
    assert "203.0.113.77" not in line


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_anonymize_ip(address: str | None, expected: str) -> None:
    assert anonymize_ip(address) == expected


# -- CSRF tokens and session cookies: Flask-WTF's and Flask's own, used as they come -------------------------
def test_the_results_page_token_is_accepted_and_a_forged_one_is_not(app) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    with client.session_transaction() as s:
        s["answers"] = CHECK
        s["csrf_token"] = "cd" * 20  # as the form leaves it: Flask-WTF signs it for the page
    page = client.get("/results").get_data(as_text=True)
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
    assert len(tokens) == 1
    assert client.post("/check/clear", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/check/clear", data={"csrf_token": tokens.pop()}).status_code == 303


def test_session_cookies_are_flasks_own(app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_780_000_000)
    ours = app.session_interface.get_signing_serializer(app)
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    data = {"answers": CHECK, "csrf_token": "ab" * 20}
    assert ours.dumps(data) == flasks.dumps(data)
    assert ours.loads(flasks.dumps(data)) == data
    with pytest.raises(BadSignature):
        ours.loads(flasks.dumps(data)[:-2] + "xx")


# -- issue 24: bounded PDF work, honest limits ------------------------------------------------------------------
ANSWERS = {
    "region": "CN",
    "adult": True,
    "prior_lines": 4,
    "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    "relapsed_or_refractory": True,
    "progressed_on_last": True,
}


def _fake_pdf(monkeypatch: pytest.MonkeyPatch, calls: list[int] | None = None) -> None:
    """Render nothing: these tests are about who gets to render, not about the PDF."""
    from webapp.summaries import pdf

    def render(app: flask.Flask, html: str, base_url: str) -> bytes:
        if calls is not None:
            calls.append(1)
        return b"%PDF-1.7 test"

    monkeypatch.setattr(pdf, "_render", render)


def _with_answers(client: flask.testing.FlaskClient) -> None:
    with client.session_transaction() as sess:
        sess["answers"] = dict(ANSWERS)


def test_head_requests_count_against_the_pdf_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Flask runs the GET view for HEAD (issue 24: 25 HEADs gave 25 renders). A HEAD now renders nothing, and
    it still counts against the limit."""
    calls: list[int] = []
    _fake_pdf(monkeypatch, calls)
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_PDF="2 per minute")
    client = app.test_client()
    _with_answers(client)
    heads = [client.head("/results/pdf") for _ in range(3)]
    assert [h.status_code for h in heads] == [200, 200, 429]
    assert heads[0].headers["Content-Type"] == "application/pdf"
    assert heads[0].headers["Content-Disposition"].startswith("attachment;")
    assert client.get("/results/pdf").status_code == 429
    assert calls == []


def test_the_results_limit_covers_get(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_CHECK="2 per minute")
    client = app.test_client()
    _with_answers(client)
    codes = [client.get("/results").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_busy_pdf_slot_gives_a_translated_503_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp.summaries import pdf

    _fake_pdf(monkeypatch)
    app = make_app(tmp_path, PDF_RENDERS=1, PDF_WAIT_SECONDS=0)
    client = app.test_client()
    _with_answers(client)
    slot = pdf._slot(1)
    assert slot.acquire(timeout=5)  # another request is rendering
    try:
        response = client.get("/results/pdf?lang=zh-Hans")
    finally:
        slot.release()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "现在正在生成很多 PDF 文件" in response.get_data(as_text=True)
    assert client.get("/results/pdf").status_code == 200  # the slot is free again


def test_pdf_renders_at_once_are_bounded_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    from webapp.summaries import pdf

    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    def slow_render(app: flask.Flask, html: str, base_url: str) -> bytes:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.3)
        with lock:
            state["now"] -= 1
        return b"%PDF-1.7 test"

    monkeypatch.setattr(pdf, "_render", slow_render)
    app = make_app(tmp_path, PDF_RENDERS=2, PDF_WAIT_SECONDS=0)
    codes: list[int] = []

    def one() -> None:
        client = app.test_client()
        _with_answers(client)
        response = client.get("/results/pdf")
        with lock:
            codes.append(response.status_code)
            if response.status_code == 503:
                assert response.headers["Retry-After"]

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["most"] <= 2
    assert sorted(set(codes)) <= [200, 503]
    assert codes.count(200) >= 2


def test_without_redis_the_workers_of_a_host_share_one_count(tmp_path: Path) -> None:
    """Two apps with one instance folder stand for two gunicorn workers on one host: "3 per minute" allows 3
    in all, not 3 each (memory storage allowed W x 3)."""
    workers = [make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_CHECK="3 per minute") for _ in range(2)]
    assert {w.config["RATELIMIT_STORAGE_URI"] for w in workers} == {
        "hostfile://" + str((tmp_path / "instance" / "ratelimits.db").resolve())
    }
    first, second = (w.test_client() for w in workers)
    codes = [c.post("/api/v1/check", json=CHECK).status_code for c in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]


def test_the_host_store_counts_windows() -> None:
    import tempfile
    import time

    from webapp.limit_store import HostFileStorage

    with tempfile.TemporaryDirectory() as folder:
        store = HostFileStorage(f"hostfile://{folder}/limits.db")
        assert store.check()
        assert [store.incr("k", 60) for _ in range(3)] == [1, 2, 3]
        assert store.get("k") == 3
        assert store.get_expiry("k") > time.time() + 50
        assert store.incr("short", 0) == 1  # a window already over starts again
        assert store.incr("short", 0) == 1
        store.clear("k")
        assert store.get("k") == 0


def test_the_redis_fallback_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_CHECK="10 per minute",
        REDIS_URL="redis://user:secret@127.0.0.1:9/0",
    )
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [client.post("/api/v1/check", json=CHECK).status_code for _ in range(4)]
    assert codes == [200] * 4
    lines = [r for r in caplog.records if r.name == "webapp.security"]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert "redis://127.0.0.1:9/0" in message
    assert "memory" in message
    assert "secret" not in message


# -- issue 24: links -------------------------------------------------------------------------------------------
HREF_RE = re.compile(r'href="([^"]*)"')


def test_language_links_keep_only_the_pages_own_parameters(client) -> None:
    page = client.get("/check?_scheme=https&_external=1&_anchor=x&ref=mail&clinician=1&lang=en")
    html = page.get_data(as_text=True)
    switch = [h for h in HREF_RE.findall(html) if "lang=zh" in h]
    assert sorted(switch) == ["/check?clinician=1&amp;lang=zh-Hans", "/check?clinician=1&amp;lang=zh-Hant"]


def test_a_foreign_host_and_scheme_never_reach_a_link(client) -> None:
    """After requests with a foreign Host and ``_scheme`` (issue 24: six were enough to poison the cached
    header), nobody's page links to that host, and the poisoner's own pages do not either."""
    evil = {"Host": "evil.example.com"}
    for path in ("/check?_scheme=https&ref=mail", "/?_external=1&_scheme=https", "/results?_scheme=https"):
        for _ in range(6):
            html = client.get(path, headers=evil).get_data(as_text=True)
            assert "evil.example.com" not in html
            assert not _own_absolute_links(html)
    for path in ("/check?_scheme=https&ref=mail", "/?_external=1&_scheme=https"):
        html = client.get(path).get_data(as_text=True)
        assert "evil.example.com" not in html
        assert not _own_absolute_links(html)


def _own_absolute_links(html: str) -> list[str]:
    """Links to this site built as absolute URLs from the request (its Host, or the test client's
    "localhost"): there must be none. Links to other sites (a citation's DOI, say) are fine."""
    return [h for h in HREF_RE.findall(html) if h.startswith(("//", "http://localhost", "https://localhost"))]


def test_absolute_urls_come_from_public_base_url(tmp_path: Path) -> None:
    from .conftest import migrate

    app = make_app(tmp_path, PUBLIC_BASE_URL="https://maa.example.org")
    migrate(app)
    client = app.test_client()
    created = client.post("/api/v1/summaries", json={"answers": ANSWERS, "consent": True, "lang": "en"})
    assert created.status_code == 201
    token = created.json["token"]
    for path in (f"/s/{token}", f"/s/{token}/print"):
        html = client.get(path, headers={"Host": "evil.example.com"}).get_data(as_text=True)
        assert "evil.example.com" not in html
    printed = client.get(f"/s/{token}/print", headers={"Host": "evil.example.com"}).get_data(as_text=True)
    assert f"https://maa.example.org/s/{token}" in printed  # the link printed under its QR code


# -- issue 24: sessions, logs, races -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        {"answers": {"region": "CN", "prior_lines": "four"}},
        {"answers": ["CN"]},
        {"answers": {"region": 5}},
        {"check_form": {"region": {"nested": True}}},
        {"check_form_invalid": "yes"},
        {"something_else": 1},
    ],
)
def test_a_session_in_another_shape_is_treated_as_empty(client, data: dict) -> None:
    with client.session_transaction() as sess:
        sess.update(data)
    assert client.get("/check").status_code == 200
    results = client.get("/results")
    assert results.status_code == 302  # no answers: back to the form
    assert client.get("/check/answers").status_code in {200, 302}


def test_sql_parameters_never_reach_logs_or_errors(app) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from webapp.extensions import db

    with app.app_context():
        assert db.engine.hide_parameters
        with pytest.raises(OperationalError) as caught:
            db.session.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": "lenalidomide"})
        db.session.rollback()
    assert "lenalidomide" not in str(caught.value)


def test_postgresql_connections_have_timeouts_and_keepalives(tmp_path: Path) -> None:
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql://u@127.0.0.1:9/x")
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["hide_parameters"] is True
    assert options["pool_pre_ping"] is True
    args = options["connect_args"]
    assert args["connect_timeout"] == 2
    assert args["keepalives"] == 1
    assert "statement_timeout=5000" in args["options"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_racing_deletes_get_one_204_and_404s(tmp_path: Path, db_url: tuple[str, dict]) -> None:
    import threading

    from webapp.extensions import db

    from .conftest import migrate

    url, options = db_url
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    migrate(app)
    created = app.test_client().post("/api/v1/summaries", json={"answers": ANSWERS, "consent": True})
    token = created.json["token"]
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def delete() -> None:
        client = app.test_client()
        barrier.wait()
        codes.append(client.delete(f"/api/v1/summaries/{token}").status_code)

    threads = [threading.Thread(target=delete) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    assert sorted(codes) == [204] + [404] * 7
