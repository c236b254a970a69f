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
    # For a medicine: "none" when no Chinese name is registered or in common use (pages say so beside the INN),
    # "unconfirmed" when the Chinese name rests on one weak source; empty for everything else.
    zh_status: str = ""

    def for_locale(self, locale: str) -> str:
        return {"zh_Hans": self.zh_Hans, "zh_Hant": self.zh_Hant}.get(locale, self.en)


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    regulator: str
    regulator_name: str
    currency: str
    names: Names
    # The regulator as a reader of each language knows it: short (inline) and full names. Chinese pages
    # never show "NMPA" or an English department name (issue 20 item 4).
    regulator_short: Names | None = None
    regulator_full: Names | None = None
    # The English name as it reads in a sentence ("the United States"), where it differs from `names.en`.
    en_in_sentence: str = ""

    def regulator_in(self, locale: str, *, full: bool = False) -> str:
        names = self.regulator_full if full else self.regulator_short
        if names is None:
            return self.regulator_name if full else self.regulator
        return names.for_locale(locale)


@dataclass(frozen=True, slots=True)
class DrugClass:
    id: str
    names: Names
    help: str


# How sure the Chinese name of a medicine is: registered with a regulator, in common use, resting on one
# weak source (shown with a "not confirmed" mark), or none at all (pages say so instead of a bare INN).
ZH_NAME_STATES: tuple[str, ...] = ("registered", "in_use", "unconfirmed", "none")


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
    zh_name: str = "registered"
    zh_hant_form: str = ""
    # A class this drug resembles but is deliberately not counted as (CELMoDs and "immunomodulatory agent").
    related_class: str | None = None
    related_class_reason: str = ""
    clinician_review: bool = False
    sources: tuple[FactSource, ...] = ()


@dataclass(frozen=True, slots=True)
class Citation:
    """What everyone may read of a source: the document, who issued it, its date and where to find it.

    ``date`` is the document's own date where it has one; otherwise the citation reads "accessed
    <checked>". Maintainers' remarks (verification notes) live beside it in the source, never in it."""

    document: str
    issuer: str
    date: PartialDate | None
    section: str
    urls: tuple[str, ...]
    checked: dt.date


@dataclass(frozen=True, slots=True)
class Source:
    """A label's source: the citation, plus maintainers' fields (``verified_note``, ``notes``, review)."""

    document: str
    section: str
    urls: tuple[str, ...]
    checked: dt.date
    checked_against: Literal["regulator", "secondary"]
    verified: bool
    issuer: str = ""
    date: PartialDate | None = None
    verified_note: str = ""
    reviewed_by: str = ""
    reviewed_on: dt.date | None = None
    notes: str = ""

    @property
    def url(self) -> str:
        """The first address (kept for templates that link one)."""
        return self.urls[0] if self.urls else ""

    @property
    def citation(self) -> Citation:
        return Citation(self.document, self.issuer, self.date, self.section, self.urls, self.checked)


@dataclass(frozen=True, slots=True)
class Strictest:
    """The strictest reading of criteria whose wording no source gives (design brief section 3), with the
    reason. Only counts and exposure lists need one; yes/no requirements have an implied one."""

    reason: str
    min_prior_lines: int | None = None
    max_prior_lines: int | None = None
    exposed: tuple[str, ...] = ()
    refractory: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InForceBy:
    """The approval existed by ``date`` (e.g. an HTA decision that cites the licence), with its citation."""

    date: dt.date
    citation: Citation


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
    # False only when no source states the population (only that an approval exists): never screened.
    indication_held: bool = True
    # The language the indication we hold was translated from; the original wording is not held.
    indication_translated_from: str = ""
    strictest: Strictest | None = None
    in_force_by: InForceBy | None = None
    # The approval type in the regulator's own terms, per language (no "BLA" for an NMPA approval).
    approval_type_zh: Names | None = None

    def approval_type_in(self, locale: str) -> str:
        return (
            self.approval_type_zh.for_locale(locale)
            if self.approval_type_zh and locale != "en"
            else self.approval_type
        )

    @property
    def in_force_from(self) -> dt.date:
        """First day in force. With no known approval date, the day a source shows the approval existed by
        (``in_force_by``), else the day the source was checked; both are flagged."""
        if self.approved:
            return self.approved.effective
        if self.in_force_by:
            return self.in_force_by.date
        return self.source.checked

    @property
    def indication_is_label_text(self) -> bool:
        """True when the indication we hold may be shown as the label's own words: the regulator's text
        (or an exact quotation of it), not a translation and not a secondary report."""
        return self.indication_held and not self.indication_translated_from and self.source.verified

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
        if self.approved is None and self.in_force_by is not None:
            out.append("approval_date_bound")
        elif self.approved is None:
            out.append("approval_date_unknown")
        elif self.approved.precision != "day":
            out.append(f"approval_date_{self.approved.precision}_only")
        if not self.indication_held:
            out.append("indication_not_held")
        if self.indication_translated_from:
            out.append("indication_translated")
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
    zh_name: str = "registered"
    name_sources: tuple[FactSource, ...] = ()
    # Traditional-script forms of Chinese brands, by region (福可苏 -> 福可蘇), for zh-Hant pages.
    brands_zh_hant: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def brand_in(self, region: str, locale: str = "") -> str:
        """The brand registered in ``region``; on zh-Hant pages its Traditional form where the data gives one."""
        if locale == "zh_Hant" and region in self.brands_zh_hant:
            return self.brands_zh_hant[region]
        return self.brands.get(region, "")


