"""Shared fixtures: apps on SQLite and (when reachable) PostgreSQL, and service checks that fail under CI."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.eligibility import Engine, load_rules

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_RULES = Path(__file__).parent / "fixtures" / "rules"
REAL_RULES = ROOT / "rules"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
UNDER_CI = os.environ.get("CI", "").lower() == "true"

# Environment that would leak the developer's own configuration into the tests.
_LEAKY = ("DATABASE_URL", "SECRET_KEY", "REDIS_URL")


def require_service(name: str, reachable: bool, detail: str) -> None:
    """Skip when a service is down on a developer machine; under CI a missing service fails the run."""
    if reachable:
        return
    message = f"{name} not reachable ({detail})"
    if UNDER_CI:
        pytest.fail(f"{message}: CI must exercise {name} for real", pytrace=False)
    pytest.skip(f"{message}: these tests did not run")


def _pg_reachable(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    require_service("PostgreSQL", _pg_reachable(url), url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    try:
        import redis

        reachable = bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        reachable = False
    require_service("Redis", reachable, url)
    return url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in _LEAKY:
        monkeypatch.delenv(key, raising=False)
    for key in list(os.environ):
        if key.startswith("FLASK_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    if os.environ.get("TEST_RULES_DIR"):  # developer aid while label files are being edited
        monkeypatch.setenv("FLASK_RULES_DIR", os.environ["TEST_RULES_DIR"])


@pytest.fixture(scope="session")
def fixture_engine() -> Engine:
    """An engine over the small synthetic rule set in tests/fixtures/rules (semantics tests)."""
    return Engine(load_rules(FIXTURE_RULES))


@pytest.fixture(scope="session")
def real_engine() -> Engine:
    """An engine over the real label data in rules/."""
    return Engine(load_rules(REAL_RULES))


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-" + secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    return create_app(config)


def migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    application = make_app(tmp_path)
    migrate(application)
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh, empty database of each kind: (URL, engine options). PostgreSQL gets its own schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}", {}
        return
    url = request.getfixturevalue("pg_url")
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, {"connect_args": {"options": f"-csearch_path={schema}", "connect_timeout": 3}}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
