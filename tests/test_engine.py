"""Engine semantics, rule by rule, as design brief section 3 states them (synthetic rules in tests/fixtures)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from webapp.eligibility import STATUSES, Answers, Engine, Outcome, combine, load_rules, parse_partial_date
from webapp.eligibility.engine import MET, NOT_MET, UNKNOWN, LabelResult

FIXTURE_RULES = Path(__file__).parent / "fixtures" / "rules"


def _fixture_copy(tmp_path: Path, edit_beta: Callable[[str], str]) -> Path:
    """A copy of the fixture rules with beta-mab.toml edited."""
    root = tmp_path / "rules"
    shutil.copytree(FIXTURE_RULES, root)
    path = root / "products" / "beta-mab.toml"
    text = path.read_text(encoding="utf-8")
    edited = edit_beta(text)
    assert edited != text, "the edit did not apply"
    path.write_text(edited, encoding="utf-8")
    return root


D = dt.date
FULL = {
    "adult": True,
    "relapsed_or_refractory": True,
    "prior_lines": 4,
    "drugs": ("bortezomib", "lenalidomide", "daratumumab"),
    "refractory": {"lenalidomide": True},
    "progressed_on_last": True,
    "prior_bcma_car_t": False,
}


def answers(**changes: Any) -> Answers:
    values = {**FULL, **changes}
    for key in ("exposed_classes", "refractory"):
        values[key] = MappingProxyType(dict(values.get(key) or {}))
    if isinstance(values.get("drugs"), list):
        values["drugs"] = tuple(values["drugs"])
    return Answers(**{k: v for k, v in values.items() if v is not _OMIT})


_OMIT = object()


DEFAULT_DAY = D(2025, 6, 1)


def label_result(engine: Engine, label_id: str, a: Answers, as_of: dt.date = DEFAULT_DAY) -> LabelResult:
    label = engine.rules.labels[label_id]
    result = engine.evaluate(a, label.region, as_of)
    found = [r for r in result.results if r.label.id == label_id]
    assert found, f"{label_id} not in force in {label.region} on {as_of}"
    return found[0]


def criterion(res: LabelResult, cid: str) -> Outcome:
    matches = [c.outcome for c in res.criteria if c.id == cid]
    assert len(matches) == 1, f"{cid} appears {len(matches)} times"
    return matches[0]


# -- three-valued combination ------------------------------------------------------------------------------------
def test_combine() -> None:
    assert combine([MET, MET]) == "eligible"
    assert combine([MET, UNKNOWN]) == "possible"
    assert combine([UNKNOWN, NOT_MET, MET]) == "not_eligible"
    assert combine([]) == "eligible"


# -- prior lines -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lines", "expected"), [(1, MET), (0, NOT_MET), (None, UNKNOWN), (30, MET)])
def test_min_prior_lines(fixture_engine: Engine, lines: int | None, expected: Outcome) -> None:
    res = label_result(fixture_engine, "alpha-us-2024", answers(prior_lines=lines))
    assert criterion(res, "min_prior_lines") is expected


@pytest.mark.parametrize(("lines", "expected"), [(3, MET), (4, NOT_MET), (1, MET), (None, UNKNOWN)])
def test_max_prior_lines(fixture_engine: Engine, lines: int | None, expected: Outcome) -> None:
    a = answers(prior_lines=lines, drugs=("lenalidomide",))
    res = label_result(fixture_engine, "beta-us-2026-dara", a, D(2026, 4, 1))
    assert criterion(res, "max_prior_lines") is expected


def test_label_word_is_shown_with_a_note(fixture_engine: Engine) -> None:
    res = label_result(fixture_engine, "alpha-eu-2022", answers(prior_lines=2))
    c = next(c for c in res.criteria if c.id == "min_prior_lines")
    assert c.answer == 2
    assert c.threshold == 3
    assert c.note is not None
    assert "specialist may count" in c.note.id
    assert c.text.params["threshold"].plural == "%(num)d prior therapies"
    us = label_result(fixture_engine, "alpha-us-2024", answers(prior_lines=2))
    assert next(c for c in us.criteria if c.id == "min_prior_lines").note is None  # "lines": no note


# -- exposure to a drug ----------------------------------------------------------------------------------------
def test_drug_exposure_met_when_listed(fixture_engine: Engine) -> None:
    a = answers(drugs=("lenalidomide",), prior_lines=2)
    res = label_result(fixture_engine, "beta-us-2026-dara", a, D(2026, 4, 1))
    assert criterion(res, "exposed:lenalidomide") is MET


def test_drug_exposure_met_when_refractory_to_it(fixture_engine: Engine) -> None:
    a = answers(drugs=_OMIT, refractory={"lenalidomide": True}, prior_lines=2)
    res = label_result(fixture_engine, "beta-us-2026-dara", a, D(2026, 4, 1))
    assert criterion(res, "exposed:lenalidomide") is MET


def test_drug_exposure_not_met_when_a_list_without_it_was_given(fixture_engine: Engine) -> None:
    for drugs in ((), ("bortezomib",)):  # an empty list counts
        a = answers(drugs=drugs, refractory={}, prior_lines=2)
        res = label_result(fixture_engine, "beta-us-2026-dara", a, D(2026, 4, 1))
        assert criterion(res, "exposed:lenalidomide") is NOT_MET
        assert res.status == "not_eligible"


def test_drug_exposure_unknown_without_a_list(fixture_engine: Engine) -> None:
    a = answers(drugs=_OMIT, refractory={}, prior_lines=2)
    res = label_result(fixture_engine, "beta-us-2026-dara", a, D(2026, 4, 1))
    assert criterion(res, "exposed:lenalidomide") is UNKNOWN
    assert res.status == "possible"
    assert res.decided_by == ("drugs",)


# -- exposure to a class ---------------------------------------------------------------------------------------
def _class(engine: Engine, cls: str, **changes: Any) -> Outcome:
    return criterion(
        label_result(engine, "alpha-us-2022", answers(**changes), D(2023, 1, 1)), f"exposed:{cls}"
    )


def test_class_exposure_met(fixture_engine: Engine) -> None:
    assert _class(fixture_engine, "PI", drugs=("carfilzomib",)) is MET  # any drug of the class
    assert (
        _class(fixture_engine, "PI", drugs=_OMIT, exposed_classes={"PI": True}) is MET
    )  # class answered yes
    assert (
        _class(fixture_engine, "PI", drugs=_OMIT, refractory={"PI": True}) is MET
    )  # refractory to the class
    assert (
        _class(fixture_engine, "PI", drugs=_OMIT, refractory={"bortezomib": True}) is MET
    )  # or one of its drugs


def test_class_exposure_not_met(fixture_engine: Engine) -> None:
    assert _class(fixture_engine, "PI", drugs=_OMIT, exposed_classes={"PI": False}) is NOT_MET
    # a drug list given, and the class not answered at all
    assert _class(fixture_engine, "PI", drugs=("lenalidomide",), refractory={}) is NOT_MET
    assert _class(fixture_engine, "PI", drugs=(), refractory={}) is NOT_MET


def test_class_exposure_unknown(fixture_engine: Engine) -> None:
    assert _class(fixture_engine, "PI", drugs=_OMIT, refractory={}) is UNKNOWN
    # an explicit null ("not sure") stays unknown, even with a drug list...
    assert _class(fixture_engine, "PI", drugs=("lenalidomide",), exposed_classes={"PI": None}) is UNKNOWN
    # ...unless a listed drug settles it
    assert _class(fixture_engine, "PI", drugs=("bortezomib",), exposed_classes={"PI": None}) is MET


def test_listed_drug_wins_over_class_answered_no_with_a_warning(fixture_engine: Engine) -> None:
    a = answers(drugs=("bortezomib", "lenalidomide", "daratumumab"), exposed_classes={"PI": False})
    result = fixture_engine.evaluate(a, "US", D(2023, 1, 1))
    res = next(r for r in result.results if r.label.id == "alpha-us-2022")
    assert criterion(res, "exposed:PI") is MET
    assert [w.code for w in result.warnings] == ["drug_contradicts_class"]
    assert result.warnings[0].field == "exposed_classes.PI"


# -- refractoriness ----------------------------------------------------------------------------------------------
def _refr_drug(engine: Engine, **changes: Any) -> Outcome:
    return criterion(label_result(engine, "alpha-us-2024", answers(**changes)), "refractory:lenalidomide")


def test_refractory_to_a_drug(fixture_engine: Engine) -> None:
    assert _refr_drug(fixture_engine, refractory={"lenalidomide": True}) is MET
    assert _refr_drug(fixture_engine, refractory={"lenalidomide": False}) is NOT_MET
    assert _refr_drug(fixture_engine, refractory={"lenalidomide": None}) is UNKNOWN
    assert _refr_drug(fixture_engine, refractory={}) is UNKNOWN
    # never exposed means not refractory
    assert _refr_drug(fixture_engine, drugs=("bortezomib",), refractory={}) is NOT_MET
    assert _refr_drug(fixture_engine, drugs=_OMIT, exposed_classes={"IMiD": False}, refractory={}) is NOT_MET


def _refr_class(engine: Engine, cls: str, **changes: Any) -> Outcome:
    res = label_result(engine, "gamma-us-2020", answers(**changes), D(2021, 1, 1))
    return criterion(res, f"refractory:{cls}")


def test_refractory_to_a_class(fixture_engine: Engine) -> None:
    e = fixture_engine
    assert _refr_class(e, "IMiD", refractory={"IMiD": True}) is MET
    assert _refr_class(e, "IMiD", refractory={"pomalidomide": True}) is MET  # any drug of the class
    assert (
        _refr_class(e, "PI", drugs=("lenalidomide",), refractory={}) is NOT_MET
    )  # never exposed to the class
    # every drug of the class that they had answered "no"
    assert (
        _refr_class(
            e,
            "PI",
            drugs=("bortezomib", "carfilzomib"),
            refractory={"bortezomib": False, "carfilzomib": False},
        )
        is NOT_MET
    )
    assert (
        _refr_class(e, "PI", drugs=("bortezomib", "carfilzomib"), refractory={"bortezomib": False}) is UNKNOWN
    )
    assert _refr_class(e, "PI", drugs=_OMIT, refractory={}) is UNKNOWN
    # the contract is silent on the class answered "no": a clinician reads it as not refractory
    assert _refr_class(e, "PI", drugs=_OMIT, refractory={"PI": False}) is NOT_MET


# -- disease status, adult, BCMA CAR-T -----------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [(True, MET), (False, NOT_MET), (None, UNKNOWN)])
def test_disease_status_adult_and_progression(
    fixture_engine: Engine, value: bool | None, expected: Outcome
) -> None:
    eu = label_result(fixture_engine, "alpha-eu-2022", answers(progressed_on_last=value))
    assert criterion(eu, "progressed_on_last") is expected
    res = label_result(fixture_engine, "alpha-us-2024", answers(relapsed_or_refractory=value, adult=value))
    assert criterion(res, "relapsed_or_refractory") is expected
    assert criterion(res, "adult") is expected


def test_progression_and_bcma_only_where_the_label_says_so(fixture_engine: Engine) -> None:
    us = label_result(fixture_engine, "alpha-us-2024", answers())
    ids = [c.id for c in us.criteria]
    assert "progressed_on_last" not in ids
    assert "no_prior_bcma_car_t" not in ids
    assert ids[0] == "relapsed_or_refractory"  # every label requires it
    jp = label_result(fixture_engine, "alpha-jp-2022", answers())
    assert "adult" not in [c.id for c in jp.criteria]  # the JP fixture label does not say adults


def test_no_prior_bcma_car_t(fixture_engine: Engine) -> None:
    def outcome(**changes: Any) -> tuple[Outcome, tuple[str, ...]]:
        result = fixture_engine.evaluate(answers(**changes), "JP", D(2025, 1, 1))
        res = next(r for r in result.results if r.label.id == "alpha-jp-2022")
        return criterion(res, "no_prior_bcma_car_t"), tuple(w.code for w in result.warnings)

    assert outcome(prior_bcma_car_t=False) == (MET, ())
    assert outcome(prior_bcma_car_t=True) == (NOT_MET, ())
    assert outcome(prior_bcma_car_t=None) == (UNKNOWN, ())
    # a BCMA CAR-T in the drug list wins over "no", with a warning
    drugs = ("bortezomib", "lenalidomide", "daratumumab", "alpha-cel")
    assert outcome(prior_bcma_car_t=False, drugs=drugs) == (NOT_MET, ("bcma_car_t_contradiction",))
    assert outcome(prior_bcma_car_t=None, drugs=drugs)[0] is NOT_MET


# -- missing data and verification -------------------------------------------------------------------------------
def test_an_unknown_requirement_met_by_the_strictest_reading(fixture_engine: Engine) -> None:
    """Design brief section 3, missing data: "progressed on the last therapy = yes" meets an unknown
    progression clause whichever way the label reads; the text says so and no question is asked."""
    res = label_result(fixture_engine, "beta-cn-2024", answers(progressed_on_last=True))
    c = next(c for c in res.criteria if c.id == "progressed_on_last")
    assert c.outcome is MET
    assert c.missing_data
    assert res.status == "eligible"
    assert res.decided_by == ()
    assert c.text.id.startswith("We could not read whether this label asks for")
    assert "either way" in c.text.id
    assert "not_verified" in res.label.flags


def test_an_unknown_requirement_with_a_weaker_answer_stays_unknown_and_asks_nothing(
    fixture_engine: Engine,
) -> None:
    res = label_result(fixture_engine, "beta-cn-2024", answers(progressed_on_last=False))
    c = next(c for c in res.criteria if c.id == "progressed_on_last")
    assert c.outcome is UNKNOWN  # never not met: the label may not ask for it at all
    assert res.status == "possible"
    assert res.decided_by == ()  # no answer can settle it now: the specialist checks the label
    assert "does not say" in c.text.id


def test_an_unknown_requirement_with_not_sure_stays_unknown_and_names_the_question(
    fixture_engine: Engine,
) -> None:
    res = label_result(fixture_engine, "beta-cn-2024", answers(progressed_on_last=None))
    c = next(c for c in res.criteria if c.id == "progressed_on_last")
    assert c.outcome is UNKNOWN
    assert res.status == "possible"
    assert res.decided_by == ("progressed_on_last",)  # "yes" would settle it
    assert "if they do" in c.text.id


def test_implied_strictest_reading_of_adult(fixture_engine: Engine) -> None:
    # gamma-eu-undated: the label's wording on age is not held ("adult" unknown)
    assert label_result(fixture_engine, "gamma-eu-undated", answers(adult=True)).status == "eligible"
    assert label_result(fixture_engine, "gamma-eu-undated", answers(adult=False)).status == "possible"
    assert label_result(fixture_engine, "gamma-eu-undated", answers(adult=None)).status == "possible"


def test_sourced_strictest_reading_of_counts_and_exposures(fixture_engine: Engine) -> None:
    """beta-jp-2025: lines and exposures unknown; strictest = 3 lines including PI, IMiD and anti-CD38."""
    day = D(2025, 6, 1)
    met = label_result(fixture_engine, "beta-jp-2025", answers(prior_lines=3), day)
    assert met.status == "eligible"
    assert {c.id: c.outcome for c in met.criteria}["min_prior_lines"] is MET
    assert {c.id: c.outcome for c in met.criteria}["exposed"] is MET
    # fewer lines than the strictest reading: the label may still allow it, so possible, never not eligible
    fewer = label_result(fixture_engine, "beta-jp-2025", answers(prior_lines=2), day)
    assert fewer.status == "possible"
    assert fewer.decided_by == ()
    # a class missing from the drug list: exposure stays unknown
    two = label_result(fixture_engine, "beta-jp-2025", answers(drugs=("bortezomib", "lenalidomide")), day)
    assert {c.id: c.outcome for c in two.criteria}["exposed"] is UNKNOWN
    assert two.status == "possible"
    # count not known: the question that could settle it is named
    unknown = label_result(fixture_engine, "beta-jp-2025", answers(prior_lines=None), day)
    assert unknown.status == "possible"
    assert unknown.decided_by == ("prior_lines",)


def test_a_count_without_a_strictest_reading_stays_unknown(tmp_path: Path) -> None:
    rules = _fixture_copy(
        tmp_path, lambda text: re.sub(r"\[labels\.strictest\].*?\n\n", "", text, flags=re.S)
    )
    engine = Engine(load_rules(rules))
    res = label_result(engine, "beta-jp-2025", answers(prior_lines=30), D(2025, 6, 1))
    assert res.status == "possible"
    assert {c.id: c.outcome for c in res.criteria}["min_prior_lines"] is UNKNOWN


def test_a_label_whose_wording_is_not_held_is_never_screened(fixture_engine: Engine) -> None:
    for a in (answers(), answers(adult=False, prior_lines=0), Answers()):
        res = label_result(fixture_engine, "beta-eu-2025", a)
        assert res.status == "not_checked"
        assert res.criteria == ()
        assert res.decided_by == ()
    assert "indication_not_held" in fixture_engine.rules.labels["beta-eu-2025"].flags


def test_status_order_is_eligible_possible_not_checked_not_eligible(fixture_engine: Engine) -> None:
    # EU on 2025-06-01: alpha-eu-2022 (matches), gamma-eu-undated (adult unknown: possible when not sure),
    # beta-eu-2025 (wording not held); with 0 lines alpha does not match.
    result = fixture_engine.evaluate(answers(adult=None), "EU", D(2025, 6, 1))
    assert [(r.label.id, r.status) for r in result.results] == [
        ("alpha-eu-2022", "possible"),
        ("gamma-eu-undated", "possible"),
        ("beta-eu-2025", "not_checked"),
    ]
    result = fixture_engine.evaluate(answers(prior_lines=1), "EU", D(2025, 6, 1))
    assert [(r.label.id, r.status) for r in result.results] == [
        ("gamma-eu-undated", "eligible"),
        ("beta-eu-2025", "not_checked"),
        ("alpha-eu-2022", "not_eligible"),
    ]
    assert STATUSES == ("eligible", "possible", "not_checked", "not_eligible")


def test_unverified_label_is_evaluated_normally(fixture_engine: Engine) -> None:
    res = label_result(fixture_engine, "alpha-eu-2022", answers())
    assert "not_verified" in res.label.flags
    assert res.status == "eligible"


# -- region and date ------------------------------------------------------------------------------------------------
def _in_force(engine: Engine, region: str, day: dt.date) -> list[str]:
    return [lb.id for lb in engine.labels_in_force(region, day)]


def test_supersession_on_the_day(fixture_engine: Engine) -> None:
    e = fixture_engine
    assert "alpha-us-2022" not in _in_force(e, "US", D(2022, 2, 27))
    assert "alpha-us-2022" in _in_force(e, "US", D(2022, 2, 28))
    assert "alpha-us-2022" in _in_force(e, "US", D(2024, 4, 4))
    assert "alpha-us-2024" not in _in_force(e, "US", D(2024, 4, 4))
    assert "alpha-us-2022" not in _in_force(e, "US", D(2024, 4, 5))  # superseded on or before as_of
    assert "alpha-us-2024" in _in_force(e, "US", D(2024, 4, 5))


def test_withdrawal_on_the_day(fixture_engine: Engine) -> None:
    assert "gamma-us-2020" in _in_force(fixture_engine, "US", D(2022, 11, 21))
    assert "gamma-us-2020" not in _in_force(fixture_engine, "US", D(2022, 11, 22))
    assert fixture_engine.rules.labels["gamma-us-2020"].state_on(D(2023, 1, 1)) == "withdrawn"


def test_month_precision_counts_as_the_last_day(fixture_engine: Engine) -> None:
    assert parse_partial_date("2022-05").effective == D(2022, 5, 31)
    assert parse_partial_date("2024-02").effective == D(2024, 2, 29)
    assert parse_partial_date("2025").effective == D(2025, 12, 31)
    assert "alpha-eu-2022" not in _in_force(fixture_engine, "EU", D(2022, 5, 30))
    assert "alpha-eu-2022" in _in_force(fixture_engine, "EU", D(2022, 5, 31))
    assert "beta-us-2026-dara" not in _in_force(fixture_engine, "US", D(2026, 3, 30))
    assert "beta-us-2026-dara" in _in_force(fixture_engine, "US", D(2026, 3, 31))


def test_no_approval_date_counts_from_the_day_checked(fixture_engine: Engine) -> None:
    label = fixture_engine.rules.labels["gamma-eu-undated"]
    assert "approval_date_unknown" in label.flags
    assert "gamma-eu-undated" not in _in_force(fixture_engine, "EU", D(2025, 1, 9))
    assert "gamma-eu-undated" in _in_force(fixture_engine, "EU", D(2025, 1, 10))


# -- results, ordering and elsewhere ---------------------------------------------------------------------------------
def test_one_entry_per_label_sorted_by_status_product_label(fixture_engine: Engine) -> None:
    a = answers(prior_lines=2, drugs=("lenalidomide",), refractory={"lenalidomide": True})
    result = fixture_engine.evaluate(a, "US", D(2026, 4, 1))
    assert [(r.status, r.label.id) for r in result.results] == [
        ("eligible", "beta-us-2026-dara"),
        ("not_eligible", "alpha-us-2024"),  # no PI
    ]


def test_approved_elsewhere(fixture_engine: Engine) -> None:
    result = fixture_engine.evaluate(answers(), "CN", D(2025, 6, 1))
    assert [r.label.id for r in result.results] == ["beta-cn-2024"]
    elsewhere = {e.product: [(r.region, r.status) for r in e.regions] for e in result.approved_elsewhere}
    assert elsewhere == {
        "alpha-cel": [("US", "eligible"), ("EU", "eligible"), ("JP", "eligible")],
        # the EU fixture's wording on age is unknown; "18 or over" meets it either way
        "gamma-adc": [("EU", "eligible"), ("JP", "eligible")],
    }
    # the same rule as in the region itself: a weaker answer leaves it possible; not held is not_checked
    result = fixture_engine.evaluate(answers(adult=False), "CN", D(2025, 6, 1))
    elsewhere = {e.product: [(r.region, r.status) for r in e.regions] for e in result.approved_elsewhere}
    assert elsewhere["gamma-adc"] == [("EU", "possible"), ("JP", "not_eligible")]
    result = fixture_engine.evaluate(answers(), "US", D(2025, 6, 1))
    elsewhere = {e.product: [(r.region, r.status) for r in e.regions] for e in result.approved_elsewhere}
    assert elsewhere["beta-mab"] == [("EU", "not_checked"), ("CN", "eligible"), ("JP", "eligible")]


def test_no_region_lists_every_product_elsewhere(fixture_engine: Engine) -> None:
    result = fixture_engine.evaluate(answers(), None, D(2025, 6, 1))
    assert result.results == ()
    assert {e.product for e in result.approved_elsewhere} == {"alpha-cel", "beta-mab", "gamma-adc"}


def test_decided_by_names_the_answers_that_would_settle_a_possible(fixture_engine: Engine) -> None:
    a = Answers(relapsed_or_refractory=True, adult=None, drugs=("bortezomib", "lenalidomide"))
    res = label_result(fixture_engine, "alpha-us-2024", a)
    assert res.status == "possible"
    assert res.decided_by == ("adult", "prior_lines", "refractory.lenalidomide")
    done = label_result(fixture_engine, "alpha-us-2024", answers())
    assert done.status == "eligible"
    assert done.decided_by == ()


def test_evaluation_reads_no_clock(fixture_engine: Engine) -> None:
    # the same answers and date give the same result, whatever today is
    a = answers()
    assert fixture_engine.evaluate(a, "US", D(2023, 1, 1)) == fixture_engine.evaluate(a, "US", D(2023, 1, 1))


# -- cases a mutation run of webapp/eligibility found missing (issue 20 item 8) ------------------------------------
def test_a_bcma_bispecific_or_adc_is_not_a_bcma_car_t(fixture_engine: Engine) -> None:
    """beta-mab (bispecific) and gamma-adc (ADC) are BCMA-directed but not CAR-T: Japan's exclusion of an earlier
    BCMA CAR-T stays met with "no", and unknown with "not sure" (reading bcma_directed would break both)."""
    for other in ("beta-mab", "gamma-adc"):
        drugs = ("bortezomib", "lenalidomide", "daratumumab", other)
        res = label_result(
            fixture_engine, "alpha-jp-2022", answers(drugs=drugs, prior_bcma_car_t=False), D(2025, 1, 1)
        )
        assert criterion(res, "no_prior_bcma_car_t") is MET
        assert res.status == "eligible"
        res = label_result(
            fixture_engine, "alpha-jp-2022", answers(drugs=drugs, prior_bcma_car_t=None), D(2025, 1, 1)
        )
        assert criterion(res, "no_prior_bcma_car_t") is UNKNOWN
        warned = fixture_engine.evaluate(
            answers(drugs=drugs, prior_bcma_car_t=False), "JP", D(2025, 1, 1)
        ).warnings
        assert "bcma_car_t_contradiction" not in {w.code for w in warned}


@pytest.mark.parametrize("which", ["exposed", "refractory"])
def test_a_label_whose_only_unknown_is_a_list_is_possible(tmp_path: Path, which: str) -> None:
    def edit(text: str) -> str:
        text = re.sub(r"\[labels\.strictest\].*?\n\n", "", text, flags=re.S)
        return text.replace(
            'unknown = ["min_prior_lines", "exposed"]', f'min_prior_lines = 3\nunknown = ["{which}"]'
        )

    engine = Engine(load_rules(_fixture_copy(tmp_path, edit)))
    res = label_result(engine, "beta-jp-2025", answers(), D(2025, 6, 1))
    assert [c.id for c in res.criteria if c.outcome is not MET] == [which]
    assert res.status == "possible"
    assert res.decided_by == ()  # no strictest reading: no answer can settle it


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        # refractory to a class answered as not taken
        (
            {"drugs": None, "exposed_classes": {"PI": False}, "refractory": {"PI": True}},
            "refractory_without_exposure",
            "refractory.PI",
        ),
        # refractory to a class while a drug list holds none of that class
        (
            {"drugs": ("lenalidomide",), "refractory": {"PI": True}},
            "refractory_without_exposure",
            "refractory.PI",
        ),
        # refractory to a class while every listed drug of it is answered not refractory
        (
            {
                "drugs": ("bortezomib", "carfilzomib"),
                "refractory": {"PI": True, "bortezomib": False, "carfilzomib": False},
            },
            "refractory_class_contradicts_drugs",
            "refractory.PI",
        ),
        # the reverse: not refractory to the class, but refractory to one of its drugs
        (
            {"drugs": ("bortezomib",), "refractory": {"PI": False, "bortezomib": True}},
            "refractory_class_contradicts_drugs",
            "refractory.PI",
        ),
        # refractory to a drug that a drug list leaves out
        (
            {"drugs": ("bortezomib",), "refractory": {"lenalidomide": True}},
            "refractory_without_exposure",
            "refractory.lenalidomide",
        ),
        # refractory to a drug whose class is answered as not taken
        (
            {"drugs": None, "exposed_classes": {"IMiD": False}, "refractory": {"lenalidomide": True}},
            "refractory_without_exposure",
            "refractory.lenalidomide",
        ),
        # a listed drug of a class answered "no"
        (
            {"drugs": ("bortezomib",), "exposed_classes": {"PI": False}, "refractory": {}},
            "drug_contradicts_class",
            "exposed_classes.PI",
        ),
    ],
)
def test_every_contradiction_warning_names_its_code_and_field(
    fixture_engine: Engine, changes: dict[str, Any], code: str, field: str
) -> None:
    warnings = fixture_engine.evaluate(answers(**changes), "US", D(2025, 6, 1)).warnings
    assert (code, field) in {(w.code, w.field) for w in warnings}
    # and a consistent answer set gives none of them
    assert fixture_engine.evaluate(answers(), "US", D(2025, 6, 1)).warnings == ()


def test_in_force_and_state_on_the_days_around_approval_and_end(fixture_engine: Engine) -> None:
    label = fixture_engine.rules.labels["alpha-us-2022"]  # approved 2022-02-28, superseded 2024-04-05
    assert [label.in_force_on(d) for d in (D(2022, 2, 27), D(2022, 2, 28), D(2022, 3, 1))] == [
        False,
        True,
        True,
    ]
    assert [label.in_force_on(d) for d in (D(2024, 4, 4), D(2024, 4, 5), D(2024, 4, 6))] == [
        True,
        False,
        False,
    ]
    assert [label.state_on(d) for d in (D(2022, 2, 27), D(2022, 2, 28), D(2022, 3, 1))] == [
        "not_yet",
        "in_force",
        "in_force",
    ]
    assert [label.state_on(d) for d in (D(2024, 4, 4), D(2024, 4, 5), D(2024, 4, 6))] == [
        "in_force",
        "superseded",
        "superseded",
    ]
    withdrawn = fixture_engine.rules.labels["gamma-us-2020"]  # withdrawn 2022-11-22
    assert [withdrawn.state_on(d) for d in (D(2022, 11, 21), D(2022, 11, 22), D(2022, 11, 23))] == [
        "in_force",
        "withdrawn",
        "withdrawn",
    ]


def test_in_force_by_counts_from_the_bound(fixture_engine: Engine) -> None:
    label = fixture_engine.rules.labels[
        "gamma-jp-undated"
    ]  # no approval date; in force no later than 2023-05-17
    assert "approval_date_bound" in label.flags
    assert "approval_date_unknown" not in label.flags
    assert label.state_on(D(2023, 5, 16)) == "not_yet"
    assert label.state_on(D(2023, 5, 17)) == "in_force"
    assert "gamma-jp-undated" not in _in_force(fixture_engine, "JP", D(2023, 5, 16))
    assert "gamma-jp-undated" in _in_force(fixture_engine, "JP", D(2023, 5, 17))


def test_month_only_and_criteria_unknown_flags(fixture_engine: Engine) -> None:
    labels = fixture_engine.rules.labels
    assert "approval_date_month_only" in labels["alpha-eu-2022"].flags
    assert "approval_date_month_only" not in labels["alpha-us-2022"].flags
    assert "criteria_unknown" in labels["beta-cn-2024"].flags
    assert "criteria_unknown" not in labels["alpha-us-2022"].flags
    assert parse_partial_date("2025").precision == "year"


@pytest.mark.parametrize(
    "bad", ["2022-13", "2022-00", "2022-02-30", "2022-02-28x", "2022-02-28 ", "2022-2", "22-02-28"]
)
def test_malformed_dates_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"out of range|not a date of the form|must be in|day is out"):
        parse_partial_date(bad)


def test_coverage_rules_for_one_product_skip_the_others() -> None:
    from webapp.eligibility.model import Coverage, Dated, FactSource

    source = FactSource(
        "t", ("https://example.org",), D(2026, 1, 1), "payer", False, issuer="x", verified_note="n"
    )
    dates = Dated(parse_partial_date("2025-01-01"))
    maker = Coverage("maker", "US", ("car-t",), dates, "text", source, products=("alpha-cel",))
    everyone = Coverage("all", "US", ("car-t", "bispecific"), dates, "text", source)
    assert maker.applies_to("alpha-cel", "car-t")
    assert not maker.applies_to("other-cel", "car-t")  # a maker's programme covers only its own product
    assert not maker.applies_to("alpha-cel", "bispecific")
    assert everyone.applies_to("other-cel", "car-t")
    assert everyone.applies_to("beta-mab", "bispecific")
    assert not everyone.applies_to("gamma-adc", "adc")
