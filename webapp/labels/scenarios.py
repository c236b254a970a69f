"""The scenario test cases that cover a label (rules/scenarios/<label id>.yaml), for the clinician page.

The cases are the evidence that the encoded criteria do what the label says, so a clinician should see
them next to the label. They live with the rules they test (the app's RULES_DIR, which ships with it), and
tests/test_scenarios.py runs them from there: the page never reads tests/. A label without a file shows
no cases.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import current_app

from ..config import ROOT

SCENARIO_FOLDER = "scenarios"  # inside the rules folder


def scenario_dir() -> Path:
    """Where the running app's scenario files are: beside its rules (RULES_DIR/scenarios)."""
    return Path(current_app.config["RULES_DIR"]) / SCENARIO_FOLDER


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    cite: str
    as_of: str
    expect: str
    answers: tuple[tuple[str, str], ...]  # (field, value as written), for a compact display


@dataclass(frozen=True, slots=True)
class Cases:
    path: str  # relative to the project, as a developer would open it
    cases: tuple[Case, ...]


def _value(value: Any) -> str:
    if value is None:
        return "null"  # "not sure" in the API's terms; shown as the test file writes it
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


@functools.lru_cache(maxsize=128)
def _load(path: Path, mtime_ns: int) -> Cases | None:
    try:
        # The C loader when libyaml is there: the same safe subset of YAML, several times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        return None
    cases = []
    for raw in data["cases"]:
        if not isinstance(raw, dict):
            continue
        answers = raw.get("answers") or {}
        cases.append(
            Case(
                name=str(raw.get("name", "")),
                cite=str(raw.get("cite", "")),
                as_of=str(raw.get("as_of", "")),
                expect=str(raw.get("expect", "")),
                answers=tuple((str(k), _value(v)) for k, v in answers.items())
                if isinstance(answers, dict)
                else (),
            )
        )
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return Cases(str(shown), tuple(cases))


def cases_for(label_id: str, directory: Path | None = None) -> Cases | None:
    """The cases for ``label_id``, or None when it has no file. Re-read when the file changes."""
    path = (directory or scenario_dir()) / f"{label_id}.yaml"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _load(path, mtime)
