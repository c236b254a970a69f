"""The patient form, and the mapping between what a person ticks and the answers the engine reads.

The form asks what a patient or caregiver can know (drug names, "not sure"); the answers are the JSON API
request of design brief section 4, so the session holds exactly what ``parse_check`` validates. The
mapping is the delicate part: the API treats a drug list as complete, so a list is only sent when it is
complete for every drug a label names (see :func:`answers_from_state`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import current_app
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import ValidationError

from ..api.schema import MAX_LINES, MIN_AS_OF, TERRITORIES
from ..eligibility import CLASS_IDS, Rules
from ..eligibility.model import DRUG_GROUPS
from ..eligibility.texts import N_
from ..i18n import current_locale_id, gettext, names

YES, NO, UNSURE = "yes", "no", "unsure"
TRI_VALUES: Mapping[str, bool | None] = {YES: True, NO: False, UNSURE: None}
# Special choices in a drug class's checkbox list. They start with "_" so they can never be a drug id.
HAD_OTHER, CLASS_UNSURE, CLASS_NONE = "_other", "_unsure", "_none"
SPECIAL = (HAD_OTHER, CLASS_UNSURE, CLASS_NONE)
EXCLUSIVE = (CLASS_UNSURE, CLASS_NONE)
NOT_LISTED = "none"  # the region value for "my country or place is not listed" (the lead's interface)
# Pseudo-territories in Babel's list that are not places a person lives in.
# Codes that are not a place someone lives; CQ (Sark) has no Chinese name in Babel, and its people choose
# Guernsey (GG), which does.
NOT_PLACES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ", "CQ"})

# Names and plain explanations of the drug groups that are not one of the three label classes (those take
# their name and help text from rules/drugs.toml).
GROUP_NAMES: Mapping[str, str] = {
    "other": N_("Other myeloma medicines"),
    "car-t": N_("CAR-T cell therapies"),
    "bispecific": N_("Bispecific antibodies"),
    "adc": N_("Antibody-drug conjugates"),
}
GROUP_HELP: Mapping[str, str] = {
    "other": N_(
        "Other medicines used for myeloma, such as chemotherapy and steroids. Tick any you have had, or "
        "leave them all blank."
    ),
    "car-t": N_(
        "Your own immune cells are collected from your blood, changed in a lab so they attack myeloma, then "
        "given back through a drip. Tick any you have had, or leave them all blank."
    ),
    "bispecific": N_(
        "Injections that link your immune cells to myeloma cells so the immune cells can attack them. Tick "
        "any you have had, or leave them all blank."
    ),
    "adc": N_(
        "A drip that carries a cell-killing medicine straight to myeloma cells. Tick any you have had, or "
        "leave them all blank."
    ),
}


def slug(value: str) -> str:
    """A form field name part for a class or drug id ("anti-CD38" -> "anti_CD38")."""
    return value.replace("-", "_")


def group_field(group: str) -> str:
    return "drugs_" + slug(group)


def refractory_field(target: str) -> str:
    """The yes/no/not-sure question for a drug, or for "a medicine of this kind whose name I do not know"."""
    return "refr_" + slug(target)


def tri(value: bool | None) -> str:
    return YES if value is True else NO if value is False else UNSURE


def top_lines(rules: Rules) -> int:
    """The "N or more" choice for earlier lines, high enough that no label can tell N from N + 1.

    An answer of N stands for "N or more", which is only faithful when every minimum is at most N and every
    maximum is below N. Worked out from the data so a new label cannot silently break it.
    """
    highest = 6
    for label in rules.labels.values():
        c = label.criteria
        if c.min_prior_lines is not None:
            highest = max(highest, c.min_prior_lines)
        if c.max_prior_lines is not None:
            highest = max(highest, c.max_prior_lines + 1)
    return min(highest, MAX_LINES)


@lru_cache(maxsize=64)  # per rule set (hashed by identity): templates call it in loops
def drug_level_targets(rules: Rules) -> frozenset[str]:
    """Drug ids (not classes) that some label's criteria name, e.g. lenalidomide."""
    out: set[str] = set()
    for label in rules.labels.values():
        out.update(t for t in (*label.criteria.exposed, *label.criteria.refractory) if t not in CLASS_IDS)
    return frozenset(out)


@lru_cache(maxsize=64)  # per rule set (hashed by identity): templates call it in loops
def class_groups(rules: Rules) -> tuple[str, ...]:
    """Groups that are a label class: their question needs an answer and has "not sure"/"none" choices."""
    return tuple(g for g in DRUG_GROUPS if g in CLASS_IDS and rules.drugs_of_class(g))


@lru_cache(maxsize=64)  # per rule set (hashed by identity): templates call it in loops
def drugs_in_group(rules: Rules, group: str) -> tuple[str, ...]:
    return tuple(d.id for d in rules.drugs.values() if d.group == group)


