"""Saved summaries in the database: create, find, delete, purge. Every database failure becomes one exception.

The link carries a random token of 256 bits; the table keeps only its SHA-256 digest, so a copy of the
database (a backup, a dump sent for support) opens no summary. An expired row is treated exactly like a
missing one, whether or not ``flask summaries purge`` has deleted it yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import SavedSummary, utcnow

# 32 random bytes: 256 bits, twice the 128 the issue asks for. token_urlsafe gives 43 characters.
TOKEN_BYTES = 32
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
log = logging.getLogger(__name__)


class StorageUnavailable(RuntimeError):
    """The database could not be reached or refused the statement; the caller answers 503."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the table stores and looks up (64 hex characters), never the token itself."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    # Anything else cannot be one of ours: answer 404 without asking the database.
    return bool(TOKEN_RE.fullmatch(token))


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without a zone; every time in the table is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _fail(action: str) -> StorageUnavailable:
    log.warning("saved summaries: database unavailable while trying to %s", action, exc_info=True)
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection may be gone entirely; the session is discarded anyway
        log.debug("rollback failed", exc_info=True)
    return StorageUnavailable(action)


def create(
    answers: Mapping[str, Any],
    snapshot: Mapping[str, Any],
    lang: str,
    rules_version: str,
    days: int,
    now: dt.datetime | None = None,
) -> tuple[str, SavedSummary]:
    """Store a summary; returns the token (shown once, in the link) and the row."""
    now = now or utcnow()
    token = new_token()
    row = SavedSummary(
        token=token_digest(token),
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
        lang=lang,
        rules_version=rules_version,
        answers=dict(answers),
        result=dict(snapshot),
    )
    try:
        db.session.add(row)
        db.session.commit()
    except SQLAlchemyError:
        raise _fail("save") from None
    return token, row


def find(token: str, now: dt.datetime | None = None) -> SavedSummary | None:
    """The live summary behind a token, or None when the token is malformed, unknown or expired."""
    if not well_formed(token):
        return None
    now = now or utcnow()
    try:
        return db.session.execute(
            select(SavedSummary).where(
                SavedSummary.token == token_digest(token), SavedSummary.expires_at > now
            )
        ).scalar_one_or_none()
    except SQLAlchemyError:
        raise _fail("read") from None


def remove(token: str, now: dt.datetime | None = None) -> bool:
    """Delete the summary behind a token at once. False when there was no live one to delete. One DELETE
    statement, so of several requests racing to delete the same summary exactly one is told it did."""
    if not well_formed(token):
        return False
    now = now or utcnow()
    try:
        result = db.session.execute(
            delete(SavedSummary).where(
                SavedSummary.token == token_digest(token), SavedSummary.expires_at > now
            )
        )
        db.session.commit()
    except SQLAlchemyError:
        raise _fail("delete") from None
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


def purge(now: dt.datetime | None = None) -> int:
    """Delete every expired row; returns how many. One statement, so two runs at once (cron) are harmless."""
    now = now or utcnow()
    try:
        result = db.session.execute(delete(SavedSummary).where(SavedSummary.expires_at <= now))
        db.session.commit()
    except SQLAlchemyError:
        raise _fail("purge") from None
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
