"""What changed since a summary was saved (issue 25): the saved snapshot against today's rules.

``compare_saved(snapshot, answers, engine, day)`` evaluates the saved answers again, as of ``day`` under the
rules loaded now, and lists what differs from the snapshot: verdicts that changed, labels that were added or
have ended, and criteria whose outcome moved. It reads only the snapshot and the saved answers: it never
touches the session, and "check again" stays a POST that only loads the answers.

Snapshots come in more than one shape (webapp/summaries/snapshot.py keeps ``format`` in each). What this
needs from one is language-free: per label version, its id, its status and each criterion's id and outcome,
plus the rules version and the day it was made. ``then_results`` finds those in every shape we have stored.

Part of the shared results package: the summaries blueprint imports it (tests/test_layering.py), and it
imports only the engine, the rest of this package and i18n.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..eligibility import Engine
from ..eligibility.texts import N_
from ..i18n import gettext, names, render
from .answers import parse_answers

STATUS_NAMES: dict[str, str] = {
    "eligible": N_("Matches"),
    "possible": N_("Could match"),
    "not_eligible": N_("Does not match"),
    "not_checked": N_("Not checked: wording not held"),
}
OUTCOME_NAMES: dict[str, str] = {
    "met": N_("met"),
    "not_met": N_("not met"),
    "unknown": N_("not known"),
}


@dataclass(frozen=True, slots=True)
class Then:
    """One label version's result as the snapshot holds it."""

    label_id: str
    name: str  # the product's name, in the snapshot's language (for a label that no longer exists)
    status: str
    criteria: Mapping[str, str]  # criterion id -> outcome ("met", "not_met", "unknown")
    texts: Mapping[str, str]  # criterion id -> the plain words shown then


@dataclass(frozen=True, slots=True)
class VerdictChange:
    label_id: str
    name: str
    before: str  # status ids
    after: str


@dataclass(frozen=True, slots=True)
class LabelChange:
    label_id: str
    name: str
    status: str  # added: the status now; ended: the status then
    date: str  # added: approved (as the data gives it); ended: the end date; "" when not known
    reason: str = ""  # ended: "superseded", "withdrawn" or "" (no longer in the rules we hold)


@dataclass(frozen=True, slots=True)
class CriterionChange:
    label_id: str
    name: str
    criterion: str  # criterion id
    text: str  # the criterion in plain words (today's wording, else the saved one)
    before: str | None  # outcome id; None: the label did not have this criterion then
    after: str | None  # None: it does not have it now


@dataclass(frozen=True, slots=True)
class SinceSaved:
    then_version: str
    now_version: str
    then_day: dt.date  # the day the snapshot was made
    now_day: dt.date
    as_of_then: dt.date  # the day the snapshot evaluated the labels for
    verdicts: tuple[VerdictChange, ...] = ()
    added: tuple[LabelChange, ...] = ()
    ended: tuple[LabelChange, ...] = ()
    criteria: tuple[CriterionChange, ...] = ()
    unreadable: bool = False  # the snapshot holds no results we can read (nothing is claimed then)

    @property
    def nothing_changed(self) -> bool:
        return not (self.verdicts or self.added or self.ended or self.criteria or self.unreadable)


# -- the snapshot's side ---------------------------------------------------------------------------------------
def _results_lists(snapshot: Mapping[str, Any]) -> Iterable[tuple[str, list[Any]]]:
    """(language, results list) in every shape stored so far, the saved language first."""
    langs = snapshot.get("langs")
    if isinstance(langs, Mapping):
        for lang, part in langs.items():
            if not isinstance(part, Mapping):
                continue
            result = part.get("result")
            if isinstance(result, Mapping) and isinstance(result.get("results"), list):
                yield lang, result["results"]
            elif isinstance(part.get("results"), list):
                yield lang, part["results"]
    result = snapshot.get("result")
    if isinstance(result, Mapping) and isinstance(result.get("results"), list):
        yield str(snapshot.get("lang") or ""), result["results"]
    if isinstance(snapshot.get("results"), list):
        yield str(snapshot.get("lang") or ""), snapshot["results"]


def then_results(snapshot: Mapping[str, Any], lang: str | None = None) -> dict[str, Then] | None:
    """label id -> Then, from the snapshot part in ``lang`` when there is one; None when none is readable."""
    found = list(_results_lists(snapshot))
    if not found:
        return None
    chosen = next((results for code, results in found if code == lang), found[0][1])
    out: dict[str, Then] = {}
    for item in chosen:
        if not isinstance(item, Mapping):
            continue
        label_id = item.get("label_id") or (item.get("label") or {}).get("id")
        if not isinstance(label_id, str) or not isinstance(item.get("status"), str):
            continue
        criteria, texts = {}, {}
        for c in item.get("criteria") or []:
            if isinstance(c, Mapping) and isinstance(c.get("id"), str):
                criteria[c["id"]] = str(c.get("outcome"))
                texts[c["id"]] = str(c.get("text") or "")
        out[label_id] = Then(label_id, str(item.get("name") or label_id), item["status"], criteria, texts)
    return out


