"""Hardening in one place: security headers, rate limits and privacy-preserving request logs.

People type health information into this service. Every response carries a strict Content-Security-Policy
(no inline script or style at all), pages are never cached by shared computers or proxies, rate limits
protect the check, save and PDF routes, and the request log records method, route pattern, status and
duration only: never answers, never a saved summary's token, never a full IP address.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, has_app_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Limited endpoints and the config key holding each one's limit. A limit counts every request to its route,
# whatever the method: Flask runs the GET view for HEAD, so a HEAD costs what a GET costs (issue 24).
LIMITED_ENDPOINTS = {
    "api.check": "RATELIMIT_CHECK",
    "patient.check": "RATELIMIT_CHECK",
    "patient.results": "RATELIMIT_CHECK",
    "summaries.save": "RATELIMIT_SAVE",
    "summaries.api_create": "RATELIMIT_SAVE",
    "summaries.pdf": "RATELIMIT_PDF",
    "summaries.pdf_current": "RATELIMIT_PDF",
}

access_log = logging.getLogger("webapp.access")
# Every response gets these unless the view set its own (name, lower-case name, value).
DEFAULT_HEADERS = tuple(
    (name, name.lower(), value)
    for name, value in (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", PERMISSIONS),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )
)
HSTS = "max-age=31536000; includeSubDomains"
_encode_log = json.JSONEncoder(separators=(",", ":")).encode


@functools.lru_cache(maxsize=4096)
def anonymize_ip(address: str | None) -> str:
    """Keep the network, drop the host: /24 for IPv4, /48 for IPv6 (enough to spot abuse, not a person)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the headers already set, then appends: a setdefault() per header costs several times more.
    present = {name.lower() for name, _value in headers}
    for name, lower, value in DEFAULT_HEADERS:
        if lower not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    if "cache-control" not in present and not (request.endpoint or "").endswith("static"):
        # Answers and results are health information: no copy in a shared browser's cache or a proxy.
        # (Static files, the app's and every blueprint's, keep their long-lived caching.)
        headers.add("Cache-Control", "no-store")
    return response


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    record: dict[str, Any] = {
        "event": "request",
        "method": request.method,
        # The route pattern (/s/<token>), never the path: a token or a query string never reaches the log.
        "route": request.url_rule.rule if request.url_rule else "<unmatched>",
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "ip": anonymize_ip(request.remote_addr),
    }
    if access_log.isEnabledFor(logging.INFO):
        # makeRecord + handle: Logger.info would also walk the stack to find the caller, on every request.
        access_log.handle(
            access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, _encode_log(record), None, None)
        )
    return response


def _limit_for(key: str) -> Any:
    return lambda: current_app.config[key]


log = logging.getLogger(__name__)


def _redacted(uri: str) -> str:
    """A storage URI without its credentials, for the log."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


class _FallbackOnce(logging.Filter):
    """Flask-Limiter says "falling back to in-memory storage" on its own logger, which has no handler: nobody
    saw it. This filter turns the first one of each app (one per worker process) into a warning of ours: a
    real log line, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "falling back" in record.getMessage() and has_app_context():
            extensions = current_app.extensions
            if not extensions.get("ratelimit_fallback_logged"):
                extensions["ratelimit_fallback_logged"] = True
                log.warning(
                    "rate limits: the store at %s does not answer; counting in this process's memory until "
                    "it does (limits then hold per process, not per host)",
                    _redacted(str(current_app.config["RATELIMIT_STORAGE_URI"])),
                )
        return True


_FALLBACK_FILTER = _FallbackOnce()


def storage_uri(app: Flask) -> str:
    """Where the limits count: RATELIMIT_STORAGE_URI if set; else Redis (REDIS_URL: shared by every worker and
    host); else one SQLite file per host in the instance folder, shared by that host's workers."""
    if app.config.get("RATELIMIT_STORAGE_URI"):
        return str(app.config["RATELIMIT_STORAGE_URI"])
    if app.config.get("REDIS_URL"):
        return str(app.config["REDIS_URL"])
    from . import limit_store  # noqa: F401 - registers hostfile:// with limits

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return "hostfile://" + str(Path(app.instance_path).resolve() / "ratelimits.db")


# -- sessions -------------------------------------------------------------------------------------------------
# What this version writes into a session, key by key. A signed session holding anything else (an older
# deploy's shape, say) is treated as empty (webapp.SessionInterface), never as a reason for a 500 (issue 24).
_ANSWER_TYPES: dict[str, tuple[type, ...]] = {
    "region": (str,),
    "residence": (str, type(None)),
    "adult": (bool, type(None)),
    "prior_lines": (int, type(None)),
    "drugs": (list, type(None)),
    "exposed_classes": (dict, type(None)),
    "refractory": (dict, type(None)),
    "relapsed_or_refractory": (bool, type(None)),
    "progressed_on_last": (bool, type(None)),
    "prior_bcma_car_t": (bool, type(None)),
    "as_of": (str, type(None)),
    "lang": (str, type(None)),
}


def _answers_in_shape(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("region"), str):
        return False
    for key, item in value.items():
        types = _ANSWER_TYPES.get(key)
        if types is None or not isinstance(item, types):
            return False
        if key == "prior_lines" and (isinstance(item, bool) or (item is not None and not 0 <= item <= 100)):
            return False
        if isinstance(item, list) and not all(isinstance(v, str) for v in item):
            return False
        if isinstance(item, dict) and not all(
            isinstance(k, str) and isinstance(v, bool | None) for k, v in item.items()
        ):
            return False
    return True


def _form_in_shape(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str)
        and (isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)))
        for k, v in value.items()
    )


_SESSION_SHAPE: dict[str, Any] = {
    "answers": _answers_in_shape,
    "check_form": _form_in_shape,
    "check_form_invalid": lambda v: isinstance(v, bool),
    "summaries_just_saved": lambda v: isinstance(v, str),
    "csrf_token": lambda v: isinstance(v, str),
}


def session_in_shape(data: Any) -> bool:
    """Whether a decoded session holds only what this version writes, each value of the right shape."""
    try:
        return all(key in _SESSION_SHAPE and _SESSION_SHAPE[key](value) for key, value in data.items())
    except Exception:  # anything odd at all is simply not our shape
        return False


def init_security(app: Flask) -> None:
    """Bind headers, logs and rate limits. Call after every blueprint is registered."""
    app.before_request(_start_timer)
    app.after_request(_security_headers)
    app.after_request(_log_request)
    if not access_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    if not app.config.get("RATELIMIT_ENABLED", True):
        # Flask-Limiter's kill switch: with limits off it would still wrap each view and work out, on every
        # request, that there is nothing to count. Not binding it at all is the same, for nothing.
        return
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app)
    # One limiter per app (tests build many apps; a module-level limiter would share storage between them).
    limiter = Limiter(key_func=get_remote_address, app=app)
    limiter.logger.addFilter(_FALLBACK_FILTER)  # once per process: the same filter object
    app.extensions["rate_limiter"] = limiter  # Flask-Limiter keeps only a weak reference to itself
    for endpoint, key in LIMITED_ENDPOINTS.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            # No ``methods``: every method counts, HEAD included.
            app.view_functions[endpoint] = limiter.limit(_limit_for(key))(view)
