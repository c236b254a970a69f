"""Scenario files (rules/scenarios/<label id>.yaml): one per label version, each case citing the label.

The meta-test fails when a label version in rules/ lacks a scenario file or any required case, so a new
label cannot arrive without its boundary, unknown and date cases (rules/scenarios/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
import yaml

from webapp.eligibility import Engine, Label, load_rules
from webapp.eligibility.engine import UNKNOWN
from webapp.results.schema import parse_check

from .conftest import REAL_RULES

SCENARIOS = REAL_RULES / "scenarios"
EXPECTS = {"eligible", "possible", "not_checked", "not_eligible", "not_in_force"}
CASE_KEYS = {"name", "cite", "as_of", "answers", "expect", "decided_by"}
TODAY = dt.date(2100, 1, 1)  # scenario dates are explicit; this only bounds as_of for the parser


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    dupes = [k for k, n in Counter(keys).items() if n > 1]
    if dupes:
        raise yaml.constructor.ConstructorError(None, None, f"duplicate key {dupes[0]!r}", node.start_mark)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_scenarios() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        assert isinstance(data, dict), f"{path.name}: not a mapping"
        assert data.get("label") == path.stem, f"{path.name}: `label` must equal the file name"
        out[path.stem] = data
    return out


RULES = load_rules(REAL_RULES)
ENGINE = Engine(RULES)
SCENARIO_FILES = load_scenarios()


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _cases() -> list[Any]:
    params = []
    for label_id, data in SCENARIO_FILES.items():
        for i, case in enumerate(data.get("cases") or []):
            params.append(pytest.param(label_id, case, id=f"{label_id}[{i}] {case.get('name', '')}"[:120]))
    return params


def run_case(label: Label, case: dict[str, Any]) -> tuple[str, Any]:
    as_of = _as_date(case["as_of"])
    request = {**case.get("answers", {}), "region": label.region, "as_of": as_of.isoformat()}
    parsed, errors = parse_check(request, RULES, TODAY)
    assert parsed is not None, f"answers are not valid API input: {errors}"
    result = ENGINE.evaluate(parsed.answers, label.region, as_of)
    found = [r for r in result.results if r.label.id == label.id]
    if not found:
        return "not_in_force", None
    return found[0].status, found[0]


@pytest.mark.parametrize(("label_id", "case"), _cases())
def test_scenario(label_id: str, case: dict[str, Any]) -> None:
    assert label_id in RULES.labels, f"scenario for unknown label {label_id}"
    unknown_keys = set(case) - CASE_KEYS
    assert not unknown_keys, f"unknown keys in case: {unknown_keys}"
    assert case.get("cite"), "every case cites the label text it tests"
    assert case.get("expect") in EXPECTS, f"expect must be one of {sorted(EXPECTS)}"
    status, res = run_case(RULES.labels[label_id], case)
    assert status == case["expect"], (
        f"{case['name']}: got {status}, expected {case['expect']} ({case['cite']})"
    )
    if "decided_by" in case:
        assert res is not None
        assert list(res.decided_by) == case["decided_by"]


def missing_cases(label: Label, data: dict[str, Any] | None) -> list[str]:
    """What a label's scenario file lacks (rules/scenarios/README.md)."""
    if data is None:
        return ["no scenario file"]
    cases = data.get("cases") or []
    lines = {c.get("answers", {}).get("prior_lines") for c in cases}
    dates = {_as_date(c["as_of"]) for c in cases}
    missing = []
    c = label.criteria
    if c.min_prior_lines is not None:
        wanted = {c.min_prior_lines} | ({c.min_prior_lines - 1} if c.min_prior_lines > 0 else set())
        missing += [f"prior_lines = {n}" for n in sorted(wanted - lines)]
    if c.max_prior_lines is not None:
        missing += [f"prior_lines = {n}" for n in sorted({c.max_prior_lines, c.max_prior_lines + 1} - lines)]
    one_day = dt.timedelta(days=1)
    wanted_dates = {label.in_force_from - one_day, label.in_force_from}
    if label.in_force_until:
        wanted_dates |= {label.in_force_until - one_day, label.in_force_until}
    missing += [f"as_of = {d}" for d in sorted(wanted_dates - dates)]
    # every criterion of the label must be unknown in at least one case
    unknown_seen: set[str] = set()
    criteria_ids: set[str] = set()
    for case in cases if label.indication_held else ():  # a label not held has no criteria to exercise
        _status, res = run_case(label, case)
        if res is None:
            continue
        criteria_ids |= {cr.id for cr in res.criteria}
        unknown_seen |= {cr.id for cr in res.criteria if cr.outcome is UNKNOWN}
    missing += [f"a case where {cid} is unknown" for cid in sorted(criteria_ids - unknown_seen)]
    if not label.indication_held:
        # Wording not held: only the date cases are needed, and every case in force expects not_checked.
        missing += [
            f"case {c.get('name', i)!r} must expect not_checked"
            for i, c in enumerate(cases)
            if label.in_force_on(_as_date(c["as_of"])) and c.get("expect") != "not_checked"
        ]
    return missing


