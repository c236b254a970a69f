"""JSON API v1 (design brief section 4): every rule, every error code and its order, and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import flask
import jsonschema
import pytest
from flask import Flask
from flask.sessions import NullSession
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from webapp.eligibility import STATUSES
from webapp.i18n import LANGUAGES, use_locale
from webapp.results.schema import FIELDS
from webapp.results.serialize import practice_view, result_data

from .conftest import make_app, migrate

CHECK = "/api/v1/check"
OK = {
    "region": "CN",
    "prior_lines": 3,
    "drugs": ["bortezomib", "lenalidomide"],
    "relapsed_or_refractory": True,
    "adult": True,
}


def post(client, body: Any, content_type: str = "application/json", **kw: Any):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(CHECK, data=data, content_type=content_type, **kw)


# -- the check itself ---------------------------------------------------------------------------------------------
def test_issue_example_lists_the_mainland_china_car_t_products(client) -> None:
    response = post(client, OK)
    assert response.status_code == 200
    body = response.json
    eligible = {r["product"] for r in body["results"] if r["status"] == "eligible"}
    # NMPA labels: eque-cel (2023-06-30), zevor-cel (2024-02-23), cilta-cel (2024-08-27): ≥3 lines, PI + IMiD.
    assert {"equecabtagene-autoleucel", "zevorcabtagene-autoleucel", "ciltacabtagene-autoleucel"} <= eligible
    # teclistamab and elranatamab also need an anti-CD38 antibody, which is not in the list.
    not_eligible = {r["product"] for r in body["results"] if r["status"] == "not_eligible"}
    assert {"teclistamab", "elranatamab"} <= not_eligible
    assert body["as_of"] == dt.datetime.now(dt.UTC).date().isoformat()  # defaults to today (UTC), echoed
    assert body["rules_version"]
    assert body["warnings"] == []


def test_one_entry_per_label_in_the_documented_order(client) -> None:
    body = post(
        client,
        {
            "region": "EU",
            "prior_lines": 1,
            "drugs": ["lenalidomide", "bortezomib"],
            "adult": True,
            "relapsed_or_refractory": True,
            "as_of": "2026-01-01",
        },
    ).json
    keys = [
        (
            ("eligible", "possible", "not_checked", "not_eligible").index(r["status"]),
            r["product"],
            r["label_id"],
        )
        for r in body["results"]
    ]
    assert keys == sorted(keys)
    blenrep = [r for r in body["results"] if r["product"] == "belantamab-mafodotin"]
    assert len(blenrep) == 2  # two combination regimens in force: two entries
    assert {tuple(r["regimen"]) for r in blenrep} == {
        ("bortezomib", "dexamethasone"),
        ("pomalidomide", "dexamethasone"),
    }


def test_criteria_and_decided_by(client) -> None:
    body = post(client, {"region": "US", "as_of": "2025-01-01", "prior_lines": 2, "adult": True}).json
    cilta = next(r for r in body["results"] if r["label_id"] == "cilta-cel-us-2024")
    assert cilta["status"] == "possible"
    assert "relapsed_or_refractory" in cilta["decided_by"]
    assert "refractory.lenalidomide" in cilta["decided_by"]
    lines = next(c for c in cilta["criteria"] if c["id"] == "min_prior_lines")
    assert lines == {**lines, "met": True, "answer": 2, "threshold": 1}
    assert "at least 1 prior line of therapy" in lines["text"]
    ide = next(r for r in body["results"] if r["label_id"] == "ide-cel-us-2024")
    assert next(c for c in ide["criteria"] if c["id"] == "exposed:anti-CD38")["met"] is None


def test_approved_elsewhere_with_statuses(client) -> None:
    body = post(client, {**OK, "as_of": "2025-06-01"}).json
    elsewhere = {
        e["product"]: {r["region"]: r["status"] for r in e["regions"]} for e in body["approved_elsewhere"]
    }
    assert "idecabtagene-vicleucel" in elsewhere  # no NMPA approval
    assert "CN" not in elsewhere["idecabtagene-vicleucel"]
    assert elsewhere["idecabtagene-vicleucel"]["US"] == "not_eligible"  # the 2024 US label asks for anti-CD38
    assert "ciltacabtagene-autoleucel" not in elsewhere  # it has a label in force here


def test_contradiction_warning(client) -> None:
    body = post(client, {"region": "US", "drugs": ["bortezomib"], "exposed_classes": {"PI": False}}).json
    assert [w["code"] for w in body["warnings"]] == ["drug_contradicts_class"]
    assert "bortezomib" in body["warnings"][0]["text"]


@pytest.mark.parametrize(
    ("lang", "code", "sample"),
    [
        ("en", "en", "proteasome inhibitor"),
        ("zh-Hans", "zh-Hans", "蛋白酶体抑制剂"),
        ("zh", "zh-Hans", "蛋白酶体抑制剂"),
        ("zh-CN", "zh-Hans", "蛋白酶体抑制剂"),
        ("zh-SG", "zh-Hans", "蛋白酶体抑制剂"),
        ("zh_Hans", "zh-Hans", "蛋白酶体抑制剂"),
        ("zh-Hant", "zh-Hant", "蛋白酶體抑制劑"),
        ("zh-TW", "zh-Hant", "蛋白酶體抑制劑"),
        ("zh-HK", "zh-Hant", "蛋白酶體抑制劑"),
        ("zh-MO", "zh-Hant", "蛋白酶體抑制劑"),
        ("zh_Hant", "zh-Hant", "蛋白酶體抑制劑"),
    ],
)
def test_lang_codes_and_aliases_choose_every_text(client, lang: str, code: str, sample: str) -> None:
    body = post(client, {**OK, "lang": lang}).json
    assert body["lang"] == code
    texts = " ".join(c["text"] for r in body["results"] for c in r["criteria"])
    assert sample in texts
    if code != "en":
        assert "You told us" not in texts


def test_unknown_lang_is_a_400(client) -> None:
    response = post(client, {**OK, "lang": "fr"})
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"lang"}


# -- as_of -------------------------------------------------------------------------------------------------------------
def test_as_of_is_echoed_and_used(client) -> None:
    body = post(client, {**OK, "as_of": "2024-01-01"}).json
    assert body["as_of"] == "2024-01-01"
    assert "ciltacabtagene-autoleucel" not in {
        r["product"] for r in body["results"]
    }  # CN approval 2024-08-27


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2000-01-01", True),
        ("1999-12-31", False),
        ("2025-02-30", False),
        ("2025-1-1", False),
        ("yesterday", False),
        (20250101, False),
        # date.fromisoformat takes these; the API takes only YYYY-MM-DD.
        ("2020-W01-1", False),
        ("20200101", False),
        ("2020-1-1", False),
        ("2020-01-01x", False),
        ("2020-01-01T00:00", False),
        ("２０２０-０１-０１", False),  # full-width digits
        (" 2020-01-01", False),
    ],
)
def test_as_of_bounds_and_format(client, value: Any, ok: bool) -> None:
    response = post(client, {"region": "US", "as_of": value})
    assert response.status_code == (200 if ok else 400)
    if not ok:
        assert set(response.json["errors"]) == {"as_of"}


def test_a_future_as_of_is_a_400(client) -> None:
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    response = post(client, {"region": "US", "as_of": tomorrow.isoformat()})
    assert response.status_code == 400
    assert response.json["errors"]["as_of"] == ["The date cannot be in the future."]


# -- field errors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"region"}),
        ({"region": "XX"}, {"region"}),
        ({"region": "us"}, {"region"}),
        ({"region": "US", "name": "Jane"}, {"name"}),
        ({"region": "US", "prior_lines": True}, {"prior_lines"}),
        ({"region": "US", "prior_lines": 3.0}, {"prior_lines"}),
        ({"region": "US", "prior_lines": -1}, {"prior_lines"}),
        ({"region": "US", "prior_lines": 31}, {"prior_lines"}),
        ({"region": "US", "prior_lines": "3"}, {"prior_lines"}),
        ({"region": "US", "drugs": ["bortezomib", "lenalidomide", "aspirin"]}, {"drugs.2"}),
        ({"region": "US", "drugs": [None]}, {"drugs.0"}),
        ({"region": "US", "drugs": "bortezomib"}, {"drugs"}),
        ({"region": "US", "exposed_classes": {"PI": True, "BCMA": True}}, {"exposed_classes.BCMA"}),
        ({"region": "US", "exposed_classes": {"PI": "yes"}}, {"exposed_classes.PI"}),
        ({"region": "US", "refractory": {"lenalidomide": 1}}, {"refractory.lenalidomide"}),
        ({"region": "US", "refractory": {"aspirin": True}}, {"refractory.aspirin"}),
        ({"region": "US", "refractory": []}, {"refractory"}),
        ({"region": "US", "adult": "yes"}, {"adult"}),
        ({"region": "US", "residence": "Singapore"}, {"residence"}),
        ({"region": "US", "as_of": "2024-13-01"}, {"as_of"}),
        ({"region": "XX", "prior_lines": 3.0, "foo": 1}, {"region", "prior_lines", "foo"}),
        ({"region": "US", "include": "practice"}, {"include"}),
        ({"region": "US", "include": ["practice", "everything"]}, {"include.1"}),
        ({"region": "US", "include": [None]}, {"include.0"}),
    ],
)
def test_field_errors(client, body: dict[str, Any], fields: set[str]) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert set(response.json["errors"]) == fields
    for messages in response.json["errors"].values():
        assert messages
        assert all(isinstance(m, str) and m for m in messages)


def test_only_region_is_required_and_null_means_unknown(client) -> None:
    body = {
        "region": "US",
        **dict.fromkeys(
            [
                "residence",
                "adult",
                "prior_lines",
                "drugs",
                "exposed_classes",
                "refractory",
                "relapsed_or_refractory",
                "progressed_on_last",
                "prior_bcma_car_t",
                "as_of",
                "lang",
                "include",
            ]
        ),
    }
    response = post(client, body)
    assert response.status_code == 200
    assert all(r["status"] == "possible" for r in response.json["results"])


def test_residence_may_be_any_country(client) -> None:
    assert post(client, {**OK, "residence": "SG"}).json["residence"] == "SG"


def test_field_errors_are_translated(client) -> None:
    response = post(client, {"region": "XX", "lang": "zh-Hant"})
    assert response.json["errors"]["region"] == ["此地區不在涵蓋範圍內。"]


# -- body errors and their order: 413, then 415, then 400 for the body, then fields ----------------------------------------
def test_413_for_a_body_over_16_kib_even_with_the_wrong_type(client) -> None:
    big = json.dumps({"region": "US", "pad": "x" * 17000})
    assert post(client, big).status_code == 413
    assert post(client, big, content_type="text/plain").status_code == 413


def test_16_kib_exactly_is_not_too_large(client) -> None:
    base = json.dumps({"region": "US", "pad": ""})
    body = json.dumps({"region": "US", "pad": "x" * (16 * 1024 - len(base))})
    assert len(body.encode()) == 16 * 1024
    response = post(client, body)
    assert response.status_code == 400  # read and parsed: the unknown field is reported, not the size
    assert set(response.json["errors"]) == {"pad"}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""]
)
def test_415_before_body_errors(client, content_type: str) -> None:
    response = post(client, b"{not json", content_type=content_type)
    assert response.status_code == 415
    assert "_body" in response.json["errors"]


def test_json_with_a_charset_is_accepted(client) -> None:
    assert post(client, OK, content_type="application/json; charset=utf-8").status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe{}",  # not UTF-8
        b'{"region": "US",',  # not JSON
        b'{"region": "US", "prior_lines": NaN}',
        b'{"region": "US", "prior_lines": Infinity}',
        b'{"region": "US", "region": "CN"}',  # duplicate key
        b'["region", "US"]',  # not an object
        b'"US"',
        b"",
        b"null",
        b"[" * 5000 + b"]" * 5000,  # deep nesting
        b'{"\\ud800": 1}',  # a lone surrogate in a key
        b'{"region": "\\udfff"}',  # in a string
        b'{"region": "US", "drugs": ["bortezomib", "\\ud83d"]}',  # nested
        b'{"region": "US", "x": {"y": ["\\ud800\\ud800"]}}',
    ],
)
def test_400_for_a_body_that_is_not_a_json_object(client, raw: bytes) -> None:
    response = post(client, raw)
    assert response.status_code == 400
    assert list(response.json["errors"]) == ["_body"]


@pytest.mark.parametrize("path", [CHECK, "/api/v1/summaries"])
def test_a_lone_surrogate_key_is_a_400_under_body_on_both_post_routes(client, path: str) -> None:
    response = client.post(path, data=b'{"\\ud800":1}', content_type="application/json")
    assert response.status_code == 400
    assert list(response.json["errors"]) == ["_body"]


def test_a_surrogate_pair_is_an_ordinary_character(client) -> None:
    response = post(client, b'{"region": "US", "\\ud83d\\ude00": 1}')
    assert response.status_code == 400
    assert list(response.json["errors"]) == ["\U0001f600"]  # an unknown field, not an unreadable body


def test_body_errors_come_before_field_errors(client) -> None:
    response = post(client, b'{"region": "XX", "region": "YY"}')
    assert list(response.json["errors"]) == ["_body"]


def test_no_cookies_and_no_csrf_token_needed(app) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client(use_cookies=False)
    response = post(client, OK)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_session_cookie_sent_along_is_not_read_or_renewed(app) -> None:
    """The API takes no cookies: a browser that has a session cookie for the site gets the same answer, and
    the response neither sets a cookie nor varies on one (so a shared cache may keep it)."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["answers"] = {"region": "CN"}
    response = post(client, OK)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert response.json == post(app.test_client(use_cookies=False), OK).json
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = f"{name}={client.get_cookie(name).value}"
    with app.test_request_context(CHECK, method="POST", headers={"Cookie": cookie}):
        assert isinstance(flask.session, NullSession)  # not even decoded
    with app.test_request_context("/", headers={"Cookie": cookie}):
        assert not isinstance(flask.session, NullSession)


