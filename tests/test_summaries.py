"""Saved summaries (issue 9): consent, tokens, expiry and purge, delete, snapshot stability, the API, and
what happens while the database is down. Every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import func, select

from webapp.eligibility import Engine
from webapp.extensions import db
from webapp.models import SavedSummary
from webapp.results.openapi import assemble
from webapp.summaries import store
from webapp.summaries.openapi_paths import openapi_paths

from .conftest import make_app, migrate

# Four earlier lines with a PI, an IMiD and an anti-CD38 antibody, progressing, in mainland China:
# cilta-cel's Chinese label (西达基奥仑赛) matches every criterion.
ANSWERS = {
    "region": "CN",
    "adult": True,
    "prior_lines": 4,
    "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    "relapsed_or_refractory": True,
    "progressed_on_last": True,
}
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
CSRF_RE = re.compile(
    r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"|<input[^>]*\bvalue="([^"]+)"[^>]*\bname="csrf_token"'
)
SAVE_FAILED = "We could not save your summary. Your results are still here."


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match[1] or match[2]


@dataclasses.dataclass
class Env:
    app: Flask
    client: FlaskClient

    def set_answers(self, answers: dict[str, Any] | None = None) -> None:
        with self.client.session_transaction() as sess:
            sess["answers"] = dict(answers or ANSWERS)

    def csrf(self, path: str = "/save") -> str:
        return csrf_of(self.client.get(path).get_data(as_text=True))

    def save(self) -> str:
        """Save the session's results through the form, with consent; returns the token from the redirect."""
        response = self.client.post("/save", data={"consent": "y", "csrf_token": self.csrf()})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        token = response.headers["Location"].rsplit("/", 1)[1]
        assert TOKEN_RE.fullmatch(token)
        return token

    def rows(self) -> list[SavedSummary]:
        with self.app.app_context():
            rows = list(db.session.execute(select(SavedSummary)).scalars())
            db.session.expunge_all()
            return rows

    def count(self) -> int:
        with self.app.app_context():
            return int(db.session.execute(select(func.count()).select_from(SavedSummary)).scalar_one())


@pytest.fixture
def env(tmp_path: Path, db_url: tuple[str, dict[str, Any]]) -> Iterator[Env]:
    """An app with CSRF on, migrated, on a fresh SQLite database and a fresh PostgreSQL schema."""
    url, options = db_url
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    migrate(app)
    yield Env(app, app.test_client())
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # before the fixture drops the PostgreSQL schema


def _down_app(tmp_path: Path, kind: str) -> Flask:
    # Nothing listens on port 1, and SQLite cannot create a file in a folder that does not exist.
    url = (
        f"sqlite:///{tmp_path / 'missing-folder' / 'app.db'}"
        if kind == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/maa"
    )
    return make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)


# ---- Consent ------------------------------------------------------------------------------------------


def test_the_save_page_says_what_is_kept_for_how_long_and_who_can_open_it(env: Env) -> None:
    env.set_answers()
    html = env.client.get("/save").get_data(as_text=True)
    assert 'type="checkbox" id="consent" name="consent" value="y"' in html
    assert "30 days" in html
    assert "Anyone who has the link can see the saved results" in html
    assert "never ask for your name or contact details" in html
    assert 'action="/save"' in html


def test_saving_requires_consent(env: Env) -> None:
    env.set_answers()
    token = env.csrf()
    for form in ({}, {"consent": ""}, {"consent": "no"}, {"consent": "on"}):
        response = env.client.post("/save", data={**form, "csrf_token": token})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, form
        assert 'class="error-summary"' in html
        assert 'href="#consent"' in html
        assert "Tick the box to agree" in html
    assert env.count() == 0


def test_saving_without_a_csrf_token_stores_nothing(env: Env) -> None:
    env.set_answers()
    response = env.client.post("/save", data={"consent": "y"})
    assert response.status_code == 400
    assert "please send the form again" in response.get_data(as_text=True)
    assert env.count() == 0


