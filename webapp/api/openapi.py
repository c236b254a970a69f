"""The API blueprint's part of the OpenAPI 3.1 document (``webapp.results.openapi`` assembles the whole).

Every request example carries ``x-expect``; a test replays them."""

from __future__ import annotations

from typing import Any

from ..eligibility import CLASS_IDS, STATUSES, Rules
from ..eligibility.model import (
    AVAILABILITY_ASPECTS,
    AVAILABILITY_STATUSES,
    CAVEAT_TOPICS,
    EVIDENCE_BASES,
    PRICE_TYPES,
    PRICE_UNITS,
    ROUTE_KINDS,
    SOURCE_KINDS,
    TRIAL_DESIGNS,
)
from ..i18n import LANG_SPELLINGS
from ..results.schema import INCLUDES, MAX_DRUGS, MAX_INCLUDES, MAX_LINES, TERRITORIES

TRISTATE = {"type": ["boolean", "null"]}


def _errors_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "object",
                "description": "Field name (nested fields joined with a dot, e.g. `drugs.2`) or `_body`, "
                "mapped to messages in the request's language.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            }
        },
    }


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
    }


def _practice_schemas() -> dict[str, Any]:
    """Schemas of the issue 7 fields: every fact is dated (valid_from/valid_to) and carries its source."""
    date = {"type": "string", "description": "YYYY-MM-DD, YYYY-MM or YYYY (month or year: its last day)"}
    dated = {
        "valid_from": {**date, "description": "First day the fact holds."},
        "valid_to": {"type": ["string", "null"], "description": "First day it no longer holds, or null."},
    }
    source = {
        "type": "object",
        "required": ["title", "url", "checked", "kind", "verified"],
        "properties": {
            "title": {"type": "string"},
            "url": {"type": "string"},
            "checked": {"type": "string", "format": "date", "description": "The day the source was read."},
            "section": {"type": ["string", "null"]},
            "quote": {"type": ["string", "null"]},
            "kind": {"enum": list(SOURCE_KINDS)},
            "verified": {
                "type": "boolean",
                "description": "True only when the fact was read in the source itself; false for figures "
                "taken from research notes or secondary reports (the note says why).",
            },
            "verified_note": {"type": ["string", "null"]},
        },
    }
    ref = {"$ref": "#/components/schemas/FactSource"}
    caveat = {
        "type": "object",
        "required": ["id", "topic", "boxed", "text", "valid_from", "source"],
        "properties": {
            "id": {"type": "string"},
            "topic": {"enum": list(CAVEAT_TOPICS)},
            "boxed": {"type": "boolean", "description": "A boxed warning in this region's label."},
            "text": {"type": "string"},
            **dated,
            "source": ref,
        },
    }
    price = {
        "type": "object",
        "required": [
            "id",
            "type",
            "low",
            "high",
            "currency",
            "year",
            "unit",
            "includes",
            "excludes",
            "source",
        ],
        "properties": {
            "id": {"type": "string"},
            "type": {"enum": list(PRICE_TYPES)},
            "low": {"type": "number"},
            "high": {"type": "number"},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"},
            "year": {"type": "integer"},
            "unit": {"enum": list(PRICE_UNITS)},
            "text": {"type": "string"},
            "includes": {"type": "string"},
            "excludes": {"type": "string"},
            **dated,
            "source": ref,
        },
    }
    fact = {
        "type": "object",
        "required": ["text", "source"],
        "properties": {"id": {"type": "string"}, "text": {"type": "string"}, **dated, "source": ref},
    }
    cost = {
        "type": ["object", "null"],
        "description": "Amounts are numbers with an ISO 4217 code, never formatted text. null when no "
        "price, no 'no public price found' entry and no coverage fact holds for the region and date.",
        "required": ["region", "prices", "no_public_price", "coverage"],
        "properties": {
            "region": {"type": "string"},
            "prices": {"type": "array", "items": price},
            "no_public_price": {
                "type": ["object", "null"],
                "description": "An explicit 'no public price found', with the day someone looked.",
                "properties": {
                    "text": {"type": "string"},
                    "looked": {"type": "string", "format": "date"},
                    "source": ref,
                },
            },
            "coverage": {
                "type": "array",
                "items": fact,
                "description": "What insurance or programmes may pay in the region.",
            },
        },
    }
    step = {
        "type": "object",
        "required": ["id", "section", "number", "heading", "text", "source"],
        "properties": {
            "id": {"type": "string"},
            "section": {
                "enum": ["region", "international", "route"],
                "description": "region: the steps in that region, in order; international: the pathway "
                "for someone who lives elsewhere (shown when residence differs); route: special routes "
                "for someone whose country no covered region stands for.",
            },
            "number": {"type": "integer", "description": "1-based position within its section."},
            "region": {"type": ["string", "null"], "description": "null for a route open everywhere."},
            "route_kind": {"enum": [*ROUTE_KINDS, None]},
            "heading": {"type": "string"},
            "text": {"type": "string"},
            "options": {
                "type": "array",
                "description": "Options sources disagree on (e.g. visa types): confirm each one.",
                "items": {"type": "object", "properties": {"text": {"type": "string"}, "source": ref}},
            },
            "url": {"type": ["string", "null"]},
            **dated,
            "source": ref,
        },
    }
    number = {"type": ["number", "null"]}
    evidence = {
        "type": "object",
        "required": ["id", "trial", "basis", "design", "population", "patients", "source"],
        "properties": {
            "id": {"type": "string"},
            "trial": {"type": "string"},
            "registry_ids": {"type": "array", "items": {"type": "string"}},
            "basis": {
                "enum": list(EVIDENCE_BASES),
                "description": "Whose figures: the regulator's label, the publication, or the sponsor.",
            },
            "design": {"enum": list(TRIAL_DESIGNS)},
            "population": {"type": "string"},
            "patients": {"type": "integer"},
            "comparator": {"type": ["string", "null"]},
            "orr": {**number, "description": "Overall response rate, percent."},
            "orr_control": number,
            "cr": {**number, "description": "Complete response (see cr_kind), percent."},
            "cr_kind": {"enum": ["CR or better", "sCR", None]},
            "cr_control": number,
            "pfs_median_months": number,
            "pfs_not_reached": {"type": "boolean"},
            "pfs_control_months": number,
            "pfs_hazard_ratio": number,
            "follow_up_months": number,
            "text": {"type": "string"},
            **dated,
            "source": ref,
        },
    }
    availability = {
        "type": "object",
        "required": ["region", "aspect", "status", "text", "source"],
        "properties": {
            "id": {"type": "string"},
            "region": {"type": "string"},
            "aspect": {"enum": list(AVAILABILITY_ASPECTS)},
            "status": {"enum": list(AVAILABILITY_STATUSES)},
            "text": {"type": "string"},
            **dated,
            "source": ref,
        },
    }
    return {
        "FactSource": source,
        "Caveat": caveat,
        "Cost": cost,
        "AccessStep": step,
        "Evidence": evidence,
        "Availability": availability,
    }


