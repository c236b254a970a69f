"""The rows of the "check your answers" page, in the person's own terms (what they ticked, not the API)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date

from ..eligibility import CLASS_IDS, Rules
from ..i18n import gettext, names
from .form_state import (
    CLASS_NONE,
    CLASS_UNSURE,
    HAD_OTHER,
    NO,
    NOT_LISTED,
    UNSURE,
    YES,
    drug_groups,
    place_name,
    refractory_field,
    top_lines,
)


@dataclass(frozen=True)
class Row:
    key: str
    values: list[str]
    anchor: str


def _tri(value: Any, yes: str | None = None, no: str | None = None) -> str:
    return {
        YES: yes or gettext("Yes"),
        NO: no or gettext("No"),
        UNSURE: gettext("Not sure"),
    }.get(value, gettext("Not answered"))


def _worse(value: Any) -> str:
    return {
        YES: gettext("it got worse while on it, or within 60 days of stopping"),
        NO: gettext("it did not get worse while on it, or within 60 days of stopping"),
        UNSURE: gettext("not sure whether it got worse while on it"),
    }.get(value, gettext("not answered whether it got worse while on it"))


def answer_rows(state: Mapping[str, Any], answers: Mapping[str, Any], rules: Rules) -> list[Row]:
    region = state.get("region")
    if region == NOT_LISTED:
        region_text = gettext("My country or place is not listed")
    elif region in rules.regions:
        region_text = names(rules.regions[region].names)
    else:
        region_text = gettext("Not answered")
    rows = [
        Row(gettext("Where you want to be treated"), [region_text], "region"),
        Row(
            gettext("Where you live"),
            [place_name(rules, state["residence"]) if state.get("residence") else gettext("Not given")],
            "residence",
        ),
        Row(gettext("18 or over"), [_tri(state.get("adult"))], "adult"),
        Row(
            gettext("Myeloma has come back or stopped responding, and needs treatment now"),
            [_tri(state.get("relapsed_or_refractory"), no=gettext("No, it is under control now"))],
            "relapsed_or_refractory",
        ),
    ]
    lines = state.get("prior_lines")
    top = str(top_lines(rules))
    if lines == UNSURE:
        lines_text = gettext("Not sure")
    elif lines == top:
        lines_text = gettext("%(num)s or more", num=top)
    else:
        lines_text = lines or gettext("Not answered")
    rows.append(Row(gettext("Lines of treatment so far"), [lines_text], "prior_lines"))

    for group in drug_groups(rules):
        chosen = list(state.get(group.field) or [])
        values = []
        for item in group.items:
            if item.id in chosen:
                text = item.name
                if item.refractory:
                    text = gettext("%(drug)s: %(worse)s", drug=text, worse=_worse(state.get(item.refractory)))
                values.append(text)
        if HAD_OTHER in chosen:
            values.append(
                gettext(
                    "A medicine of this kind whose name you do not know: %(worse)s",
                    worse=_worse(state.get(refractory_field(group.id))),
                )
            )
        if CLASS_UNSURE in chosen:
            values.append(gettext("Not sure whether you have had one"))
        if CLASS_NONE in chosen:
            values.append(gettext("None of these"))
        if not values:
            values.append(gettext("None of these") if group.id not in CLASS_IDS else gettext("Not answered"))
        rows.append(Row(group.name, values, group.field))

    rows += [
        Row(
            gettext("Got worse during the latest treatment, or within 60 days after it"),
            [_tri(state.get("progressed_on_last"))],
            "progressed_on_last",
        ),
        Row(
            gettext("Had a CAR-T cell therapy aimed at BCMA before"),
            [_tri(state.get("prior_bcma_car_t"))],
            "prior_bcma_car_t",
        ),
    ]
    as_of = answers.get("as_of")
    if as_of:
        rows.append(
            Row(gettext("Evaluate as of"), [format_date(dt.date.fromisoformat(as_of), "long")], "as_of")
        )
    return rows
