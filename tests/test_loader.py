"""The strict rules loader: each broken fixture in tests/fixtures/broken is rejected with file, entry, field."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import Result

from webapp import create_app
from webapp.eligibility import RulesError, load_rules

from .conftest import FIXTURE_RULES, REAL_RULES

BROKEN = Path(__file__).parent / "fixtures" / "broken"
FIXTURES = sorted(BROKEN.glob("*.toml"))


def _header(path: Path, key: str) -> str:
    match = re.search(rf"^# {key}: (.+)$", path.read_text(encoding="utf-8"), re.M)
    assert match, f"{path.name} lacks a '# {key}:' line"
    return match.group(1).strip()


def _broken_copy(tmp_path: Path, fixture: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(FIXTURE_RULES, root)
    shutil.copyfile(fixture, root / _header(fixture, "replaces"))
    return root


def test_there_is_a_fixture_for_each_kind_of_breakage() -> None:
    assert len(FIXTURES) >= 25


def test_the_valid_fixture_and_the_real_rules_load() -> None:
    assert len(load_rules(FIXTURE_RULES).labels) == 11
    assert len(load_rules(REAL_RULES).labels) >= 50


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_broken_fixture_is_rejected_with_file_entry_and_field(tmp_path: Path, fixture: Path) -> None:
    root = _broken_copy(tmp_path, fixture)
    with pytest.raises(RulesError) as info:
        load_rules(root)
    message = str(info.value)
    assert _header(fixture, "expect") in message
    assert message.startswith("rules/")  # the file is named relative to the project


def test_a_bad_rules_file_stops_start_up(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path, BROKEN / "unknown-region.toml")
    with pytest.raises(RulesError, match=r"rules/products/alpha-cel\.toml: label alpha-us-2022: region"):
        create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "RULES_DIR": str(root)})


def test_rules_check_command_prints_the_table(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    result: Result = app.test_cli_runner().invoke(args=["rules", "check", "--unverified"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output.splitlines()[0]
    assert re.search(
        r"^US\s+ciltacabtagene-autoleucel\s+cilta-cel-us-2022 \(2022-02-28 → 2024-04-05, superseded\)",
        result.output,
        re.M,
    )
    assert "verified against the regulator's text" in result.output
    assert "Not verified against the regulator's own text:" in result.output


def test_rules_check_command_fails_on_broken_rules(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.config["RULES_DIR"] = str(_broken_copy(tmp_path, BROKEN / "bad-date.toml"))
    result = app.test_cli_runner().invoke(args=["rules", "check"])
    assert result.exit_code == 1
    assert "approved: month must be in 1..12" in result.output


def test_every_region_names_its_regulator_in_chinese() -> None:
    """Chinese pages name regulators in Chinese (issue 20 item 4), never "NMPA" or an English department."""
    rules = load_rules(REAL_RULES)
    for region in rules.regions.values():
        for locale in ("zh_Hans", "zh_Hant"):
            short, full = region.regulator_in(locale), region.regulator_in(locale, full=True)
            assert re.search(r"[\u4e00-\u9fff]", short), (region.id, locale, short)
            assert re.search(r"[\u4e00-\u9fff]", full), (region.id, locale, full)
        assert region.regulator_in("en") == region.regulator
    assert rules.regions["CN"].regulator_in("zh_Hans") == "国家药品监督管理局"
    assert rules.regions["HK"].regulator_in("zh_Hant") == "香港衞生署"


def test_rules_check_prints_the_share_verified_and_staleness() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    result: Result = app.test_cli_runner().invoke(args=["rules", "check"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Verified against the regulator's own text, labels in force on" in out
    assert re.search(r"US\+EU\+CA\+JP: \d+/\d+ \(\d+%\)", out)
    assert re.search(r"all  \d+/\d+ \(\d+%\)", out)
    rules = load_rules(REAL_RULES)
    some = next(lb for lb in rules.labels.values() if lb.ended is None and lb.indication_held)
    assert re.search(rf"{re.escape(some.id)}\s+(yes|no)\s+\d{{4}}-\d\d-\d\d\s+\d{{4}}-\d\d-\d\d", out)