def test_wrong_method_is_json_not_html(client) -> None:
    response = client.get(CHECK)
    assert response.status_code == 405
    assert response.is_json


# -- reference data -----------------------------------------------------------------------------------------------------
def test_labels_export_is_the_full_data_set(client, real_engine) -> None:
    body = client.get("/api/v1/labels").json
    labels = [lb for p in body["products"] for lb in p["labels"]]
    assert {lb["id"] for lb in labels} == set(real_engine.rules.labels)
    cilta = next(lb for lb in labels if lb["id"] == "cilta-cel-us-2024")
    assert cilta["criteria"]["refractory"] == ["lenalidomide"]
    assert cilta["source"]["checked"]
    assert cilta["state"] == "in_force"


def test_regions_and_drugs(client) -> None:
    regions = client.get("/api/v1/regions?lang=zh-Hans").json["regions"]
    assert [r["id"] for r in regions] == ["US", "EU", "GB", "CN", "HK", "MO", "JP", "CA"]
    assert regions[3]["name"] == "中国内地"
    drugs = client.get("/api/v1/drugs").json
    assert {c["id"] for c in drugs["classes"]} == {"PI", "IMiD", "anti-CD38"}
    ids = {d["id"] for d in drugs["drugs"]}
    assert {"bortezomib", "carfilzomib", "ixazomib", "lenalidomide", "daratumumab", "isatuximab"} <= ids
    assert client.get("/api/v1/drugs?lang=xx").status_code == 400


