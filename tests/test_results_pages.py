"""The results overview, a therapy's detail, travellers, what may be cached, and old saved summaries (issue 21)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.caching import fragments
from webapp.results.money import approximate_prices, load_rates
from webapp.results.overview import citation, count_sentence
from webapp.summaries import store

from .conftest import ROOT

US_TRAVELLER = {
    "region": "CN",
    "residence": "US",
    "adult": True,
    "prior_lines": 3,
    "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    "refractory": {"lenalidomide": True},
    "relapsed_or_refractory": True,
    "progressed_on_last": True,
}


def answers(client: FlaskClient, data: dict[str, Any]) -> None:
    with client.session_transaction() as s:
        s["answers"] = data


def test_the_removed_mechanisms_are_gone() -> None:
    found = subprocess.run(
        ["grep", "-rn", r"render_spliced\|LazyResult\|url_for_cached", "webapp/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout == ""


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (
            {"eligible": 2, "possible": 1, "not_checked": 1, "not_eligible": 3, "elsewhere": 4},
            "2 match, 1 could match, 1 could not be checked, 3 do not match, 4 are approved elsewhere.",
        ),
        (
            {"eligible": 1, "not_eligible": 1, "elsewhere": 1},
            "1 matches, 1 does not match, 1 is approved elsewhere.",
        ),
    ],
)
def test_the_count_sentence_is_pluralised(app: Flask, counts: dict[str, int], expected: str) -> None:
    with app.test_request_context("/?lang=en"):
        assert count_sentence(counts) == expected


def test_a_traveller_sees_what_matches_at_home(client: FlaskClient) -> None:
    answers(client, US_TRAVELLER)
    html = client.get("/results?lang=en").get_data(as_text=True)
    assert "At home in the United States" in html
    home = html[html.index('id="at-home"') :]
    home = home[: home.index("</section>")]
    cilta = re.search(
        r'<li class="therapy therapy--eligible">(?:(?!</li>).)*/results/cilta-cel-us-[^"]*', home, re.S
    )
    assert cilta, home
    # The at-home label's detail page opens with the same answers; a label in neither result is a 404.
    link = re.search(r'href="(/results/cilta-cel-us-[^"]+)"', home).group(1)
    assert client.get(link).status_code == 200
    assert client.get("/results/cilta-cel-eu-2022").status_code == 404


def test_a_traveller_gets_approximate_amounts_never_cached(app: Flask, client: FlaskClient) -> None:
    answers(client, US_TRAVELLER)
    page = client.get("/results/cilta-cel-cn-2024?lang=en").get_data(as_text=True)
    rates = load_rates(str(app.config["RULES_DIR"]))
    assert rates is not None
    if 'id="cost"' in page and "CN¥" in page:
        assert 'id="approx"' in page
        assert "approximately" in page
    # A resident of mainland China sees no conversion on the same page.
    answers(client, {**US_TRAVELLER, "residence": "CN"})
    assert 'id="approx"' not in client.get("/results/cilta-cel-cn-2024?lang=en").get_data(as_text=True)
    # Nothing in the cache names an amount in another currency, nor a residence itself: keys are cases.
    with app.app_context():
        for key in fragments().keys():
            assert "US" not in key[4:], key
            assert "USD" not in key, key


def test_exchange_rates_have_one_date_and_a_source(app: Flask) -> None:
    rates = load_rates(str(app.config["RULES_DIR"]))
    assert rates is not None
    assert rates.base == "EUR"
    assert rates.rates["MOP"] == pytest.approx(rates.rates["HKD"] * 1.03)
    assert all(s.urls and s.issuer for s in rates.sources)
    [usd] = approximate_prices(rates, [{"id": "p", "low": 1000, "high": None, "currency": "EUR"}], "USD")
    assert usd["low"] == pytest.approx(round(1000 * rates.rates["USD"], -2))


def test_the_practice_sections_are_cached_by_label_day_case_and_locale_only(app: Flask) -> None:
    client = app.test_client()
    answers(client, US_TRAVELLER)
    client.get("/results/cilta-cel-cn-2024?lang=en")
    answers(client, {**US_TRAVELLER, "adult": None, "prior_lines": 5})
    client.get("/results/cilta-cel-cn-2024?lang=en")
    with app.app_context():
        keys = [k for k in fragments().keys() if k[0] == "practice"]
    assert len(keys) == 1  # other answers, the same residence case: the same section
    kind, _version, labels, _day, case, locale = keys[0]
    assert (kind, labels, case, locale) == ("practice", ("cilta-cel-cn-2024",), (True, False), "en")


def test_a_citation_is_one_url_per_entry_and_never_a_note() -> None:
    c = citation(
        {"title": "Doc", "url": "https://a.example/x ; https://b.example/y (notes)", "verified_note": "x"}
    )
    assert c["urls"] == ["https://a.example/x", "https://b.example/y"]
    assert "verified_note" not in c


def test_an_old_format_saved_summary_still_opens_without_notes(app: Flask, client: FlaskClient) -> None:
    answers(client, {**US_TRAVELLER, "residence": None})
    with app.test_request_context("/"):
        from webapp.summaries.snapshot import build

        snapshot = build(
            client.application.test_client() and US_TRAVELLER | {"residence": None}, None, ["en"]
        )
    # The first format: each entry carried its practice data and its source's maintainers' notes inline.
    part = snapshot["langs"]["en"]
    for r in part["result"]["results"]:
        r["source"] = {
            **r["source"],
            "verified_note": "NOT retrieved (maintainers only)",
            "notes": "see shared/",
        }
        r["caveats"] = [
            {
                "id": "c1",
                "topic": "crs",
                "boxed": True,
                "text": "Watch for fever.",
                "source": {"title": "T", "verified_note": "internal"},
            }
        ]
        r["cost"] = None
        r["access_steps"], r["evidence"], r["availability"] = [], [], []
    old = {k: v for k, v in snapshot.items() if k != "home"}
    old["format"] = 1
    old["langs"] = {"en": {k: part[k] for k in ("result", "elsewhere", "routes", "answer_rows")}}
    with app.app_context():
        token, _row = store.create(US_TRAVELLER, old, "en", old["rules_version"], 30)
    page = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert page.count('class="therapy therapy--') >= 3
    link = re.search(rf'href="(/s/{token}/cilta-cel-cn-[^"]+)"', page).group(1)
    detail = client.get(link).get_data(as_text=True)
    assert "Watch for fever." in detail
    for text in (page, detail, client.get(f"/s/{token}/print?lang=en").get_data(as_text=True)):
        assert "maintainers only" not in text
        assert "see shared/" not in text
        assert "internal" not in text


def test_the_caching_rules_are_written_beside_the_code() -> None:
    doc = (ROOT / "webapp" / "caching.py").read_text("utf-8")
    assert "Never cached: anything that depends on the answers" in doc
    assert not Path(ROOT / "webapp" / "fragments.py").exists()


JOURNEY_CN = {
    "region": "CN",
    "adult": True,
    "prior_lines": 3,
    "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    "relapsed_or_refractory": True,
    "progressed_on_last": True,
    "prior_bcma_car_t": False,
}
JOURNEY_US = {
    "region": "US",
    "residence": "US",
    "adult": True,
    "prior_lines": 1,
    "drugs": ["bortezomib", "lenalidomide", "dexamethasone"],
    "refractory": {"lenalidomide": True, "bortezomib": False},
    "exposed_classes": {"anti-CD38": False},
    "relapsed_or_refractory": True,
    "progressed_on_last": True,
    "prior_bcma_car_t": False,
}
ALL_NOT_SURE_EU = {
    "region": "EU",
    "adult": None,
    "prior_lines": None,
    "drugs": None,
    "exposed_classes": {"PI": None, "IMiD": None, "anti-CD38": None},
    "relapsed_or_refractory": None,
    "progressed_on_last": None,
    "prior_bcma_car_t": None,
}


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize(
    ("name", "data", "lang"),
    [("cn", JOURNEY_CN, "zh-Hans"), ("us", JOURNEY_US, "en"), ("eu-not-sure", ALL_NOT_SURE_EU, "en")],
)
def test_the_summary_for_the_specialist_fits_two_pages_four_side_by_side(
    client: FlaskClient, name: str, data: dict[str, Any], lang: str, paper: str
) -> None:
    pytest.importorskip("weasyprint")
    import io

    from pypdf import PdfReader

    answers(client, data)
    one = client.get(f"/results/pdf?lang={lang}&paper={paper}")
    assert one.status_code == 200
    assert len(PdfReader(io.BytesIO(one.data)).pages) <= 2, (name, paper)
    second = "en" if lang != "en" else "zh-Hant"
    both = client.get(f"/results/pdf?lang={lang}&lang2={second}&paper={paper}")
    assert len(PdfReader(io.BytesIO(both.data)).pages) <= 4, (name, paper, "bilingual")
