"""Patients see citations, never maintainers' notes (issue 20 item 3): pages, print views, PDFs and the API of
several journeys in three languages hold none of the remark phrases and none of the first 8 words of any
maintainers' note in rules/."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.eligibility import load_rules

from .conftest import REAL_RULES, make_app, migrate

RULES = load_rules(REAL_RULES)
PHRASES = (
    "NOT retrieved",
    "(not read)",
    "machine-translated",
    "indication as announced",
    "truncated as printed",
    "labels.json",
    "shared/",
    "reference/",
    "research notes",
    "Research notes",
    "verified_note",
)
JOURNEYS: dict[str, dict[str, Any]] = {
    "cn-3-lines": {
        "region": "CN",
        "adult": True,
        "prior_lines": 3,
        "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
        "relapsed_or_refractory": True,
        "progressed_on_last": True,
    },
    "hk-caregiver": {"region": "HK", "relapsed_or_refractory": True},
    "jp-4-lines": {
        "region": "JP",
        "adult": True,
        "prior_lines": 4,
        "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
        "relapsed_or_refractory": True,
        "progressed_on_last": True,
        "prior_bcma_car_t": False,
    },
    "us-traveller-to-cn": {
        "region": "CN",
        "residence": "US",
        "adult": True,
        "prior_lines": 1,
        "drugs": ["bortezomib", "lenalidomide", "dexamethasone"],
        "refractory": {"lenalidomide": True},
        "relapsed_or_refractory": True,
        "progressed_on_last": True,
    },
    "eu-not-sure": {"region": "EU"},
}
LANGS = ("en", "zh-Hans", "zh-Hant")


def _notes() -> set[str]:
    """The first 8 words of every maintainers' note (labels, practice facts, medicines) long enough to say."""
    texts: list[str] = []
    for label in RULES.labels.values():
        texts += [label.source.verified_note, label.source.notes]
        if label.strictest:
            texts.append(label.strictest.reason)
    p = RULES.practice
    for fact in (*p.caveats, *p.costs, *p.evidence, *p.availability, *p.steps, *p.coverage, *p.routes):
        texts.append(fact.source.verified_note)
    for drug in RULES.drugs.values():
        texts.append(drug.note)
        texts += [s.verified_note for s in drug.sources]
    for product in RULES.products.values():
        texts.append(product.name_note)
    out = set()
    for text in texts:
        words = (text or "").split()
        if len(words) >= 8:
            out.add(" ".join(words[:8]))
    return out


NOTES = _notes()


def _visible(html: str) -> str:
    """Text a person or a screen reader meets: tags dropped, entities as text, white space folded."""
    import html as html_lib

    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html_lib.unescape(text).split())


def _leaks(text: str) -> list[str]:
    folded = " ".join(text.split())
    found = [p for p in PHRASES if p in folded]
    found += [n for n in NOTES if n in folded]
    return found


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    application = make_app(tmp_path)
    migrate(application)
    return application


def _start(client: FlaskClient, answers: dict[str, Any]) -> None:
    with client.session_transaction() as sess:
        sess["answers"] = dict(answers)


def _label_ids(client: FlaskClient, answers: dict[str, Any], lang: str) -> list[str]:
    body = {k: v for k, v in answers.items()}
    response = client.post("/api/v1/check", json={**body, "lang": lang})
    assert response.status_code == 200
    data = response.get_json()
    return [r["label_id"] for r in data["results"]]


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
@pytest.mark.parametrize("lang", LANGS)
def test_patient_pages_hold_no_maintainers_notes(app: Flask, journey: str, lang: str) -> None:
    client = app.test_client()
    answers = JOURNEYS[journey]
    _start(client, answers)
    pages = {"/results": client.get(f"/results?lang={lang}")}
    for label_id in _label_ids(client, answers, lang):
        pages[f"/results/{label_id}"] = client.get(f"/results/{label_id}?lang={lang}")
    pages["/results/print"] = client.get(f"/results/print?lang={lang}")
    leaks = {}
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        found = _leaks(_visible(html)) + _leaks(
            " ".join(re.findall(r'(?:aria-label|title|alt)="([^"]*)"', html))
        )
        if found:
            leaks[path] = found
    assert not leaks, leaks


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_the_check_api_with_practice_holds_no_maintainers_notes(client: FlaskClient, journey: str) -> None:
    for lang in LANGS:
        response = client.post(
            "/api/v1/check", json={**JOURNEYS[journey], "lang": lang, "include": ["practice"]}
        )
        assert response.status_code == 200
        text = json.dumps(response.get_json(), ensure_ascii=False)
        assert "verified_note" not in text
        assert _leaks(text) == [], (lang, _leaks(text))


def test_a_saved_summary_and_its_pdf_hold_no_maintainers_notes(app: Flask) -> None:
    pypdf = pytest.importorskip("pypdf")
    client = app.test_client()
    _start(client, JOURNEYS["cn-3-lines"])
    page = client.get("/save").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page)
    data = {"consent": "y"}
    if csrf:
        data["csrf_token"] = csrf[1] or csrf[2]
    response = client.post("/save", data=data)
    assert response.status_code == 303
    token = response.headers["Location"].rsplit("/", 1)[1]
    for lang in LANGS:
        for path in (f"/s/{token}", f"/s/{token}/print"):
            html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
            assert _leaks(_visible(html)) == [], (path, lang)
    pdf = client.get(f"/s/{token}/pdf?lang=zh-Hans")
    if pdf.status_code == 503:
        pytest.skip("PDF rendering is not available on this machine")
    assert pdf.status_code == 200
    text = " ".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert _leaks(text) == []


def test_the_note_list_is_not_empty_and_can_catch_a_leak() -> None:
    assert len(NOTES) > 50
    some_note = sorted(NOTES)[0]
    assert _leaks(f"<p>{some_note}</p>") == [some_note]
    assert _leaks("as reported by the company (translated)") == []
