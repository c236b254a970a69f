"""Saved summaries in the JSON API (design brief section 4), for facilitators' tools.

The same error order as ``/api/v1/check`` (413, 415, 400 for the body, then 400 field by field, nested
answer fields named ``answers.<field>``), no cookies and so no CSRF token, and 503 (never 500) while the
database is down. An unknown, malformed or expired token is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, jsonify, request, url_for

from ..eligibility.texts import N_
from ..extensions import csrf
from ..i18n import normalize_lang
from ..models import SavedSummary
from ..results.answers import engine, today
from ..results.jsonio import error_lang, errors_response, read_json_object
from ..results.schema import parse_check
from ..results.serialize import lean_saved
from . import bp, store
from .snapshot import build, column

CREATE_FIELDS = ("answers", "consent", "lang")
UNAVAILABLE = N_("Saved summaries are not available right now. Please try again later.")


def _unavailable(lang: str) -> Response:
    return errors_response({"_request": [UNAVAILABLE]}, 503, lang)


def _expiry(row: SavedSummary) -> dict[str, str]:
    expires = store.aware(row.expires_at)
    # "expires" is the ISO date of the brief; "expires_at" the exact moment, for tools that want it.
    return {"expires": expires.date().isoformat(), "expires_at": expires.isoformat().replace("+00:00", "Z")}


@bp.post("/api/v1/summaries")
def api_create() -> Any:
    data = read_json_object()
    if isinstance(data, Response):
        return data
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in CREATE_FIELDS:
            errors.setdefault(key, []).append(N_("This field is not recognised."))
    if data.get("consent") is not True:
        errors["consent"] = [N_("Set consent to true once the person has agreed to store their answers.")]
    lang: str | None = None
    if data.get("lang") is not None:
        lang = normalize_lang(data["lang"]) if isinstance(data["lang"], str) else None
        if lang is None:
            errors["lang"] = [N_("Use en, zh-Hans or zh-Hant.")]
    answers = data.get("answers")
    if not isinstance(answers, dict):
        errors["answers"] = [N_("Give the answers as an object, in the same form as a check request.")]
    else:
        req, answer_errors = parse_check(answers, engine().rules, today())
        for field, messages in answer_errors.items():
            errors[f"answers.{field}"] = messages
        if req is not None and lang is None and answers.get("lang") is not None:
            lang = req.lang  # no top-level lang: the language the answers asked for
    if errors:
        return errors_response(errors, 400, error_lang(data))
    lang = lang or "en"
    snapshot = build(answers)  # type: ignore[arg-type] - a dict, checked above
    try:
        token, row = store.create(
            answers,  # type: ignore[arg-type]
            snapshot,
            lang,
            snapshot["rules_version"],
            int(current_app.config["SUMMARY_DAYS"]),
        )
    except store.StorageUnavailable:
        return _unavailable(lang)
    response = jsonify(token=token, url=url_for("summaries.view", token=token), **_expiry(row))
    response.status_code = 201
    response.headers["Location"] = url_for("summaries.api_get", token=token)
    return response


@bp.get("/api/v1/summaries/<token>")
def api_get(token: str) -> Any:
    raw = request.args.get("lang")
    lang = normalize_lang(raw) if raw is not None else None
    if raw is not None and lang is None:
        return errors_response({"lang": [N_("Use en, zh-Hans or zh-Hant.")]}, 400, "en")
    try:
        row = store.find(token)
    except store.StorageUnavailable:
        return _unavailable(lang or "en")
    if row is None:
        abort(404)
    snapshot = row.result
    lang = lang if lang in snapshot["langs"] else row.lang
    # The check's lean shape (webapp/results/serialize.py), read from either snapshot format, citations only.
    col = column(snapshot, lang)
    result = {**lean_saved(col.data), "lang": lang}
    if col.at_home:
        result["at_home"] = {
            "region": col.at_home.get("region"),
            "results": lean_saved(col.at_home)["results"],
        }
    return jsonify(
        token=token,
        url=url_for("summaries.view", token=token),
        created=store.aware(row.created_at).isoformat().replace("+00:00", "Z"),
        **_expiry(row),
        lang=lang,
        saved_lang=row.lang,
        rules_version=row.rules_version,
        checked_on=snapshot.get("checked_on"),
        hypothetical=bool(snapshot.get("hypothetical")),
        answers=row.answers,
        result=result,
    )


@bp.delete("/api/v1/summaries/<token>")
def api_delete(token: str) -> Any:
    try:
        removed = store.remove(token)
    except store.StorageUnavailable:
        return _unavailable(error_lang())
    if not removed:
        abort(404)
    return current_app.response_class(status=204)


# The API takes no cookies, so there is no session a forged request could ride on (as for /api/v1/check).
for _view in (api_create, api_get, api_delete):
    csrf.exempt(_view)
