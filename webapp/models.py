"""Database tables. The checker itself stores nothing; only a summary the person chooses to save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SavedSummary(db.Model):  # type: ignore[name-defined]
    """Answers and the result snapshot, saved with consent behind an unguessable token, until expiry."""

    __tablename__ = "saved_summary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # internal only: never in a URL
    # The SHA-256 hex digest of the link's token (webapp/summaries/store.py), never the token itself: a copy
    # of the database opens no summary.
    token: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    lang: Mapped[str] = mapped_column(String(16))
    rules_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The evaluated result in every language, frozen when saved (webapp/summaries/snapshot.py).
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
