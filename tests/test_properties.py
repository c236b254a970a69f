"""Property tests over the real rules (design brief section 3): monotonicity and settling unknowns."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from webapp.eligibility import CLASS_IDS, STATUSES, Answers, Engine, load_rules

from .conftest import REAL_RULES

ENGINE = Engine(load_rules(REAL_RULES))
RULES = ENGINE.rules
DRUGS = sorted(RULES.drugs)
CLASS_DRUGS = {c: [d for d in DRUGS if RULES.drugs[d].drug_class == c] for c in CLASS_IDS}
REFRACTORY_KEYS = sorted(CLASS_IDS) + [d for c in CLASS_IDS for d in CLASS_DRUGS[c]]
TRI = st.sampled_from([True, False, None])
FIRST_DAY = dt.date(2019, 1, 1)
LAST_DAY = dt.date(2026, 11, 22)

answers_st = st.builds(
    Answers,
    adult=TRI,
    prior_lines=st.one_of(st.none(), st.integers(0, 30)),
    drugs=st.one_of(st.none(), st.lists(st.sampled_from(DRUGS), max_size=8, unique=True).map(tuple)),
    exposed_classes=st.dictionaries(st.sampled_from(list(CLASS_IDS)), TRI, max_size=3).map(MappingProxyType),
    refractory=st.dictionaries(st.sampled_from(REFRACTORY_KEYS), TRI, max_size=5).map(MappingProxyType),
    relapsed_or_refractory=TRI,
    progressed_on_last=TRI,
    prior_bcma_car_t=TRI,
)
region_st = st.sampled_from(list(RULES.regions))
date_st = st.dates(FIRST_DAY, LAST_DAY)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def statuses(a: Answers, region: str, day: dt.date) -> dict[str, str]:
    result = ENGINE.evaluate(a, region, day)
    return {r.label.id: r.status for r in result.results}


def warning_codes(a: Answers, region: str, day: dt.date) -> set[tuple[str, str]]:
    return {(w.code, w.field) for w in ENGINE.evaluate(a, region, day).warnings}


@SETTINGS
@given(answers_st, st.one_of(st.none(), region_st), date_st)
def test_every_answer_set_evaluates(a: Answers, region: str | None, day: dt.date) -> None:
    result = ENGINE.evaluate(a, region, day)
    for r in result.results:
        assert r.status in STATUSES
        assert r.label.in_force_on(day)
        assert (r.status == "possible") or r.decided_by == ()
    order = [(STATUSES.index(r.status), r.label.product, r.label.id) for r in result.results]
    assert order == sorted(order)


@SETTINGS
@given(answers_st, region_st, date_st, st.sampled_from(list(CLASS_IDS)), st.data())
def test_more_exposure_to_a_class_never_makes_eligible_not_eligible(
    a: Answers, region: str, day: dt.date, cls: str, data: st.DataObject
) -> None:
    if a.drugs is not None:
        drug = data.draw(st.sampled_from(CLASS_DRUGS[cls]))
        more = replace(a, drugs=tuple(dict.fromkeys((*a.drugs, drug))))
    else:
        more = replace(a, exposed_classes=MappingProxyType({**a.exposed_classes, cls: True}))
    before, after = statuses(a, region, day), statuses(more, region, day)
    for label_id, status in before.items():
        if status == "eligible":
            assert after[label_id] != "not_eligible", label_id


@SETTINGS
@given(answers_st, region_st, date_st, st.integers(1, 10))
def test_more_prior_lines_below_the_maximum_never_makes_eligible_not_eligible(
    a: Answers, region: str, day: dt.date, extra: int
) -> None:
    assume(a.prior_lines is not None and a.prior_lines + extra <= 30)
    more = replace(a, prior_lines=a.prior_lines + extra)  # type: ignore[operator]
    before, after = statuses(a, region, day), statuses(more, region, day)
    for label_id, status in before.items():
        maximum = RULES.labels[label_id].criteria.max_prior_lines
        if status == "eligible" and (maximum is None or more.prior_lines <= maximum):  # type: ignore[operator]
            assert after[label_id] != "not_eligible", label_id


def _settlements(a: Answers, data: st.DataObject) -> Answers:
    """Give a value to one answer that is unknown now: null, or not asked where that means unknown."""
    options: list[str] = [
        k
        for k in ("adult", "relapsed_or_refractory", "progressed_on_last", "prior_bcma_car_t")
        if getattr(a, k) is None
    ]
    if a.prior_lines is None:
        options.append("prior_lines")
    if a.drugs is None:
        options.append("drugs")
    options += [
        f"exposed_classes.{c}"
        for c in CLASS_IDS
        # with a drug list, an unanswered class already counts as "no": only an explicit null is unknown
        if (c in a.exposed_classes and a.exposed_classes[c] is None)
        or (a.drugs is None and c not in a.exposed_classes)
    ]
    options += [f"refractory.{k}" for k in REFRACTORY_KEYS if a.refractory.get(k) is None]
    assume(options)
    choice = data.draw(st.sampled_from(options))
    changes: dict[str, Any] = {}
    if choice == "prior_lines":
        changes["prior_lines"] = data.draw(st.integers(0, 30))
    elif choice == "drugs":
        changes["drugs"] = tuple(data.draw(st.lists(st.sampled_from(DRUGS), max_size=8, unique=True)))
    elif "." in choice:
        field, key = choice.split(".", 1)
        changes[field] = MappingProxyType({**getattr(a, field), key: data.draw(st.booleans())})
    else:
        changes[choice] = data.draw(st.booleans())
    return replace(a, **changes)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers_st, region_st, date_st, st.data())
def test_settling_an_unknown_never_changes_eligible_or_not_eligible(
    a: Answers, region: str, day: dt.date, data: st.DataObject
) -> None:
    settled = _settlements(a, data)
    # A settlement that contradicts an earlier answer is flagged to the person instead (a new warning).
    assume(warning_codes(settled, region, day) <= warning_codes(a, region, day))
    before, after = statuses(a, region, day), statuses(settled, region, day)
    for label_id, status in before.items():
        if status != "possible":
            assert after[label_id] == status, (label_id, status, after[label_id])


@SETTINGS
@given(answers_st, st.one_of(st.none(), region_st), date_st)
def test_approved_elsewhere_agrees_with_evaluating_each_region(
    a: Answers, region: str | None, day: dt.date
) -> None:
    """The fast path (statuses only, one per distinct set of criteria, plans kept per day) gives, for every
    product and region, the best status that evaluating that region in full gives, and the same labels."""
    result = ENGINE.evaluate(a, region, day)
    here = {r.label.product for r in result.results}
    for entry in result.approved_elsewhere:
        assert entry.product not in here
        for other in entry.regions:
            assert other.region != region
            full = [
                r for r in ENGINE.evaluate(a, other.region, day).results if r.label.product == entry.product
            ]
            assert tuple(r.label.id for r in sorted(full, key=lambda r: r.label.id)) == tuple(
                sorted(other.label_ids)
            )
            assert other.status == min((r.status for r in full), key=STATUSES.index)
    # And nothing is left out: every product in force in another region is listed, unless it is here.
    listed = {(e.product, r.region) for e in result.approved_elsewhere for r in e.regions}
    for other in RULES.regions:
        if other == region:
            continue
        for r in ENGINE.evaluate(a, other, day).results:
            if r.label.product not in here:
                assert (r.label.product, other) in listed


def _criteria_by_key(a: Answers, day: dt.date) -> dict[tuple[Any, ...], str]:
    """Every criterion of every label in force on ``day``, all regions: its key -> an exact, typed picture of
    everything else it holds (repr tells True from 1 and a list from a tuple)."""
    out: dict[tuple[Any, ...], str] = {}
    for region in RULES.regions:
        for r in ENGINE.evaluate(a, region, day).results:
            for c in r.criteria:
                picture = repr(c._replace(key=()))
                assert out.setdefault(c.key, picture) == picture, (r.label.id, c.key)
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers_st, answers_st, date_st)
def test_equal_criterion_keys_mean_equal_criteria(a: Answers, b: Answers, day: dt.date) -> None:
    """Rendered criteria are cached under ``CriterionResult.key`` (the API's JSON, the results page's rows):
    whoever gets a key, from whichever label and answers, gets the same criterion in every other field."""
    first, second = _criteria_by_key(a, day), _criteria_by_key(b, day)
    for key in first.keys() & second.keys():
        assert first[key] == second[key], key
    for key in first:
        hash(key)  # usable as a key as it is


# -- unknown wording settled by the strictest reading (design brief section 3, missing data) ---------------------
def _stated(rules_engine: Engine, label_id: str) -> Engine:
    """An engine where ``label_id`` states, as known criteria, exactly the strictest reading of its unknowns."""
    from webapp.eligibility.engine import strictest_steps

    label = rules_engine.rules.labels[label_id]
    c = label.criteria
    stated: dict[str, Any] = {}
    for key in c.unknown:
        steps = strictest_steps(label, key)
        assert steps, f"{label_id}: {key} has no strictest reading"
        if key in ("exposed", "refractory"):
            stated[key] = tuple(getattr(c, key)) + tuple(arg for _kind, arg in steps)
        elif key in ("min_prior_lines", "max_prior_lines"):
            stated[key] = steps[0][1]
        else:
            stated[key] = True
    new_label = replace(label, criteria=replace(c, unknown=(), **stated), strictest=None)
    rules = replace(
        rules_engine.rules, labels=MappingProxyType({**rules_engine.rules.labels, label_id: new_label})
    )
    return Engine(rules)


def _strictest_labels(engine: Engine) -> list[str]:
    from webapp.eligibility.engine import strictest_steps

    return sorted(
        lid
        for lid, lb in engine.rules.labels.items()
        if lb.criteria.unknown and all(strictest_steps(lb, k) for k in lb.criteria.unknown)
    )


def _check_meets_strictest_same_verdict(engine: Engine, label_id: str, a: Answers) -> None:
    label = engine.rules.labels[label_id]
    day = label.in_force_from
    stated = _stated(engine, label_id)
    mine = next(r for r in engine.evaluate(a, label.region, day).results if r.label.id == label_id)
    theirs = next(r for r in stated.evaluate(a, label.region, day).results if r.label.id == label_id)
    missing = [c for c in mine.criteria if c.missing_data]
    if all(c.outcome.value == "met" for c in missing):
        # the answers meet the strictest reading: the same verdict as a label that states it
        assert mine.status == theirs.status, (label_id, mine.status, theirs.status)
    else:
        # otherwise never a firmer verdict than the stated label's, and never "not eligible" from wording we lack
        assert mine.status != "eligible"
        if theirs.status != "not_eligible":
            assert mine.status == theirs.status or mine.status == "possible"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers_st, st.data())
def test_meeting_the_strictest_reading_gives_the_stated_labels_verdict(
    a: Answers, data: st.DataObject
) -> None:

    engine = FIXTURE_ENGINE
    label_id = data.draw(st.sampled_from(_strictest_labels(engine)))
    _check_meets_strictest_same_verdict(engine, label_id, a)


@SETTINGS
@given(answers_st, st.data())
def test_meeting_the_strictest_reading_real_rules(a: Answers, data: st.DataObject) -> None:
    labels = _strictest_labels(ENGINE)
    assume(labels)
    _check_meets_strictest_same_verdict(ENGINE, data.draw(st.sampled_from(labels)), a)


FIXTURE_ENGINE = Engine(load_rules(REAL_RULES.parent / "tests" / "fixtures" / "rules"))
