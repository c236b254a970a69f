"""Practice data (issue 7): strict loading, dated selection, coverage of every label in force, and the API."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from webapp import create_app
from webapp.babel_rules import extract_rules
from webapp.eligibility import RulesError, load_rules
from webapp.eligibility.practice import coverage_gaps, select_practice

from .conftest import FIXTURE_RULES, REAL_RULES

BROKEN = Path(__file__).parent / "fixtures" / "broken_practice"
VALID = BROKEN / "valid"
FIXTURES = sorted(BROKEN.glob("*.toml"))
REMS_END = dt.date(2025, 6, 26)


def _header(path: Path, key: str) -> str:
    match = re.search(rf"^# {key}: (.+)$", path.read_text(encoding="utf-8"), re.M)
    assert match, f"{path.name} lacks a '# {key}:' line"
    return match.group(1).strip()


def _rules_with_practice(tmp_path: Path, fixture: Path | None = None) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(FIXTURE_RULES, root)
    shutil.copytree(VALID / "practice", root / "practice")
    shutil.copytree(VALID / "access", root / "access")
    if fixture is not None:
        shutil.copyfile(fixture, root / _header(fixture, "replaces"))
    return root


def _post(client: Any, **body: Any) -> dict[str, Any]:
    """A check with each result's practice sections, flattened into the result for these tests."""
    response = client.post("/api/v1/check", json={**body, "include": ["practice"]})
    assert response.status_code == 200, response.json
    data = response.json
    for result in data["results"]:
        result.update(result.pop("practice"))
    return data


def _result(body: dict[str, Any], product: str) -> dict[str, Any]:
    matches = [r for r in body["results"] if r["product"] == product]
    assert matches, f"{product} not among {[r['product'] for r in body['results']]}"
    return matches[0]


# -- strict loading --------------------------------------------------------------------------------------
def test_there_is_a_broken_fixture_for_each_required_rejection() -> None:
    names = {p.stem for p in FIXTURES}
    required = {
        "cost-without-currency",
        "cost-without-year",
        "cost-without-source",
        "step-without-source",
        "caveat-without-source",
        "evidence-without-trial",
        "bad-date",
        "unknown-key",
    }
    assert required <= names


def test_the_valid_practice_fixture_loads(tmp_path: Path) -> None:
    rules = load_rules(_rules_with_practice(tmp_path))
    practice = rules.practice
    assert [c.id for c in practice.caveats] == ["us-stay-near-4-weeks", "us-stay-near-2-weeks"]
    price = next(c for c in practice.costs if not c.no_public_price)
    assert (price.low, price.high, price.currency, price.year) == (465000, 465000, "USD", 2022)
    none = next(c for c in practice.costs if c.no_public_price)
    assert none.looked == dt.date(2026, 11, 22)
    assert none.currency == ""
    assert practice.evidence[0].trial == "ALPHA-1"
    assert practice.evidence[0].basis == "label"
    assert practice.steps[-1].section == "international"
    assert practice.steps[-1].options[0].source.kind == "facilitator"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_broken_practice_fixture_is_rejected_with_file_entry_and_field(tmp_path: Path, fixture: Path) -> None:
    root = _rules_with_practice(tmp_path, fixture)
    with pytest.raises(RulesError) as info:
        load_rules(root)
    message = str(info.value)
    assert _header(fixture, "expect") in message
    assert message.startswith("rules/" + _header(fixture, "replaces"))


def test_a_bad_practice_file_stops_start_up(tmp_path: Path) -> None:
    root = _rules_with_practice(tmp_path, BROKEN / "cost-without-currency.toml")
    with pytest.raises(
        RulesError, match=r"rules/practice/alpha-cel\.toml: cost us-list: currency: is required"
    ):
        create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "RULES_DIR": str(root)})


def test_a_rules_folder_without_practice_data_still_loads() -> None:
    rules = load_rules(FIXTURE_RULES)
    assert rules.practice.caveats == ()
    assert rules.practice.steps == ()


# -- selection by region, date and residence -------------------------------------------------------------
def test_selection_follows_the_dates_of_each_fact(tmp_path: Path) -> None:
    rules = load_rules(_rules_with_practice(tmp_path))
    label = rules.labels["alpha-us-2024"]
    before = select_practice(rules, label, REMS_END - dt.timedelta(days=1))
    on = select_practice(rules, label, REMS_END)
    assert [c.id for c in before.caveats] == ["us-stay-near-4-weeks"]
    assert [c.id for c in on.caveats] == ["us-stay-near-2-weeks"]
    # Evidence belongs to the label versions it names: ALPHA-1 backs the 2022 label, not the 2024 one.
    assert on.evidence == ()
    assert select_practice(rules, rules.labels["alpha-us-2022"], dt.date(2023, 1, 1)).evidence


