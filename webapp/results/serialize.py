"""Turn engine results and rule data into JSON-ready dicts, with every text in the active locale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..eligibility import Engine, Label, Result
from ..eligibility.dates import PartialDate
from ..eligibility.engine import CriterionResult, LabelResult
from ..eligibility.model import (
    AccessStep,
    Availability,
    Caveat,
    Dated,
    EvidenceResult,
    FactSource,
    Product,
    Rules,
)
from ..eligibility.practice import PracticeFacts, select_practice
from ..eligibility.texts import N_
from ..i18n import current_locale_id, gettext, names, render

# A label source's fields for maintainers only: shown on the clinician label page, never in a check's answer.
MAINTAINERS_FIELDS = frozenset(("verified_note", "reviewed_by", "reviewed_on", "notes"))


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def regimen_text(rules: Rules, label: Label) -> str | None:
    if not label.regimen:
        return None
    drugs = [names(rules.drugs[d].names) for d in label.regimen]
    return gettext("with %(drugs)s", drugs=gettext(", ").join(drugs))


# Marked for extraction: the regimen sentence and its list separator.
N_("with %(drugs)s")
N_(", ")


def label_data(rules: Rules, label: Label, today: dt.date | None = None) -> dict[str, Any]:
    """Everything a clinician needs to check one label version; criteria exactly as encoded."""
    c, s = label.criteria, label.source
    out: dict[str, Any] = {
        "id": label.id,
        "product": label.product,
        "region": label.region,
        "regulator": label.regulator,
        "approval_type": label.approval_type or None,
        "approved": str(label.approved) if label.approved else None,
        "approved_precision": label.approved.precision if label.approved else None,
        "in_force_from": _date(label.in_force_from),
        "ended": str(label.ended) if label.ended else None,
        "end_reason": label.end_reason,
        "regimen": list(label.regimen) or None,
        "line_word": label.line_word,
        "indication": label.indication,
        "indication_lang": label.indication_lang,
        "indication_en": label.indication_en or None,
        "indication_en_official": label.indication_en_official if label.indication_en else None,
        "indication_held": label.indication_held,
        "indication_translated_from": label.indication_translated_from or None,
        "criteria": {
            "adult": c.adult,
            "min_prior_lines": c.min_prior_lines,
            "max_prior_lines": c.max_prior_lines,
            "exposed": list(c.exposed),
            "refractory": list(c.refractory),
            "progressed_on_last": c.progressed_on_last,
            "no_prior_bcma_car_t": c.no_prior_bcma_car_t,
            "unknown": list(c.unknown),
        },
        "source": {
            "document": s.document,
            "issuer": s.issuer or None,
            "date": _partial(s.date),
            "section": s.section,
            "url": s.url,
            "urls": list(s.urls),
            "checked": _date(s.checked),
            "checked_against": s.checked_against,
            "verified": s.verified,
            "verified_note": s.verified_note or None,
            "reviewed_by": s.reviewed_by or None,
            "reviewed_on": _date(s.reviewed_on),
            "notes": s.notes or None,
        },
        "flags": list(label.flags),
    }
    if today is not None:
        out["state"] = label.state_on(today)
    return out


def criterion_data(c: CriterionResult) -> dict[str, Any]:
    return {
        "id": c.id,
        "met": c.outcome.as_bool,
        "outcome": c.outcome.value,
        "answer": c.answer,
        "threshold": c.threshold,
        "text": render(c.text),
        "note": render(c.note) if c.note else None,
        "missing_data": c.missing_data,
        # For a criterion whose wording we lack: whether some answer could still settle it.
        "settled_by_answer": c.decided_by is not None,
    }


def product_brief(product: Product, region: str | None = None) -> dict[str, Any]:
    return {
        "product": product.id,
        "name": names(product.names),
        "short": product.short or None,
        "brand": product.brand_in(region, current_locale_id()) if region else None,
        "kind": product.kind,
        "target": product.target,
        "summary": gettext(product.summary),
    }


def _partial(value: PartialDate | None) -> str | None:
    return str(value) if value else None


def source_data(s: FactSource) -> dict[str, Any]:
    """A practice fact's citation, for everyone: never the maintainers' verification note."""
    return {
        "title": s.title,
        "issuer": s.issuer or None,
        "date": _partial(s.date),
        "url": s.url,
        "urls": list(s.urls),
        "checked": _date(s.checked),
        "section": s.section or None,
        "quote": s.quote or None,
        "kind": s.kind,
        "verified": s.verified,
    }


def _dated(d: Dated) -> dict[str, Any]:
    return {"valid_from": str(d.valid_from), "valid_to": _partial(d.valid_to)}


def caveat_data(c: Caveat) -> dict[str, Any]:
    return {
        "id": c.id,
        "topic": c.topic,
        "boxed": c.boxed,
        "text": gettext(c.text),
        **_dated(c.dates),
        "source": source_data(c.source),
    }


def cost_data(facts: PracticeFacts, region: str) -> dict[str, Any] | None:
    """Prices as numbers with an ISO 4217 code (the web layer formats them with Babel), or null."""
    if not (facts.prices or facts.no_public_price or facts.coverage):
        return None
    none = facts.no_public_price
    return {
        "region": region,
        "prices": [
            {
                "id": c.id,
                "type": c.price_type,
                "low": c.low,
                "high": c.high,
                "currency": c.currency,
                "year": c.year,
                "unit": c.unit,
                "text": gettext(c.text),
                "includes": gettext(c.includes),
                "excludes": gettext(c.excludes),
                **_dated(c.dates),
                "source": source_data(c.source),
            }
            for c in facts.prices
        ],
        "no_public_price": None
        if none is None
        else {"text": gettext(none.text), "looked": _date(none.looked), "source": source_data(none.source)},
        "coverage": [
            {"id": c.id, "text": gettext(c.text), **_dated(c.dates), "source": source_data(c.source)}
            for c in facts.coverage
        ],
    }


def step_data(s: AccessStep, number: int) -> dict[str, Any]:
    return {
        "id": s.id,
        "section": s.section,
        "number": number,
        "region": s.region or None,
        "route_kind": s.route_kind or None,
        "heading": gettext(s.heading),
        "text": gettext(s.text),
        "options": [{"text": gettext(o.text), "source": source_data(o.source)} for o in s.options],
        "url": s.url or None,
        **_dated(s.dates),
        "source": source_data(s.source),
    }


def steps_data(steps: tuple[AccessStep, ...]) -> list[dict[str, Any]]:
    """Numbered from 1 within each section (region steps, then the travel pathway, then special routes)."""
    counts: dict[str, int] = {}
    out = []
    for s in steps:
        counts[s.section] = counts.get(s.section, 0) + 1
        out.append(step_data(s, counts[s.section]))
    return out


def evidence_data(e: EvidenceResult) -> dict[str, Any]:
    return {
        "id": e.id,
        "trial": e.trial,
        "registry_ids": list(e.registry_ids),
        "basis": e.basis,
        "design": e.design,
        "population": gettext(e.population),
        "patients": e.patients,
        "comparator": gettext(e.comparator) if e.comparator else None,
        "orr": e.orr,
        "orr_control": e.orr_control,
        "cr": e.cr,
        "cr_kind": e.cr_kind or None,
        "cr_control": e.cr_control,
        "pfs_median_months": e.pfs_median_months,
        "pfs_not_reached": e.pfs_not_reached,
        "pfs_control_months": e.pfs_control_months,
        "pfs_hazard_ratio": e.pfs_hazard_ratio,
        "follow_up_months": e.follow_up_months,
        "text": gettext(e.text),
        **_dated(e.dates),
        "source": source_data(e.source),
    }


def availability_data(a: Availability) -> dict[str, Any]:
    return {
        "id": a.id,
        "region": a.region,
        "aspect": a.aspect,
        "status": a.status,
        "text": gettext(a.text),
        **_dated(a.dates),
        "source": source_data(a.source),
    }


def practice_data(facts: PracticeFacts | None, region: str) -> dict[str, Any]:
    """The issue 7 fields of one result; empty (with the same shapes) when no practice data applies."""
    if facts is None:
        return {"caveats": [], "cost": None, "access_steps": [], "evidence": [], "availability": []}
    return {
        "caveats": [caveat_data(c) for c in facts.caveats],
        "cost": cost_data(facts, region),
        "access_steps": steps_data(facts.steps),
        "evidence": [evidence_data(e) for e in facts.evidence],
        "availability": [availability_data(a) for a in facts.availability],
    }


def label_result_data(
    rules: Rules, r: LabelResult, as_of: dt.date | None = None, residence: str | None = None
) -> dict[str, Any]:
    """One result. With ``as_of``, the caveats, cost, steps and evidence true on that day are filled in."""
    head = _result_head(rules, r.label)
    return {**head, **_result_dynamic(r), **_result_tail(rules, r.label, as_of, residence)}


def _result_head(rules: Rules, label: Label) -> dict[str, Any]:
    return {
        "product": label.product,
        "label_id": label.id,
        "regimen": list(label.regimen) or None,
        "regimen_text": regimen_text(rules, label),
    }


def _result_dynamic(r: LabelResult) -> dict[str, Any]:
    """The part of a result that depends on the answers."""
    return {
        "status": r.status,
        "criteria": [criterion_data(c) for c in r.criteria],
        "decided_by": list(r.decided_by),
    }


def _result_brief(rules: Rules, label: Label) -> dict[str, Any]:
    """What a card's heading shows: the product's name, brand in the region, kind, target and summary."""
    product = rules.products[label.product]
    brief = product_brief(product, label.region)
    return {
        "name": brief["name"],
        "brand": brief["brand"],
        "kind": product.kind,
        "target": product.target,
        "summary": brief["summary"],
    }


def _result_tail(rules: Rules, label: Label, as_of: dt.date | None, residence: str | None) -> dict[str, Any]:
    data = label_data(rules, label)
    return {
        **_result_brief(rules, label),
        "label": {k: data[k] for k in data if k not in {"id", "product", "source", "regimen", "criteria"}},
        # Caveats, costs, access steps, evidence and availability for the region and date (issue 7).
        **(practice_view(rules, label, as_of, residence) if as_of is not None else practice_data(None, "")),
        "source": {k: v for k, v in data["source"].items() if k not in MAINTAINERS_FIELDS},
    }


def result_data(
    engine: Engine,
    result: Result,
    residence: str | None = None,
) -> dict[str, Any]:
    """The check's answer as JSON-ready dicts, with each result's practice data for the day."""
    rules = engine.rules
    results = [label_result_data(rules, r, result.as_of, residence) for r in result.results]
    return {
        **_result_top(result, residence),
        "results": results,
        "approved_elsewhere": _elsewhere_data(rules, result),
    }


def _result_top(result: Result, residence: str | None) -> dict[str, Any]:
    return {
        "region": result.region,
        "residence": residence,
        "as_of": result.as_of.isoformat(),
        "rules_version": result.rules_version,
        "warnings": [{"code": w.code, "field": w.field, "text": render(w.text)} for w in result.warnings],
    }


def _elsewhere_data(rules: Rules, result: Result) -> list[dict[str, Any]]:
    return [
        {
            "product": e.product,
            "name": names(rules.products[e.product].names),
            "regions": [
                {"region": r.region, "status": r.status, "label_ids": list(r.label_ids)} for r in e.regions
            ],
        }
        for e in result.approved_elsewhere
    ]


# -- the check's answer, lean (design brief section 4) -------------------------------------------------------
def practice_view(rules: Rules, label: Label, as_of: dt.date, residence: str | None) -> dict[str, Any]:
    """One label's practice sections on ``as_of`` for someone living in ``residence``: the caveats, cost, access
    steps, evidence and availability, exactly as the pages show them. Depends on no answer."""
    return practice_data(select_practice(rules, label, as_of, residence), label.region)


def citation_data(label: Label) -> dict[str, Any]:
    """What everyone may read of a label's source: the document, who issued it, its date, where to find it,
    and the day it was read (a citation without a date reads "accessed <checked>")."""
    s = label.source
    return {
        "document": s.document,
        "issuer": s.issuer or None,
        "date": _partial(s.date),
        "urls": list(s.urls),
        "checked": _date(s.checked),
    }


def lean_criterion(c: CriterionResult) -> dict[str, Any]:
    """One criterion: its id, whether it is met (null: unknown), its text, and the answer and threshold where
    there are any, and a note where the label's wording needs one."""
    out: dict[str, Any] = {"id": c.id, "met": c.outcome.as_bool, "text": render(c.text)}
    if c.answer is not None:
        out["answer"] = c.answer
    if c.threshold is not None:
        out["threshold"] = c.threshold
    if c.note:
        out["note"] = render(c.note)
    return out


