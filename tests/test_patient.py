"""The patient journey through the Flask test client (issue 8): the form, errors, check your answers, results,
and the mapping from what a person ticks to the answers the engine reads."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from itertools import islice, product
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from webapp.eligibility import Answers, Engine
from webapp.eligibility.engine import MET, NOT_MET, _Facts
from webapp.results.answers import parse_answers
from webapp.results.form_state import (
    CLASS_NONE,
    CLASS_UNSURE,
    HAD_OTHER,
    NO,
    TRI_VALUES,
    UNSURE,
    YES,
    answers_from_state,
    class_groups,
    drug_level_targets,
    group_field,
    refractory_field,
    state_from_answers,
    top_lines,
)
from webapp.results.schema import FIELDS, parse_check

from .conftest import make_app, migrate

TODAY = dt.datetime.now(dt.UTC).date()
# A person treated in the US who lives in Singapore: 3 lines, Velcade (did not get worse), Revlimid (got worse),
# not sure about anti-CD38.
TYPICAL: dict[str, Any] = {
    "region": "US",
    "residence": "SG",
    "adult": "yes",
    "relapsed_or_refractory": "yes",
    "prior_lines": "3",
    "drugs_PI": ["bortezomib"],
    "refr_bortezomib": "no",
    "drugs_IMiD": ["lenalidomide"],
    "refr_lenalidomide": "yes",
    "drugs_anti_CD38": ["_unsure"],
    "progressed_on_last": "unsure",
    "prior_bcma_car_t": "no",
}
TYPICAL_ANSWERS = {
    "region": "US",
    "residence": "SG",
    "adult": True,
    "relapsed_or_refractory": True,
    "prior_lines": 3,
    "drugs": ["bortezomib", "lenalidomide"],
    "exposed_classes": {"anti-CD38": None},
    "refractory": {"bortezomib": False, "lenalidomide": True},
    "progressed_on_last": None,
    "prior_bcma_car_t": False,
}
REQUIRED = [
    "region",
    "adult",
    "relapsed_or_refractory",
    "prior_lines",
    "drugs_PI",
    "drugs_IMiD",
    "drugs_anti_CD38",
    "progressed_on_last",
    "prior_bcma_car_t",
]


# -- helpers ------------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """The parts of a page the tests read: element ids, labels, form inputs and links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"] or "")
        if tag in ("input", "select", "textarea"):
            self.inputs.append({"tag": tag, **a})
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")

    def checked(self) -> set[str]:
        return {i["id"] or "" for i in self.inputs if "checked" in i}


def token(client: FlaskClient, path: str = "/check") -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def submit(client: FlaskClient, data: dict[str, Any], path: str = "/check") -> Any:
    return client.post(path, data={"csrf_token": token(client), **data})


def error_anchors(html: str) -> list[str]:
    summary = html[html.index('class="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    return re.findall(r'<a href="#([^"]+)">', summary)