def test_saving_without_answers_goes_back_to_the_form(env: Env) -> None:
    csrf = env.csrf("/check")
    response = env.client.post("/save", data={"consent": "y", "csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/check")
    assert env.count() == 0


def test_saving_with_consent_stores_the_answers_and_a_snapshot_in_three_languages(env: Env) -> None:
    env.set_answers()
    token = env.save()
    [row] = env.rows()
    assert row.answers == ANSWERS
    assert row.lang == "en"
    assert row.rules_version == env.app.extensions["engine"].rules.version
    assert set(row.result["langs"]) == {"en", "zh-Hans", "zh-Hant"}
    names = {
        lang: [r["name"] for r in part["result"]["results"]] for lang, part in row.result["langs"].items()
    }
    assert any("西达基奥仑赛" in n for n in names["zh-Hans"])
    assert any("西達基奧侖賽" in n for n in names["zh-Hant"])
    assert any("ciltacabtagene" in n for n in names["en"])
    assert store.aware(row.expires_at) - store.aware(row.created_at) == dt.timedelta(days=30)

    # The first view shows the link to keep; later views do not repeat the banner.
    first = env.client.get(f"/s/{token}").get_data(as_text=True)
    assert "Your results are saved" in first
    assert f"http://127.0.0.1:5000/s/{token}" in first
    again = env.client.get(f"/s/{token}")
    assert again.status_code == 200
    assert "Your results are saved" not in again.get_data(as_text=True)


def test_a_saved_summary_opens_in_each_language_from_its_snapshot(env: Env) -> None:
    env.set_answers()
    token = env.save()
    for lang, name in (
        ("en", "Ciltacabtagene autoleucel"),
        ("zh-Hans", "西达基奥仑赛"),
        ("zh-Hant", "西達基奧侖賽"),
    ):
        html = env.client.get(f"/s/{token}?lang={lang}").get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert name in html
        assert '<meta name="robots" content="noindex, nofollow">' in html
        # Each therapy links to its detail page under the saved summary, rendered from the snapshot.
        links = re.findall(rf'href="(/s/{token}/[a-z0-9-]+-(?:cn|us|eu)-[^"]+)"', html)
        assert links
        detail = env.client.get(links[0] + f"?lang={lang}")
        assert detail.status_code == 200
        assert "How was this decided?" in detail.get_data(as_text=True) or lang != "en"
    assert env.client.get(f"/s/{token}/no-such-label").status_code == 404


def test_a_place_not_covered_can_be_saved_too(env: Env) -> None:
    env.set_answers({"region": "none", "adult": True, "prior_lines": 4, "relapsed_or_refractory": True})
    token = env.save()
    [row] = env.rows()
    assert row.result["region"] is None
    assert row.result["langs"]["en"]["elsewhere"]
    html = env.client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert "Each treatment and where it is approved" in html
    assert "therapy-" not in html  # no region, so no therapy cards: where each one is approved instead
    api = env.client.get(f"/api/v1/summaries/{token}").json
    assert api["result"]["region"] is None
    assert api["answers"]["region"] == "none"


def test_the_expiry_follows_the_configuration(tmp_path: Path) -> None:
    app = make_app(tmp_path, SUMMARY_DAYS=7)
    migrate(app)
    env = Env(app, app.test_client())
    env.set_answers()
    env.save()
    [row] = env.rows()
    assert store.aware(row.expires_at) - store.aware(row.created_at) == dt.timedelta(days=7)


# ---- Tokens -------------------------------------------------------------------------------------------


def test_tokens_are_random_256_bit_urlsafe_and_only_their_digest_is_stored(env: Env) -> None:
    with env.app.test_request_context():
        tokens = [store.create(ANSWERS, {"langs": {}}, "en", "v", 30)[0] for _ in range(40)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert TOKEN_RE.fullmatch(token)
        assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits from secrets
    stored = {row.token for row in env.rows()}
    assert not stored & set(tokens), "the table must not hold a working token"
    assert stored == {store.token_digest(t) for t in tokens}
    # The characters are spread out: a sequential or patterned generator would fail this.
    alphabet = set("".join(tokens))
    assert len(alphabet) > 55


def test_no_sequential_id_opens_a_summary(env: Env) -> None:
    env.set_answers()
    token = env.save()
    [row] = env.rows()
    for guess in (str(row.id), "1", "0", row.token, token[:-1], token + "A", token.upper()):
        if guess == token:
            continue
        assert env.client.get(f"/s/{guess}").status_code == 404, guess
        assert env.client.get(f"/api/v1/summaries/{guess}").status_code == 404, guess
    assert env.client.get(f"/s/{token}").status_code == 200


def test_unknown_tokens_answer_404_everywhere(env: Env) -> None:
    unknown = store.new_token()
    for path in (f"/s/{unknown}", f"/s/{unknown}/print", f"/s/{unknown}/pdf", f"/s/{unknown}/recheck"):
        response = env.client.get(path)
        assert response.status_code == 404, path
        assert "This saved summary is not available" in response.get_data(as_text=True)
    api = env.client.get(f"/api/v1/summaries/{unknown}")
    assert api.status_code == 404
    assert "errors" in api.json
    assert env.client.delete(f"/api/v1/summaries/{unknown}").status_code == 404
    csrf = env.csrf("/check")
    assert env.client.post(f"/s/{unknown}/delete", data={"csrf_token": csrf}).status_code == 404


# ---- Expiry and purge ----------------------------------------------------------------------------------


def test_expired_summaries_are_gone_before_and_after_purge(env: Env) -> None:
    now = dt.datetime.now(dt.UTC)
    with env.app.test_request_context():
        old, _ = store.create(ANSWERS, {"langs": {}}, "en", "v", 30, now=now - dt.timedelta(days=31))
        edge, _ = store.create(
            ANSWERS, {"langs": {}}, "en", "v", 30, now=now - dt.timedelta(days=30, seconds=5)
        )
    env.set_answers()
    live = env.save()
    assert env.count() == 3

    for token in (old, edge):
        assert env.client.get(f"/s/{token}").status_code == 404
        assert env.client.get(f"/api/v1/summaries/{token}").status_code == 404
        assert env.client.delete(f"/api/v1/summaries/{token}").status_code == 404
    assert env.client.get(f"/s/{live}").status_code == 200

    runner = env.app.test_cli_runner()
    first = runner.invoke(args=["summaries", "purge"])
    assert first.exit_code == 0, first.output
    assert "Deleted 2 expired saved summaries." in first.output
    assert env.count() == 1
    # Safe to run again (cron): nothing more to delete, no error.
    second = runner.invoke(args=["summaries", "purge"])
    assert second.exit_code == 0
    assert "Deleted 0 expired saved summaries." in second.output
    assert env.client.get(f"/s/{live}").status_code == 200


def test_purge_with_a_later_clock_deletes_what_has_expired_by_then(env: Env) -> None:
    env.set_answers()
    env.save()
    with env.app.app_context():
        assert store.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=29)) == 0
        assert store.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30, minutes=1)) == 1
    assert env.count() == 0


