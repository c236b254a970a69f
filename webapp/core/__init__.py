"""Pages every visitor shares: home, health checks, error pages, and the hooks behind them."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.exceptions import HTTPException

from ..config import is_api_path
from ..eligibility.texts import N_
from ..extensions import db, guard_postgresql
from ..i18n import LANGUAGES, NATIVE_NAMES, choose_lang, gettext, remember_choice, render, switch_url

bp = Blueprint("core", __name__)
# Messages for API errors that do not come from the API's own validation (routing, limits, crashes).
API_ERRORS = {
    400: N_("The request could not be read."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept that method."),
    413: N_("The request body is larger than 16 KiB."),
    429: N_("Too many requests. Please wait a minute, then try again."),
    500: N_("Sorry, there is a problem with the service. Please try again later."),
}
log = logging.getLogger(__name__)


@bp.get("/")
def home() -> str:
    return render_template("home.html")


def database_state() -> str:
    """Ask the database (readiness). A fresh connection with the app's short connect timeout (PostgreSQL),
    outside the pool: a pooled connection to a server that stopped answering could wait much longer."""
    try:
        with readiness_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        state = "ok"
    except Exception:
        log.warning("database unreachable", exc_info=True)
        state = "unavailable"
    current_app.extensions["database_state"] = state
    return state


def readiness_engine() -> Any:
    engine = current_app.extensions.get("readiness_engine")
    if engine is None:
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            engine = db.engine  # a file: nothing to hang on
        else:
            options = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
            engine = create_engine(
                url, poolclass=NullPool, connect_args=options.get("connect_args", {}), hide_parameters=True
            )
            guard_postgresql(engine, float(current_app.config["DB_READ_TIMEOUT"]))
        current_app.extensions["readiness_engine"] = engine
    return engine


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness: 200 while the app serves pages. Never touches the database (a slow database must not make a
    supervisor restart healthy workers); it reports what /readyz last saw in this process, or "unknown"."""
    state = current_app.extensions.get("database_state", "unknown")
    return jsonify(status="ok", database=state, rules_version=_rules_version())


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: 503 while the database cannot be reached, so a load balancer stops sending traffic."""
    state = database_state()
    body = jsonify(status="ready" if state == "ok" else "not_ready", database=state)
    return body, 200 if state == "ok" else 503


def _rules_version() -> str:
    return current_app.extensions["engine"].rules.version


def register_hooks(app: Flask) -> None:
    app.after_request(remember_choice)

    @app.context_processor
    def inject() -> dict[str, Any]:
        code = choose_lang()
        rules = app.extensions["engine"].rules
        return {
            "lang_code": code,
            "languages": [(c, NATIVE_NAMES[c]) for c in LANGUAGES],
            "switch_url": switch_url,
            "render": render,
            "rules_version": rules.version,
            "rules_reviewed": rules.last_reviewed,  # a date: the (cached) footer formats it
            "contact_email": app.config["CONTACT_EMAIL"],
        }

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        if is_api_path(request.path):
            response = jsonify(errors={"_request": [gettext(API_ERRORS.get(code, API_ERRORS[400]))]})
        else:
            response = app.make_response(render_template("errors/error.html", code=code))
        response.status_code = code
        # Keep the headers the exception carries (Allow on a 405, Retry-After on a 429): RFC 9110 wants them.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def server_error(exc: Exception) -> Any:
        log.exception("unhandled error")
        if is_api_path(request.path):
            return jsonify(errors={"_request": [gettext(API_ERRORS[500])]}), 500
        return render_template("errors/error.html", code=500), 500
