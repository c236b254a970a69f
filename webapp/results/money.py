"""Approximate amounts in the currency of where a person lives, from one dated table (rules/exchange_rates.toml).

Never a live call: the table names its source and its one date, and every converted amount is shown as
"approximately", with that date. Converted amounts depend on the person's place of residence, so they are
computed on every request and never go into a cached section (webapp/caching.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

FILE = "exchange_rates.toml"


class ExchangeRatesError(ValueError):
    """rules/exchange_rates.toml is malformed; the message names the field."""


@dataclass(frozen=True)
class Citation:
    document: str
    issuer: str
    date: str | None
    urls: tuple[str, ...]


@dataclass(frozen=True)
class ExchangeRates:
    """Units of each currency that one unit of ``base`` bought on ``date``."""

    date: dt.date
    base: str
    rates: MappingProxyType[str, float]
    sources: tuple[Citation, ...]

    def convert(self, amount: float, source: str, target: str) -> float | None:
        """``amount`` of ``source`` in ``target``, or None when either currency is not in the table."""
        if source not in self.rates or target not in self.rates:
            return None
        return amount / self.rates[source] * self.rates[target]


def _citation(raw: Any, where: str) -> Citation:
    if not isinstance(raw, dict):
        raise ExchangeRatesError(f"{FILE}: {where} must be a table")
    document, issuer, urls = raw.get("document"), raw.get("issuer"), raw.get("urls")
    if not isinstance(document, str) or not document or not isinstance(issuer, str) or not issuer:
        raise ExchangeRatesError(f"{FILE}: {where} needs a document and an issuer")
    if (
        not isinstance(urls, list)
        or not urls
        or not all(isinstance(u, str) and u.startswith("https://") and " " not in u for u in urls)
    ):
        raise ExchangeRatesError(f"{FILE}: {where}.urls must list absolute https URLs")
    date = raw.get("date")
    return Citation(document, issuer, str(date) if date else None, tuple(urls))


@functools.lru_cache(maxsize=8)
def load_rates(rules_dir: str) -> ExchangeRates | None:
    """The table in ``rules_dir``, validated; None when the folder has none (the test fixtures)."""
    path = Path(rules_dir) / FILE
    if not path.exists():
        return None
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    try:
        date = dt.date.fromisoformat(str(raw["date"]))
        base = str(raw["base"])
        rates: dict[str, float] = {}
        for code, value in raw["rates"].items():
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ExchangeRatesError(f"{FILE}: rates.{code} must be a positive number")
            rates[code] = float(value)
        sources = [_citation(raw["source"], "source")]
        for code, peg in (raw.get("pegged") or {}).items():
            if peg.get("to") not in rates or not isinstance(peg.get("factor"), int | float):
                raise ExchangeRatesError(f"{FILE}: pegged.{code} needs `to` (a listed currency) and `factor`")
            rates[code] = rates[peg["to"]] * float(peg["factor"])
            sources.append(_citation(peg, f"pegged.{code}"))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ExchangeRatesError):
            raise
        raise ExchangeRatesError(f"{FILE}: {exc!r}") from exc
    if rates.get(base) != 1.0:
        raise ExchangeRatesError(f"{FILE}: the base currency {base} must have the rate 1")
    return ExchangeRates(date, base, MappingProxyType(rates), tuple(sources))


def approximate_prices(
    rates: ExchangeRates | None, prices: list[dict[str, Any]], currency: str | None
) -> list[dict[str, Any]]:
    """Each price of ``prices`` (practice data) in ``currency``, approximately: ``{"id", "low", "high",
    "currency", "unit"}``; empty without a table, a target currency, or when the currency is the same."""
    if rates is None or not currency:
        return []
    out = []
    for p in prices:
        if not p.get("currency") or p["currency"] == currency:
            continue
        low = None if p.get("low") is None else rates.convert(p["low"], p["currency"], currency)
        high = None if p.get("high") is None else rates.convert(p["high"], p["currency"], currency)
        if low is None and high is None:
            continue
        out.append(
            {
                "id": p["id"],
                "low": _round(low),
                "high": _round(high),
                "currency": currency,
                "unit": p.get("unit"),
            }
        )
    return out


def _round(value: float | None) -> float | None:
    """To two significant figures or so: the amount is only approximate, and should look it."""
    if value is None:
        return None
    if value < 100:
        return float(round(value))
    digits = len(str(int(value))) - 2
    return float(round(value, -digits))
