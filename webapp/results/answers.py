"""The answers kept in the session, and evaluating them: shared by the results page and saved summaries.

``session["answers"]`` is exactly a check request of design brief section 4, with one addition the API has
no word for: ``region`` may be ``"none"`` ("my country or place is not listed"). :func:`parse_answers`
validates such a dict with ``parse_check`` and says which region to evaluate (None for "none").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import current_app, session

from ..eligibility import STATUSES, Engine, Rules
from .form_state import NOT_LISTED
from .schema import CheckRequest, parse_check
from .serialize import label_result_data, product_brief, result_data

SESSION_ANSWERS = "answers"
SESSION_FORM = "check_form"  # what the person ticked, to show the form again exactly as they left it
SESSION_FORM_INVALID = "check_form_invalid"
_RANK = {s: i for i, s in enumerate(STATUSES)}


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def engine() -> Engine:
    return current_app.extensions["engine"]


def parse_answers(
    answers: Mapping[str, Any], rules: Rules, day: dt.date
) -> tuple[CheckRequest | None, str | None, dict[str, list[str]]]:
    """Validate session answers. Returns (request, region to evaluate or None, errors)."""
    data = dict(answers)
    not_listed = data.get("region") == NOT_LISTED
    if not_listed:
        # A stand-in, so every other answer is validated by the one shared parser; it is never evaluated.
        data["region"] = next(iter(rules.regions))
    req, errors = parse_check(data, rules, day)
    if req is None:
        return None, None, errors
    return req, None if not_listed else req.region, {}


def home_region(rules: Rules, region: str | None, residence: str | None) -> str | None:
    """Where a traveller could be treated at home: their residence when it is a covered region other than the
    region they asked about (the check's ``at_home``, the results page's "At home in ..."), else None."""
    if residence and residence != region and residence in rules.regions:
        return residence
    return None


def stored_answers() -> dict[str, Any] | None:
    value = session.get(SESSION_ANSWERS)
    return value if isinstance(value, dict) else None


def evaluate_data(req: CheckRequest, region: str | None, **changes: Any) -> dict[str, Any]:
    """Evaluate and convert in the active locale; ``changes`` replace answers (e.g. the what-if view)."""
    eng = engine()
    answers = dataclasses.replace(req.answers, **changes) if changes else req.answers
    result = eng.evaluate(answers, region, req.as_of)
    # Decisions and the label's own data only: the pages render each label's practice sections apart
    # (webapp/results/sections.py), the overview not at all.
    rules = eng.rules
    data = result_data(eng, dataclasses.replace(result, results=()), req.residence)
    data["results"] = [label_result_data(rules, r) for r in result.results]
    return data


def therapies(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """One entry per product with its label rows, grouped under the product's best status.

    The engine sorts by status, so a product first appears with its best status and its rows stay in order.
    """
    by_product: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        by_product.setdefault(row["product"], []).append(row)
    sections: dict[str, list[dict[str, Any]]] = {s: [] for s in STATUSES}
    for rows in by_product.values():
        best = min((r["status"] for r in rows), key=_RANK.__getitem__)
        sections[best].append({"product": rows[0]["product"], "status": best, "rows": rows})
    return sections


def elsewhere(data: dict[str, Any], rules: Rules) -> list[dict[str, Any]]:
    """Products approved only elsewhere, with what the product is, and regions in order of status."""
    out = []
    for item in data["approved_elsewhere"]:
        product = rules.products.get(item["product"])
        brief = product_brief(product) if product else {}
        regions = sorted(item["regions"], key=lambda r: _RANK.get(r["status"], 9))
        out.append({**item, "summary": brief.get("summary"), "kind": brief.get("kind"), "regions": regions})
    return sorted(out, key=lambda e: _RANK.get(e["regions"][0]["status"], 9) if e["regions"] else 9)
