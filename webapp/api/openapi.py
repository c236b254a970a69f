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
from ..results.schema import MAX_DRUGS, MAX_LINES, TERRITORIES

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
        },
    }
    criterion = {
        "type": "object",
        "required": ["id", "met", "outcome", "text"],
        "properties": {
            "id": {
                "type": "string",
                "description": "e.g. min_prior_lines, exposed:PI, refractory:lenalidomide",
            },
            "met": TRISTATE,
            "outcome": {"enum": ["met", "not_met", "unknown"]},
            "answer": {},
            "threshold": {},
            "text": {"type": "string"},
            "note": {"type": ["string", "null"]},
            "missing_data": {"type": "boolean"},
        },
    }
    check_result = {
        "type": "object",
        "required": ["product", "label_id", "regimen", "status", "criteria", "decided_by", "source"],
        "properties": {
            "product": {"type": "string"},
            "label_id": {"type": "string"},
            "regimen": {"type": ["array", "null"], "items": {"type": "string"}},
            "regimen_text": {"type": ["string", "null"]},
            "status": {"enum": list(STATUSES)},
            "criteria": {"type": "array", "items": criterion},
            "decided_by": {"type": "array", "items": {"type": "string"}},
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
            "source": {"type": "object"},
            "label": {"type": "object"},
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
                "items": check_result,
                "description": "One entry per label in force, sorted by status (eligible, possible, "
                "not_eligible), then product, then label id.",
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
                "Errors": _errors_schema(),
                **_practice_schemas(),
            }
        },
    }