def _day(value: Any, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return default


# -- the comparison ------------------------------------------------------------------------------------------------
def compare_saved(
    snapshot: Mapping[str, Any],
    answers: Mapping[str, Any],
    engine: Engine,
    day: dt.date,
    lang: str | None = None,
) -> SinceSaved:
    """The saved ``snapshot`` (made from ``answers``) against ``engine``'s rules as of ``day``.

    Needs an app context for the plain words (gettext) of today's criteria."""
    rules = engine.rules
    made = _day(snapshot.get("checked_on") or snapshot.get("as_of"), day)
    base = SinceSaved(
        then_version=str(snapshot.get("rules_version") or "?"),
        now_version=rules.version,
        then_day=made,
        now_day=day,
        as_of_then=_day(snapshot.get("as_of"), made),
    )
    then = then_results(snapshot, lang)
    if then is None:
        return dataclasses.replace(base, unreadable=True)
    # The answers as they were saved, evaluated today (the same reading as the snapshot: a myeloma under
    # control is evaluated as if it came back, and the snapshot says it was hypothetical).
    data = {k: v for k, v in answers.items() if k != "as_of"}
    req, region, _errors = parse_answers(data, rules, day)
    if req is None or region is None:
        # Today's rules do not accept the saved answers (a drug removed, say), or no region was chosen:
        # nothing is claimed about today.
        return dataclasses.replace(base, unreadable=True) if req is None else base
    evaluated = req.answers
    if evaluated.relapsed_or_refractory is False:
        evaluated = dataclasses.replace(evaluated, relapsed_or_refractory=True)
    now = {r.label.id: r for r in engine.evaluate(evaluated, region, day).results}

    def name_of(label_id: str) -> str:
        label = rules.labels.get(label_id)
        return names(rules.products[label.product].names) if label else then[label_id].name

    verdicts, criteria = [], []
    for label_id in [i for i in then if i in now]:
        old, new = then[label_id], now[label_id]
        if old.status != new.status:
            verdicts.append(VerdictChange(label_id, name_of(label_id), old.status, new.status))
        new_outcomes = {c.id: c.outcome.value for c in new.criteria}
        new_texts = {c.id: render(c.text) for c in new.criteria}
        for cid in [*old.criteria, *(k for k in new_outcomes if k not in old.criteria)]:
            before, after = old.criteria.get(cid), new_outcomes.get(cid)
            if before != after:
                text = new_texts.get(cid) or old.texts.get(cid) or cid
                criteria.append(CriterionChange(label_id, name_of(label_id), cid, text, before, after))
    added = []
    for label_id, result in now.items():
        if label_id not in then:
            label = result.label
            added.append(LabelChange(label_id, name_of(label_id), result.status, str(label.approved or "")))
    ended = []
    for label_id, old in then.items():
        if label_id not in now:
            label = rules.labels.get(label_id)
            when = str(label.ended) if label and label.ended else ""
            reason = (label.end_reason or "") if label else ""
            ended.append(LabelChange(label_id, name_of(label_id), old.status, when, reason))
    return dataclasses.replace(
        base,
        verdicts=tuple(verdicts),
        added=tuple(added),
        ended=tuple(ended),
        criteria=tuple(criteria),
    )


def status_name(status: str | None) -> str:
    return gettext(STATUS_NAMES[status]) if status in STATUS_NAMES else (status or "")


def outcome_name(outcome: str | None) -> str:
    if outcome is None:
        return gettext("not required")
    return gettext(OUTCOME_NAMES[outcome]) if outcome in OUTCOME_NAMES else outcome


# -- plain words -----------------------------------------------------------------------------------------------------
def date_words(text: str) -> str:
    """A date as the data gives it (YYYY, YYYY-MM or YYYY-MM-DD) in the reader's language; '' for none."""
    from babel.dates import format_skeleton
    from flask_babel import format_date, get_locale

    from ..eligibility import parse_partial_date

    if not text:
        return ""
    try:
        value = parse_partial_date(text)
    except ValueError:
        return text
    if value.precision == "day":
        return format_date(value.effective, "long")
    skeleton = "yMMMM" if value.precision == "month" else "y"
    return format_skeleton(skeleton, value.effective, locale=get_locale() or "en")


def render_since(
    snapshot: Mapping[str, Any], answers: Mapping[str, Any], engine: Engine, day: dt.date, lang: str | None
) -> Markup:
    """The "what changed since you saved" section of a saved summary's page, as HTML."""
    from flask import render_template

    result = compare_saved(snapshot, answers, engine, day, lang)
    return Markup(  # noqa: S704 - a template of ours, autoescaped
        render_template(
            "summaries/_since_saved.html",
            s=result,
            status_name=status_name,
            outcome_name=outcome_name,
            date_words=date_words,
        )
    )