# ---- Delete -------------------------------------------------------------------------------------------


def test_the_owner_can_delete_a_summary_after_confirming_with_a_csrf_token(env: Env) -> None:
    env.set_answers()
    token = env.save()
    page = env.client.get(f"/s/{token}").get_data(as_text=True)
    assert f'href="/s/{token}/delete"' in page  # the summary links to the question, it does not delete

    asked = env.client.get(f"/s/{token}/delete")
    assert asked.status_code == 200
    question = asked.get_data(as_text=True)
    assert "Are you sure you want to delete this summary?" in question
    assert f'action="/s/{token}/delete"' in question
    assert f'href="/s/{token}"' in question  # "No, keep it"
    assert env.count() == 1  # asking changes nothing
    csrf = csrf_of(question)

    forged = env.client.post(f"/s/{token}/delete", data={"confirm": "yes"})
    assert forged.status_code == 400
    assert env.count() == 1

    unconfirmed = env.client.post(f"/s/{token}/delete", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["Location"].endswith(f"/s/{token}/delete")
    assert env.count() == 1

    response = env.client.post(f"/s/{token}/delete", data={"csrf_token": csrf, "confirm": "yes"})
    assert response.status_code == 200
    assert "The saved summary has been deleted" in response.get_data(as_text=True)
    assert env.count() == 0
    assert env.client.get(f"/s/{token}").status_code == 404
    assert env.client.get(f"/s/{token}/delete").status_code == 404
    assert (
        env.client.post(f"/s/{token}/delete", data={"csrf_token": csrf, "confirm": "yes"}).status_code == 404
    )


# ---- Snapshot stability ---------------------------------------------------------------------------------


def _changed_rules_engine(app: Flask) -> Engine:
    """The same labels under a new rules version, where every label now comes out 'does not match'."""
    old = app.extensions["engine"]
    new = Engine(dataclasses.replace(old.rules, version="2099.01.01"))
    evaluate = new.evaluate

    def changed(answers: Any, region: Any, as_of: dt.date) -> Any:
        result = evaluate(answers, region, as_of)
        return dataclasses.replace(
            result, results=tuple(r._replace(status="not_eligible") for r in result.results)
        )

    new.evaluate = changed  # type: ignore[method-assign]
    return new


def test_a_rules_change_does_not_alter_a_saved_summary(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.set_answers()
    token = env.save()
    before_api = env.client.get(f"/api/v1/summaries/{token}?lang=zh-Hans").json
    before_page = env.client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    old_version = env.app.extensions["engine"].rules.version
    assert 'class="therapy therapy--eligible"' in before_page

    monkeypatch.setitem(env.app.extensions, "engine", _changed_rules_engine(env.app))
    # Today's rules give another answer for the same person...
    today = env.client.get("/results?lang=en").get_data(as_text=True)
    assert 'class="therapy therapy--eligible"' not in today
    assert "2099.01.01" in today

    # ...but the saved summary is the one that was saved, and says which rules it used.
    assert env.client.get(f"/api/v1/summaries/{token}?lang=zh-Hans").json == before_api
    after_page = env.client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert 'class="therapy therapy--eligible"' in after_page
    assert f"with rules version {old_version}" in after_page
    assert "The label rules have changed since then. They are now version 2099.01.01." in after_page
    print_page = env.client.get(f"/s/{token}/print?lang=en").get_data(as_text=True)
    assert old_version in print_page
    assert "2099.01.01" not in print_page
    assert "all criteria of the label met" in print_page

    # The offer to check again (a form: a POST with a CSRF token) loads the saved answers (as of today) into
    # this browser's session.
    response = env.client.post(f"/s/{token}/recheck", data={"csrf_token": env.csrf(f"/s/{token}")})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/results")
    with env.client.session_transaction() as sess:
        assert sess["answers"] == ANSWERS
        assert "check_form" not in sess


def test_recheck_drops_the_saved_date_so_it_uses_today(env: Env) -> None:
    answers = {**ANSWERS, "as_of": "2025-06-01"}
    env.set_answers(answers)
    token = env.save()
    [row] = env.rows()
    assert row.result["as_of"] == "2025-06-01"
    env.client.post(f"/s/{token}/recheck", data={"csrf_token": env.csrf(f"/s/{token}")})
    with env.client.session_transaction() as sess:
        assert sess["answers"] == ANSWERS


def test_recheck_by_get_or_without_csrf_changes_nothing(env: Env) -> None:
    """A link or a form on another site cannot replace someone's answers with a saved summary's (issue 24)."""
    env.set_answers()
    token = env.save()
    mine = {**ANSWERS, "region": "US", "prior_lines": 1}
    env.set_answers(mine)
    response = env.client.get(f"/s/{token}/recheck")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{token}")
    assert env.client.post(f"/s/{token}/recheck").status_code == 400  # no CSRF token
    with env.client.session_transaction() as sess:
        assert sess["answers"] == mine
    page = env.client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert re.search(rf'<form method="post" action="/s/{token}/recheck"', page)


# ---- Database down ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_saving_while_the_database_is_down_is_a_503_and_the_results_still_work(
    tmp_path: Path, kind: str
) -> None:
    app = _down_app(tmp_path, kind)
    env = Env(app, app.test_client())
    env.set_answers()
    assert env.client.get("/results").status_code == 200

    response = env.client.post("/save", data={"consent": "y", "csrf_token": env.csrf()})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert SAVE_FAILED in html
    assert 'href="/results"' in html
    assert 'href="/results/print"' in html

    # Nothing was lost: the results and their print view still work without the database.
    assert env.client.get("/results").status_code == 200
    assert env.client.get("/results/print").status_code == 200
    with env.client.session_transaction() as sess:
        assert sess["answers"] == ANSWERS

    token = store.new_token()
    assert env.client.get(f"/s/{token}").status_code == 503
    assert env.client.get(f"/s/{token}/print").status_code == 503
    assert env.client.post(f"/s/{token}/delete", data={"csrf_token": env.csrf()}).status_code == 503
    api = env.client.post("/api/v1/summaries", json={"answers": ANSWERS, "consent": True})
    assert api.status_code == 503
    assert list(api.json["errors"]) == ["_request"]
    assert env.client.get(f"/api/v1/summaries/{token}").status_code == 503
    assert env.client.delete(f"/api/v1/summaries/{token}").status_code == 503
    purge = app.test_cli_runner().invoke(args=["summaries", "purge"])
    assert purge.exit_code == 1
    assert "Could not reach the database" in purge.output


def test_the_save_failure_message_is_translated(tmp_path: Path) -> None:
    app = _down_app(tmp_path, "sqlite")
    env = Env(app, app.test_client())
    env.set_answers()
    response = env.client.post("/save?lang=zh-Hans", data={"consent": "y", "csrf_token": env.csrf()})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "<h1>" in html
    # Through gettext: the catalog's text once translated, the English until then (never a crash).
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_Hans"):
        assert gettext(SAVE_FAILED) in html


# ---- The JSON API -------------------------------------------------------------------------------------


def test_api_creates_reads_and_deletes_a_summary(env: Env) -> None:
    response = env.client.post(
        "/api/v1/summaries", json={"answers": ANSWERS, "consent": True, "lang": "zh-Hans"}
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"token", "url", "expires", "expires_at"}
    token = body["token"]
    assert TOKEN_RE.fullmatch(token)
    assert body["url"] == f"/s/{token}"
    assert response.headers["Location"] == f"/api/v1/summaries/{token}"
    expected = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date()
    assert dt.date.fromisoformat(body["expires"]) in {expected, expected - dt.timedelta(days=1)}

    got = env.client.get(f"/api/v1/summaries/{token}")
    assert got.status_code == 200
    data = got.json
    assert data["answers"] == ANSWERS
    assert data["lang"] == "zh-Hans"  # the language it was saved in, unless ?lang= asks for another
    assert data["result"]["region"] == "CN"
    assert data["result"]["lang"] == "zh-Hans"
    assert "ciltacabtagene-autoleucel" in {r["product"] for r in data["result"]["results"]}
    english = env.client.get(f"/api/v1/summaries/{token}?lang=en").json
    assert english["result"]["lang"] == "en"
    assert [r["label_id"] for r in english["result"]["results"]] == [
        r["label_id"] for r in data["result"]["results"]
    ]
    # The lean shape of the check, in the language asked for.
    texts = [[c["text"] for r in d["result"]["results"] for c in r["criteria"]] for d in (data, english)]
    assert texts[0] != texts[1]
    assert "practice" not in data["result"]["results"][0]
    assert env.client.get(f"/api/v1/summaries/{token}?lang=fr").status_code == 400

    # The HTML page works for a summary made through the API.
    assert env.client.get(body["url"]).status_code == 200

    deleted = env.client.delete(f"/api/v1/summaries/{token}")
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert env.client.get(f"/api/v1/summaries/{token}").status_code == 404
    assert env.client.delete(f"/api/v1/summaries/{token}").status_code == 404
    assert env.count() == 0


def test_api_requires_consent_and_valid_answers(env: Env) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"answers": ANSWERS}, ["consent"]),
        ({"answers": ANSWERS, "consent": False}, ["consent"]),
        ({"answers": ANSWERS, "consent": "yes"}, ["consent"]),
        ({"consent": True}, ["answers"]),
        ({"answers": [], "consent": True}, ["answers"]),
        (
            {"answers": {"prior_lines": 3.0, "drugs": ["bortezomib", "aspirin"]}, "consent": True},
            ["answers.region", "answers.prior_lines", "answers.drugs.1"],
        ),
        # Nothing identifying can be sent: there is no free-text field at any level.
        (
            {"answers": {**ANSWERS, "name": "Jane"}, "consent": True, "note": "call me"},
            ["answers.name", "note"],
        ),
        ({"answers": ANSWERS, "consent": True, "lang": "fr"}, ["lang"]),
    ]
    for body, fields in cases:
        response = env.client.post("/api/v1/summaries", json=body)
        assert response.status_code == 400, body
        assert sorted(response.json["errors"]) == sorted(fields), body
    assert env.count() == 0


