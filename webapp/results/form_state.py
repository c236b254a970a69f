"""What a person ticks on the form, and the check request it stands for: the mapping both ways.

The form asks what a patient or caregiver can know (drug names, "not sure"); the answers are the JSON API
request of design brief section 4, so the session holds exactly what ``parse_check`` validates. The
mapping is the delicate part: the API treats a drug list as complete, so a list is only sent when it is
complete for every drug a label names (see :func:`answers_from_state`). Shared by the form pages and saved
summaries (which rebuild the rows of the answers), so it lives outside both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from babel import Locale

from ..eligibility import CLASS_IDS, Rules
from ..eligibility.model import DRUG_GROUPS
from ..eligibility.texts import N_
from ..i18n import current_locale_id, gettext, names
from .schema import MAX_LINES

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


@lru_cache(maxsize=8)
def _territory_names(locale_id: str) -> dict[str, str]:
    """Babel's country names for one locale, English where it has none (parsed once per locale)."""
    return {**Locale("en").territories, **Locale.parse(locale_id).territories}


def place_name(rules: Rules, code: str) -> str:
    """A country or place in the active language; our own names for covered regions (e.g. Mainland China)."""
    if code in rules.regions:
        return names(rules.regions[code].names)
    return _territory_names(current_locale_id()).get(code) or code


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
            # Names, brands and letters, and the words for its kind ("CAR-T", "双抗", "bispecific", a class name).
            words: Iterable[str] = (
                d.id,
                d.names.en,
                d.names.zh_Hans,
                d.names.zh_Hant,
                *d.brands,
                *d.aliases,
                *rules.kind_words(d),
            )
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