def complete(client: FlaskClient, data: dict[str, Any] = TYPICAL) -> str:
    """Form, check your answers, results: returns the results page."""
    assert submit(client, data).status_code == 303
    response = client.post("/check/answers", data={"csrf_token": token(client, "/check/answers")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/results"
    result = client.get("/results")
    assert result.status_code == 200
    return result.get_data(as_text=True)


def session_answers(client: FlaskClient) -> dict[str, Any]:
    with client.session_transaction() as s:
        return dict(s["answers"])


# -- the form ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_form_in_each_language_has_a_label_for_every_input(client: FlaskClient, lang: str) -> None:
    response = client.get(f"/check?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    page = Page(html)
    visible = [i for i in page.inputs if i.get("type") != "hidden"]
    assert len(visible) > 80
    unlabelled = [i["id"] for i in visible if i.get("id") not in page.label_for]
    assert unlabelled == []
    # Every question the error summary or a "Change" link can point at exists as an id.
    for anchor in [*REQUIRED, "residence", "drugs", "refr_bortezomib", "refr_PI"]:
        assert anchor in page.ids, anchor
    assert "novalidate" in html
    assert "as_of" not in page.ids  # the clinician date only appears in clinician mode


def test_the_lines_question_explains_a_line_and_its_top_choice_is_safe(
    client: FlaskClient, real_engine: Engine
) -> None:
    html = client.get("/check?lang=en").get_data(as_text=True)
    assert "stem cell transplant and the maintenance medicine after it together count as one line" in html
    assert "because the myeloma got worse or came back" in html
    top = top_lines(real_engine.rules)
    assert f"{top} or more" in html
    # "N or more" is stored as N: faithful only if no label can tell N from more than N.
    for label in real_engine.rules.labels.values():
        c = label.criteria
        assert c.min_prior_lines is None or c.min_prior_lines <= top
        assert c.max_prior_lines is None or c.max_prior_lines < top


def test_an_empty_form_lists_every_question_in_page_order(client: FlaskClient) -> None:
    response = submit(client, {})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error_anchors(html) == REQUIRED
    assert "<title>Error:" in html
    page = Page(html)
    for field in REQUIRED:
        assert f"{field}-error" in page.ids  # the inline message
        assert f'aria-describedby="{field}-hint {field}-error"' in html or f'{field}-error"' in html
    assert 'role="alert"' in html


def test_an_error_keeps_everything_typed(client: FlaskClient) -> None:
    data = {**TYPICAL, "adult": "", "drugs_IMiD": ["lenalidomide"], "refr_lenalidomide": ""}
    response = submit(client, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error_anchors(html) == ["adult", "refr_lenalidomide"]
    checked = Page(html).checked()
    assert {"region", "prior_lines-4", "drugs_PI", "refr_bortezomib-2", "drugs_IMiD-lenalidomide"} <= checked
    assert '<option value="SG" selected>' in html


@pytest.mark.parametrize(
    ("change", "anchor"),
    [
        ({"drugs_PI": ["_none", "bortezomib"]}, "drugs_PI"),  # "None of these" with a medicine
        ({"drugs_PI": ["_unsure", "_none"]}, "drugs_PI"),
        ({"drugs_PI": ["_other"]}, "refr_PI"),  # "I had one" needs its follow-up question
        ({"drugs_car_t": ["ciltacabtagene-autoleucel"], "prior_bcma_car_t": "no"}, "prior_bcma_car_t"),
        ({"region": "XX"}, "region"),
        ({"residence": "EU"}, "residence"),
        ({"prior_lines": "99"}, "prior_lines"),
        ({"drugs_PI": ["lenalidomide"]}, "drugs_PI"),  # a drug from another list
        ({"adult": "maybe"}, "adult"),
    ],
)
def test_contradictions_and_tampering_are_errors(
    client: FlaskClient, change: dict[str, Any], anchor: str
) -> None:
    response = submit(client, {**TYPICAL, **change})
    assert response.status_code == 400
    assert anchor in error_anchors(response.get_data(as_text=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.sampled_from(
            [*TYPICAL, "as_of", "clinician", "refr_IMiD", "drugs_other", "unknown", "csrf_token"]
        ),
        st.one_of(
            st.text(max_size=30),
            st.lists(st.text(max_size=20), max_size=4),
            st.sampled_from(
                ["yes", "no", "unsure", "_other", "_none", "US", "none", "3", "-1", "2024-02-30"]
            ),
        ),
    )
)
def test_no_answer_crashes_the_page(app: Flask, data: dict[str, Any]) -> None:
    client = app.test_client()
    response = client.post("/check?clinician=1", data={"csrf_token": token(client), **{**TYPICAL, **data}})
    assert response.status_code in (303, 400)
    if response.status_code == 303:  # whatever got through is a valid check request
        _req, _region, errors = parse_answers(session_answers(client), app.extensions["engine"].rules, TODAY)
        assert errors == {}
        assert client.get("/results").status_code == 200


def test_a_missing_csrf_token_keeps_the_answers(client: FlaskClient) -> None:
    response = client.post("/check", data=TYPICAL)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "please send the form again" in html
    assert "drugs_IMiD-lenalidomide" in Page(html).checked()


# -- answers in the session --------------------------------------------------------------------------------
def test_valid_answers_are_a_check_request(client: FlaskClient, real_engine: Engine) -> None:
    response = submit(client, TYPICAL)
    assert response.status_code == 303
    assert response.headers["Location"] == "/check/answers"
    answers = session_answers(client)
    assert answers == TYPICAL_ANSWERS
    assert set(answers) <= set(FIELDS)
    req, errors = parse_check(answers, real_engine.rules, TODAY)
    assert errors == {}
    assert req is not None


def test_check_your_answers_has_a_change_link_for_every_row(client: FlaskClient) -> None:
    submit(client, TYPICAL)
    html = client.get("/check/answers").get_data(as_text=True)
    rows = re.findall(r'<dt class="summary-list__key">([^<]+)</dt>', html)
    assert len(rows) == 14
    anchors = re.findall(r'href="/check#([^"]+)"', html)
    assert len(anchors) == len(rows)
    form = Page(client.get("/check").get_data(as_text=True))
    assert set(anchors) <= form.ids
    # The form comes back exactly as it was left.
    assert {
        "region",
        "adult",
        "drugs_PI",
        "refr_bortezomib-2",
        "drugs_IMiD-lenalidomide",
        "refr_lenalidomide",
    } <= form.checked()
    assert "lenalidomide: it got worse while on it, or within 60 days of stopping" in html
    assert "Not sure whether you have had one" in html


def test_switching_language_keeps_the_answers(client: FlaskClient) -> None:
    submit(client, TYPICAL)
    html = client.get("/check?lang=zh-Hant").get_data(as_text=True)
    assert '<html lang="zh-Hant">' in html
    assert "drugs_IMiD-lenalidomide" in Page(html).checked()
    answers_html = client.get("/check/answers?lang=zh-Hans").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in answers_html
    assert "来那度胺" in answers_html  # lenalidomide by its Chinese name


def test_switching_language_after_an_error_shows_the_errors_again(client: FlaskClient) -> None:
    submit(client, {**TYPICAL, "adult": ""})
    html = client.get("/check?lang=zh-Hans").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert error_anchors(html) == ["adult"]
    assert "drugs_PI" in Page(html).checked()


def test_pages_after_the_form_need_answers(client: FlaskClient) -> None:
    for path in ("/results", "/check/answers"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/check"


def test_answers_that_no_longer_validate_go_back_to_the_form(client: FlaskClient) -> None:
    with client.session_transaction() as s:
        s["answers"] = {**TYPICAL_ANSWERS, "drugs": ["a-drug-that-was-removed"]}
    response = client.get("/results")
    assert response.status_code == 302
    assert response.headers["Location"] == "/check"


def test_clearing_forgets_the_answers(client: FlaskClient) -> None:
    submit(client, TYPICAL)
    response = client.post("/check/clear", data={"csrf_token": token(client, "/check/answers")})
    assert response.status_code == 303
    assert "cleared" in client.get(response.headers["Location"]).get_data(as_text=True)
    with client.session_transaction() as s:
        assert "answers" not in s
        assert "check_form" not in s


# -- results -----------------------------------------------------------------------------------------------
def rows_of(html: str) -> dict[str, str]:
    """The overview's rows: link to the detail page -> the row's HTML."""
    out = {}
    for item in re.findall(r'<li class="therapy therapy--.*?</li>', html, re.S):
        out[re.search(r'href="([^"]+)"', item).group(1)] = item
    return out


def test_results_overview_answer_first_with_the_disclaimer(client: FlaskClient) -> None:
    html = complete(client)
    rows = rows_of(html)
    assert rows, "no therapy rows"
    first_row = html.index('class="therapy ')
    assert "not medical advice" in html[:first_row]  # the disclaimer comes before any result
    assert re.search(r"\d+ match(es)?, ", html[:first_row])  # the count comes first
    assert "you are eligible" not in html.lower()
    # One row per therapy: teclistamab has two US labels in force, in one row.
    assert sum("/results/teclistamab-" in link for link in rows) == 1
    for link in rows:
        assert client.get(link).status_code == 200
    assert client.get("/results/no-such-label").status_code == 404
    # The region's steps once, never per therapy; one list of questions; next steps once.
    assert html.count('id="next"') == 1


def test_a_does_not_match_row_says_why_in_plain_words(client: FlaskClient) -> None:
    html = complete(client, {**TYPICAL, "prior_lines": "2"})
    no = [r for r in rows_of(html).values() if "therapy--not_eligible" in r]
    assert any("You told us 2 earlier lines of treatment; this label asks for at least" in r for r in no)


def test_could_match_names_the_question_that_decides_it(client: FlaskClient) -> None:
    html = complete(client, {**TYPICAL, "adult": "unsure"})
    could = [r for r in rows_of(html).values() if "therapy--possible" in r]
    assert could
    assert all("Are you 18 or over?" in r for r in could)
    questions = html[html.index('id="questions"') :]
    assert questions.count("Are you 18 or over?") == 1  # one combined, de-duplicated list
    detail = client.get(next(iter(k for k, v in rows_of(html).items() if "therapy--possible" in v)))
    assert 'href="/check#adult"' in detail.get_data(as_text=True)


def test_a_detail_page_has_the_label_words_source_and_trace(client: FlaskClient) -> None:
    html = complete(client)
    link = next(k for k in rows_of(html) if "/results/cilta-cel-" in k)
    page = client.get(link).get_data(as_text=True)
    assert 'class="quote" lang="en"' in page  # the label's own words
    assert "Approved by U.S. Food and Drug Administration:" in page
    assert "How was this decided?" in page
    assert 'class="trace__table"' in page
    assert "lenalidomide" in page
    assert 'href="/results"' in page  # a clear way back


def test_not_listed_shows_every_covered_region(client: FlaskClient, real_engine: Engine) -> None:
    html = complete(client, {**TYPICAL, "region": "none", "residence": "TW"})
    assert "Where each treatment is approved" in html
    assert 'class="therapy ' not in html
    section = html[html.index('id="elsewhere"') :]
    assert section.count('class="elsewhere__item"') == len(real_engine.rules.products)
    assert "/results?region=CN" in html  # each region links to its details and travel steps
    answers = session_answers(client)
    assert answers["region"] == "none"
    req, region, errors = parse_answers(answers, real_engine.rules, TODAY)
    assert req is not None
    assert region is None
    assert errors == {}


def test_under_control_is_told_kindly_what_would_apply_later(client: FlaskClient) -> None:
    html = complete(client, {**TYPICAL, "relapsed_or_refractory": "no"})
    assert "The myeloma is under control now" in html
    assert "would match" in html
    link = next(k for k, v in rows_of(html).items() if "therapy--eligible" in v)
    page = client.get(link).get_data(as_text=True)
    assert "If the myeloma comes back, your answers would match the approved use in United States." in page
    # Without the what-if view every row would say "does not match" for the same reason.
    assert "Your answers match the approved use" not in page


def test_looking_at_another_region(client: FlaskClient) -> None:
    complete(client)
    html = client.get("/results?region=CN").get_data(as_text=True)
    assert "You are looking at Mainland China. You told us you want to be treated in United States." in html
    assert client.get("/results?region=XX").status_code == 200  # an unknown region is ignored


def test_the_save_form_and_print_link_appear_with_the_summaries_feature(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    if "summaries.save" not in app.view_functions:
        app.add_url_rule("/fake-save", endpoint="summaries.save", view_func=lambda: "", methods=["POST"])
    if "summaries.print_current" not in app.view_functions:
        app.add_url_rule("/fake-print", endpoint="summaries.print_current", view_func=lambda: "")
    migrate(app)
    client = app.test_client()
    html = complete(client)
    from flask import url_for

    with app.test_request_context():
        save, printed = url_for("summaries.save"), url_for("summaries.print_current")
    form = html[html.index(f'action="{save}"') :]
    form = form[: form.index("</form>")]
    assert 'name="consent"' in form
    assert 'name="csrf_token"' in form
    assert f'href="{printed}"' in html


def test_clinician_mode_evaluates_as_of_a_date(client: FlaskClient) -> None:
    assert 'id="as_of"' in client.get("/check?clinician=1").get_data(as_text=True)
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    for bad in (future, "1999-12-31", "31/01/2024", "2024-02-30"):
        response = client.post(
            "/check?clinician=1",
            data={"csrf_token": token(client), **TYPICAL, "clinician": "1", "as_of": bad},
        )
        assert response.status_code == 400, bad
        assert error_anchors(response.get_data(as_text=True)) == ["as_of"]
    response = client.post(
        "/check?clinician=1",
        data={"csrf_token": token(client), **TYPICAL, "clinician": "1", "as_of": "2024-01-31"},
    )
    assert response.status_code == 303
    assert session_answers(client)["as_of"] == "2024-01-31"
    html = client.get("/results").get_data(as_text=True)
    assert "These results use the labels as they were on January 31, 2024" in html


def test_as_of_is_ignored_outside_clinician_mode(client: FlaskClient) -> None:
    submit(client, {**TYPICAL, "as_of": "2024-01-31"})
    assert "as_of" not in session_answers(client)


def test_nothing_is_written_to_the_database(app: Flask) -> None:
    from webapp.extensions import db
    from webapp.models import SavedSummary

    client = app.test_client()
    complete(client)
    with app.app_context():
        assert db.session.query(SavedSummary).count() == 0


@pytest.mark.parametrize("path", ["/", "/check", "/privacy", "/accessibility", "/no-such-page"])
def test_every_page_links_privacy_accessibility_and_report(tmp_path: Path, path: str) -> None:
    app = make_app(tmp_path, CONTACT_EMAIL="labels@hospital.example")
    html = app.test_client().get(path).get_data(as_text=True)
    assert 'href="/privacy"' in html
    assert 'href="/accessibility"' in html
    assert 'href="mailto:labels@hospital.example?subject=' in html


def test_privacy_notice_says_what_is_kept_and_for_how_long(tmp_path: Path) -> None:
    app = make_app(tmp_path, SUMMARY_DAYS=14)
    html = app.test_client().get("/privacy").get_data(as_text=True)
    assert "for 14 days, then delete them" in html
    assert "deleted when you close the browser" in html
    assert "365 days" in html  # the language cookie


# -- the mapping from ticks to answers ---------------------------------------------------------------------
def _answers(state: dict[str, Any], engine: Engine) -> Answers:
    req, errors = parse_check(answers_from_state({**TYPICAL, **state}, engine.rules), engine.rules, TODAY)
    assert errors == {}
    assert req is not None
    return req.answers


def test_an_unnamed_medicine_never_becomes_a_no(real_engine: Engine) -> None:
    """IMiD 'had one, name not known' must not read as 'never had lenalidomide' (the API's complete list)."""
    assert "lenalidomide" in drug_level_targets(real_engine.rules)
    state = {"drugs_IMiD": [HAD_OTHER], "refr_IMiD": UNSURE}
    answers = answers_from_state({**TYPICAL, **state}, real_engine.rules)
    assert answers["drugs"] is None
    assert answers["exposed_classes"] == {"PI": True, "IMiD": True, "anti-CD38": None}
    assert answers["refractory"] == {"bortezomib": False, "PI": False, "IMiD": None}
    result = real_engine.evaluate(_answers(state, real_engine), "US", TODAY)
    cilta = next(r for r in result.results if r.label.id == "cilta-cel-us-2024")
    outcomes = {c.id: c.outcome for c in cilta.criteria}
    assert outcomes["refractory:lenalidomide"] is not NOT_MET
    assert cilta.status == "possible"
    assert "refractory.lenalidomide" in cilta.decided_by


def test_a_list_is_kept_when_it_is_complete_for_every_named_drug(real_engine: Engine) -> None:
    state = {"drugs_PI": ["bortezomib", HAD_OTHER], "refr_PI": YES}
    answers = answers_from_state({**TYPICAL, **state}, real_engine.rules)
    assert answers["drugs"] == ["bortezomib", "lenalidomide"]
    assert answers["exposed_classes"] == {"PI": True, "anti-CD38": None}
    # Velcade "no" is left out: with it the engine would warn that "got worse on a PI" contradicts the list.
    assert answers["refractory"] == {"lenalidomide": True, "PI": True}
    assert real_engine.evaluate(_answers(state, real_engine), "US", TODAY).warnings == ()


def test_an_unnamed_drug_not_sure_keeps_class_refractoriness_unknown(real_engine: Engine) -> None:
    """Velcade 'no' plus an unnamed PI 'not sure' is not 'never got worse on a PI'."""
    state = {"drugs_PI": ["bortezomib", HAD_OTHER], "refr_PI": UNSURE}
    answers = _answers(state, real_engine)
    assert answers.drugs == ("bortezomib", "lenalidomide")
    facts = _Facts(real_engine.rules, real_engine.class_drugs, answers)
    assert facts.refractory("PI").value == "unknown"
    assert facts.exposed("lenalidomide") is MET
    # Both "no": then it is a no.
    answers = _answers({**state, "refr_PI": NO}, real_engine)
    assert _Facts(real_engine.rules, real_engine.class_drugs, answers).refractory("PI") is NOT_MET


def test_none_and_not_sure_per_kind(real_engine: Engine) -> None:
    answers = answers_from_state(
        {**TYPICAL, "drugs_PI": [CLASS_NONE], "drugs_IMiD": [CLASS_UNSURE]}, real_engine.rules
    )
    assert answers["drugs"] is None  # lenalidomide may be among the IMiDs the person is not sure about
    assert answers["exposed_classes"] == {"PI": False, "IMiD": None, "anti-CD38": None}


def test_a_ticked_bcma_car_t_is_kept_without_a_list(real_engine: Engine) -> None:
    state = {
        "drugs_IMiD": [CLASS_UNSURE],
        "drugs_car_t": ["idecabtagene-vicleucel"],
        "prior_bcma_car_t": UNSURE,
    }
    answers = answers_from_state({**TYPICAL, **state}, real_engine.rules)
    assert answers["drugs"] is None
    assert answers["prior_bcma_car_t"] is True


@pytest.mark.parametrize(
    "state",
    [
        TYPICAL,
        {**TYPICAL, "drugs_PI": [CLASS_NONE], "drugs_anti_CD38": ["daratumumab"], "refr_daratumumab": "yes"},
        {**TYPICAL, "drugs_PI": ["bortezomib", HAD_OTHER], "refr_PI": "no", "region": "none"},
        {
            **TYPICAL,
            "drugs_other": ["melphalan"],
            "drugs_car_t": ["ciltacabtagene-autoleucel"],
            "prior_bcma_car_t": "yes",
        },
    ],
)
def test_answers_give_back_the_same_answers(real_engine: Engine, state: dict[str, Any]) -> None:
    answers = answers_from_state(state, real_engine.rules)
    assert answers["drugs"] is not None  # with a list nothing is lost going back
    assert answers_from_state(state_from_answers(answers, real_engine.rules), real_engine.rules) == answers


@st.composite
def class_answers(draw: st.DrawFn, engine: Engine) -> dict[str, Any]:
    rules = engine.rules
    state: dict[str, Any] = dict(TYPICAL)
    for c in class_groups(rules):
        drugs = rules.drugs_of_class(c)
        # The mixed cases first: hypothesis favours the start of a list, and they are where mistakes hide.
        mode = draw(st.sampled_from(["ticked+other", "other", "ticked", "unsure", "none"]))
        if mode in ("unsure", "none"):
            state[group_field(c)] = [CLASS_UNSURE if mode == "unsure" else CLASS_NONE]
            continue
        ticked = draw(
            st.lists(
                st.sampled_from(drugs),
                unique=True,
                min_size=int(mode != "other"),
                max_size=0 if mode == "other" else None,
            )
        )
        if "other" in mode:
            assume(len(ticked) < len(drugs))  # an unnamed one must be able to be one of ours
        for d in ticked:
            state[refractory_field(d)] = draw(st.sampled_from([NO, UNSURE, YES]))
        if "other" in mode:
            state[refractory_field(c)] = draw(st.sampled_from([UNSURE, NO, YES]))
        state[group_field(c)] = [*ticked, *([HAD_OTHER] if "other" in mode else [])]
    return state


def _completions(state: dict[str, Any], engine: Engine, cap: int = 150) -> list[Answers]:
    """Every complete history the person's ticks allow (what 'not sure' and 'name not known' could be)."""
    rules = engine.rules

    def values(answer: str) -> list[bool]:
        return [True, False] if answer == UNSURE else [bool(TRI_VALUES[answer])]

    per_class = []
    for c in class_groups(rules):
        chosen, drugs = state[group_field(c)], rules.drugs_of_class(c)
        if CLASS_NONE in chosen:
            per_class.append([{}])
        elif CLASS_UNSURE in chosen:
            per_class.append([{}] + [{d: v} for d in drugs for v in (True, False)])
        else:
            ticked = [d for d in chosen if d in rules.drugs]
            base = [
                dict(zip(ticked, combo, strict=True))
                for combo in product(*(values(state[refractory_field(d)]) for d in ticked))
            ]
            if HAD_OTHER in chosen:
                extra = [(d, v) for d in drugs if d not in ticked for v in values(state[refractory_field(c)])]
                base = [{**b, d: v} for b in base for d, v in extra]
            per_class.append(base)
    out = []
    for combo in islice(product(*per_class), cap):
        history = {k: v for part in combo for k, v in part.items()}
        out.append(
            Answers(
                adult=True,
                prior_lines=3,
                drugs=tuple(history),
                refractory=MappingProxyType(history),
                relapsed_or_refractory=True,
                prior_bcma_car_t=False,
            )
        )
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_mapping_never_claims_more_than_the_person_said(real_engine: Engine, data: st.DataObject) -> None:
    """Soundness: a criterion our answers call met (or not met) is met (or not met) for every history the
    person's answers allow. "Not sure" may only ever turn into "not known yet"."""
    state = data.draw(class_answers(real_engine))
    ours = _answers(state, real_engine)
    labels = list(real_engine.rules.labels.values())  # every version, in force or not: more criteria
    mine = _Facts(real_engine.rules, real_engine.class_drugs, ours)
    ours_by_label = {
        lb.id: {c.id: c.outcome for c in real_engine.evaluate_label(lb, mine).criteria} for lb in labels
    }
    for history in _completions(state, real_engine):
        facts = _Facts(real_engine.rules, real_engine.class_drugs, history)
        for lb in labels:
            for c in real_engine.evaluate_label(lb, facts).criteria:
                if not c.id.startswith(("exposed:", "refractory:")):
                    continue
                claimed = ours_by_label[lb.id][c.id]
                if claimed in (MET, NOT_MET):
                    assert c.outcome is claimed, (lb.id, c.id, state, history)


def test_amounts_and_dates_are_formatted_for_the_language(app: Flask) -> None:
    from webapp.patient.display import months, nice_date, percent, price_text

    price = {"low": 1000000, "high": 1300000, "currency": "CNY", "unit": "infusion"}
    with app.test_request_context("/?lang=en"):
        assert price_text(price) == "CN¥1,000,000 to CN¥1,300,000 per infusion"
        assert price_text({"low": 465000.5, "high": None, "currency": "USD"}) == "$465,000.50"
        assert percent(97.9) == "97.9%"
        assert months(34.9) == "34.9 months"
        assert nice_date("2025-03") == "March 2025"
        assert nice_date("2025-03-04") == "March 4, 2025"
    with app.test_request_context("/?lang=zh-Hans"):
        assert nice_date("2025-03-04") == "2025年3月4日"
        assert "¥1,000,000" in price_text(price)
