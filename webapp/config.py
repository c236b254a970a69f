"""Defaults. Overridden, in order, by instance/config.py, the environment, then create_app(config=...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent


def is_api_path(path: str) -> bool:
    """Whether a request path belongs to the JSON API (design brief section 4): it takes no cookies, and its
    errors, even routing ones, are answered in JSON."""
    return path.startswith("/api/")


class Defaults:
    SECRET_KEY: str | None = None
    # SQLALCHEMY_DATABASE_URI is filled in by create_app: DATABASE_URL, else SQLite in the instance folder.
    # create_app adds hide_parameters, pool_pre_ping and, for PostgreSQL, the timeouts and keepalives below.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {}
    DB_CONNECT_TIMEOUT = 2  # seconds (libpq's minimum): a database that does not answer gives a 503 quickly
    DB_STATEMENT_TIMEOUT_MS = 5000  # the server cancels a statement running longer than this
    # On a connection already open, the app gives up on a server silent this long (webapp.extensions).
    DB_READ_TIMEOUT = 2.5
    DB_POOL_TIMEOUT = 3.0  # seconds to wait for a free pooled connection
    RULES_DIR = str(ROOT / "rules")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # The API takes at most 16 KiB (design brief section 4); forms are far smaller than this.
    MAX_CONTENT_LENGTH = 16 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a frightened person may take a long time over the form
    # Static files are served with content-hashed URLs (webapp/assets.py), so a year of caching is safe.
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    LANG_COOKIE = "lang"
    LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
    REDIS_URL: str | None = None
    # Rate limits (Flask-Limiter). Storage: REDIS_URL when set (shared by every worker and host), else memory.
    # If Redis stops answering, limits fall back to each process's memory rather than failing requests.
    RATELIMIT_ENABLED = True
    RATELIMIT_CHECK = "30 per minute"
    RATELIMIT_SAVE = "10 per minute"
    RATELIMIT_PDF = "10 per minute"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Number of trusted reverse proxies in front of the app (X-Forwarded-For/Proto); 0 when none.
    PROXY_FIX = 0
    SUMMARY_DAYS = 30
    # Absolute URLs (a saved summary's link, its QR code, links inside PDFs, feeds) are built from this, never
    # from the request's Host header (design brief section 5). No trailing slash needed.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # PDFs (issue 24): at most PDF_RENDERS renders at once per process; a request waits up to PDF_WAIT_SECONDS
    # for a slot, then gets a 503 with Retry-After: PDF_RETRY_AFTER (seconds).
    PDF_RENDERS = 1
    PDF_WAIT_SECONDS = 2.0
    PDF_RETRY_AFTER = 5
    CONTACT_EMAIL = "labels@example.org"
    # Answer-free sections (webapp/caching.py says what and why), at most this many bytes per worker, least
    # recently used going first; 0 turns the cache off. Nothing keyed on a person's answers is cached (issue 21).
    # The defaults keep a worker under 80 MB (issue 12); a host with memory to spare can raise them.
    FRAGMENT_CACHE_BYTES = 4 * 1024 * 1024
