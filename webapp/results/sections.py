"""The answer-free sections of the results pages, rendered as complete macro output and cached.

Only two things are cached, both answer-free (webapp/caching.py says why): a therapy's practice sections on its
detail page, and a region's access and travel steps on the overview. Each key names everything the section
is made of: the rules version, the labels (or region), the as-of date, the residence case (``practice_case``:
what the place of residence means for those labels, never the place itself) and the locale. Amounts converted
into the currency of where someone lives are never in here: the detail page adds them outside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import current_app
from markupsafe import Markup

from ..caching import fragments
from ..eligibility import Label, Rules
from ..eligibility.practice import practice_case, residence_place, select_practice
from ..i18n import current_locale_id
from .serialize import practice_data

TEMPLATE = "patient/_therapy.html"


def macros() -> Any:
    """The macros of ``patient/_therapy.html`` (a template module needs the app's globals: built per call)."""
    return current_app.jinja_env.get_template(TEMPLATE).module


def _case(rules: Rules, residence: str | None, region: str) -> tuple[bool, bool]:
    return practice_case(residence_place(rules, residence), region)


def label_practice(rules: Rules, label: Label, as_of: dt.date, residence: str | None) -> dict[str, Any]:
    """One label's practice data (caveats, cost, steps, evidence, availability), citations only."""
    return practice_data(select_practice(rules, label, as_of, residence), label.region)


def practice_html(
    rules: Rules, labels: Sequence[Label], as_of: dt.date, residence: str | None, region_name: str
) -> Markup:
    """A therapy's practice sections for ``labels`` (one product, one region), cached (see above)."""
    region = labels[0].region
    key = (
        "practice",
        rules.version,
        tuple(label.id for label in labels),
        as_of,
        _case(rules, residence, region),
        current_locale_id(),
    )

    def build() -> Markup:
        rows = [label_practice(rules, label, as_of, residence) for label in labels]
        return Markup(macros().practice(rows, region_name))  # noqa: S704 - an autoescaping macro's output

    return fragments().get(key, build)


def region_steps_data(
    rules: Rules, labels: Sequence[Label], as_of: dt.date, residence: str | None
) -> dict[str, list[dict[str, Any]]]:
    """A region's access and travel steps, each once, from every label in force there."""
    from .overview import region_steps

    return region_steps(label_practice(rules, label, as_of, residence) for label in labels)


def steps_html(
    rules: Rules,
    region: str,
    labels: Sequence[Label],
    as_of: dt.date,
    residence: str | None,
    region_name: str,
) -> Markup:
    """A region's access and travel steps, once, for the overview; cached (see above)."""
    key = (
        "steps",
        rules.version,
        region,
        tuple(label.id for label in labels),
        as_of,
        _case(rules, residence, region),
        current_locale_id(),
    )

    def build() -> Markup:
        by_section = region_steps_data(rules, labels, as_of, residence)
        return Markup(macros().steps(by_section, region_name))  # noqa: S704 - an autoescaping macro's output

    return fragments().get(key, build)
