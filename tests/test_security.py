"""Hardening: headers on every response, cookies, rate limits (memory and Redis), and privacy-safe logs."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import flask
import pytest
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import BadSignature, TimestampSigner
from wtforms import ValidationError

from webapp.security import CSP, anonymize_ip, csrf_token

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


# -- CSRF tokens and session cookies: the app's faster signing gives the very bytes of the libraries' own -------
def test_the_csrf_token_is_flask_wtfs_own_token(app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_780_000_000)
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the frozen clock is long past; the signature is what counts
    with app.test_request_context("/results"):
        ours = csrf_token()  # no token in the session yet: Flask-WTF makes one
        raw = flask.session["csrf_token"]
        assert ours == csrf_token()  # once per request
        flask.g.pop("csrf_token")
        again = csrf_token()  # now signed here, without Flask-WTF
        assert again == ours
        flask.g.pop("csrf_token")
        assert generate_csrf() == again
        assert flask.session["csrf_token"] == raw
        validate_csrf(again)  # raises if Flask-WTF would refuse it
    with app.test_request_context("/results"):
        flask.session["csrf_token"] = "another person's raw token"
        with pytest.raises(ValidationError):
            validate_csrf(ours)


def test_the_results_page_token_is_accepted_and_a_forged_one_is_not(app) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    with client.session_transaction() as s:
        s["answers"] = CHECK
        s["csrf_token"] = "cd" * 20  # as the form leaves it: the page signs it (not Flask-WTF)
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