def openapi_part(rules: Rules) -> dict[str, Any]:
    """The check, labels, regions, drugs and this document's own path, and the shared schemas."""
    regions = list(rules.regions)
    drug_ids = list(rules.drugs)
    ok_request = {
        "region": "CN",
        "prior_lines": 3,
        "drugs": ["bortezomib", "lenalidomide"],
        "relapsed_or_refractory": True,
        "adult": True,
        "as_of": "2025-06-01",
    }
    request_examples: dict[str, Any] = {
        "mainland_china_car_t": {
            "summary": "Three earlier lines with a PI and an IMiD, to be treated in mainland China",
            "value": ok_request,
            "x-expect": {"status": 200},
        },
        "not_sure_answers": {
            "summary": "Unknown answers (null or omitted) give `possible` with `decided_by`",
            "value": {
                "region": "US",
                "prior_lines": None,
                "exposed_classes": {"anti-CD38": None},
                "lang": "zh-HK",
            },
            "x-expect": {"status": 200},
        },
        "include_practice": {
            "summary": "Ask for each label's practice sections too (caveats, cost, steps, evidence)",
            "value": {"region": "US", "prior_lines": 4, "include": ["practice"], "as_of": "2025-06-01"},
            "x-expect": {"status": 200, "practice": True},
        },
        "traveller_at_home": {
            "summary": "Treated in mainland China, living in the US: `at_home` holds the US labels",
            "value": {
                "region": "CN",
                "residence": "US",
                "adult": True,
                "relapsed_or_refractory": True,
                "prior_lines": 3,
                "drugs": ["bortezomib", "lenalidomide"],
                "refractory": {"lenalidomide": True},
                "progressed_on_last": True,
            },
            "x-expect": {"status": 200, "at_home": "US"},
        },
        "week_date": {
            "summary": "as_of is exactly YYYY-MM-DD: a week date is rejected",
            "value": {"region": "US", "as_of": "2020-W01-1"},
            "x-expect": {"status": 400, "error_fields": ["as_of"]},
        },
        "unknown_field": {
            "summary": "An unknown key is rejected",
            "value": {"region": "US", "name": "Jane"},
            "x-expect": {"status": 400, "error_fields": ["name"]},
        },
        "bad_values": {
            "summary": "Field errors are reported per field; nested fields use a dot",
            "value": {
                "region": "XX",
                "prior_lines": 3.0,
                "drugs": ["bortezomib", 5, "aspirin"],
                "as_of": "2099-01-01",
            },
            "x-expect": {
                "status": 400,
                "error_fields": ["region", "prior_lines", "drugs.1", "drugs.2", "as_of"],
            },
        },
    }
    not_held = [lb for lb in rules.labels.values() if not lb.indication_held]
    if not_held:
        label = not_held[0]
        request_examples["wording_not_held"] = {
            "summary": "A label whose wording is not held is `not_checked` for every answer",
            "value": {"region": label.region, "prior_lines": 4, "adult": True},
            "x-expect": {"status": 200, "not_checked": [label.id]},
        }
    check_request_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["region"],
        "properties": {
            "region": {
                "type": "string",
                "enum": regions,
                "description": "Where the person wants to be treated.",
            },
            "residence": {
                "type": ["string", "null"],
                "enum": [*sorted(TERRITORIES), None],
                "description": "ISO 3166-1 alpha-2 code of where the person lives (any country), or EU.",
            },
            "adult": TRISTATE,
            "prior_lines": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_LINES},
            "drugs": {
                "type": ["array", "null"],
                "maxItems": MAX_DRUGS,
                "items": {"type": "string", "enum": drug_ids},
                "description": "Drugs the person knows they received; null or omitted means they do not know.",
            },
            "exposed_classes": {
                "type": ["object", "null"],
                "propertyNames": {"enum": list(CLASS_IDS)},
                "additionalProperties": TRISTATE,
            },
            "refractory": {
                "type": ["object", "null"],
                "propertyNames": {"enum": list(CLASS_IDS) + drug_ids},
                "additionalProperties": TRISTATE,
                "description": "Progression on the drug or class, or within 60 days of its last dose.",
            },
            "relapsed_or_refractory": TRISTATE,
            "progressed_on_last": TRISTATE,
            "prior_bcma_car_t": TRISTATE,
            "as_of": {
                "type": ["string", "null"],
                "format": "date",
                "description": "Evaluate the labels in force on this day (default: today, UTC). "
                "From 2000-01-01 to today.",
            },
            "lang": {
                "type": ["string", "null"],
                "enum": [*LANG_SPELLINGS, None],
            },
            "include": {
                "type": ["array", "null"],
                "maxItems": MAX_INCLUDES,
                "items": {"enum": list(INCLUDES)},
                "description": '`["practice"]` adds each result\'s practice sections (caveats, cost, access '
                "steps, evidence, availability), as the results pages show them. Default: decisions only.",
            },
        },
    }
    criterion = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "met", "text"],
        "properties": {
            "id": {
                "type": "string",
                "description": "e.g. min_prior_lines, exposed:PI, refractory:lenalidomide",
            },
            "met": {**TRISTATE, "description": "true met, false not met, null unknown."},
            "answer": {"description": "The answer the criterion read, where there is one."},
            "threshold": {"description": "What the label asks for, where it is a value (e.g. 3 lines)."},
            "text": {
                "type": "string",
                "description": "Why, in the request's language. For a requirement whose wording was not read, "
                "it says whether the answer meets its strictest reading.",
            },
            "note": {"type": "string", "description": "e.g. that the label counts regimens, not lines."},
        },
    }
    citation = {
        "type": "object",
        "additionalProperties": False,
        "required": ["document", "issuer", "date", "urls", "checked"],
        "properties": {
            "document": {"type": "string"},
            "issuer": {"type": ["string", "null"], "description": "Who issued the document."},
            "date": {
                "type": ["string", "null"],
                "description": "The document's own date (YYYY, YYYY-MM or YYYY-MM-DD), or null.",
            },
            "urls": {"type": "array", "items": {"type": "string"}},
            "checked": {
                "type": "string",
                "format": "date",
                "description": "The day it was read: a citation without a date reads 'accessed <checked>'.",
            },
        },
    }
    practice = {
        "type": "object",
        "additionalProperties": False,
        "required": ["caveats", "cost", "access_steps", "evidence", "availability"],
        "description": "A label's practice sections on as_of for someone living in residence, as the results "
        "pages show them. Citations only: maintainers' notes never appear.",
        "properties": {
            "caveats": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Caveat"},
                "description": "Safety and logistics facts true in the region on as_of.",
            },
            "cost": {"$ref": "#/components/schemas/Cost"},
            "access_steps": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/AccessStep"},
                "description": "Printable steps in order; the travel pathway is added when residence "
                "differs from region, special routes when residence is in no covered region.",
            },
            "evidence": {"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}},
            "availability": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Availability"},
                "description": "Approved, launched and funded are separate facts. For a residence in no "
                "covered region, every covered region's facts for the product.",
            },
        },
    }
    check_result = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "label_id",
            "product",
            "region",
            "regimen",
            "approved",
            "ended",
            "indication_held",
            "status",
            "criteria",
            "decided_by",
            "citation",
        ],
        "properties": {
            "label_id": {"type": "string"},
            "product": {"type": "string"},
            "region": {"type": "string"},
            "regimen": {"type": ["array", "null"], "items": {"type": "string"}},
            "approved": {
                "type": ["string", "null"],
                "description": "YYYY-MM-DD, YYYY-MM or YYYY; null unknown.",
            },
            "ended": {"type": ["string", "null"]},
            "indication_held": {
                "type": "boolean",
                "description": "false: the label exists but no source we hold states its population; it has "
                "no criteria and its status is `not_checked`.",
            },
            "status": {
                "enum": list(STATUSES),
                "description": "eligible: every criterion met; possible: none failed, some unknown "
                "(`decided_by` names the answers that would settle it); not_checked: the wording is not held, "
                "so no answer is screened against it (never `possible`); not_eligible: a criterion not met.",
            },
            "criteria": {"type": "array", "items": {"$ref": "#/components/schemas/Criterion"}},
            "decided_by": {"type": "array", "items": {"type": "string"}},
            "citation": {"$ref": "#/components/schemas/Citation"},
            "practice": {"$ref": "#/components/schemas/Practice"},
        },
    }
    not_checked_example = {
        "label_id": "example-cn-undated",
        "product": "equecabtagene-autoleucel",
        "region": "CN",
        "regimen": None,
        "approved": None,
        "ended": None,
        "indication_held": False,
        "status": "not_checked",
        "criteria": [],
        "decided_by": [],
        "citation": {
            "document": "Approval notice",
            "issuer": "National Medical Products Administration",
            "date": None,
            "urls": ["https://www.nmpa.gov.cn/"],
            "checked": "2026-12-06",
        },
    }
    check_response = {
        "type": "object",
        "required": ["region", "as_of", "rules_version", "warnings", "results", "approved_elsewhere"],
        "properties": {
            "region": {"type": "string"},
            "residence": {"type": ["string", "null"]},
            "as_of": {"type": "string", "format": "date"},
            "lang": {"enum": ["en", "zh-Hans", "zh-Hant"]},
            "rules_version": {"type": "string"},
            "warnings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "field": {"type": "string"},
                        "text": {"type": "string"},
                    },
                },
            },
            "results": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/LabelResult"},
                "description": "One entry per label in force, sorted by status (eligible, possible, "
                "not_checked, not_eligible), then product, then label id.",
            },
            "at_home": {
                "type": "object",
                "additionalProperties": False,
                "required": ["region", "results"],
                "description": "When residence is a covered region other than region: the same answers "
                "evaluated there, in the same shape.",
                "properties": {
                    "region": {"type": "string"},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/LabelResult"}},
                },
            },
            "approved_elsewhere": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "product": {"type": "string"},
                        "name": {"type": "string"},
                        "regions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "region": {"type": "string"},
                                    "status": {"enum": list(STATUSES)},
                                    "label_ids": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
    lang_param = {
        "name": "lang",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": list(LANG_SPELLINGS)},
        "description": "en, zh-Hans or zh-Hant (or an alias).",
    }

    def get_op(summary: str) -> dict[str, Any]:
        return {
            "summary": summary,
            "parameters": [lang_param],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": _error_response("Unknown `lang`."),
            },
        }

    return {
        "paths": {
            "/api/v1/check": {
                "post": {
                    "summary": "Evaluate answers against every label in force in a region",
                    "description": "Errors are checked in this order: 413 (body over 16 KiB), 415 (not "
                    "application/json), 400 for the body (`_body`: not UTF-8, not JSON, NaN, duplicate "
                    "key, not an object), then 400 field by field. No cookies and no CSRF token needed.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CheckRequest"},
                                "examples": request_examples,
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The evaluation",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/CheckResponse"}}
                            },
                        },
                        "400": _error_response("The body or a field is invalid."),
                        "413": _error_response("The body is over 16 KiB."),
                        "415": _error_response("The content type is not application/json."),
                        "429": _error_response("Too many requests."),
                    },
                }
            },
            "/api/v1/labels": {"get": get_op("Every product and label version, with criteria and sources")},
            "/api/v1/labels/{label_id}/practice": {
                "get": {
                    "summary": 'One label\'s practice sections: what `include: ["practice"]` adds to its result',
                    "parameters": [
                        {
                            "name": "label_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": list(rules.labels)},
                            "example": "cilta-cel-us-2024",
                        },
                        {
                            "name": "as_of",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "format": "date"},
                            "description": "YYYY-MM-DD, from 2000-01-01 to today (default: today, UTC).",
                            "example": "2025-06-01",
                        },
                        {
                            "name": "residence",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": sorted(TERRITORIES)},
                            "description": "Where the person lives: adds the travel steps when it is not the "
                            "label's region.",
                            "example": "SG",
                        },
                        lang_param,
                    ],
                    "responses": {
                        "200": {
                            "description": "The practice sections",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "required": [
                                            "label_id",
                                            "product",
                                            "region",
                                            "residence",
                                            "as_of",
                                            "rules_version",
                                            "lang",
                                            "practice",
                                        ],
                                        "properties": {
                                            "label_id": {"type": "string"},
                                            "product": {"type": "string"},
                                            "region": {"type": "string"},
                                            "residence": {"type": ["string", "null"]},
                                            "as_of": {"type": "string", "format": "date"},
                                            "rules_version": {"type": "string"},
                                            "lang": {"enum": ["en", "zh-Hans", "zh-Hant"]},
                                            "practice": {"$ref": "#/components/schemas/Practice"},
                                        },
                                    },
                                }
                            },
                        },
                        "400": _error_response("A malformed `as_of`, `residence` or `lang`."),
                        "404": _error_response("No label has this id."),
                    },
                }
            },
            "/api/v1/regions": {"get": get_op("The covered regions")},
            "/api/v1/drugs": {"get": get_op("Drug classes and every drug a patient may name")},
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1 document"}},
                }
            },
        },
        "components": {
            "schemas": {
                "CheckRequest": check_request_schema,
                "CheckResponse": check_response,
                "LabelResult": {
                    **check_result,
                    "examples": [not_checked_example] if not_checked_example["status"] in STATUSES else [],
                },
                "Criterion": criterion,
                "Citation": citation,
                "Practice": practice,
                "Errors": _errors_schema(),
                **_practice_schemas(),
            }
        },
    }