def test_every_label_version_has_its_required_cases() -> None:
    gaps = {
        label_id: missing
        for label_id, label in RULES.labels.items()
        if (missing := missing_cases(label, SCENARIO_FILES.get(label_id)))
    }
    assert not gaps, "scenario cases missing:\n" + "\n".join(
        f"  {k}: {', '.join(v)}" for k, v in gaps.items()
    )


def test_no_scenario_file_without_a_label() -> None:
    assert set(SCENARIO_FILES) <= set(RULES.labels)


def test_the_meta_test_can_fail() -> None:
    # A label stripped of its cases must be reported, or the meta-test proves nothing.
    label = RULES.labels["cilta-cel-us-2024"]
    assert missing_cases(label, None) == ["no scenario file"]
    complete_answers = {
        "adult": True,
        "relapsed_or_refractory": True,
        "prior_lines": 1,
        "drugs": ["bortezomib", "lenalidomide"],
        "refractory": {"lenalidomide": True},
    }
    gaps = missing_cases(
        label, {"cases": [{"as_of": "2025-01-01", "answers": complete_answers, "cite": "x"}]}
    )
    assert gaps == [
        "prior_lines = 0",
        "as_of = 2024-04-04",
        "as_of = 2024-04-05",
        "a case where adult is unknown",
        "a case where exposed:IMiD is unknown",
        "a case where exposed:PI is unknown",
        "a case where min_prior_lines is unknown",
        "a case where refractory:lenalidomide is unknown",
        "a case where relapsed_or_refractory is unknown",
    ]


def test_a_label_whose_wording_is_not_held_needs_only_date_cases() -> None:
    from dataclasses import replace

    from webapp.eligibility.model import Criteria

    label = replace(RULES.labels["cilta-cel-us-2022"], indication_held=False, criteria=Criteria())
    day = label.in_force_from
    dates = [{"as_of": str(d), "answers": {}, "cite": "x"} for d in (day - dt.timedelta(days=1), day)]
    dates[0]["expect"], dates[1]["expect"] = "not_in_force", "not_checked"
    until = label.in_force_until
    assert until is not None
    dates += [
        {"as_of": str(until - dt.timedelta(days=1)), "answers": {}, "cite": "x", "expect": "not_checked"},
        {"as_of": str(until), "answers": {}, "cite": "x", "expect": "not_in_force"},
    ]
    assert missing_cases(label, {"cases": dates}) == []
    dates[1]["expect"] = "possible"
    assert missing_cases(label, {"cases": dates}) == ["case 1 must expect not_checked"]
    assert missing_cases(label, {"cases": dates[1:]}) == [
        f"as_of = {day - dt.timedelta(days=1)}",
        "case 0 must expect not_checked",
    ]


def test_the_duplicate_key_loader_rejects_duplicates() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key"):
        yaml.load("a: 1\na: 2\n", Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def scenario_counts() -> dict[str, int]:
    """Cases per region (reported in the closing note)."""
    counts: Counter[str] = Counter()
    for label_id, data in SCENARIO_FILES.items():
        counts[RULES.labels[label_id].region] += len(data.get("cases") or [])
    return dict(counts)
