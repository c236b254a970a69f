"""Medicine search by kind (issue 20 item 6): "CAR-T", "双抗", "bispecific" or a class name finds its medicines."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from webapp.eligibility import load_rules

from .conftest import REAL_RULES

RULES = load_rules(REAL_RULES)


def _search_strings(client: FlaskClient) -> dict[str, str]:
    page = client.get("/check").get_data(as_text=True)
    items = re.findall(r'data-search="([^"]*)".*?value="([a-z0-9-]+)"', page, flags=re.S)
    return {drug: search for search, drug in items}


@pytest.mark.parametrize(
    ("query", "group"),
    [
        ("car-t", "car-t"),
        ("双抗", "bispecific"),
        ("雙抗", "bispecific"),
        ("bispecific", "bispecific"),
        ("adc", "adc"),
        ("proteasome inhibitor", "PI"),
        ("蛋白酶体抑制剂", "PI"),
        ("免疫调节", "IMiD"),
        ("cd38", "anti-CD38"),
    ],
)
def test_a_kind_word_finds_every_medicine_of_that_kind(client: FlaskClient, query: str, group: str) -> None:
    searches = _search_strings(client)
    members = [d.id for d in RULES.drugs.values() if d.group == group]
    assert members, group
    found = {drug for drug, text in searches.items() if query.lower() in text}
    assert set(members) <= found, sorted(set(members) - found)
    if group in ("car-t", "bispecific", "adc"):  # the product kinds' words find nothing else
        assert {RULES.drugs[d].group for d in found} == {group}


def test_bcma_finds_bcma_directed_medicines_only(client: FlaskClient) -> None:
    searches = _search_strings(client)
    found = {drug for drug, text in searches.items() if "bcma" in text}
    assert found == {d.id for d in RULES.drugs.values() if d.bcma_directed}