@lru_cache(maxsize=64)  # per rule set (hashed by identity): templates call it in loops
def groups_with_drugs(rules: Rules) -> tuple[str, ...]:
    return tuple(g for g in DRUG_GROUPS if drugs_in_group(rules, g))


@lru_cache(maxsize=64)  # per rule set (hashed by identity): templates call it in loops
def refractory_targets(rules: Rules) -> tuple[str, ...]:
    """Every drug of a label class: the labels ask about getting worse on these, so the form asks too."""
    return tuple(d for c in class_groups(rules) for d in rules.drugs_of_class(c))


# -- the mapping between the form and the answers --------------------------------------------------------------
State = Mapping[str, Any]


def _ticked(state: State, group: str) -> list[str]:
    value = state.get(group_field(group)) or []
    return [v for v in value if isinstance(v, str)]


def answers_from_state(state: State, rules: Rules, clinician: bool = False) -> dict[str, Any]:
    """Turn a validated form state into a check request (design brief section 4), the session's answers.

    The API reads a drug list as complete: a drug not on it was never given. For a kind of medicine where
    the person ticked "I had one whose name I do not know" or "not sure", that is only true for drugs no
    label names. So the list is sent when it is complete for every drug a label names one by one
    (lenalidomide, today), and otherwise ``drugs`` is null and everything known is said per class instead.
    Either way no answer turns into a "no" the person did not give: at worst a drug the person ticked
    becomes unknown, which can only make a label "could match" (design brief section 6).
    """
    answers: dict[str, Any] = {"region": state.get("region")}
    if state.get("residence"):
        answers["residence"] = state["residence"]
    for key in ("adult", "relapsed_or_refractory", "progressed_on_last", "prior_bcma_car_t"):
        answers[key] = TRI_VALUES.get(state.get(key) or UNSURE)
    lines = state.get("prior_lines")
    answers["prior_lines"] = int(lines) if lines and lines != UNSURE else None

    groups = groups_with_drugs(rules)
    ticked = {g: _ticked(state, g) for g in groups}
    drugs = [d for g in groups for d in ticked[g] if d in rules.drugs]
    refr = {
        d: TRI_VALUES.get(state.get(refractory_field(d)) or UNSURE)
        for d in drugs
        if d in refractory_targets(rules)
    }

    incomplete = {c for c in class_groups(rules) if HAD_OTHER in ticked[c] or CLASS_UNSURE in ticked[c]}
    targets = drug_level_targets(rules)
    list_misleads = any(
        rules.drugs[t].drug_class in incomplete and t not in drugs for t in targets if t in rules.drugs
    )
    # The engine reads "every listed drug of a class answered no" as "not refractory to the class". With an
    # unnamed drug of that class whose answer is not "no", that is a "no" the person did not give (or, with
    # "yes", a contradiction warning). Leaving out the "no" of a listed drug no label names one by one
    # avoids it and loses nothing; when every listed drug of the class is named by a label, send no list.
    droppable: list[str] = []
    for c in incomplete:
        own = [d for d in ticked[c] if d in rules.drugs]
        other = TRI_VALUES.get(state.get(refractory_field(c)) or UNSURE)
        if HAD_OTHER in ticked[c] and own and all(refr.get(d) is False for d in own) and other is not False:
            spare = [d for d in own if d not in targets]
            if spare:
                droppable += spare
            else:
                list_misleads = True
    if not list_misleads:
        for d in droppable:
            refr.pop(d)

    exposed: dict[str, bool | None] = {}
    refractory: dict[str, bool | None] = dict(refr)
    for c in class_groups(rules):
        chosen = ticked[c]
        own_drugs = [d for d in chosen if d in rules.drugs]
        if CLASS_NONE in chosen:
            exposed[c] = False
            continue
        if CLASS_UNSURE in chosen:
            exposed[c] = None
            continue
        values = [refr.get(d) for d in own_drugs]
        if HAD_OTHER in chosen:
            exposed[c] = True
            values.append(TRI_VALUES.get(state.get(refractory_field(c)) or UNSURE))
        elif list_misleads and own_drugs:
            exposed[c] = True  # without a list, the ticked drugs say it
        if HAD_OTHER in chosen or (list_misleads and own_drugs):
            if any(v is True for v in values):
                refractory[c] = True
            elif values and all(v is False for v in values):
                refractory[c] = False
            elif HAD_OTHER in chosen:
                refractory[c] = None

    if list_misleads:
        answers["drugs"] = None
        if any(rules.drugs[d].bcma_car_t for d in drugs):
            answers["prior_bcma_car_t"] = True  # the list that said so is not sent
    else:
        answers["drugs"] = drugs
    answers["exposed_classes"] = exposed
    answers["refractory"] = refractory
    if clinician and state.get("as_of"):
        answers["as_of"] = state["as_of"]
    return answers