def test_drugs_list_the_medicines_patients_report(client) -> None:
    """Issue 23.5: the BCMA CAR-T and bispecific from trials, the CELMoDs and common older or supportive drugs."""
    drugs = {d["id"]: d for d in client.get("/api/v1/drugs").json["drugs"]}
    new = {
        "anitocabtagene-autoleucel",
        "iberdomide",
        "mezigdomide",
        "etentamig",
        "zoledronic-acid",
        "denosumab",
        "vincristine",
        "carmustine",
    }
    assert new <= set(drugs)
    # CELMoDs are not counted as immunomodulatory drugs until a clinician decides otherwise
    assert drugs["iberdomide"]["class"] is None
    assert drugs["mezigdomide"]["class"] is None
    assert drugs["anitocabtagene-autoleucel"]["group"] == "car-t"
    assert drugs["etentamig"]["group"] == "bispecific"


def test_a_trial_bcma_car_t_excludes_the_japanese_car_t_labels(client) -> None:
    """Issue 23 'done when': Japan, 3 prior lines (bortezomib, lenalidomide, daratumumab) and anito-cel."""
    body = post(
        client,
        {
            "region": "JP",
            "prior_lines": 3,
            "drugs": ["bortezomib", "lenalidomide", "daratumumab", "anitocabtagene-autoleucel"],
            "adult": True,
            "relapsed_or_refractory": True,
        },
    ).json
    for product in ("ciltacabtagene-autoleucel", "idecabtagene-vicleucel"):
        results = [r for r in body["results"] if r["product"] == product]
        assert results, product
        for result in results:
            assert result["status"] == "not_eligible", (product, result["label_id"])
            bcma = next(c for c in result["criteria"] if c["id"] == "no_prior_bcma_car_t")
            assert bcma["met"] is False, (product, result["label_id"])