# eq=False: a rule set is compared and hashed by identity, so per-rule-set caches (lru_cache) can key on it.
@dataclass(frozen=True, slots=True, eq=False)
class Rules:
    version: str
    last_reviewed: dt.date
    regions: MappingProxyType[str, Region]
    classes: MappingProxyType[str, DrugClass]
    drugs: MappingProxyType[str, Drug]
    products: MappingProxyType[str, Product]
    labels: MappingProxyType[str, Label] = field(default_factory=lambda: MappingProxyType({}))
    # Caveats, costs, access steps, evidence and availability (issue 7); empty when rules/ has none.
    practice: Practice = field(default_factory=lambda: Practice())
    # Words that find every medicine of a kind in the form's search: form group or "bcma-directed" -> words.
    search_words: MappingProxyType[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def kind_words(self, drug: Drug) -> tuple[str, ...]:
        """The kind words that find ``drug``: its form group's, its class names', and BCMA's where it applies."""
        words = list(self.search_words.get(drug.group, ()))
        if drug.drug_class:
            names = self.classes[drug.drug_class].names
            words += [names.en, names.zh_Hans, names.zh_Hant]
        if drug.bcma_directed:
            words += self.search_words.get("bcma-directed", ())
        return tuple(words)

    def drugs_of_class(self, class_id: str) -> tuple[str, ...]:
        return tuple(d.id for d in self.drugs.values() if d.drug_class == class_id)


# ---------------------------------------------------------------------------------------------------------
# Practice data (issue 7): what a therapy involves in one region, dated and sourced. Loaded from
# rules/practice/<product>.toml and rules/access/<region>.toml by webapp/eligibility/practice.py.

# Topics a caveat may have. The issue lists the safety and logistics facts each region must cover.
# Caveat topics about the body (safety), then those about the practical side (stay, caregiver, driving, making).
SAFETY_TOPICS: tuple[str, ...] = (
    "crs",
    "neurotoxicity",
    "movement-disorders",
    "guillain-barre",
    "hlh",
    "cytopenia",
    "infection",
    "secondary-cancer",
    "eye",
    "skin-mouth-nails",
)
LOGISTICS_TOPICS: tuple[str, ...] = (
    "hospital-stay",
    "stay-near-centre",
    "caregiver",
    "driving",
    "manufacturing",
    "bridging",
    "step-up-dosing",
    "restricted-programme",
    "other",
)
CAVEAT_TOPICS: tuple[str, ...] = SAFETY_TOPICS + LOGISTICS_TOPICS
SOURCE_KINDS: tuple[str, ...] = (
    "regulator",  # the regulator's own text or an exact copy of it (label, SmPC, safety communication)
    "hta",  # NICE, CDA-AMC, HAS, G-BA ...
    "payer",  # Medicare, NHSA, Japan's NHI price lists
    "government",  # other official pages (visa, health departments, pilot zones)
    "publication",  # peer-reviewed paper or congress abstract
    "company",  # the maker's own release or medical-information page
    "press",  # news or trade press
    "registry",  # a public trial registry
    "reference",  # the project's research notes in shared/reference (original not read)
    "facilitator",  # a medical-travel or visa agency page: allowed only for access steps and their
    # options, never for a caveat, price, trial result or availability fact (their claims are not facts)
)
PRICE_TYPES: tuple[str, ...] = ("list", "official", "reported", "payment-limit")
PRICE_UNITS: tuple[str, ...] = ("infusion", "treatment", "patient", "month", "course", "vial", "dose")
AVAILABILITY_ASPECTS: tuple[str, ...] = ("approval", "launch", "funding")
AVAILABILITY_STATUSES: tuple[str, ...] = ("yes", "no", "partial", "unknown")
EVIDENCE_BASES: tuple[str, ...] = ("label", "publication", "sponsor")
TRIAL_DESIGNS: tuple[str, ...] = ("single-arm", "randomised")
ROUTE_KINDS: tuple[str, ...] = ("named-patient", "pilot-zone", "clinical-trials")


@dataclass(frozen=True, slots=True)
class Dated:
    """When a practice fact was true: ``valid_from`` inclusive, ``valid_to`` the first day it no longer is."""

    valid_from: PartialDate
    valid_to: PartialDate | None = None

    def holds_on(self, day: dt.date) -> bool:
        return self.valid_from.effective <= day and (self.valid_to is None or day < self.valid_to.effective)


@dataclass(frozen=True, slots=True)
class FactSource:
    """Where one practice fact comes from. ``verified`` only after reading the source itself.

    The citation (title, issuer, date, section, quote, urls) is for everyone; ``verified_note`` is for
    maintainers. ``kind = "reference"`` marks a fact taken from our reference research: it cites the public
    document behind it and is shown as not checked against the original."""

    title: str
    urls: tuple[str, ...]
    checked: dt.date
    kind: str
    verified: bool
    issuer: str = ""
    date: PartialDate | None = None
    section: str = ""
    quote: str = ""
    verified_note: str = ""

    @property
    def url(self) -> str:
        """The first address (kept for templates that link one)."""
        return self.urls[0] if self.urls else ""

    @property
    def document(self) -> str:
        return self.title

    @property
    def citation(self) -> Citation:
        return Citation(self.title, self.issuer, self.date, self.section, self.urls, self.checked)


@dataclass(frozen=True, slots=True)
class Caveat:
    id: str
    product: str
    topic: str
    regions: tuple[str, ...]
    dates: Dated
    text: str
    source: FactSource
    boxed: bool = False


@dataclass(frozen=True, slots=True)
class Cost:
    """A price (numbers and an ISO 4217 code, formatted later by Babel) or an explicit 'no public price'."""

    id: str
    product: str
    region: str
    dates: Dated
    text: str
    source: FactSource
    no_public_price: bool = False
    looked: dt.date | None = None
    price_type: str = ""
    low: float | None = None
    high: float | None = None
    currency: str = ""
    year: int | None = None
    unit: str = ""
    includes: str = ""
    excludes: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceResult:
    """One trial's figures from one basis (label or publication), with the source they come from."""

    id: str
    product: str
    trial: str
    labels: tuple[str, ...]
    basis: str
    design: str
    population: str
    patients: int
    dates: Dated
    text: str
    source: FactSource
    registry_ids: tuple[str, ...] = ()
    comparator: str = ""
    orr: float | None = None
    orr_control: float | None = None
    cr: float | None = None
    cr_control: float | None = None
    cr_kind: str = ""
    pfs_median_months: float | None = None
    pfs_not_reached: bool = False
    pfs_control_months: float | None = None
    pfs_hazard_ratio: float | None = None
    follow_up_months: float | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """Approved, launched and funded are different facts, each dated and sourced."""

    id: str
    product: str
    region: str
    aspect: str
    status: str
    dates: Dated
    text: str
    source: FactSource


@dataclass(frozen=True, slots=True)
class StepOption:
    """One of several options sources disagree on (e.g. visa types): shown as 'confirm with ...'."""

    text: str
    source: FactSource


@dataclass(frozen=True, slots=True)
class AccessStep:
    id: str
    region: str
    section: str  # "region" | "international" | "route"
    kinds: tuple[str, ...]
    dates: Dated
    heading: str
    text: str
    source: FactSource
    options: tuple[StepOption, ...] = ()
    url: str = ""
    route_kind: str = ""


@dataclass(frozen=True, slots=True)
class Coverage:
    """What insurance or a programme may pay in a region, for products of the given kinds."""

    id: str
    region: str
    kinds: tuple[str, ...]
    dates: Dated
    text: str
    source: FactSource
    products: tuple[str, ...] = ()  # only these products (a maker's own programme); empty: every product

    def applies_to(self, product: str, kind: str) -> bool:
        return kind in self.kinds and (not self.products or product in self.products)


@dataclass(frozen=True, slots=True)
class Practice:
    caveats: tuple[Caveat, ...] = ()
    costs: tuple[Cost, ...] = ()
    evidence: tuple[EvidenceResult, ...] = ()
    availability: tuple[Availability, ...] = ()
    steps: tuple[AccessStep, ...] = ()
    coverage: tuple[Coverage, ...] = ()
    routes: tuple[AccessStep, ...] = ()
    # Country codes (ISO 3166-1) each covered region stands for; EU lists its member states.
    covers: MappingProxyType[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def region_of(self, country: str) -> str | None:
        """The covered region a country belongs to, or None (e.g. Taiwan, Australia)."""
        for region, countries in self.covers.items():
            if country == region or country in countries:
                return region
        return None
