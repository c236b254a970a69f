"""Parse and validate a check request (design brief section 4) into engine answers, with field-level errors.

Shared by the JSON API, the scenario tests and (through ``answers_from_mapping``) saved summaries, so there
is one definition of a valid answer set. Messages are marked with ``N_`` and translated by the caller.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from babel import Locale

from ..eligibility import CLASS_IDS, Answers, Rules
from ..eligibility.texts import N_
from ..i18n import normalize_lang

MIN_AS_OF = dt.date(2000, 1, 1)
MAX_LINES = 30
MAX_DRUGS = 100
BOOL_FIELDS = ("adult", "relapsed_or_refractory", "progressed_on_last", "prior_bcma_car_t")
FIELDS = (
    "region",
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
)
# What a check may ask for besides the decisions: "practice" adds each label's practice sections.
INCLUDES = ("practice",)
MAX_INCLUDES = 10
# A day exactly as YYYY-MM-DD: date.fromisoformat alone also takes week dates (2020-W01-1) and more.
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A UTF-16 surrogate on its own: JSON's \ud800 escapes decode to it, and no UTF-8 text can hold it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# ISO 3166-1 alpha-2 codes Babel knows (two letters; its numeric UN regions are left out), plus EU.
TERRITORIES = frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha()) | {
    "EU"
}


class BodyError(ValueError):
    """The body is not a JSON object we can read (reported under ``_body``)."""


@dataclass(frozen=True, slots=True)
class CheckRequest:
    region: str
    residence: str | None
    answers: Answers
    as_of: dt.date
    lang: str
    raw: Mapping[str, Any]
    include: tuple[str, ...] = ()


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BodyError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise BodyError(f"{name} is not valid JSON")


def parse_body(raw: bytes) -> dict[str, Any]:
    """Decode strict JSON: UTF-8 only, no NaN or Infinity, no duplicate keys, an object at the top."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the body is not valid UTF-8") from None
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except BodyError:
        raise
    except RecursionError:
        raise BodyError("the body is nested too deeply") from None
    except ValueError as exc:
        raise BodyError(f"the body is not valid JSON ({exc.args[0] if exc.args else exc})") from None
    if not isinstance(data, dict):
        raise BodyError("the body must be a JSON object")
    if _has_lone_surrogate(data):
        raise BodyError("the body holds a lone surrogate")
    return data


def _has_lone_surrogate(data: Any) -> bool:
    """Whether any key or string in ``data`` holds a lone surrogate (walked without recursion)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_day(raw: str) -> dt.date | None:
    """A day written exactly as YYYY-MM-DD, or None."""
    if not ISO_DAY.fullmatch(raw):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)


def _bool_or_null(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _is_int(value: Any) -> bool:
    # JSON true and 3.0 are not integers (design brief section 4).
    return isinstance(value, int) and not isinstance(value, bool)


def parse_check(
    data: Mapping[str, Any], rules: Rules, today: dt.date
) -> tuple[CheckRequest | None, dict[str, list[str]]]:
    """Validate a decoded check request. Returns (request, {}) or (None, {field: [message id, ...]})."""
    errors = _Errors()
    for key in data:
        if key not in FIELDS:
            errors.add(key, N_("This field is not recognised."))

    region = data.get("region")
    if region is None:
        errors.add("region", N_("Choose where you want to be treated."))
    elif not isinstance(region, str) or region not in rules.regions:
        errors.add("region", N_("This region is not covered."))

    residence = data.get("residence")
    if residence is not None and (not isinstance(residence, str) or residence not in TERRITORIES):
        errors.add("residence", N_("Give a two-letter country code, such as SG."))

    for key in BOOL_FIELDS:
        if not _bool_or_null(data.get(key)):
            errors.add(key, N_("Answer true, false or null (not sure)."))

    lines = data.get("prior_lines")
    if lines is not None and not (_is_int(lines) and 0 <= lines <= MAX_LINES):
        errors.add("prior_lines", N_("Give a whole number from 0 to 30."))

    drugs = data.get("drugs")
    drug_ids: tuple[str, ...] | None = None
    if drugs is not None:
        if not isinstance(drugs, list):
            errors.add("drugs", N_("Give a list of drug ids, or null if you do not know."))
        elif len(drugs) > MAX_DRUGS:
            errors.add("drugs", N_("The list has too many drugs."))
        else:
            for i, drug in enumerate(drugs):
                if not isinstance(drug, str) or drug not in rules.drugs:
                    errors.add(f"drugs.{i}", N_("This drug is not recognised."))
            drug_ids = tuple(dict.fromkeys(d for d in drugs if isinstance(d, str)))

    maps: dict[str, Mapping[str, bool | None]] = {}
    for key, allowed in (
        ("exposed_classes", frozenset(CLASS_IDS)),
        ("refractory", frozenset(CLASS_IDS) | frozenset(rules.drugs)),
    ):
        value = data.get(key)
        if value is None:
            maps[key] = MappingProxyType({})
            continue
        if not isinstance(value, dict):
            errors.add(key, N_("Give an object that maps ids to true, false or null."))
            continue
        if len(value) > MAX_DRUGS:
            errors.add(key, N_("The list has too many drugs."))
            continue
        for sub, answer in value.items():
            if sub not in allowed:
                errors.add(
                    f"{key}.{sub}",
                    N_("This class is not recognised.")
                    if key == "exposed_classes"
                    else N_("This drug or class is not recognised."),
                )
            elif not _bool_or_null(answer):
                errors.add(f"{key}.{sub}", N_("Answer true, false or null (not sure)."))
        maps[key] = MappingProxyType(dict(value))

    as_of = today
    raw_as_of = data.get("as_of")
    if raw_as_of is not None:
        parsed = parse_day(raw_as_of) if isinstance(raw_as_of, str) else None
        if parsed is None:
            errors.add("as_of", N_("Give a date as YYYY-MM-DD."))
        elif parsed < MIN_AS_OF:
            errors.add("as_of", N_("The date must be 2000-01-01 or later."))
        elif parsed > today:
            errors.add("as_of", N_("The date cannot be in the future."))
        else:
            as_of = parsed

    lang = "en"
    raw_lang = data.get("lang")
    if raw_lang is not None:
        code = normalize_lang(raw_lang) if isinstance(raw_lang, str) else None
        if code is None:
            errors.add("lang", N_("Use en, zh-Hans or zh-Hant."))
        else:
            lang = code

    include: tuple[str, ...] = ()
    raw_include = data.get("include")
    if raw_include is not None:
        if not isinstance(raw_include, list) or len(raw_include) > MAX_INCLUDES:
            errors.add("include", N_('Give a list of what to add, such as ["practice"].'))
        else:
            for i, part in enumerate(raw_include):
                if part not in INCLUDES:
                    errors.add(f"include.{i}", N_('This can only be "practice".'))
            include = tuple(dict.fromkeys(p for p in raw_include if p in INCLUDES))

    if errors.by_field:
        return None, errors.by_field
    answers = Answers(
        adult=data.get("adult"),
        prior_lines=lines,
        drugs=drug_ids,
        exposed_classes=maps["exposed_classes"],
        refractory=maps["refractory"],
        relapsed_or_refractory=data.get("relapsed_or_refractory"),
        progressed_on_last=data.get("progressed_on_last"),
        prior_bcma_car_t=data.get("prior_bcma_car_t"),
    )
    request = CheckRequest(region, residence, answers, as_of, lang, MappingProxyType(dict(data)), include)  # type: ignore[arg-type]
    return request, {}
