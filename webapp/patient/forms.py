"""The patient form: its questions, choices and cross-field rules.

The mapping between what a person ticks and the answers the engine reads is shared with saved summaries, so
it lives in ``webapp.results.form_state``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask import current_app, request
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from wtforms import Field, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import ValidationError

from ..eligibility import CLASS_IDS, Rules
from ..eligibility.texts import N_
from ..i18n import current_locale_id, gettext, names
from ..results.form_state import (
    EXCLUSIVE,
    HAD_OTHER,
    NO,
    NOT_LISTED,
    NOT_PLACES,
    SPECIAL,
    TRI_VALUES,
    UNSURE,
    YES,
    drugs_in_group,
    group_field,
    group_title,
    groups_with_drugs,
    place_name,
    refractory_field,
    refractory_targets,
    top_lines,
)
from ..results.schema import MIN_AS_OF, TERRITORIES


# -- choices ----------------------------------------------------------------------------------------------
def region_choices(rules: Rules) -> list[tuple[str, str]]:
    return [(r.id, names(r.names)) for r in rules.regions.values()]


def residence_groups(rules: Rules) -> list[tuple[str, list[tuple[str, str]]]]:
    """Places people can live in: the covered places first, then every other place, by name."""
    # Cached per rule set and language: ~250 names sorted in the reader's language on every form otherwise.
    cache: dict[tuple[int, str], Any] = current_app.extensions.setdefault("residence_groups", {})
    key = (id(rules), current_locale_id())
    if key not in cache:
        cache[key] = _residence_groups(rules)
    return cache[key]


def _residence_groups(rules: Rules) -> list[tuple[str, list[tuple[str, str]]]]:
    places = sorted(TERRITORIES - NOT_PLACES)
    covered = [c for c in rules.regions if c in places]
    others = sorted(((c, place_name(rules, c)) for c in places if c not in covered), key=lambda p: p[1])
    return [
        (gettext("Places this service covers"), [(c, place_name(rules, c)) for c in covered]),
        (gettext("Other countries and places"), others),
    ]


# -- the form ---------------------------------------------------------------------------------------------
def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


TRI_CHOICES = ((YES, YES), (NO, NO), (UNSURE, UNSURE))


class ChoiceRequired:
    """A radio or select question must have one of its own values (tampered values get the same message)."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        values = {str(c.value) for c in field.choices or ()}
        if field.data is None or str(field.data) not in values:
            field.errors[:] = []
            raise ValidationError(self.message)


def _tri_field(message: str, **kwargs: Any) -> RadioField:
    return RadioField(
        choices=choices(TRI_CHOICES),
        validate_choice=False,
        validators=[ChoiceRequired(lazy_gettext(message))],
        **kwargs,
    )


