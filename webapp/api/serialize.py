"""Turn engine results and rule data into JSON-ready dicts, with every text in the active locale."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext

from ..eligibility import Engine, Label, Result
from ..eligibility.engine import CriterionResult, LabelResult
from ..eligibility.model import Product, Rules
from ..eligibility.texts import N_
from ..i18n import names, render


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
            "section": s.section,
            "url": s.url,
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
    }


def product_brief(product: Product, region: str | None = None) -> dict[str, Any]:
    return {
        "product": product.id,
        "name": names(product.names),
        "short": product.short or None,
        "brand": product.brand_in(region) if region else None,
        "kind": product.kind,
        "target": product.target,
        "summary": gettext(product.summary),
    }


def label_result_data(rules: Rules, r: LabelResult) -> dict[str, Any]:
    label = r.label
    product = rules.products[label.product]
    brief = product_brief(product, label.region)
    data = label_data(rules, label)
    return {
        "product": label.product,
        "label_id": label.id,
        "regimen": list(label.regimen) or None,
        "regimen_text": regimen_text(rules, label),
        "status": r.status,
        "criteria": [criterion_data(c) for c in r.criteria],
        "decided_by": list(r.decided_by),
        "name": brief["name"],
        "brand": brief["brand"],
        "kind": product.kind,
        "target": product.target,
        "summary": brief["summary"],
        "label": {k: data[k] for k in data if k not in {"id", "product", "source", "regimen", "criteria"}},
        # Caveats, costs, access steps and evidence per region and date are filled by the practice data
        # (issue 7); the fields are in the contract now so clients can rely on their shape.
        "caveats": [],
        "cost": None,
        "access_steps": [],
        "evidence": [],
        "source": data["source"],
    }


def result_data(engine: Engine, result: Result, residence: str | None = None) -> dict[str, Any]:
    rules = engine.rules
    return {
        "region": result.region,
        "residence": residence,
        "as_of": result.as_of.isoformat(),
        "rules_version": result.rules_version,
        "warnings": [{"code": w.code, "field": w.field, "text": render(w.text)} for w in result.warnings],
        "results": [label_result_data(rules, r) for r in result.results],
        "approved_elsewhere": [
            {
                "product": e.product,
                "name": names(rules.products[e.product].names),
                "regions": [
                    {"region": r.region, "status": r.status, "label_ids": list(r.label_ids)}
                    for r in e.regions
                ],
            }
            for e in result.approved_elsewhere
        ],
    }
