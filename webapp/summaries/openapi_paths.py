"""OpenAPI 3.1 paths of the saved-summary operations, declared on the blueprint and assembled into /api/v1/openapi.json.

They refer to the document's own components (``CheckRequest``, ``CheckResponse``, ``Errors``). Every request
example carries ``x-expect``, like the check endpoint's, so a test can replay them.
"""

from __future__ import annotations

from typing import Any

from ..i18n import LANG_SPELLINGS

LANGS = list(LANG_SPELLINGS)
TOKEN_PATTERN = "^[A-Za-z0-9_-]{43}$"  # noqa: S105 - the format of a token, not a secret


def _errors(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
    }


def openapi_paths() -> dict[str, Any]:
    token_param = {
        "name": "token",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The token from the summary's link: 43 URL-safe characters (256 random bits).",
    }
    lang_param = {
        "name": "lang",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "The language of `result`: en, zh-Hans or zh-Hant (or an alias). Default: the "
        "language the summary was saved in. Every summary holds all three.",
    }
    create_request = {
        "type": "object",
        "additionalProperties": False,
        "required": ["answers", "consent"],
        "properties": {
            "answers": {"$ref": "#/components/schemas/CheckRequest"},
            "consent": {
                "type": "boolean",
                "description": "Must be true: the person agreed to store their answers and results behind a "
                "link anyone holding it can open, until it expires. Nothing identifying is accepted.",
            },
            "lang": {"type": ["string", "null"], "enum": [*LANGS, None]},
        },
    }
    created = {
        "type": "object",
        "required": ["token", "url", "expires"],
        "properties": {
            "token": {"type": "string", "pattern": TOKEN_PATTERN},
            "url": {"type": "string", "description": "/s/<token>, the summary's page."},
            "expires": {"type": "string", "format": "date", "description": "The day (UTC) it expires."},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    }
    not_listed_result = {
        "type": "object",
        "required": ["region", "as_of", "rules_version", "results", "approved_elsewhere"],
        "description": "A summary saved from the web form by someone whose place is not covered: no region, "
        "no results, only where each product is approved.",
        "properties": {"region": {"type": "null"}},
    }
    summary = {
        "type": "object",
        "required": [
            "token",
            "url",
            "created",
            "expires",
            "lang",
            "rules_version",
            "answers",
            "result",
        ],
        "properties": {
            "token": {"type": "string", "pattern": TOKEN_PATTERN},
            "url": {"type": "string"},
            "created": {"type": "string", "format": "date-time"},
            "expires": {"type": "string", "format": "date"},
            "expires_at": {"type": "string", "format": "date-time"},
            "lang": {"enum": ["en", "zh-Hans", "zh-Hant"], "description": "The language of `result`."},
            "saved_lang": {"enum": ["en", "zh-Hans", "zh-Hant"]},
            "rules_version": {
                "type": "string",
                "description": "The rules version the result was evaluated with. A saved result never "
                "changes; check the answers again to see today's.",
            },
            "checked_on": {"type": ["string", "null"], "format": "date"},
            "hypothetical": {
                "type": "boolean",
                "description": "True when the myeloma was under control: the result shows what the answers "
                "would match if it came back.",
            },
            "answers": {
                "type": "object",
                "description": "The answers as saved: a check request (the web form may also save "
                '`"region": "none"` for a place not covered).',
            },
            "result": {"anyOf": [{"$ref": "#/components/schemas/CheckResponse"}, not_listed_result]},
        },
    }
    examples = {
        "save_with_consent": {
            "summary": "Save a check for mainland China, in Simplified Chinese",
            "value": {
                "answers": {
                    "region": "CN",
                    "adult": True,
                    "prior_lines": 3,
                    "drugs": ["bortezomib", "lenalidomide"],
                    "relapsed_or_refractory": True,
                },
                "consent": True,
                "lang": "zh-Hans",
            },
            "x-expect": {"status": 201},
        },
        "no_consent": {
            "summary": "Without consent nothing is stored",
            "value": {"answers": {"region": "US"}},
            "x-expect": {"status": 400, "error_fields": ["consent"]},
        },
        "bad_answers": {
            "summary": "Answer errors are named under `answers.`",
            "value": {"answers": {"region": "XX", "prior_lines": True}, "consent": True},
            "x-expect": {"status": 400, "error_fields": ["answers.region", "answers.prior_lines"]},
        },
        "unknown_field": {
            "summary": "No other field (and so nothing identifying) is accepted",
            "value": {"answers": {"region": "US"}, "consent": True, "name": "Jane"},
            "x-expect": {"status": 400, "error_fields": ["name"]},
        },
    }
    unavailable = _errors("The database is not reachable; nothing was stored or changed. Try again later.")
    return {
        "/api/v1/summaries": {
            "post": {
                "summary": "Save answers and their result behind an unguessable, expiring link",
                "description": "Needs the person's explicit consent. The result is evaluated once and kept in "
                "all three languages, so a later rules change never alters it. Errors come in the order of "
                "/api/v1/check: 413, 415, 400 for the body (`_body`), then 400 field by field (nested answer "
                "fields as `answers.<field>`). No cookies and no CSRF token needed.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": create_request, "examples": examples}},
                },
                "responses": {
                    "201": {
                        "description": "Saved. `Location` names the summary in this API.",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": created}},
                    },
                    "400": _errors("No consent, or the body or a field is invalid."),
                    "413": _errors("The body is over 16 KiB."),
                    "415": _errors("The content type is not application/json."),
                    "429": _errors("Too many requests."),
                    "503": unavailable,
                },
            }
        },
        "/api/v1/summaries/{token}": {
            "parameters": [token_param],
            "get": {
                "summary": "The saved answers and the result as it was saved",
                "parameters": [lang_param],
                "responses": {
                    "200": {
                        "description": "The summary",
                        "content": {"application/json": {"schema": summary}},
                    },
                    "400": _errors("Unknown `lang`."),
                    "404": _errors("Unknown or expired token."),
                    "503": unavailable,
                },
            },
            "delete": {
                "summary": "Delete a saved summary at once",
                "responses": {
                    "204": {"description": "Deleted; the link no longer works."},
                    "404": _errors("Unknown or expired token."),
                    "503": unavailable,
                },
            },
        },
    }
