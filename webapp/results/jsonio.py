"""Reading a JSON request body and answering with field errors: the rules every JSON POST route follows.

Design brief section 4 fixes the order of the errors: 413 for a body over the limit, 415 for a content type
other than JSON, 400 under ``_body`` for a body we cannot read as one JSON object, then 400 field by field.
Both the check (``webapp.api``) and saved summaries (``webapp.summaries``) read bodies this way.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..eligibility.texts import N_
from ..i18n import LANGUAGES, gettext, normalize_lang, request_accept_lang, use_locale
from .schema import BodyError, parse_body

log = logging.getLogger(__name__)
JSON_TYPES = ("application/json",)
TOO_LARGE = N_("The request body is larger than 16 KiB.")


def error_lang(data: Any = None) -> str:
    """The language for error messages: the body's ``lang`` if readable, else Accept-Language, else English."""
    if isinstance(data, dict) and isinstance(data.get("lang"), str) and normalize_lang(data["lang"]):
        return normalize_lang(data["lang"])  # type: ignore[return-value]
    return request_accept_lang() or "en"


def errors_response(errors: dict[str, list[str]], status: int, lang: str) -> Response:
    """``{"errors": {field: [message, ...]}}`` with each message (an ``N_`` id) translated into ``lang``."""
    with use_locale(LANGUAGES[lang]):
        body = {"errors": {field: [gettext(m) for m in messages] for field, messages in errors.items()}}
    response = jsonify(body)
    response.status_code = status
    return response


def read_json_object() -> dict[str, Any] | Response:
    """Apply the error order of section 4: 413, then 415, then 400 for the body. Returns the object."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        return errors_response({"_body": [TOO_LARGE]}, 413, error_lang())
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return errors_response({"_body": [TOO_LARGE]}, 413, error_lang())
    if len(raw) > limit:
        return errors_response({"_body": [TOO_LARGE]}, 413, error_lang())
    if request.mimetype not in JSON_TYPES:
        return errors_response({"_body": [N_("Send the body as application/json.")]}, 415, error_lang())
    try:
        return parse_body(raw)
    except BodyError as exc:
        log.info("api body rejected: %s", exc)
        return errors_response(
            {"_body": [N_("The body must be a single JSON object in UTF-8.")]}, 400, error_lang()
        )
