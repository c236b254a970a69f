"""JSON API v1 (design brief section 4). No cookies, so no CSRF; errors in a fixed order; never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..eligibility import CLASS_IDS, Rules
from ..eligibility.texts import N_
from ..i18n import LANGUAGES, gettext, names, normalize_lang, use_locale
from ..results.answers import engine, home_region, today
from ..results.jsonio import error_lang, errors_response, read_json_object
from ..results.openapi import assemble as assemble_openapi
from ..results.openapi import declare as declare_openapi
from ..results.schema import MIN_AS_OF, TERRITORIES, parse_check, parse_day
from ..results.serialize import check_data, label_data, practice_view, product_brief

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _openapi_part(rules: Rules) -> dict[str, Any]:
    from .openapi import openapi_part  # built only when the document is asked for

    return openapi_part(rules)


declare_openapi(bp, _openapi_part)


@bp.post("/check")
def check() -> Any:
    """Decisions and their reasons for every label in force (lean); practice content on request."""
    data = read_json_object()
    if isinstance(data, Response):
        return data
    eng = engine()
    req, errors = parse_check(data, eng.rules, today())
    if req is None:
        return errors_response(errors, 400, error_lang(data))
    result = eng.evaluate(req.answers, req.region, req.as_of)
    # A traveller: what the same answers match where they live, when a covered region stands for it.
    home = home_region(eng.rules, req.region, req.residence)
    at_home = eng.evaluate(req.answers, home, req.as_of) if home else None
    with use_locale(LANGUAGES[req.lang]):
        body = check_data(eng, result, req.residence, "practice" in req.include, at_home)
    body["lang"] = req.lang
    return jsonify(body)


def _practice_query(lang: str) -> tuple[dt.date, str | None] | Response:
    """``as_of`` (default today) and ``residence`` from the query string, validated as in a check request."""
    errors: dict[str, list[str]] = {}
    as_of = today()
    raw = request.args.get("as_of")
    if raw is not None:
        parsed = parse_day(raw)
        if parsed is None:
            errors["as_of"] = [N_("Give a date as YYYY-MM-DD.")]
        elif parsed < MIN_AS_OF:
            errors["as_of"] = [N_("The date must be 2000-01-01 or later.")]
        elif parsed > as_of:
            errors["as_of"] = [N_("The date cannot be in the future.")]
        else:
            as_of = parsed
    residence = request.args.get("residence") or None
    if residence is not None and residence not in TERRITORIES:
        errors["residence"] = [N_("Give a two-letter country code, such as SG.")]
    if errors:
        return errors_response(errors, 400, lang)
    return as_of, residence


@bp.get("/labels/<label_id>/practice")
def label_practice(label_id: str) -> Any:
    """One label's practice sections on a day, for someone living in ``residence``: what ``include:
    ["practice"]`` adds to that label's result in a check."""
    lang = _lang_arg()
    if isinstance(lang, Response):
        return lang
    eng = engine()
    label = eng.rules.labels.get(label_id)
    if label is None:
        return errors_response({"label_id": [N_("There is no label with this id.")]}, 404, lang)
    query = _practice_query(lang)
    if isinstance(query, Response):
        return query
    as_of, residence = query
    with use_locale(LANGUAGES[lang]):
        practice = practice_view(eng.rules, label, as_of, residence)
    return jsonify(
        label_id=label.id,
        product=label.product,
        region=label.region,
        residence=residence,
        as_of=as_of.isoformat(),
        rules_version=eng.rules.version,
        lang=lang,
        practice=practice,
    )


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