# -- OpenAPI -------------------------------------------------------------------------------------------------------------
def test_openapi_document_is_valid(client) -> None:
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert set(doc["paths"]) >= {"/api/v1/check", "/api/v1/labels", "/api/v1/regions", "/api/v1/drugs"}


def test_every_documented_example_answers_as_documented(client) -> None:
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/check"]["post"]
    request_schema = doc["components"]["schemas"]["CheckRequest"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    assert len(examples) >= 3
    for name, example in examples.items():
        expect = example["x-expect"]
        response = post(client, example["value"])
        assert response.status_code == expect["status"], name
        documented = op["responses"][str(expect["status"])]["content"]["application/json"]["schema"]
        schema = {**documented, "components": doc["components"]}
        resolver_doc = {"$ref": documented["$ref"]} if "$ref" in documented else documented
        jsonschema.validate(response.json, {**resolver_doc, "components": doc["components"]})
        if expect["status"] == 200:
            jsonschema.validate(example["value"], {**request_schema, "components": doc["components"]})
            body = response.json
            assert all("practice" in r for r in body["results"]) is bool(expect.get("practice")), name
            assert body.get("at_home", {}).get("region") == expect.get("at_home"), name
            statuses = {r["label_id"]: r["status"] for r in body["results"]}
            assert all(statuses[lid] == "not_checked" for lid in expect.get("not_checked", ())), name
        else:
            assert sorted(response.json["errors"]) == sorted(expect["error_fields"]), name
        assert schema  # the documented schema exists for that status


def test_the_not_checked_example_is_a_valid_result(client) -> None:
    doc = client.get("/api/v1/openapi.json").json
    result = doc["components"]["schemas"]["LabelResult"]
    examples = result["examples"]
    assert [e["status"] for e in examples] == ["not_checked"]
    for example in examples:
        jsonschema.validate(
            example, {"$ref": "#/components/schemas/LabelResult", "components": doc["components"]}
        )


def test_the_practice_operation_answers_its_documented_example(client) -> None:
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/labels/{label_id}/practice"]["get"]
    params = {p["name"]: p["example"] for p in op["parameters"] if "example" in p}
    label = params.pop("label_id")
    response = client.get(f"/api/v1/labels/{label}/practice", query_string=params)
    assert response.status_code == 200
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json, {**schema, "components": doc["components"]})
    assert response.json["practice"]["access_steps"]