def test_api_errors_come_in_the_order_of_the_check_endpoint(env: Env) -> None:
    big = json.dumps({"answers": ANSWERS, "consent": True, "pad": "x" * 17000})
    assert env.client.post("/api/v1/summaries", data=big, content_type="application/json").status_code == 413
    assert env.client.post("/api/v1/summaries", data=big, content_type="text/plain").status_code == 413
    wrong_type = env.client.post("/api/v1/summaries", data="{}", content_type="text/plain")
    assert wrong_type.status_code == 415
    for raw in (b"{", b'{"consent": true, "consent": true}', b"[]", b"\xff", b'{"consent": NaN}'):
        response = env.client.post("/api/v1/summaries", data=raw, content_type="application/json")
        assert response.status_code == 400, raw
        assert list(response.json["errors"]) == ["_body"], raw
    zh = env.client.post("/api/v1/summaries", json={"answers": ANSWERS, "lang": "zh-Hans"})
    assert zh.status_code == 400
    assert list(zh.json["errors"]) == ["consent"]
    assert env.count() == 0


def test_api_needs_no_cookie_or_csrf_token(env: Env) -> None:
    assert env.app.config.get("WTF_CSRF_ENABLED", True) is True
    fresh = env.app.test_client(use_cookies=False)
    response = fresh.post("/api/v1/summaries", json={"answers": ANSWERS, "consent": True})
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert fresh.delete(f"/api/v1/summaries/{response.json['token']}").status_code == 204


