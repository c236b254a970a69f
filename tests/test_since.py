"""What changed since a summary was saved (issue 25, item 4): a snapshot made under older fixture rules,
compared with today's fixture rules, lists the verdicts, labels and criteria that moved."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from webapp.results.since import compare_saved, then_results

from .conftest import FIXTURE_RULES, make_app, migrate

TODAY = dt.datetime.now(dt.UTC).date()
# Two prior lines, a PI, an IMiD and an anti-CD38, refractory to lenalidomide, in the US.
ANSWERS: dict[str, Any] = {
    "region": "US",
    "adult": True,
    "relapsed_or_refractory": True,
    "prior_lines": 2,
    "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    "refractory": {"lenalidomide": True},
}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def older_rules(tmp_path: Path) -> Path:
    """The fixture rules as they were "before": another version, alpha-us-2024 asked for 3 prior lines,
    beta-us-2026-dara was not yet approved, and gamma-us-2020 had not been withdrawn."""
    root = tmp_path / "older"
    shutil.copytree(FIXTURE_RULES, root)
    _edit(root / "meta.toml", 'version = "test-1"', 'version = "test-0"')
    alpha = root / "products" / "alpha-cel.toml"
    text = alpha.read_text(encoding="utf-8")
    start = text.index('id = "alpha-us-2024"')
    alpha.write_text(
        text[:start] + text[start:].replace("min_prior_lines = 1", "min_prior_lines = 3", 1), "utf-8"
    )
    _edit(root / "products" / "beta-mab.toml", 'approved = "2026-03"', 'approved = "2099-03"')
    _edit(root / "products" / "gamma-adc.toml", 'ended = "2022-11-22"\nend_reason = "withdrawn"\n', "")
    return root


def _snapshot(app: Flask, answers: dict[str, Any] = ANSWERS) -> dict[str, Any]:
    from webapp.summaries.snapshot import build

    with app.test_request_context("/"):
        return build(answers, None, ["en", "zh-Hans"])


def _compare(app: Flask, snapshot: dict[str, Any], answers: dict[str, Any] = ANSWERS, lang: str = "en"):
    with app.test_request_context("/"):
        return compare_saved(snapshot, answers, app.extensions["engine"], TODAY, lang)


def test_a_snapshot_under_older_rules_shows_what_changed(tmp_path: Path, older_rules: Path) -> None:
    then_app = make_app(tmp_path, RULES_DIR=str(older_rules))
    now_app = make_app(tmp_path, RULES_DIR=str(FIXTURE_RULES))
    snapshot = _snapshot(then_app)
    then = then_results(snapshot)
    assert then is not None
    assert then["alpha-us-2024"].status == "not_eligible"  # the premise: 2 lines were too few then
    assert "beta-us-2026-dara" not in then
    assert "gamma-us-2020" in then

    since = _compare(now_app, snapshot)
    assert (since.then_version, since.now_version) == ("test-0", "test-1")
    assert since.then_day == TODAY
    assert not since.nothing_changed
    assert [(v.label_id, v.before, v.after) for v in since.verdicts] == [
        ("alpha-us-2024", "not_eligible", "eligible")
    ]
    assert [(c.label_id, c.criterion, c.before, c.after) for c in since.criteria] == [
        ("alpha-us-2024", "min_prior_lines", "not_met", "met")
    ]
    assert [(a.label_id, a.date) for a in since.added] == [("beta-us-2026-dara", "2026-03")]
    assert [(e.label_id, e.date, e.reason) for e in since.ended] == [
        ("gamma-us-2020", "2022-11-22", "withdrawn")
    ]


def test_nothing_changed_is_said_so(tmp_path: Path) -> None:
    app = make_app(tmp_path, RULES_DIR=str(FIXTURE_RULES))
    since = _compare(app, _snapshot(app))
    assert since.nothing_changed
    assert since.then_version == since.now_version == "test-1"


def test_the_comparison_reads_the_saved_language_and_other_shapes(tmp_path: Path, older_rules: Path) -> None:
    then_app = make_app(tmp_path, RULES_DIR=str(older_rules))
    now_app = make_app(tmp_path, RULES_DIR=str(FIXTURE_RULES))
    snapshot = _snapshot(then_app)
    zh = then_results(snapshot, "zh-Hans")
    assert zh is not None
    assert zh["alpha-us-2024"].name == "阿尔法"
    # A snapshot holding one language's result at its top level (no "langs") is read the same way.
    flat = {k: v for k, v in snapshot.items() if k != "langs"} | {
        "result": snapshot["langs"]["en"]["result"],
        "lang": "en",
    }
    assert then_results(flat) == then_results(snapshot, "en")
    since = _compare(now_app, flat)
    assert [v.label_id for v in since.verdicts] == ["alpha-us-2024"]
    # A snapshot with no results we can read claims nothing, rather than "nothing changed".
    broken = _compare(now_app, {"format": 99, "rules_version": "x"})
    assert broken.unreadable
    assert not broken.nothing_changed


def test_the_saved_summary_page_lists_the_changes_without_touching_the_session(
    tmp_path: Path, older_rules: Path
) -> None:
    from webapp.summaries import store

    then_app = make_app(tmp_path, RULES_DIR=str(older_rules))
    migrate(then_app)
    snapshot = _snapshot(then_app)
    with then_app.app_context():
        token, _row = store.create(ANSWERS, snapshot, "en", snapshot["rules_version"], 30)
    now_app = make_app(tmp_path, RULES_DIR=str(FIXTURE_RULES))
    client = now_app.test_client()
    response = client.get(f"/s/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    section = page[page.index('id="since-saved"') :]
    section = section[: section.index("</section>")]
    assert "rules version test-0" in section
    assert "rules version test-1" in section
    assert 'data-since="verdicts"' in section
    assert 'data-label="alpha-us-2024"' in section
    assert "was “Does not match”, now “Matches”" in section
    assert 'data-since="added"' in section
    assert 'data-label="beta-us-2026-dara"' in section
    assert 'data-since="ended"' in section
    assert "withdrawn or lapsed on November 22, 2022" in section
    assert 'data-criterion="min_prior_lines"' in section
    # The session is not touched: no answers are loaded (the page's forms only add their CSRF token).
    with client.session_transaction() as sess:
        assert "answers" not in sess
        assert set(sess) <= {"csrf_token", "_fresh"}
    zh = client.get(f"/s/{token}?lang=zh-Hans").get_data(as_text=True)
    assert "阿尔法" in zh[zh.index('id="since-saved"') :]


def test_the_page_says_when_nothing_changed(tmp_path: Path) -> None:
    from webapp.summaries import store

    app = make_app(tmp_path, RULES_DIR=str(FIXTURE_RULES))
    migrate(app)
    snapshot = _snapshot(app)
    with app.app_context():
        token, _row = store.create(ANSWERS, snapshot, "en", snapshot["rules_version"], 30)
    page = app.test_client().get(f"/s/{token}").get_data(as_text=True)
    assert 'data-since="nothing"' in page