def test_every_check_answer_matches_the_lean_schema(client) -> None:
    doc = client.get("/api/v1/openapi.json").json
    schema = {"$ref": "#/components/schemas/CheckResponse", "components": doc["components"]}
    for body in (
        US_4_LINES,
        {**US_4_LINES, "include": ["practice"], "residence": "TH"},
        {"region": "CN", "residence": "US", "include": ["practice"], "lang": "zh-Hans"},
        {"region": "EU", "drugs": ["bortezomib"], "exposed_classes": {"PI": False}},
    ):
        jsonschema.validate(post(client, body).json, schema)


# -- the lean answer (issue 22) -------------------------------------------------------------------------------------------
US_4_LINES = {"region": "US", "prior_lines": 4, "adult": True, "relapsed_or_refractory": True}
RESULT_KEYS = {
    "label_id",
    "product",
    "region",
    "regimen",
    "approved",
    "ended",
    "indication_held",
    "status",
    "criteria",
    "decided_by",
    "citation",
}


def test_the_default_answer_is_lean(client) -> None:
    body = post(client, US_4_LINES).json
    assert set(body) == {
        "region",
        "residence",
        "as_of",
        "rules_version",
        "warnings",
        "results",
        "approved_elsewhere",
        "lang",
    }
    assert body["results"]
    for r in body["results"]:
        assert set(r) == RESULT_KEYS, r["label_id"]
        assert r["region"] == "US"
        assert r["status"] in STATUSES
        assert isinstance(r["indication_held"], bool)
        assert set(r["citation"]) == {"document", "issuer", "date", "urls", "checked"}
        assert r["citation"]["document"]
        assert all(u.startswith(("https://", "http://")) for u in r["citation"]["urls"])
        for c in r["criteria"]:
            assert {"id", "met", "text"} <= set(c) <= {"id", "met", "text", "answer", "threshold", "note"}
            assert c["met"] in (True, False, None)


