"""Partial dates: labels are sometimes known only to the month or the year."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["day", "month", "year"]

_PATTERNS: tuple[tuple[re.Pattern[str], Precision], ...] = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
)


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as the source gives it, with the day it takes effect.

    The design brief (section 3) says a date known only to the month or year counts as the last day of that
    period: a label "approved in March 2026" is in force from 31 March 2026, never earlier than it could be.
    """

    text: str
    precision: Precision
    effective: dt.date

    def __str__(self) -> str:
        return self.text


def parse_partial_date(text: str) -> PartialDate:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; raise ValueError for anything else."""
    for pattern, precision in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        parts = [int(p) for p in match.groups()]
        if precision == "day":
            effective = dt.date(parts[0], parts[1], parts[2])
        elif precision == "month":
            year, month = parts
            if not 1 <= month <= 12:
                raise ValueError(f"month out of range in {text!r}")
            effective = dt.date(year, month, calendar.monthrange(year, month)[1])
        else:
            effective = dt.date(parts[0], 12, 31)
        return PartialDate(text, precision, effective)
    raise ValueError(f"{text!r} is not a date of the form YYYY-MM-DD, YYYY-MM or YYYY")
