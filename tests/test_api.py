"""JSON API v1 (design brief section 4): every rule, every error code and its order, and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import flask
import jsonschema
import pytest
from flask.sessions import NullSession
from openapi_spec_validator import validate

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
        (("eligible", "possible", "not_eligible").index(r["status"]), r["product"], r["label_id"])
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
    assert lines == {**lines, "met": True, "answer": 2, "threshold": 1, "outcome": "met"}
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
    ],
)
def test_400_for_a_body_that_is_not_a_json_object(client, raw: bytes) -> None:
    response = post(client, raw)
    assert response.status_code == 400
    assert list(response.json["errors"]) == ["_body"]


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
        else:
            assert sorted(response.json["errors"]) == sorted(expect["error_fields"]), name
        assert schema  # the documented schema exists for that status