def test_real_rules_cover_every_label_in_force_today() -> None:
    rules = load_rules(REAL_RULES)
    today = dt.datetime.now(dt.UTC).date()
    assert coverage_gaps(rules, today) == []
    in_force = [lb for lb in rules.labels.values() if lb.in_force_on(today)]
    assert len(in_force) >= 40
    for label in in_force:
        facts = select_practice(rules, label, today)
        assert facts.caveats, label.id
        assert facts.steps, label.id
        assert facts.evidence, label.id
        assert facts.prices or (facts.no_public_price and facts.no_public_price.looked), label.id
        topics = {c.topic for c in facts.caveats}
        kind = rules.products[label.product].kind
        required = {
            "car-t": {
                "crs",
                "neurotoxicity",
                "cytopenia",
                "infection",
                "secondary-cancer",
                "stay-near-centre",
                "caregiver",
                "driving",
                "manufacturing",
                "bridging",
            },
            "bispecific": {"crs", "infection", "step-up-dosing", "driving"},
            "adc": {"eye", "cytopenia", "infection"},
        }[kind]
        assert required <= topics, (label.id, sorted(required - topics))


def test_every_practice_fact_has_a_source_and_prices_are_numbers() -> None:
    practice = load_rules(REAL_RULES).practice
    facts = [
        *practice.caveats,
        *practice.costs,
        *practice.evidence,
        *practice.availability,
        *practice.steps,
        *practice.coverage,
        *practice.routes,
    ]
    assert len(facts) > 250
    for fact in facts:
        assert fact.source.url.startswith(("http://", "https://"))
        assert fact.source.section or fact.source.quote
        assert fact.source.verified or fact.source.verified_note, fact.id
    for cost in practice.costs:
        if cost.no_public_price:
            assert cost.looked
            assert cost.low is None
        else:
            assert isinstance(cost.low, int | float)
            assert cost.high >= cost.low
            assert re.fullmatch(r"[A-Z]{3}", cost.currency)
            assert cost.year


def test_marketing_claims_of_travel_agencies_are_never_facts() -> None:
    practice = load_rules(REAL_RULES).practice
    for fact in (
        *practice.caveats,
        *practice.costs,
        *practice.evidence,
        *practice.availability,
        *practice.coverage,
    ):
        assert fact.source.kind != "facilitator", fact.id


# -- the API ---------------------------------------------------------------------------------------------
def test_us_caveats_differ_before_and_after_the_rems_ended(client: Any) -> None:
    topics = ("stay-near-centre", "driving", "restricted-programme")
    seen = {}
    for as_of in ("2025-06-01", "2025-07-01"):
        body = _post(client, region="US", prior_lines=4, as_of=as_of)
        for product in ("ciltacabtagene-autoleucel", "idecabtagene-vicleucel"):
            caveats = _result(body, product)["caveats"]
            seen[(product, as_of)] = {c["id"]: c for c in caveats if c["topic"] in topics}
    for product in ("ciltacabtagene-autoleucel", "idecabtagene-vicleucel"):
        before, after = seen[(product, "2025-06-01")], seen[(product, "2025-07-01")]
        assert set(before) == {"us-rems", "us-stay-near-4-weeks", "us-driving-8-weeks"}
        assert set(after) == {"us-no-rems", "us-stay-near-2-weeks", "us-driving-2-weeks"}
        assert "4 weeks" in before["us-stay-near-4-weeks"]["text"]
        assert "at least 2 weeks" in after["us-stay-near-2-weeks"]["text"]
        assert after["us-stay-near-2-weeks"]["valid_from"] == "2025-06-26"
        assert before["us-stay-near-4-weeks"]["valid_to"] == "2025-06-26"


def test_the_eu_still_says_four_weeks_after_june_2025(client: Any) -> None:
    body = _post(client, region="EU", prior_lines=4, as_of="2025-07-01")
    stay = [
        c for c in _result(body, "ciltacabtagene-autoleucel")["caveats"] if c["topic"] == "stay-near-centre"
    ]
    assert [c["id"] for c in stay] == ["eu-stay-near"]
    assert "at least 4 weeks" in stay[0]["text"]


def test_a_result_carries_cost_steps_and_evidence_with_sources(client: Any) -> None:
    result = _result(_post(client, region="JP", prior_lines=3), "idecabtagene-vicleucel")
    price = result["cost"]["prices"][0]
    assert (price["low"], price["currency"], price["year"], price["unit"]) == (
        32647761,
        "JPY",
        2022,
        "patient",
    )
    assert isinstance(price["low"], int)
    assert price["includes"]
    assert price["excludes"]
    assert [s["number"] for s in result["access_steps"]] == list(range(1, len(result["access_steps"]) + 1))
    assert {s["section"] for s in result["access_steps"]} == {"region"}
    trials = {e["trial"] for e in result["evidence"]}
    assert trials == {"KarMMa-3"}
    for item in (
        *result["caveats"],
        *result["evidence"],
        *result["access_steps"],
        result["cost"]["prices"][0],
    ):
        assert item["source"]["url"]
        assert item["source"]["checked"]