def lean_result(
    rules: Rules, r: LabelResult, as_of: dt.date, residence: str | None, practice: bool = False
) -> dict[str, Any]:
    """One label in force: which label, its status and why, and its citation; with ``practice``, the label's
    practice sections too (``practice_view``)."""
    label = r.label
    out: dict[str, Any] = {
        "label_id": label.id,
        "product": label.product,
        "region": label.region,
        "regimen": list(label.regimen) or None,
        "approved": str(label.approved) if label.approved else None,
        "ended": str(label.ended) if label.ended else None,
        "indication_held": label.indication_held,
        "status": r.status,
        "criteria": [lean_criterion(c) for c in r.criteria],
        "decided_by": list(r.decided_by),
        "citation": citation_data(label),
    }
    if practice:
        out["practice"] = practice_view(rules, label, as_of, residence)
    return out


def check_data(
    engine: Engine,
    result: Result,
    residence: str | None,
    practice: bool = False,
    at_home: Result | None = None,
) -> dict[str, Any]:
    """The answer of ``POST /api/v1/check``: decisions and their reasons, per label in force; practice content
    only with ``practice``. ``at_home`` is the same answers evaluated where the person lives (a covered region
    other than the one asked about), in the same shape."""
    rules = engine.rules
    out = {
        **_result_top(result, residence),
        "results": [lean_result(rules, r, result.as_of, residence, practice) for r in result.results],
        "approved_elsewhere": _elsewhere_data(rules, result),
    }
    if at_home is not None:
        out["at_home"] = {
            "region": at_home.region,
            "results": [lean_result(rules, r, at_home.as_of, residence, practice) for r in at_home.results],
        }
    return out


