"""The result snapshot: one evaluation, serialized in every language, frozen so a rules change never alters it.

A snapshot is plain JSON. It holds, per language, ``result_data()`` of the evaluation, the "approved
elsewhere" list and the rows of the answers as the person gave them, all rendered when it was taken. The
print views and saved summaries read only the snapshot, so a bilingual print needs no second evaluation and
a saved summary shows exactly what was true under the rules version it names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from flask import session
from flask_babel import force_locale

from .. import i18n
from ..eligibility.practice import residence_place
from ..i18n import LANGUAGES
from ..results.answer_rows import answer_rows
from ..results.answers import (
    SESSION_FORM,
    SESSION_FORM_INVALID,
    elsewhere,
    engine,
    parse_answers,
    today,
)
from ..results.form_state import state_from_answers
from ..results.overview import CITATION_FIELDS, region_steps
from ..results.sections import label_practice, region_steps_data
from ..results.serialize import result_data, steps_data

FORMAT = (
    2  # stored in every snapshot, so a later change of shape can tell the old rows apart (1: practice inline)
)


def in_language(lang: str) -> AbstractContextManager[Any]:
    """Render in ``lang`` (a public code) for a while.

    ``webapp.i18n.use_locale`` switches both Flask-Babel and the app's own fast translation path (a context
    variable that Flask-Babel's ``force_locale`` alone leaves alone); Flask-Babel's is the fallback.
    """
    use_locale = getattr(i18n, "use_locale", None)
    return use_locale(LANGUAGES[lang]) if use_locale else force_locale(LANGUAGES[lang])


class InvalidAnswers(ValueError):
    """The answers do not validate under today's rules (``errors`` as from ``parse_check``)."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(sorted(errors))
        self.errors = dict(errors)


def session_state(answers: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """What the person ticked, when the session still holds it for these answers (for the answer rows)."""
    state = session.get(SESSION_FORM)
    if (
        isinstance(state, dict)
        and not session.get(SESSION_FORM_INVALID)
        and state.get("region") == answers.get("region")
    ):
        return state
    return None


def _routes(as_of: dt.date) -> list[dict[str, Any]]:
    """Special routes (named-patient programmes, trials) shown when the person's place is not covered."""
    practice = getattr(engine().rules, "practice", None)
    routes = tuple(s for s in getattr(practice, "routes", ()) if s.dates.holds_on(as_of))
    return steps_data(routes) if routes else []


def _lean(data: dict[str, Any]) -> dict[str, Any]:
    """A result without the practice data inside each entry (the snapshot keeps it per label, once)."""
    return {
        **data,
        "results": [{k: v for k, v in r.items() if k not in PRACTICE_KEYS} for r in data["results"]],
    }


def build(
    answers: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
    langs: Iterable[str] = tuple(LANGUAGES),
) -> dict[str, Any]:
    """Evaluate ``answers`` (a check request, or ``region: "none"``) once and freeze it in ``langs``.

    Per language: the result and, for a traveller, the result at home (each entry without practice data), the
    "approved elsewhere" list, the answers as given, the region's steps, and each label's practice sections
    under its id. Sources are kept as citations only: never maintainers' notes (issue 20).
    """
    eng = engine()
    rules = eng.rules
    req, region, errors = parse_answers(answers, rules, today())
    if req is None:
        raise InvalidAnswers(errors)
    # As on the results page: for myeloma under control, what the answers would match if it came back.
    hypothetical = req.answers.relapsed_or_refractory is False
    evaluated = dataclasses.replace(req.answers, relapsed_or_refractory=True) if hypothetical else req.answers
    result = eng.evaluate(evaluated, region, req.as_of)
    home = residence_place(rules, req.residence)[1]
    home_result = eng.evaluate(evaluated, home, req.as_of) if home and region and home != region else None
    state = state if state is not None else state_from_answers(answers, rules)
    labels = [r.label for r in result.results] + [
        r.label for r in (home_result.results if home_result else ())
    ]
    by_lang: dict[str, Any] = {}
    for code in langs:
        with in_language(code):
            data = result_data(eng, result, req.residence)
            at_home = result_data(eng, home_result, req.residence) if home_result else None
            region_labels = [r.label for r in result.results]
            by_lang[code] = strip_notes(
                {
                    "result": _lean(data),
                    "at_home": _lean(at_home) if at_home else None,
                    "elsewhere": elsewhere(data, rules),
                    "routes": [] if region else _routes(req.as_of),
                    "answer_rows": [
                        {"key": row.key, "values": list(row.values)}
                        for row in answer_rows(state, answers, rules)
                    ],
                    "steps": region_steps_data(rules, region_labels, req.as_of, req.residence),
                    "practice": {
                        label.id: label_practice(rules, label, req.as_of, req.residence) for label in labels
                    },
                }
            )
    return {
        "format": FORMAT,
        "region": region,
        "residence": req.residence,
        "home": home if home_result else None,
        "as_of": req.as_of.isoformat(),
        "checked_on": today().isoformat(),
        "rules_version": result.rules_version,
        "hypothetical": hypothetical,
        "langs": by_lang,
    }


# What a result entry held of its label's practice in the first snapshot format (kept inline, per entry).
PRACTICE_KEYS = frozenset(("caveats", "cost", "access_steps", "evidence", "availability"))


def strip_notes(value: Any, key: str = "") -> Any:
    """``value`` with every source reduced to its citation: maintainers' notes never reach a patient's page,
    print or PDF, whatever format a snapshot was stored in."""
    if isinstance(value, dict):
        if key in ("source", "citation"):
            return {k: v for k, v in value.items() if k in CITATION_FIELDS}
        return {k: strip_notes(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_notes(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True)
class Column:
    """One language of a snapshot, ready for a template."""

    lang: str
    region: str | None
    as_of: dt.date
    checked_on: dt.date
    rules_version: str
    hypothetical: bool
    data: Mapping[str, Any]
    elsewhere: list[Mapping[str, Any]]
    routes: list[Mapping[str, Any]]
    answer_rows: list[Mapping[str, Any]]
    at_home: Mapping[str, Any] | None = None
    practice: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    steps: Mapping[str, list[Mapping[str, Any]]] = dataclasses.field(default_factory=dict)


def column(snapshot: Mapping[str, Any], lang: str) -> Column:
    """One language of a snapshot, in either format, with every source reduced to its citation."""
    part = strip_notes(snapshot["langs"][lang])
    data = part["result"]
    if snapshot.get("format", 1) < 2:
        # The first format kept each entry's practice data inline, and no steps or at-home result.
        practice = {r["label_id"]: {k: r.get(k) for k in PRACTICE_KEYS} for r in data["results"]}
        steps = region_steps(practice.values())
        data = _lean(data)
    else:
        practice, steps = part.get("practice") or {}, part.get("steps") or {}
    return Column(
        lang=lang,
        region=snapshot["region"],
        as_of=dt.date.fromisoformat(snapshot["as_of"]),
        checked_on=dt.date.fromisoformat(snapshot.get("checked_on") or snapshot["as_of"]),
        rules_version=snapshot["rules_version"],
        hypothetical=bool(snapshot.get("hypothetical")),
        data=data,
        elsewhere=list(part["elsewhere"]),
        routes=list(part.get("routes") or []),
        answer_rows=list(part["answer_rows"]),
        at_home=part.get("at_home"),
        practice=practice,
        steps=steps,
    )


def recheck_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The saved answers to evaluate again with today's rules: as of today, not the day it was saved."""
    return {k: v for k, v in answers.items() if k != "as_of"}
