"""The app factory, configuration precedence, secret key, health checks, error pages and migrations."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from webapp import ConfigError, create_app
from webapp.secret import ensure_secret_key

from .conftest import ROOT, make_app

CLOSED_PG = "postgresql://postgres@127.0.0.1:9/test"  # port 9 (discard) has no PostgreSQL behind it


# -- configuration precedence: defaults < instance/config.py < environment < create_app(config) ----------------
def _write_instance_config(tmp_path: Path, body: str) -> None:
    folder = tmp_path / "instance"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.py").write_text(body)


def test_defaults_apply_without_overrides(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert app.config["CONTACT_EMAIL"] == "labels@example.org"
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024


def test_instance_config_beats_defaults(tmp_path: Path) -> None:
    _write_instance_config(tmp_path, 'CONTACT_EMAIL = "instance@example.org"\n')
    assert make_app(tmp_path).config["CONTACT_EMAIL"] == "instance@example.org"


def test_environment_beats_instance_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_instance_config(tmp_path, 'CONTACT_EMAIL = "instance@example.org"\nSUMMARY_DAYS = 7\n')
    monkeypatch.setenv("FLASK_CONTACT_EMAIL", "env@example.org")
    monkeypatch.setenv("FLASK_SUMMARY_DAYS", "14")  # from_prefixed_env parses JSON values
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    app = make_app(tmp_path)
    assert app.config["CONTACT_EMAIL"] == "env@example.org"
    assert app.config["SUMMARY_DAYS"] == 14
    assert app.config["RATELIMIT_ENABLED"] is False


def test_config_argument_beats_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_CONTACT_EMAIL", "env@example.org")
    assert make_app(tmp_path, CONTACT_EMAIL="arg@example.org").config["CONTACT_EMAIL"] == "arg@example.org"


def test_unprefixed_variables_are_read_as_they_are(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-0123456789abcdef")
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.invalid/app")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app({"TESTING": True})
    assert app.config["SECRET_KEY"] == "from-the-environment-0123456789abcdef"
    # postgres:// is rewritten to name the psycopg 3 driver
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.invalid/app"
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/3"


def test_sqlite_in_the_instance_folder_by_default(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "instance" / "app.db")


# -- secret key -----------------------------------------------------------------------------------------------
def test_postgres_without_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db.invalid/app")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"TESTING": True})


def test_sqlite_without_secret_key_uses_the_instance_file(tmp_path: Path) -> None:
    first = create_app({"TESTING": True}).config["SECRET_KEY"]
    second = create_app({"TESTING": True}).config["SECRET_KEY"]
    assert first == second  # every worker reads the same key
    assert (tmp_path / "instance" / "secret_key").read_text().strip() == first
    assert len(first) >= 32


def test_secret_key_creation_is_atomic_under_a_race(tmp_path: Path) -> None:
    folder = tmp_path / "race"
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(ensure_secret_key(folder))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["secret_key"]  # no temporary files left behind


def test_secret_key_is_not_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "instance/*" in ignored


# -- health checks --------------------------------------------------------------------------------------------
def test_healthz_and_readyz_with_a_database(client) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json["database"] == "unknown"  # /readyz has not looked yet
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "database": "ok"}
    assert client.get("/healthz").json["database"] == "ok"  # what /readyz last saw


def test_healthz_and_readyz_with_the_database_down(tmp_path: Path) -> None:
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=CLOSED_PG)
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200  # alive: it still serves pages
    assert health.json["database"] == "unknown"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["database"] == "unavailable"
    assert client.get("/healthz").json["database"] == "unavailable"
    assert client.get("/").status_code == 200  # the home page needs no database


def test_healthz_never_touches_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Liveness must not wait on a slow database (issue 24): not one connection is asked for."""
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=CLOSED_PG)
    client = app.test_client()
    asked: list[str] = []
    from sqlalchemy import event

    with app.app_context():
        from webapp.extensions import db

        event.listen(db.engine, "connect", lambda *_a: asked.append("connect"))
        event.listen(db.engine, "checkout", lambda *_a: asked.append("checkout"))
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert asked == []


# -- error pages ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "html_lang", "heading"),
    [
        ("en", "en", "Page not found"),
        ("zh-Hans", "zh-Hans", "找不到该页面"),
        ("zh-Hant", "zh-Hant", "找不到該頁面"),
    ],
)
def test_404_page_in_each_language(client, lang: str, html_lang: str, heading: str) -> None:
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in body
    assert heading in body


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("en", "Sorry, there is a problem with the service"),
        ("zh-Hans", "抱歉，服务出现问题"),
        ("zh-Hant", "抱歉，服務出現問題"),
    ],
)
def test_500_page_in_each_language(tmp_path: Path, lang: str, heading: str) -> None:
    app = make_app(tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def boom() -> str:
        raise RuntimeError("deliberate failure for the test")

    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get(f"/boom?lang={lang}")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert heading in body
    assert "deliberate failure" not in body  # no internals leak to the page


# -- migrations -----------------------------------------------------------------------------------------------
def test_migrations_apply_cleanly_to_an_empty_database(tmp_path: Path, db_url) -> None:
    url, options = db_url
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    from webapp.extensions import db

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        tables = set(inspect(db.engine).get_table_names())
        assert {"saved_summary", "alembic_version"} <= tables
        columns = {c["name"] for c in inspect(db.engine).get_columns("saved_summary")}
        assert {"token", "expires_at", "answers", "result", "rules_version", "lang"} <= columns
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        assert "saved_summary" not in set(inspect(db.engine).get_table_names())
        upgrade(directory=str(ROOT / "migrations"))
        assert "saved_summary" in set(inspect(db.engine).get_table_names())
        db.engine.dispose()
