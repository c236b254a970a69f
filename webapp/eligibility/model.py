"""Immutable rule data: regions, drugs, products and their label versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .dates import PartialDate

CLASS_IDS: tuple[str, ...] = ("PI", "IMiD", "anti-CD38")
LINE_WORDS: tuple[str, ...] = ("lines", "therapies", "regimens")
PRODUCT_KINDS: tuple[str, ...] = ("car-t", "bispecific", "adc")
DRUG_GROUPS: tuple[str, ...] = ("PI", "IMiD", "anti-CD38", "other", "car-t", "bispecific", "adc")
# Criteria a label may set; `unknown` in the data may name any of them.
CRITERION_KEYS: tuple[str, ...] = (
    "adult",
    "min_prior_lines",
    "max_prior_lines",
    "exposed",
    "refractory",
    "progressed_on_last",
    "no_prior_bcma_car_t",
)

EndReason = Literal["superseded", "withdrawn"]


@dataclass(frozen=True, slots=True)
class Names:
    en: str
    zh_Hans: str
    zh_Hant: str

    def for_locale(self, locale: str) -> str:
        return {"zh_Hans": self.zh_Hans, "zh_Hant": self.zh_Hant}.get(locale, self.en)


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    regulator: str
    regulator_name: str
    currency: str
    names: Names


@dataclass(frozen=True, slots=True)
class DrugClass:
    id: str
    names: Names
    help: str


@dataclass(frozen=True, slots=True)
class Drug:
    id: str
    group: str
    drug_class: str | None
    names: Names
    brands: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    bcma_car_t: bool = False
    bcma_directed: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    document: str
    section: str
    url: str
    checked: dt.date
    checked_against: Literal["regulator", "secondary"]
    verified: bool
    verified_note: str = ""
    reviewed_by: str = ""
    reviewed_on: dt.date | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Criteria:
    adult: bool = False
    min_prior_lines: int | None = None
    max_prior_lines: int | None = None
    exposed: tuple[str, ...] = ()
    refractory: tuple[str, ...] = ()
    progressed_on_last: bool = False
    no_prior_bcma_car_t: bool = False
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    product: str
    region: str
    regulator: str
    approved: PartialDate | None
    ended: PartialDate | None
    end_reason: EndReason | None
    regimen: tuple[str, ...]
    line_word: str
    indication: str
    indication_lang: str
    indication_en: str
    indication_en_official: bool
    criteria: Criteria
    source: Source
    approval_type: str = ""
    file: str = ""

    @property
    def in_force_from(self) -> dt.date:
        """First day in force. With no known approval date, the day the source was checked (flagged)."""
        return self.approved.effective if self.approved else self.source.checked

    @property
    def in_force_until(self) -> dt.date | None:
        """First day no longer in force, or None."""
        return self.ended.effective if self.ended else None

    def in_force_on(self, day: dt.date) -> bool:
        until = self.in_force_until
        return self.in_force_from <= day and (until is None or day < until)

    def state_on(self, day: dt.date) -> str:
        """'not_yet', 'in_force', 'superseded' or 'withdrawn' on ``day``."""
        if day < self.in_force_from:
            return "not_yet"
        until = self.in_force_until
        if until is not None and day >= until:
            return self.end_reason or "superseded"
        return "in_force"

    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if not self.source.verified:
            out.append("not_verified")
        if self.approved is None:
            out.append("approval_date_unknown")
        elif self.approved.precision != "day":
            out.append(f"approval_date_{self.approved.precision}_only")
        if self.criteria.unknown:
            out.append("criteria_unknown")
        if not self.source.reviewed_by:
            out.append("not_reviewed")
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    inn: str
    short: str
    kind: str
    target: str
    makers: tuple[str, ...]
    summary: str
    names: Names
    name_note: str
    brands: MappingProxyType[str, str]
    labels: tuple[Label, ...]
    file: str = ""

    def brand_in(self, region: str) -> str:
        return self.brands.get(region, "")


@dataclass(frozen=True, slots=True)
class Rules:
    version: str
    last_reviewed: dt.date
    regions: MappingProxyType[str, Region]
    classes: MappingProxyType[str, DrugClass]
    drugs: MappingProxyType[str, Drug]
    products: MappingProxyType[str, Product]
    labels: MappingProxyType[str, Label] = field(default_factory=lambda: MappingProxyType({}))

    def drugs_of_class(self, class_id: str) -> tuple[str, ...]:
        return tuple(d.id for d in self.drugs.values() if d.drug_class == class_id)