def test_the_default_answer_for_a_us_patient_with_4_prior_lines_is_at_most_30_kb(client) -> None:
    for lang in LANGUAGES:
        response = post(client, {**US_4_LINES, "lang": lang})
        assert response.status_code == 200
        assert len(response.get_data()) <= 30 * 1024, lang
    # and the practice content is what made it large: it comes only on request
    full = post(client, {**US_4_LINES, "include": ["practice"]})
    assert len(full.get_data()) > 2 * len(post(client, US_4_LINES).get_data())


def test_include_practice_adds_each_labels_practice_sections(client) -> None:
    lean = post(client, US_4_LINES).json
    full = post(client, {**US_4_LINES, "include": ["practice"]}).json
    assert [r["label_id"] for r in full["results"]] == [r["label_id"] for r in lean["results"]]
    for short, long in zip(lean["results"], full["results"], strict=True):
        assert {k: v for k, v in long.items() if k != "practice"} == short
        assert set(long["practice"]) == {"caveats", "cost", "access_steps", "evidence", "availability"}
    assert any(r["practice"]["caveats"] for r in full["results"])


def _no_key(data: Any, keys: set[str]) -> bool:
    if isinstance(data, dict):
        return not (keys & set(data)) and all(_no_key(v, keys) for v in data.values())
    if isinstance(data, list):
        return all(_no_key(v, keys) for v in data)
    return True


def test_the_check_never_holds_maintainers_notes(client) -> None:
    maintainers = {"verified_note", "notes", "reviewed_by", "reviewed_on"}
    for body in (
        {**US_4_LINES, "include": ["practice"]},
        {"region": "CN", "residence": "GB", "prior_lines": 4, "include": ["practice"]},
        {"region": "HK", "residence": "TH", "include": ["practice"], "lang": "zh-Hant"},
    ):
        assert _no_key(post(client, body).json, maintainers), body


