"""JSON API v1 (design brief section 4). No cookies, so no CSRF; errors in a fixed order; never a 500."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..eligibility import CLASS_IDS, Engine
from ..eligibility.texts import N_
from ..fragments import fragments
from ..i18n import LANGUAGES, gettext, names, normalize_lang, request_accept_lang, use_locale
from .schema import BodyError, parse_body, parse_check
from .serialize import label_data, product_brief, result_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)
JSON_TYPES = ("application/json",)
TOO_LARGE = N_("The request body is larger than 16 KiB.")


def engine() -> Engine:
    return current_app.extensions["engine"]


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _error_lang(data: Any = None) -> str:
    """The language for error messages: the body's ``lang`` if readable, else Accept-Language, else English."""
    if isinstance(data, dict) and isinstance(data.get("lang"), str) and normalize_lang(data["lang"]):
        return normalize_lang(data["lang"])  # type: ignore[return-value]
    return request_accept_lang() or "en"


def errors_response(errors: dict[str, list[str]], status: int, lang: str) -> Response:
    with use_locale(LANGUAGES[lang]):
        body = {"errors": {field: [gettext(m) for m in messages] for field, messages in errors.items()}}
    response = jsonify(body)
    response.status_code = status
    return response


def read_json_object() -> dict[str, Any] | Response:
    """Apply the error order of section 4: 413, then 415, then 400 for the body. Returns the object."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        return errors_response({"_body": [TOO_LARGE]}, 413, _error_lang())
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return errors_response({"_body": [TOO_LARGE]}, 413, _error_lang())
    if len(raw) > limit:
        return errors_response({"_body": [TOO_LARGE]}, 413, _error_lang())
    if request.mimetype not in JSON_TYPES:
        return errors_response({"_body": [N_("Send the body as application/json.")]}, 415, _error_lang())
    try:
        return parse_body(raw)
    except BodyError as exc:
        log.info("api body rejected: %s", exc)
        return errors_response(
            {"_body": [N_("The body must be a single JSON object in UTF-8.")]}, 400, _error_lang()
        )


@bp.post("/check")
def check() -> Any:
    data = read_json_object()
    if isinstance(data, Response):
        return data
    req, errors = parse_check(data, engine().rules, today())
    if req is None:
        return errors_response(errors, 400, _error_lang(data))
    result = engine().evaluate(req.answers, req.region, req.as_of)
    with use_locale(LANGUAGES[req.lang]):
        body = result_json(engine(), result, req.residence, fragments(), lang=req.lang)
    return current_app.response_class(body + b"\n", mimetype="application/json")


def _lang_arg() -> str | Response:
    raw = request.args.get("lang")
    if raw is None:
        return "en"
    code = normalize_lang(raw)
    if code is None:
        return errors_response({"lang": [N_("Use en, zh-Hans or zh-Hant.")]}, 400, "en")
    return code


@bp.get("/labels")
def labels() -> Any:
    """The full machine-readable data set: every product and every label version, with sources."""
    lang = _lang_arg()
    if isinstance(lang, Response):
        return lang
    rules = engine().rules
    now = today()
    with use_locale(LANGUAGES[lang]):
        products = [
            {
                **product_brief(p),
                "inn": p.inn,
                "makers": list(p.makers),
                "brands": dict(p.brands),
                "names": {"en": p.names.en, "zh-Hans": p.names.zh_Hans, "zh-Hant": p.names.zh_Hant},
                "labels": [label_data(rules, lb, now) for lb in p.labels],
            }
            for p in rules.products.values()
        ]
    return jsonify(
        rules_version=rules.version, last_reviewed=rules.last_reviewed.isoformat(), products=products
    )


@bp.get("/regions")
def regions() -> Any:
    lang = _lang_arg()
    if isinstance(lang, Response):
        return lang
    rules = engine().rules
    with use_locale(LANGUAGES[lang]):
        items = [
            {
                "id": r.id,
                "name": names(r.names),
                "regulator": r.regulator,
                "regulator_name": r.regulator_name,
                "currency": r.currency,
            }
            for r in rules.regions.values()
        ]
    return jsonify(rules_version=rules.version, regions=items)


@bp.get("/drugs")
def drugs() -> Any:
    lang = _lang_arg()
    if isinstance(lang, Response):
        return lang
    rules = engine().rules
    with use_locale(LANGUAGES[lang]):
        classes = [
            {"id": cid, "name": names(rules.classes[cid].names), "help": gettext(rules.classes[cid].help)}
            for cid in CLASS_IDS
        ]
        items = [
            {
                "id": d.id,
                "name": names(d.names),
                "names": {"en": d.names.en, "zh-Hans": d.names.zh_Hans, "zh-Hant": d.names.zh_Hant},
                "group": d.group,
                "class": d.drug_class,
                "brands": list(d.brands),
                "aliases": list(d.aliases),
                "bcma_car_t": d.bcma_car_t,
                "bcma_directed": d.bcma_directed,
            }
            for d in rules.drugs.values()
        ]
    return jsonify(rules_version=rules.version, classes=classes, drugs=items)


@bp.get("/openapi.json")
def openapi() -> Any:
    from .openapi import document

    return jsonify(document(engine().rules))