def test_openapi_paths_are_valid_and_their_examples_hold(env: Env) -> None:
    doc = assemble(env.app, env.app.extensions["engine"].rules)
    paths = openapi_paths()
    assert set(paths) == {"/api/v1/summaries", "/api/v1/summaries/{token}"}
    assert all(doc["paths"][path] == item for path, item in paths.items())
    validate(doc)
    post = paths["/api/v1/summaries"]["post"]
    get_schema = paths["/api/v1/summaries/{token}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert len(examples) >= 3
    for name, example in examples.items():
        expect = example["x-expect"]
        response = env.client.post("/api/v1/summaries", json=example["value"])
        assert response.status_code == expect["status"], name
        schema = post["responses"][str(expect["status"])]["content"]["application/json"]["schema"]
        jsonschema.validate(response.json, {**schema, "components": doc["components"]})
        if expect["status"] != 201:
            assert sorted(response.json["errors"]) == sorted(expect["error_fields"]), name
        else:
            got = env.client.get(f"/api/v1/summaries/{response.json['token']}")
            jsonschema.validate(got.json, {**get_schema, "components": doc["components"]})
    # A summary saved from the web form for a place not covered has no region: documented too.
    env.set_answers({"region": "none", "prior_lines": 2})
    token = env.save()
    jsonschema.validate(
        env.client.get(f"/api/v1/summaries/{token}").json, {**get_schema, "components": doc["components"]}
    )
