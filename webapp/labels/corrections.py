"""Corrections to a label version we hold (rules/corrections.toml): the "text corrected" label events.

A correction is not a new label version: the regulator's text did not change, ours did (a criterion read
wrongly, a date fixed, the wording re-read from the regulator's own copy). Each entry names the label, the
day the correction was made in rules/, which fields it touched and, in ``text``, what changed in plain
words. ``text`` is extracted into the catalogs by the rules extractor (webapp/babel_rules.py, key ``text``)
and shown in the reader's language.

The file is read as strictly as the rest of rules/ (the same table reader): unknown keys, unknown label ids,
bad dates and two corrections of one label on one day all stop start-up, naming the file and the entry.
The file is optional: a rules folder without one simply has no corrections.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..eligibility.loader import _read_toml, _rel, _Table
from ..eligibility.model import Rules

FILE = "corrections.toml"
# What a correction may have touched, as the label's keys in rules/products/*.toml name them.
FIELDS: tuple[str, ...] = (
    "approved",
    "ended",
    "regimen",
    "indication",
    "criteria",
    "source",
)


@dataclass(frozen=True, slots=True)
class Correction:
    label: str  # label id
    date: dt.date  # the day the correction was made in rules/
    fields: tuple[str, ...]  # what it touched (FIELDS)
    text: str  # what changed, in plain English (translated through the catalogs)
    rules_version: str = ""  # the rules version that carries it, when known
    notes: str = ""  # maintainers' note: never shown to patients

    @property
    def key(self) -> str:
        return f"{self.label}/corrected/{self.date.isoformat()}"


def load_corrections(root: str | Path, rules: Rules) -> tuple[Correction, ...]:
    """Read ``root``/corrections.toml against ``rules``; () when there is no such file."""
    root = Path(root).resolve()
    path = root / FILE
    if not path.exists():
        return ()
    file = _rel(path, root)
    top = _Table(_read_toml(path, root), file, "")
    out: list[Correction] = []
    seen: set[str] = set()
    for i, raw in enumerate(top.get("corrections", list, required=False, default=[])):
        t = _Table(raw, file, f"corrections[{i}]")
        label = t.text("label")
        t.entry = f"correction of {label}"
        if label not in rules.labels:
            raise t.err("label", f"unknown label id {label!r}")
        day = t.day("date")
        if day is None:  # never: the date is required
            raise t.err("date", "is required")
        fields = t.strings(
            "fields", check=lambda v: None if v in FIELDS else f"must be one of {', '.join(FIELDS)}"
        )
        if not fields:
            raise t.err("fields", "name at least one field the correction touched")
        correction = Correction(
            label=label,
            date=day,
            fields=fields,
            text=t.text("text"),
            rules_version=t.text("rules_version", required=False),
            notes=t.text("notes", required=False),
        )
        t.done()
        if correction.key in seen:
            raise t.err("date", f"{label} already has a correction on {day}: say both in one entry")
        seen.add(correction.key)
        out.append(correction)
    top.done()
    return tuple(out)
