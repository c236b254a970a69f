"""Myeloma Access Assistant: the Flask application factory."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface

from .config import ROOT, Defaults, is_api_path
from .eligibility import Engine, load_rules
from .extensions import babel, csrf, db, guard_postgresql
from .security import session_in_shape


class SafeJSONProvider(DefaultJSONProvider):
    """JSON with <, > and & written as \\u escapes: still the same JSON, but an echoed payload (an unknown field
    name in an error, say) can never be read as markup, whatever a client does with the body."""

    sort_keys = False  # key order as built: no sorting work on every response
    ensure_ascii = False  # Chinese as UTF-8, half the bytes of \\u escapes

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return _safe(super().dumps(obj, **kwargs))


def safe_dumps(obj: Any) -> str:
    """Compact JSON exactly as the app's responses write it (SafeJSONProvider), for pre-built fragments."""
    return _safe(_compact(obj))


_compact = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=DefaultJSONProvider.default
).encode


def _safe(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed as Flask signs them. The JSON API takes no cookies (design brief
    section 4): its requests get Flask's null session, so a cookie sent along is not even read, and nothing
    can be written to one."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if is_api_path(request.path):
            return self.make_null_session(app)
        session = super().open_session(app, request)
        if session and not session_in_shape(session):
            # Signed by us, but not in the shape this version writes (an older deploy, say): start afresh
            # rather than fail on it (issue 24). The cookie is replaced when the new session is saved.
            return self.session_class()
        return session


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def _database_url(value: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named (psycopg 3).
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def engine_options(config: Mapping[str, Any], url: str) -> dict[str, Any]:
    """SQLAlchemy's engine options: the configured ones, with what issue 24 requires filled in. Parameters
    are never written to logs or exceptions (they hold health answers); a PostgreSQL connection gives up
    after DB_CONNECT_TIMEOUT seconds, a statement after DB_STATEMENT_TIMEOUT_MS, and TCP keepalives find a
    peer that vanished. Settings given in SQLALCHEMY_ENGINE_OPTIONS win."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("hide_parameters", True)
    options.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        options.setdefault("pool_timeout", float(config["DB_POOL_TIMEOUT"]))
        connect_args = {
            "connect_timeout": int(config["DB_CONNECT_TIMEOUT"]),
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            # Unacknowledged data for this long means the peer is gone (Linux; libpq's tcp_user_timeout).
            "tcp_user_timeout": int(config["DB_CONNECT_TIMEOUT"]) * 1000,
        }
        given = dict(options.get("connect_args") or {})
        timeout = f"-c statement_timeout={int(config['DB_STATEMENT_TIMEOUT_MS'])}"
        given["options"] = f"{given['options']} {timeout}" if given.get("options") else timeout
        options["connect_args"] = {**connect_args, **given}
    return options


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the environment, then ``config`` (tests)."""
    instance_path = os.environ.get("INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.json = SafeJSONProvider(app)
    app.session_interface = SessionInterface()
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FLASK")
    for key in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    if config:
        app.config.update(config)

    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if url:
        url = _database_url(url)
    else:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(Path(app.instance_path) / "app.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config, url)
    _ensure_secret_key(app)

    # Rules are loaded and validated once; a bad file stops start-up with file, entry and field named.
    rules = load_rules(app.config["RULES_DIR"])
    app.extensions["engine"] = Engine(rules)
    from .caching import init_caching

    init_caching(app)  # what may be cached, and why: webapp/caching.py

    db.init_app(app)
    if url.startswith("postgresql"):
        with app.app_context():
            guard_postgresql(db.engine, float(app.config["DB_READ_TIMEOUT"]))
    if "gunicorn.app.base" not in sys.modules:
        # Web workers never run migrations; Alembic costs a third of a second and ~8 MB per worker to import.
        # Everywhere else (the flask CLI, tests, scripts) `flask db upgrade` and friends work as usual.
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    from .i18n import init_i18n, locale_selector

    babel.init_app(app, locale_selector=locale_selector)
    init_i18n(app)

    from . import models  # noqa: F401 - registers the tables with SQLAlchemy's metadata
    from .api import bp as api_bp
    from .cli import register_cli
    from .core import bp as core_bp
    from .core import register_hooks
    from .labels import bp as labels_bp
    from .patient import bp as patient_bp
    from .summaries import bp as summaries_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(patient_bp)
    app.register_blueprint(labels_bp)
    app.register_blueprint(summaries_bp)
    csrf.exempt(api_bp)  # the API uses no cookies, so there is no session to forge requests with
    register_hooks(app)
    register_cli(app)

    from .assets import init_assets
    from .security import init_security

    init_security(app)  # after the blueprints, so it can put rate limits on their views
    init_assets(app)
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A key file on one host is not shared with the others: refuse rather than sign with many keys.
        raise ConfigError(
            "SECRET_KEY is not set. With a shared database (DATABASE_URL) several hosts must share one key: "
            "set SECRET_KEY in the environment of every web process."
        )
    from .secret import ensure_secret_key

    app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path)


def get_engine() -> Engine:
    from flask import current_app

    return current_app.extensions["engine"]