def state_from_answers(answers: Mapping[str, Any], rules: Rules) -> dict[str, Any]:
    """The form state that gives back these answers, for answers that came without one (best effort).

    Used when the session holds answers but no form state. With ``drugs`` null the names are unknown, so
    each class shows what was said about it as a whole.
    """
    state: dict[str, Any] = {"region": answers.get("region") or ""}
    if answers.get("residence"):
        state["residence"] = answers["residence"]
    for key in ("adult", "relapsed_or_refractory", "progressed_on_last", "prior_bcma_car_t"):
        state[key] = tri(answers.get(key))
    lines = answers.get("prior_lines")
    state["prior_lines"] = UNSURE if lines is None else str(min(int(lines), top_lines(rules)))
    listed = [d for d in (answers.get("drugs") or []) if d in rules.drugs]
    exposed = answers.get("exposed_classes") or {}
    refractory = answers.get("refractory") or {}
    for group in groups_with_drugs(rules):
        chosen = [d for d in listed if rules.drugs[d].group == group]
        if group in CLASS_IDS:
            answer = exposed.get(group, "absent")
            if answer is True and (answers.get("drugs") is None or not chosen or group in refractory):
                chosen.append(HAD_OTHER)
            elif answer is None:
                chosen = [CLASS_UNSURE]
            elif answer is False or (answer == "absent" and not chosen and answers.get("drugs") is not None):
                chosen = [CLASS_NONE]
            elif answer == "absent" and answers.get("drugs") is None:
                chosen = [CLASS_UNSURE]
            if HAD_OTHER in chosen:
                state[refractory_field(group)] = tri(refractory.get(group))
        state[group_field(group)] = chosen
    for drug in listed:
        if drug in refractory_targets(rules):
            state[refractory_field(drug)] = tri(refractory.get(drug))
    if answers.get("as_of"):
        state["as_of"] = answers["as_of"]
    return state


# -- choices ----------------------------------------------------------------------------------------------
def region_choices(rules: Rules) -> list[tuple[str, str]]:
    return [(r.id, names(r.names)) for r in rules.regions.values()]


@lru_cache(maxsize=8)
def _territory_names(locale_id: str) -> dict[str, str]:
    """Babel's country names for one locale, English where it has none (parsed once per locale)."""
    return {**Locale("en").territories, **Locale.parse(locale_id).territories}


def place_name(rules: Rules, code: str) -> str:
    """A country or place in the active language; our own names for covered regions (e.g. Mainland China)."""
    if code in rules.regions:
        return names(rules.regions[code].names)
    return _territory_names(current_locale_id()).get(code) or code


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


# -- what the template shows for the drug question ------------------------------------------------------------
@dataclass
class DrugItem:
    id: str
    name: str
    english: str
    brands: tuple[str, ...]
    search: str
    refractory: str | None  # the field name of its "did it get worse" question, if asked


@dataclass
class DrugGroup:
    id: str
    field: str
    name: str
    help: str
    is_class: bool
    items: list[DrugItem] = field(default_factory=list)
    refractory: str | None = None  # for a class: the question about the medicine whose name is not known


def group_title(rules: Rules, group: str) -> str:
    """A drug class as a heading: "Proteasome inhibitor (PI)"; the abbreviation is what letters say."""
    name = names(rules.classes[group].names)
    title = name[:1].upper() + name[1:]
    if group.lower() not in name.lower():
        title = gettext("%(name)s (%(abbr)s)", name=title, abbr=group)
    return title


def drug_groups(rules: Rules) -> list[DrugGroup]:
    out = []
    asked = set(refractory_targets(rules))
    for group in groups_with_drugs(rules):
        if group in CLASS_IDS:
            title, help_text = group_title(rules, group), gettext(rules.classes[group].help)
        else:
            title, help_text = gettext(GROUP_NAMES[group]), gettext(GROUP_HELP[group])
        items = []
        for drug_id in drugs_in_group(rules, group):
            d = rules.drugs[drug_id]
            shown = names(d.names)
            words: Iterable[str] = (d.id, d.names.en, d.names.zh_Hans, d.names.zh_Hant, *d.brands, *d.aliases)
            items.append(
                DrugItem(
                    id=d.id,
                    name=shown,
                    english=d.names.en if d.names.en != shown else "",
                    brands=d.brands,
                    search=" ".join(dict.fromkeys(w.lower() for w in words if w)),
                    refractory=refractory_field(d.id) if d.id in asked else None,
                )
            )
        is_class = group in CLASS_IDS
        out.append(
            DrugGroup(
                group,
                group_field(group),
                title,
                help_text,
                is_class,
                items,
                refractory_field(group) if is_class else None,
            )
        )
    return out


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