def test_no_public_price_is_explicit_with_the_day_looked(client: Any) -> None:
    result = _result(_post(client, region="CN", prior_lines=4), "equecabtagene-autoleucel")
    assert result["cost"]["prices"] == []
    assert result["cost"]["no_public_price"]["looked"] == "2026-11-22"
    assert any("commercial" in c["text"] for c in result["cost"]["coverage"])
    availability = {(a["region"], a["aspect"]): a["status"] for a in result["availability"]}
    assert availability[("CN", "funding")] == "partial"


def test_availability_separates_approval_from_funding(client: Any) -> None:
    result = _result(_post(client, region="GB", prior_lines=4), "ciltacabtagene-autoleucel")
    facts = {(a["aspect"], a["status"]) for a in result["availability"]}
    assert ("funding", "no") in facts
    assert ("launch", "no") in facts
    assert all(a["region"] == "GB" for a in result["availability"])


@pytest.mark.parametrize(
    ("region", "residence", "international", "routes"),
    [
        ("CN", "GB", True, False),
        ("CN", "SG", True, True),
        ("CN", "CN", False, False),
        ("CN", None, False, False),
        ("HK", "US", True, False),
        ("EU", "DE", False, False),
        ("CN", "TW", True, True),
        ("US", "AU", False, True),
    ],
)
def test_the_travel_pathway_and_special_routes_follow_residence(
    client: Any, region: str, residence: str | None, international: bool, routes: bool
) -> None:
    body = _post(client, region=region, residence=residence, prior_lines=4)
    sections = {s["section"] for r in body["results"] for s in r["access_steps"]}
    assert ("international" in sections) is international
    assert ("route" in sections) is routes
    if routes:
        route_ids = {s["id"] for s in body["results"][0]["access_steps"] if s["section"] == "route"}
        assert {"hk-named-patient", "hainan-boao", "trials-us", "trials-cn"} <= route_ids
        regions = {a["region"] for r in body["results"] for a in r["availability"]}
        assert len(regions) > 1  # every covered region's status, not only the chosen one


def test_visa_options_are_listed_to_confirm_not_stated_as_fact(client: Any) -> None:
    result = _post(client, region="CN", residence="GB", prior_lines=4)["results"][0]
    visa = next(s for s in result["access_steps"] if s["id"] == "visa")
    assert len(visa["options"]) >= 3
    assert "consulate" in visa["text"]
    assert {o["source"]["kind"] for o in visa["options"]} == {"facilitator"}
    assert all(o["source"]["verified"] is False for o in visa["options"])


def test_practice_texts_are_translated_in_the_requested_language(client: Any) -> None:
    english = _result(_post(client, region="US", prior_lines=4), "ciltacabtagene-autoleucel")
    chinese = _result(_post(client, region="US", prior_lines=4, lang="zh-Hans"), "ciltacabtagene-autoleucel")
    # Same facts, same numbers and sources in every language; only the sentences are translated.
    assert [c["id"] for c in english["caveats"]] == [c["id"] for c in chinese["caveats"]]
    assert english["cost"]["prices"][0]["low"] == chinese["cost"]["prices"][0]["low"]
    assert english["caveats"][0]["source"] == chinese["caveats"][0]["source"]


def test_responses_match_the_openapi_schema(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json
    schema = {**doc["components"]["schemas"]["CheckResponse"], "components": doc["components"]}
    for request in (
        {"region": "CN", "residence": "TW", "prior_lines": 4},
        {"region": "US", "prior_lines": 4, "as_of": "2025-06-01"},
        {"region": "JP", "prior_lines": 3},
    ):
        body = client.post("/api/v1/check", json={**request, "include": ["practice"]}).json
        jsonschema.validate(body, schema)
        assert body["results"]
        assert body["results"][0]["practice"]["caveats"]


# -- translation extraction ------------------------------------------------------------------------------
def test_practice_sentences_are_extracted_for_translation_but_quotes_are_not() -> None:
    path = REAL_RULES / "practice" / "ciltacabtagene-autoleucel.toml"
    messages = [m for _line, _fn, m, _c in extract_rules(io.BytesIO(path.read_bytes()), None, None, {})]
    assert any(m.startswith("Since 26 June 2025 the US label asks you to stay close") for m in messages)
    assert any("includes" not in m and m.startswith("The one-time CAR-T treatment") for m in messages)
    assert not any(m.startswith("WARNING: CYTOKINE RELEASE SYNDROME") for m in messages)  # a verbatim quote
    assert not any(m.startswith("CARVYKTI US prescribing information") for m in messages)  # a source title
    access = REAL_RULES / "access" / "CN.toml"
    access_messages = [m for _l, _f, m, _c in extract_rules(io.BytesIO(access.read_bytes()), None, None, {})]
    assert "Choose a visa with the consulate" in access_messages
    assert "An M visa." in access_messages