def lean_saved(data: Mapping[str, Any]) -> dict[str, Any]:
    """A saved summary's stored result (``result_data`` as frozen in its snapshot) in the check's lean shape,
    so ``GET /api/v1/summaries/<token>`` answers like ``POST /api/v1/check``. Reads only the stored data: a
    saved result never changes with the rules."""
    out = {k: data.get(k) for k in ("region", "residence", "as_of", "rules_version")}
    out["warnings"] = list(data.get("warnings") or [])
    out["results"] = [_lean_saved_result(r) for r in data.get("results") or []]
    out["approved_elsewhere"] = list(data.get("approved_elsewhere") or [])
    return out


def _lean_saved_result(r: Mapping[str, Any]) -> dict[str, Any]:
    label, source = r.get("label") or {}, r.get("source") or {}
    urls = source.get("urls")
    if urls is None:
        urls = [source["url"]] if source.get("url") else []
    criteria = []
    for c in r.get("criteria") or []:
        lean = {"id": c["id"], "met": c.get("met"), "text": c.get("text", "")}
        for key in ("answer", "threshold", "note"):
            if c.get(key) is not None:
                lean[key] = c[key]
        criteria.append(lean)
    return {
        "label_id": r["label_id"],
        "product": r["product"],
        "region": label.get("region"),
        "regimen": r.get("regimen"),
        "approved": label.get("approved"),
        "ended": label.get("ended"),
        "indication_held": label.get("indication_held", True),
        "status": r["status"],
        "criteria": criteria,
        "decided_by": list(r.get("decided_by") or []),
        "citation": {
            "document": source.get("document", ""),
            "issuer": source.get("issuer"),
            "date": source.get("date"),
            "urls": list(urls),
            "checked": source.get("checked"),
        },
    }
