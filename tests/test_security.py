"""Hardening: headers on every response, cookies, rate limits (memory and Redis), and privacy-safe logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

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
