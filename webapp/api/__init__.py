"""JSON API v1 (design brief section 4). No cookies, so no CSRF; errors in a fixed order; never a 500."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..eligibility import CLASS_IDS, Rules
from ..eligibility.texts import N_
from ..fragments import fragments
from ..i18n import LANGUAGES, gettext, names, normalize_lang, use_locale
from ..results.answers import engine, today
from ..results.jsonio import error_lang, errors_response, read_json_object
from ..results.openapi import assemble as assemble_openapi
from ..results.openapi import declare as declare_openapi
from ..results.schema import parse_check
from ..results.serialize import label_data, product_brief, result_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _openapi_part(rules: Rules) -> dict[str, Any]:
    from .openapi import openapi_part  # built only when the document is asked for

    return openapi_part(rules)


declare_openapi(bp, _openapi_part)


@bp.post("/check")
def check() -> Any:
    data = read_json_object()
    if isinstance(data, Response):
        return data
    req, errors = parse_check(data, engine().rules, today())
    if req is None:
        return errors_response(errors, 400, error_lang(data))
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
    return jsonify(assemble_openapi(current_app, engine().rules))