def test_the_practice_sections_are_those_the_pages_show(app: Flask, client) -> None:
    """One definition: the check's practice, the practice operation and the results page's data agree."""
    answers = {"region": "CN", "residence": "SG", "prior_lines": 4, "as_of": "2025-06-01", "lang": "zh-Hans"}
    full = post(client, {**answers, "include": ["practice"]}).json
    engine = app.extensions["engine"]
    with app.test_request_context("/"), use_locale(LANGUAGES["zh-Hans"]):
        from webapp.results.schema import parse_check

        req, _ = parse_check(answers, engine.rules, dt.date.today())
        assert req is not None
        pages = result_data(engine, engine.evaluate(req.answers, "CN", req.as_of), "SG")
        for r in full["results"]:
            label = engine.rules.labels[r["label_id"]]
            assert r["practice"] == practice_view(engine.rules, label, req.as_of, "SG")
            page = next(p for p in pages["results"] if p["label_id"] == r["label_id"])
            assert r["practice"] == {k: page[k] for k in r["practice"]}
    for r in full["results"]:
        one = client.get(
            f"/api/v1/labels/{r['label_id']}/practice?as_of=2025-06-01&residence=SG&lang=zh-Hans"
        ).json
        assert one["practice"] == r["practice"]
        assert (one["label_id"], one["as_of"], one["residence"], one["lang"]) == (
            r["label_id"],
            "2025-06-01",
            "SG",
            "zh-Hans",
        )
        assert one["rules_version"] == full["rules_version"]


def test_the_practice_operation_checks_its_query(client) -> None:
    label = "cilta-cel-us-2024"
    assert client.get(f"/api/v1/labels/{label}/practice").status_code == 200
    assert (
        client.get(f"/api/v1/labels/{label}/practice").json["as_of"]
        == dt.datetime.now(dt.UTC).date().isoformat()
    )
    assert client.get("/api/v1/labels/no-such-label/practice").status_code == 404
    for query, field in (
        ("as_of=2020-W01-1", "as_of"),
        ("as_of=20200101", "as_of"),
        ("as_of=1999-12-31", "as_of"),
        ("as_of=2999-01-01", "as_of"),
        ("residence=Singapore", "residence"),
        ("lang=fr", "lang"),
    ):
        response = client.get(f"/api/v1/labels/{label}/practice?{query}")
        assert response.status_code == 400, query
        assert list(response.json["errors"]) == [field], query
    # Living abroad adds the travel pathway; living there does not.
    home = client.get(f"/api/v1/labels/{label}/practice?residence=US").json["practice"]
    abroad = client.get(f"/api/v1/labels/{label}/practice?residence=SG").json["practice"]
    assert {s["section"] for s in abroad["access_steps"]} - {s["section"] for s in home["access_steps"]}


def test_at_home_for_a_traveller(client) -> None:
    """Issue 22: residence US, region CN: the US labels for the same answers, cilta-cel a match."""
    body = post(
        client,
        {
            "region": "CN",
            "residence": "US",
            "adult": True,
            "relapsed_or_refractory": True,
            "prior_lines": 3,
            "drugs": ["bortezomib", "lenalidomide"],
            "refractory": {"lenalidomide": True},
            "progressed_on_last": True,
        },
    ).json
    assert body["region"] == "CN"
    assert body["at_home"]["region"] == "US"
    assert set(body["at_home"]) == {"region", "results"}
    statuses = {r["label_id"]: r["status"] for r in body["at_home"]["results"]}
    assert statuses["cilta-cel-us-2024"] == "eligible"
    assert all(set(r) == RESULT_KEYS and r["region"] == "US" for r in body["at_home"]["results"])
    assert all(r["region"] == "CN" for r in body["results"])


@pytest.mark.parametrize("residence", [None, "CN", "SG", "TH"])
def test_no_at_home_unless_the_residence_is_another_covered_region(client, residence: str | None) -> None:
    assert "at_home" not in post(client, {**OK, "residence": residence}).json


def test_indication_held_on_every_label_and_result(client) -> None:
    labels = client.get("/api/v1/labels").json
    every = [lb for p in labels["products"] for lb in p["labels"]]
    assert every
    assert all(isinstance(lb["indication_held"], bool) for lb in every)
    body = post(client, {"region": "EU"}).json
    assert all(isinstance(r["indication_held"], bool) for r in body["results"])
    # A label whose wording is not held is never screened.
    for r in body["results"]:
        if not r["indication_held"]:
            assert r["status"] == "not_checked"
            assert r["criteria"] == []


