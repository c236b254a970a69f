"""Practice data (issue 7): caveats, costs, access steps, evidence and availability, per product and region.

Loaded from ``rules/practice/<product id>.toml`` and ``rules/access/<region>.toml`` (plus
``rules/access/elsewhere.toml`` for the special routes) as strictly as the labels: whitelisted keys,
string dates, a source on every fact, prices as numbers with an ISO 4217 code. Every fact carries its own
``valid_from``/``valid_to`` because it changes inside one label version (the US CAR-T REMS ended on
2025-06-26), and :func:`select_practice` picks what was true on ``as_of``. Pure Python, no Flask.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from .loader import ID_RE, REGION_RE, RulesError, _read_toml, _rel, _Table, read_citation
from .model import (
    AVAILABILITY_ASPECTS,
    AVAILABILITY_STATUSES,
    CAVEAT_TOPICS,
    EVIDENCE_BASES,
    PRICE_TYPES,
    PRICE_UNITS,
    PRODUCT_KINDS,
    ROUTE_KINDS,
    SOURCE_KINDS,
    TRIAL_DESIGNS,
    AccessStep,
    Availability,
    Caveat,
    Cost,
    Coverage,
    Dated,
    EvidenceResult,
    FactSource,
    Label,
    Practice,
    Product,
    Region,
    Rules,
    StepOption,
)

T = TypeVar("T")
URL_RE = re.compile(r"^https?://\S+$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CR_KINDS = ("CR or better", "sCR")
# ISO 4217 codes, from Babel's CLDR data when it is installed (it is, with Flask-Babel); the pattern
# above is the fallback so the engine keeps no hard dependency.
try:
    from babel.numbers import list_currencies

    KNOWN_CURRENCIES: frozenset[str] = frozenset(list_currencies())
except ImportError:  # pragma: no cover - Babel ships with the app
    KNOWN_CURRENCIES = frozenset()


# -- reading ----------------------------------------------------------------------------------------------
def _text(t: _Table, key: str, *, required: bool = True) -> str:
    value = t.text(key, required=required)
    if value and value != value.strip():
        raise t.err(key, "must not start or end with spaces")
    return value


def _dates(t: _Table) -> Dated:
    valid_from = t.partial_date("valid_from")
    valid_to = t.partial_date("valid_to", required=False)
    if valid_from is None:  # pragma: no cover - required=True raises before returning None
        raise t.err("valid_from", "is required")
    if valid_to is not None and valid_to.effective <= valid_from.effective:
        raise t.err("valid_to", f"{valid_to} is not after valid_from {valid_from}")
    return Dated(valid_from, valid_to)


def _source(parent: _Table, key: str = "source", *, steps: bool = False) -> FactSource:
    """``{title or document, issuer, date, urls, checked, section or quote, kind, verified[, verified_note]}``.

    ``steps``: the fact is an access step, where a facilitator's page may be cited for what it advises.
    """
    s = parent.sub(key)
    if "title" in s.data and "document" in s.data:
        raise s.err("document", "give either title or document, not both")
    title_key = "document" if "document" in s.data else "title"
    _text(s, title_key)
    title, issuer, date, urls = read_citation(s, title_key)
    s.used.update({"title", "document"})
    checked = s.day("checked")
    section = _text(s, "section", required=False)
    quote = _text(s, "quote", required=False)
    if not section and not quote:
        raise s.err("section", "give a section or a quote, so the fact can be found in the source")
    verified = s.get("verified", bool)
    source = FactSource(
        title=title,
        urls=urls,
        issuer=issuer,
        date=date,
        checked=checked,  # type: ignore[arg-type]
        kind=s.choice("kind", SOURCE_KINDS) or "",
        verified=verified,
        section=section,
        quote=quote,
        verified_note=_text(s, "verified_note", required=not verified),
    )
    if verified and source.kind == "reference":
        raise s.err("verified", "a research note is not the source itself: verified must be false")
    if source.kind == "facilitator" and not steps:
        raise s.err("kind", "a medical-travel agency's claim is not a fact: cite it only for access steps")
    s.done()
    return source


def _number(t: _Table, key: str, *, required: bool = False, low: float = 0, high: float | None = None) -> Any:
    value = t.get(key, (int, float), required=required)
    if value is None:
        return None
    if value != value or value < low or (high is not None and value > high):  # NaN never passes
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise t.err(key, f"must be a number {bound}")
    return value


def _regions(t: _Table, key: str, regions: Mapping[str, Region]) -> tuple[str, ...]:
    def known(value: str) -> str | None:
        return None if value in regions else f"unknown region {value!r}"

    values = t.strings(key, check=known)
    if not values:
        raise t.err(key, "must list at least one region")
    return values


def _kinds(t: _Table) -> tuple[str, ...]:
    values = t.strings(
        "kinds", check=lambda v: None if v in PRODUCT_KINDS else f"must be one of {PRODUCT_KINDS}"
    )
    if not values:
        raise t.err("kinds", f"must list at least one product kind ({', '.join(PRODUCT_KINDS)})")
    return values


def _entries(top: _Table, key: str) -> list[Any]:
    return top.get(key, list, required=False, default=[])


def _each(
    top: _Table, key: str, what: str, build: Callable[[_Table, str], T], seen: set[str] | None = None
) -> list[T]:
    """Every entry of the array ``key`` of ``top``, built by ``build(entry, id)``: each id well formed and
    unique (within ``seen``, when several arrays share ids), every key of each entry read."""
    seen = set() if seen is None else seen
    built = []
    for i, raw in enumerate(_entries(top, key)):
        t, entry_id = _entry(raw, top.file, what, i, seen)
        built.append(build(t, entry_id))
        t.done()
    return built


def _entry(raw: Any, file: str, what: str, index: int, seen: set[str]) -> tuple[_Table, str]:
    t = _Table(raw, file, f"{what}[{index}]")
    fid = _text(t, "id")
    t.entry = f"{what} {fid}"
    if not ID_RE.match(fid):
        raise t.err("id", "must be lowercase letters, digits and hyphens")
    if fid in seen:
        raise t.err("id", f"{what} {fid} is defined twice in this file")
    seen.add(fid)
    return t, fid


def _load_product_practice(
    path: Path,
    root: Path,
    rules_regions: Mapping[str, Region],
    products: Mapping[str, Product],
    labels: Mapping[str, Label],
) -> tuple[list[Caveat], list[Cost], list[EvidenceResult], list[Availability]]:
    file = _rel(path, root)
    top = _Table(_read_toml(path, root), file, "practice")
    pid = _text(top, "product")
    if pid != path.stem:
        raise top.err("product", f"{pid!r} must equal the file name {path.stem!r}")
    if pid not in products:
        raise top.err("product", f"unknown product {pid!r}; add rules/products/{pid}.toml first")

    def caveat(t: _Table, cid: str) -> Caveat:
        return Caveat(
            id=cid,
            product=pid,
            topic=t.choice("topic", CAVEAT_TOPICS) or "",
            regions=_regions(t, "regions", rules_regions),
            dates=_dates(t),
            text=_text(t, "text"),
            source=_source(t),
            boxed=t.get("boxed", bool, required=False, default=False),
        )

    def availability(t: _Table, aid: str) -> Availability:
        region = _text(t, "region")
        if region not in rules_regions:
            raise t.err("region", f"unknown region {region!r}")
        return Availability(
            id=aid,
            product=pid,
            region=region,
            aspect=t.choice("aspect", AVAILABILITY_ASPECTS) or "",
            status=t.choice("status", AVAILABILITY_STATUSES) or "",
            dates=_dates(t),
            text=_text(t, "text"),
            source=_source(t),
        )

    caveats = _each(top, "caveats", "caveat", caveat)
    costs = _each(top, "costs", "cost", lambda t, cost_id: _cost(t, cost_id, pid, rules_regions))
    evidence = _each(top, "evidence", "evidence", lambda t, eid: _evidence(t, eid, pid, labels))
    available = _each(top, "availability", "availability", availability)
    top.done()
    return caveats, costs, evidence, available


def _cost(t: _Table, cost_id: str, pid: str, rules_regions: Mapping[str, Region]) -> Cost:
    region = _text(t, "region")
    if region not in rules_regions:
        raise t.err("region", f"unknown region {region!r}")
    dates, text, source = _dates(t), _text(t, "text"), _source(t)
    none_found = t.get("no_public_price", bool, required=False, default=False)
    price_keys = ("price_type", "low", "high", "currency", "year", "unit", "includes", "excludes")
    if none_found:
        # An explicit "we looked and found no public price", with the day we looked.
        for key in price_keys:
            if key in t.data:
                raise t.err(key, "does not go with no_public_price = true")
        return Cost(cost_id, pid, region, dates, text, source, no_public_price=True, looked=t.day("looked"))
    if "looked" in t.data:
        raise t.err("looked", "goes only with no_public_price = true")
    currency = _text(t, "currency")
    if not CURRENCY_RE.match(currency) or (KNOWN_CURRENCIES and currency not in KNOWN_CURRENCIES):
        raise t.err("currency", f"must be an ISO 4217 code such as USD; got {currency!r}")
    low = _number(t, "low", required=True, low=0.01)
    high = _number(t, "high", low=0.01)
    if high is not None and high < low:
        raise t.err("high", f"{high} is below low {low}")
    year = t.get("year", int)
    if not 2000 <= year <= 2100:
        raise t.err("year", "must be a four-digit year between 2000 and 2100")
    return Cost(
        cost_id,
        pid,
        region,
        dates,
        text,
        source,
        price_type=t.choice("price_type", PRICE_TYPES) or "",
        low=low,
        high=high if high is not None else low,
        currency=currency,
        year=year,
        unit=t.choice("unit", PRICE_UNITS) or "",
        includes=_text(t, "includes"),
        excludes=_text(t, "excludes"),
    )


def _evidence(t: _Table, eid: str, pid: str, labels: Mapping[str, Label]) -> EvidenceResult:
    trial = _text(t, "trial")

    def known_label(value: str) -> str | None:
        if value not in labels:
            return f"unknown label {value!r}"
        if labels[value].product != pid:
            return f"label {value!r} belongs to {labels[value].product}"
        return None

    label_ids = t.strings("labels", check=known_label)
    if not label_ids:
        raise t.err("labels", "must name at least one label version the trial supports")
    design = t.choice("design", TRIAL_DESIGNS) or ""
    comparator = _text(t, "comparator", required=design == "randomised")
    patients = t.get("patients", int)
    if patients < 1:
        raise t.err("patients", "must be at least 1")
    pct = {"low": 0, "high": 100}
    result = EvidenceResult(
        id=eid,
        product=pid,
        trial=trial,
        labels=label_ids,
        basis=t.choice("basis", EVIDENCE_BASES) or "",
        design=design,
        population=_text(t, "population"),
        patients=patients,
        dates=_dates(t),
        text=_text(t, "text"),
        source=_source(t),
        registry_ids=t.strings("registry_ids"),
        comparator=comparator,
        orr=_number(t, "orr", **pct),
        orr_control=_number(t, "orr_control", **pct),
        cr=_number(t, "cr", **pct),
        cr_control=_number(t, "cr_control", **pct),
        cr_kind=t.choice("cr_kind", CR_KINDS, required="cr" in t.data) or "",
        pfs_median_months=_number(t, "pfs_median_months", high=240),
        pfs_not_reached=t.get("pfs_not_reached", bool, required=False, default=False),
        pfs_control_months=_number(t, "pfs_control_months", high=240),
        pfs_hazard_ratio=_number(t, "pfs_hazard_ratio", low=0.01, high=10),
        follow_up_months=_number(t, "follow_up_months", high=240),
    )
    if result.pfs_not_reached and result.pfs_median_months is not None:
        raise t.err("pfs_not_reached", "a median cannot be both given and not reached")
    if (
        result.orr is None
        and result.cr is None
        and result.pfs_median_months is None
        and not result.pfs_not_reached
    ):
        raise t.err("orr", "give at least one figure (orr, cr or median progression-free survival)")
    if design != "randomised" and any(
        v is not None for v in (result.orr_control, result.cr_control, result.pfs_control_months)
    ):
        raise t.err("design", "control-arm figures need design = 'randomised'")
    return result


def _step(t: _Table, sid: str, region: str, section: str, *, with_kinds: bool = True) -> AccessStep:
    options: list[StepOption] = []
    for j, raw in enumerate(t.get("options", list, required=False, default=[])):
        o = _Table(raw, t.file, t.entry, f"options[{j}].")
        options.append(StepOption(_text(o, "text"), _source(o, steps=True)))
        o.done()
    url = _text(t, "url", required=False)
    if url and not URL_RE.match(url):
        raise t.err("url", "must be an http(s) address")
    return AccessStep(
        id=sid,
        region=region,
        section=section,
        kinds=_kinds(t) if with_kinds else PRODUCT_KINDS,
        dates=_dates(t),
        heading=_text(t, "heading"),
        text=_text(t, "text"),
        source=_source(t, steps=True),
        options=tuple(options),
        url=url,
    )


def _load_region_access(
    path: Path, root: Path, rules_regions: Mapping[str, Region], products: Mapping[str, Product]
) -> tuple[str, tuple[str, ...], list[AccessStep], list[Coverage]]:
    file = _rel(path, root)
    top = _Table(_read_toml(path, root), file, "access")
    region = _text(top, "region")
    if region != path.stem:
        raise top.err("region", f"{region!r} must equal the file name {path.stem!r}")
    if region not in rules_regions:
        raise top.err("region", f"unknown region {region!r}; add it to rules/regions.toml first")

    def iso(value: str) -> str | None:
        return None if REGION_RE.match(value) else "must be an ISO 3166-1 alpha-2 code"

    covers = top.strings("covers", check=iso) or (region,)
    step_ids: set[str] = set()  # one id space for both kinds of step
    steps = _each(
        top, "steps", "step", lambda t, sid: _step(t, sid, region, "region", with_kinds=True), step_ids
    )
    steps += _each(
        top,
        "international",
        "international step",
        lambda t, sid: _step(t, sid, region, "international", with_kinds=False),
        step_ids,
    )
    if not any(s.section == "region" for s in steps):
        raise top.err("steps", "list the access steps for this region, in order")

    def known_product(value: str) -> str | None:
        return None if value in products else f"unknown product {value!r}"

    def coverage_entry(t: _Table, cid: str) -> Coverage:
        return Coverage(
            cid,
            region,
            _kinds(t),
            _dates(t),
            _text(t, "text"),
            _source(t),
            products=t.strings("products", check=known_product),
        )

    coverage = _each(top, "coverage", "coverage", coverage_entry)
    top.done()
    return region, covers, steps, coverage


def _load_routes(path: Path, root: Path, rules_regions: Mapping[str, Region]) -> list[AccessStep]:
    file = _rel(path, root)
    top = _Table(_read_toml(path, root), file, "elsewhere")

    def route(t: _Table, rid: str) -> AccessStep:
        region = _text(t, "region", required=False)  # empty: not tied to one region (e.g. WHO's registry)
        if region and region not in rules_regions:
            raise t.err("region", f"unknown region {region!r}")
        kind = t.choice("kind", ROUTE_KINDS) or ""
        step = _step(t, rid, region, "route", with_kinds=False)
        if not step.url:
            raise t.err("url", "a special route needs the address a person can use")
        return AccessStep(
            step.id,
            region,
            "route",
            step.kinds,
            step.dates,
            step.heading,
            step.text,
            step.source,
            step.options,
            step.url,
            kind,
        )

    routes = _each(top, "routes", "route", route)
    top.done()
    return routes


def load_practice(
    root: Path, regions: Mapping[str, Region], products: Mapping[str, Product], labels: Mapping[str, Label]
) -> Practice:
    """Read rules/practice/ and rules/access/; both are optional (a rules folder without them has none)."""
    caveats: list[Caveat] = []
    costs: list[Cost] = []
    evidence: list[EvidenceResult] = []
    availability: list[Availability] = []
    for path in sorted((root / "practice").glob("*.toml")):
        c, k, e, a = _load_product_practice(path, root, regions, products, labels)
        caveats += c
        costs += k
        evidence += e
        availability += a
    steps: list[AccessStep] = []
    coverage: list[Coverage] = []
    routes: list[AccessStep] = []
    covers: dict[str, tuple[str, ...]] = {}
    for path in sorted((root / "access").glob("*.toml")):
        if path.stem == "elsewhere":
            routes = _load_routes(path, root, regions)
            continue
        region, region_covers, region_steps, region_coverage = _load_region_access(
            path, root, regions, products
        )
        for other, countries in covers.items():
            if overlap := set(countries) & set(region_covers):
                raise RulesError(_rel(path, root), "access", "covers", f"{sorted(overlap)} also in {other}")
        covers[region] = region_covers
        steps += region_steps
        coverage += region_coverage
    return Practice(
        caveats=tuple(caveats),
        costs=tuple(costs),
        evidence=tuple(evidence),
        availability=tuple(availability),
        steps=tuple(steps),
        coverage=tuple(coverage),
        routes=tuple(routes),
        covers=MappingProxyType(covers),
    )


# -- selection --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PracticeFacts:
    """What holds for one label version in its region on one day, for a person living in ``residence``."""

    caveats: tuple[Caveat, ...]
    prices: tuple[Cost, ...]
    no_public_price: Cost | None
    coverage: tuple[Coverage, ...]
    steps: tuple[AccessStep, ...]
    evidence: tuple[EvidenceResult, ...]
    availability: tuple[Availability, ...]

    @property
    def has_cost(self) -> bool:
        return bool(self.prices or self.no_public_price)


def _holding(items: Iterable[Any], day: dt.date) -> list[Any]:
    return [item for item in items if item.dates.holds_on(day)]


def residence_place(rules: Rules, residence: str | None) -> tuple[bool, str | None]:
    """All that select_practice reads of a residence: whether one was given, and the covered region it
    belongs to (None when none covers it). Caches of practice data are keyed by this, not by the country."""
    if not residence:
        return (False, None)
    practice = getattr(rules, "practice", None)
    return (True, practice.region_of(residence) if practice is not None else None)


def practice_case(place: tuple[bool, str | None], region: str) -> tuple[bool, bool]:
    """All that select_practice reads of a place of residence (``residence_place``) for a label in
    ``region``: whether the person lives outside it (the travel pathway applies), and whether no covered
    region stands for their country (special routes, and every region's availability, apply). Most people
    share a case (no residence given, or living where they want treatment), so caches of a label's practice
    data are keyed by this, never by the country."""
    given, home = place
    return (given and home != region, given and home is None)


def select_practice(
    rules: Rules, label: Label, as_of: dt.date, residence: str | None = None
) -> PracticeFacts:
    """Caveats, costs, steps, evidence and availability for ``label`` on ``as_of`` (design brief section 3).

    ``residence`` adds the international-patient pathway when the person lives outside the label's
    region, and the special routes (named-patient programmes, pilot zones, trial registries) when the
    person lives in a country no covered region stands for.
    """
    p, region, product = rules.practice, label.region, rules.products[label.product]
    caveats = _holding((c for c in p.caveats if c.product == product.id and region in c.regions), as_of)
    costs = _holding((c for c in p.costs if c.product == product.id and c.region == region), as_of)
    prices = tuple(c for c in costs if not c.no_public_price)
    no_price = next((c for c in costs if c.no_public_price), None)
    coverage = _holding(
        (c for c in p.coverage if c.region == region and c.applies_to(product.id, product.kind)), as_of
    )
    steps = _holding(
        (s for s in p.steps if s.region == region and s.section == "region" and product.kind in s.kinds),
        as_of,
    )
    # Nothing else of the residence is read below.
    abroad, uncovered = practice_case(residence_place(rules, residence), region)
    if abroad:
        steps += _holding((s for s in p.steps if s.region == region and s.section == "international"), as_of)
    if uncovered:
        steps += _holding(p.routes, as_of)
    evidence = _holding((e for e in p.evidence if label.id in e.labels), as_of)
    availability = _holding((a for a in p.availability if a.product == product.id), as_of)
    # Where the person's country is not covered, every covered region's status helps them compare.
    availability = [a for a in availability if a.region == region or uncovered]
    return PracticeFacts(
        caveats=tuple(caveats),
        prices=prices,
        no_public_price=no_price if not prices else None,
        coverage=tuple(coverage),
        steps=tuple(steps),
        evidence=tuple(evidence),
        availability=tuple(availability),
    )


def coverage_gaps(rules: Rules, day: dt.date) -> list[str]:
    """Every label in force on ``day`` lacking caveats, a cost entry, access steps or evidence."""
    gaps = []
    for label in rules.labels.values():
        if not label.in_force_on(day):
            continue
        facts = select_practice(rules, label, day)
        missing = [
            name
            for name, present in (
                ("caveats", facts.caveats),
                ("cost", facts.has_cost),
                ("access_steps", facts.steps),
                ("evidence", facts.evidence),
            )
            if not present
        ]
        if missing:
            gaps.append(f"{label.id} ({label.region}): no {', '.join(missing)}")
    return gaps
