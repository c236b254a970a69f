"""Hostile and malformed input (issue 11): every case answers 4xx with a clear, translated message, nothing is
written to the database, and no payload comes back unescaped."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import SavedSummary

from .test_patient import TYPICAL, token

XSS = "<script>alert(1)</script>"
SQL = "US'; DROP TABLE saved_summary;--"
OK_API = {"region": "US", "prior_lines": 3, "drugs": ["bortezomib"], "relapsed_or_refractory": True}

# (name, body as bytes or JSON-able, content type, expected status)
API_CASES: list[tuple[str, Any, str, int]] = [
    ("region of the wrong type", {"region": 5}, "application/json", 400),
    ("region as a list", {"region": ["US"]}, "application/json", 400),
    ("region with HTML", {"region": XSS}, "application/json", 400),
    ("region with SQL", {"region": SQL}, "application/json", 400),
    ("lines as a string", {**OK_API, "prior_lines": "3"}, "application/json", 400),
    ("lines as true", {**OK_API, "prior_lines": True}, "application/json", 400),
    ("lines as 3.0", {**OK_API, "prior_lines": 3.0}, "application/json", 400),
    ("negative lines", {**OK_API, "prior_lines": -1}, "application/json", 400),
    ("huge lines", {**OK_API, "prior_lines": 10**30}, "application/json", 400),
    ("unknown drug", {**OK_API, "drugs": ["aspirin"]}, "application/json", 400),
    ("drug with HTML", {**OK_API, "drugs": [XSS]}, "application/json", 400),
    ("drug list too long", {**OK_API, "drugs": ["bortezomib"] * 101}, "application/json", 400),
    ("drugs as an object", {**OK_API, "drugs": {"bortezomib": True}}, "application/json", 400),
    ("unknown class", {**OK_API, "exposed_classes": {"BCMA": True}}, "application/json", 400),
    ("class answer as a string", {**OK_API, "exposed_classes": {"PI": "yes"}}, "application/json", 400),
    ("refractory key with HTML", {**OK_API, "refractory": {XSS: True}}, "application/json", 400),
    ("unknown key with HTML", {**OK_API, XSS: 1}, "application/json", 400),
    ("boolean as a number", {**OK_API, "adult": 1}, "application/json", 400),
    ("date with SQL", {**OK_API, "as_of": "2024-01-01' OR '1'='1"}, "application/json", 400),
    ("lang with HTML", {**OK_API, "lang": XSS}, "application/json", 400),
    ("empty body", b"", "application/json", 400),
    ("invalid UTF-8", b'{"region": "\xff\xfe"}', "application/json", 400),
    ("NaN", b'{"region": "US", "prior_lines": NaN}', "application/json", 400),
    ("duplicated key", b'{"region": "US", "region": "CN"}', "application/json", 400),
    (
        "deep nesting",
        b'{"region": "US", "drugs": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "application/json",
        400,
    ),
    ("not an object", b"[1, 2, 3]", "application/json", 400),
    ("giant body", json.dumps({"region": "US", "x": "a" * 20000}).encode(), "application/json", 413),
    ("wrong content type", json.dumps(OK_API).encode(), "text/plain", 415),
    ("form-encoded body", b"region=US", "application/x-www-form-urlencoded", 415),
]


@pytest.mark.parametrize(("name", "body", "content_type", "status"), API_CASES, ids=[c[0] for c in API_CASES])
@pytest.mark.parametrize("path", ["/api/v1/check", "/api/v1/summaries"])
def test_api_rejects_bad_input(
    app: Flask, path: str, name: str, body: Any, content_type: str, status: int
) -> None:
    if path == "/api/v1/summaries" and isinstance(body, dict):
        body = {"answers": body, "consent": True}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = app.test_client().post(
        path, data=raw, content_type=content_type, headers={"Accept-Language": "zh-HK"}
    )
    assert response.status_code == status, name
    errors = response.json["errors"]
    assert errors
    assert all(isinstance(m, str) and m for ms in errors.values() for m in ms)
    text = response.get_data(as_text=True)
    assert "<script>" not in text  # echoed ids and keys come back escaped
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SavedSummary)) == 0


def test_api_messages_are_translated(app: Flask) -> None:
    body = json.dumps({"region": XSS, "lang": "zh-Hant"})
    response = app.test_client().post("/api/v1/check", data=body, content_type="application/json")
    assert response.json["errors"]["region"] == ["此地區不在涵蓋範圍內。"]


# -- the form -----------------------------------------------------------------------------------------------------
FORM_CASES: list[tuple[str, dict[str, Any]]] = [
    ("region with HTML", {"region": XSS}),
    ("region with SQL", {"region": SQL}),
    ("unknown region", {"region": "XX"}),
    ("lines as words", {"prior_lines": "three"}),
    ("negative lines", {"prior_lines": "-5"}),
    ("huge lines", {"prior_lines": "9" * 40}),
    ("adult outside the choices", {"adult": "maybe"}),
    ("disease status with HTML", {"relapsed_or_refractory": XSS}),
    ("progression outside the choices", {"progressed_on_last": "1; DROP TABLE x"}),
    ("BCMA answer missing", {"prior_bcma_car_t": ""}),
    ("residence with HTML", {"residence": XSS}),
    ("very long value", {"region": "A" * 10000}),
    ("control characters", {"region": "US\x00\x07"}),
    ("clinician date malformed", {"clinician": "1", "as_of": "2024-02-30"}),
    ("clinician date in the future", {"clinician": "1", "as_of": "2999-01-01"}),
    ("clinician date with HTML", {"clinician": "1", "as_of": XSS}),
]


@pytest.mark.parametrize(("name", "change"), FORM_CASES, ids=[c[0] for c in FORM_CASES])
@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_form_rejects_bad_input_kindly(app: Flask, name: str, change: dict[str, Any], lang: str) -> None:
    client = app.test_client()
    client.get(f"/check?lang={lang}")
    query = "?clinician=1" if change.get("clinician") else ""
    response = client.post(f"/check{query}", data={"csrf_token": token(client), **TYPICAL, **change})
    assert response.status_code == 400, name
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html  # the NHS.UK error summary, linking to each field
    assert ("There is a problem" in html) if lang == "en" else ('<html lang="zh-Hans">' in html)
    assert XSS not in html  # escaped wherever it is shown again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SavedSummary)) == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("no CSRF token", dict(TYPICAL)),
        ("forged CSRF token", {**TYPICAL, "csrf_token": "forged"}),
    ],
)
def test_form_without_a_valid_csrf_token_keeps_the_answers(
    app: Flask, name: str, data: dict[str, Any]
) -> None:
    client = app.test_client()
    client.get("/check")
    response = client.post("/check", data=data)
    assert response.status_code == 400, name
    html = response.get_data(as_text=True)
    assert "please send the form again" in html
    # what was chosen is still there: the region (US) is still ticked
    assert re.search(r'<input[^>]*value="US"[^>]*checked|<input[^>]*checked[^>]*value="US"', html)


def test_forms_elsewhere_need_csrf(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/check/clear").status_code == 400
    # With no answers yet, a forged "see my results" goes back to the start instead of anywhere useful.
    response = client.post("/check/answers")
    assert response.status_code == 302
    assert response.headers["Location"] == "/check"


def test_bad_input_counts() -> None:
    # Issue 11 asks for at least 40 hostile or malformed inputs across the form and the API.
    assert len(API_CASES) * 2 + len(FORM_CASES) + 2 >= 40