class CheckForm(FlaskForm):
    """The fields every rule set has; drug questions are added per rule set by :func:`form_class`."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            # An HTML form only: Flask-WTF would also read a JSON body, and an unreadable one raised a 500.
            if formdata is _Auto:
                return (request.form or None) if request.method in SUBMIT_METHODS else None
            return formdata

    region = RadioField(
        validate_choice=False,
        validators=[ChoiceRequired(lazy_gettext("Select where you want to be treated"))],
    )
    residence = SelectField(validate_choice=False)
    adult = _tri_field(N_("Select whether you are 18 or over"))
    relapsed_or_refractory = _tri_field(N_("Select whether the myeloma needs treatment now"))
    prior_lines = RadioField(
        validate_choice=False,
        validators=[ChoiceRequired(lazy_gettext("Select how many lines of treatment you have had"))],
    )
    progressed_on_last = _tri_field(
        N_("Select whether the myeloma got worse during or soon after the latest treatment")
    )
    prior_bcma_car_t = _tri_field(N_("Select whether you have had a BCMA CAR-T cell therapy before"))
    as_of = StringField()

    rules: Rules
    clinician: bool = False
    today: dt.date

    def setup(self, rules: Rules, clinician: bool, today: dt.date) -> None:
        """Fill in the choices, which depend on the rules and the active language."""
        self.rules, self.clinician, self.today = rules, clinician, today
        self.region.choices = choices(
            [*region_choices(rules), (NOT_LISTED, gettext("My country or place is not listed"))]
        )
        self.residence.choices = choices(
            [("", "")] + [c for _g, items in residence_groups(rules) for c in items]
        )
        top = top_lines(rules)
        self.prior_lines.choices = choices([(str(n), str(n)) for n in range(top + 1)] + [(UNSURE, UNSURE)])
        for group in groups_with_drugs(rules):
            values = list(drugs_in_group(rules, group)) + (list(SPECIAL) if group in CLASS_IDS else [])
            self[group_field(group)].choices = choices((v, v) for v in values)

    # -- cross-field rules (the server is the truth; the JavaScript only helps) ------------------------------
    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        rules = self.rules
        if self.residence.data and self.residence.data not in {c.value for c in self.residence.choices}:
            self.residence.errors.append(gettext("Select where you live from the list"))
            ok = False
        ticked_all: list[str] = []
        for group in groups_with_drugs(rules):
            f = self[group_field(group)]
            chosen = list(f.data or [])
            allowed = {c.value for c in f.choices}
            if any(v not in allowed for v in chosen):
                f.errors.append(gettext("Select medicines from the list"))
                ok = False
                continue
            ticked_all += [d for d in chosen if d in rules.drugs]
            if group not in CLASS_IDS:
                continue
            cls_name = names(rules.classes[group].names)
            if not chosen:
                f.errors.append(
                    gettext(
                        "%(kind)s: select the medicines you have had, or select ‘Not sure’ or ‘None of these’",
                        kind=group_title(rules, group),
                    )
                )
                ok = False
            elif any(x in chosen for x in EXCLUSIVE) and len(chosen) > 1:
                f.errors.append(
                    gettext(
                        "Select ‘Not sure’ or ‘None of these’ on its own, or select the medicines you have had"
                    )
                )
                ok = False
            if HAD_OTHER in chosen:
                q = self[refractory_field(group)]
                if q.data not in TRI_VALUES:
                    q.errors.append(
                        gettext(
                            "Select whether the myeloma got worse on the %(kind)s whose name you do not know",
                            kind=cls_name,
                        )
                    )
                    ok = False
        for drug in ticked_all:
            if drug in refractory_targets(rules):
                q = self[refractory_field(drug)]
                if q.data not in TRI_VALUES:
                    q.errors.append(
                        gettext(
                            "Select whether the myeloma got worse while on %(drug)s",
                            drug=names(rules.drugs[drug].names),
                        )
                    )
                    ok = False
        bcma = [d for d in ticked_all if rules.drugs[d].bcma_car_t]
        if bcma and self.prior_bcma_car_t.data == NO:
            self.prior_bcma_car_t.errors.append(
                gettext(
                    "You ticked %(drug)s in the list of medicines. Select ‘Yes’, or untick it in the list",
                    drug=names(rules.drugs[bcma[0]].names),
                )
            )
            ok = False
        if self.clinician and (self.as_of.data or "").strip():
            ok = self._check_as_of() and ok
        return ok

    def _check_as_of(self) -> bool:
        raw = self.as_of.data.strip()
        try:
            day = dt.date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None:
            self.as_of.errors.append(gettext("Enter the date as year, month and day, like 2024-01-31"))
            return False
        if day < MIN_AS_OF:
            self.as_of.errors.append(gettext("The date must be 1 January 2000 or later"))
            return False
        if day > self.today:
            self.as_of.errors.append(gettext("The date must be today or in the past"))
            return False
        self.as_of.data = raw
        return True

    def state(self) -> dict[str, Any]:
        """What the person chose, as plain values: kept in the session so the form can be shown again."""
        # Only values the page offers are kept: the state lives in a cookie, which a tampered post must not
        # be able to fill (the page could not show such a value anyway).
        out: dict[str, Any] = {}
        for name, f in self._fields.items():
            if name == "csrf_token" or not f.data:
                continue
            if name == "as_of":
                if self.clinician:
                    out[name] = str(f.data).strip()[:20]
                continue
            offered = {str(c.value) for c in f.choices or ()}
            if isinstance(f.data, list):
                kept = [str(v) for v in f.data if str(v) in offered]
                if kept:
                    out[name] = kept
            elif str(f.data) in offered:
                out[name] = str(f.data)
        return out

    def ordered_errors(self) -> list[tuple[str, str]]:
        """(anchor, message) in page order, for the error summary."""
        out = []
        for name in field_order(self.rules):
            f = self._fields.get(name)
            if f is not None and f.errors:
                out.append((name, str(f.errors[0])))  # one message per question, as on the page
        return out


def field_order(rules: Rules) -> list[str]:
    """Field names in the order the page shows them."""
    order = ["region", "residence", "adult", "relapsed_or_refractory", "prior_lines"]
    for group in groups_with_drugs(rules):
        order.append(group_field(group))
        for d in drugs_in_group(rules, group):
            if d in refractory_targets(rules):
                order.append(refractory_field(d))
        if group in CLASS_IDS:
            order.append(refractory_field(group))
    return [*order, "progressed_on_last", "prior_bcma_car_t", "as_of"]


def form_class(rules: Rules) -> type[CheckForm]:
    """A CheckForm subclass with one checkbox list per drug group and a question per drug; cached per rules."""
    cache: dict[int, type[CheckForm]] = current_app.extensions.setdefault("patient_forms", {})
    key = id(rules)
    if key not in cache:
        attrs: dict[str, Any] = {}
        for group in groups_with_drugs(rules):
            attrs[group_field(group)] = SelectMultipleField(validate_choice=False)
            if group in CLASS_IDS:
                attrs[refractory_field(group)] = RadioField(
                    choices=choices(TRI_CHOICES), validate_choice=False
                )
        for drug in refractory_targets(rules):
            attrs[refractory_field(drug)] = RadioField(choices=choices(TRI_CHOICES), validate_choice=False)
        cache[key] = type("RulesCheckForm", (CheckForm,), attrs)
    return cache[key]


def bcma_car_t_examples(rules: Rules) -> list[str]:
    """The BCMA CAR-T products a patient may know, with a brand, for the hint of that question."""
    out = []
    for d in rules.drugs.values():
        if d.bcma_car_t:
            latin = [b for b in d.brands if b.isascii()]
            out.append(
                gettext("%(name)s (%(brand)s)", name=names(d.names), brand=latin[0])
                if latin
                else names(d.names)
            )
    return out