def test_statuses_are_ordered_with_not_checked_before_not_eligible() -> None:
    assert STATUSES == ("eligible", "possible", "not_checked", "not_eligible")


# -- arbitrary JSON never makes a 5xx -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    application = make_app(tmp_path_factory.mktemp("fuzz"))
    migrate(application)
    return application


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)  # surrogates included
JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.integers().map(lambda n: n * 10**300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | ANY_TEXT
    | st.sampled_from(["US", "CN", "bortezomib", "PI", "2024-01-01", "practice", "zh-HK"])
)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT | st.sampled_from(FIELDS), inner, max_size=4)
    ),
    max_leaves=20,
)
CHECK_LIKE = st.dictionaries(st.sampled_from(FIELDS) | ANY_TEXT, ANY_JSON, max_size=8)


def _raw_bodies() -> st.SearchStrategy[bytes]:
    def dump(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=True).encode()

    deep = st.integers(min_value=1, max_value=3000).map(lambda n: ("[" * n + "]" * n).encode())
    deep_object = st.integers(min_value=1, max_value=3000).map(
        lambda n: ('{"a":' * n + "1" + "}" * n).encode()
    )
    huge_number = st.integers(min_value=1, max_value=6000).map(
        lambda n: b'{"region": "US", "prior_lines": 1' + b"0" * n + b"}"
    )
    return (
        CHECK_LIKE.map(dump)
        | st.fixed_dictionaries({"answers": CHECK_LIKE, "consent": ANY_JSON, "lang": ANY_JSON}).map(dump)
        | ANY_JSON.map(dump)
        | deep
        | deep_object
        | huge_number
        | st.binary(max_size=64)
    )


def post_routes(app: Flask) -> list[str]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()):
            routes.append(rule.rule.replace("<token>", "A" * 43).replace("<label_id>", "cilta-cel-us-2024"))
    return sorted(set(routes))


def test_the_fuzz_covers_the_api_post_routes(fuzz_app: Flask) -> None:
    assert {CHECK, "/api/v1/summaries"} <= set(post_routes(fuzz_app))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(body=_raw_bodies(), data=st.data())
def test_arbitrary_json_to_any_post_route_is_never_a_5xx(
    fuzz_app: Flask, body: bytes, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(post_routes(fuzz_app)))
    response = fuzz_app.test_client().post(path, data=body, content_type="application/json")
    assert response.status_code < 500, (path, body[:200], response.get_data()[:300])
    if path.startswith("/api/") and response.status_code == 400:
        assert response.json["errors"]


def test_a_label_whose_wording_is_not_held_is_not_checked_and_documented(tmp_path) -> None:
    """The fixture rules hold one such label (beta-eu-2025): its example in the document replays as stated."""
    from .conftest import FIXTURE_RULES

    app = make_app(tmp_path, RULES_DIR=str(FIXTURE_RULES))
    client = app.test_client()
    body = post(client, {"region": "EU", "prior_lines": 4, "adult": True, "as_of": "2025-06-01"}).json
    beta = next(r for r in body["results"] if r["label_id"] == "beta-eu-2025")
    assert (beta["status"], beta["indication_held"], beta["criteria"], beta["decided_by"]) == (
        "not_checked",
        False,
        [],
        [],
    )
    ranks = [STATUSES.index(r["status"]) for r in body["results"]]
    assert ranks == sorted(ranks)
    doc = client.get("/api/v1/openapi.json").json
    example = doc["paths"]["/api/v1/check"]["post"]["requestBody"]["content"]["application/json"]["examples"][
        "wording_not_held"
    ]
    assert example["x-expect"]["not_checked"] == ["beta-eu-2025"]
    got = post(client, example["value"]).json
    assert {r["label_id"]: r["status"] for r in got["results"]}["beta-eu-2025"] == "not_checked"
    jsonschema.validate(got, {"$ref": "#/components/schemas/CheckResponse", "components": doc["components"]})
