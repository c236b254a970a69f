"""HTML routes: save with consent, a saved summary's page, print views and PDFs, delete, check again.

The print view and PDF of the current results read the session only, so they work while the database is
down; only saving, opening and deleting a saved summary need it, and they answer 503 (never 500) without it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import format_date, gettext
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..i18n import NATIVE_NAMES, choose_lang, normalize_lang, public_url
from ..models import SavedSummary
from ..results.answers import (
    SESSION_ANSWERS,
    SESSION_FORM,
    SESSION_FORM_INVALID,
    engine,
    stored_answers,
    today,
)
from ..results.overview import find_therapy, label_region, overview_page, question_text, region_name_of
from ..results.sections import macros
from ..results.since import render_since
from . import bp, store
from .pdf import PdfBusy, PdfUnavailable, render_pdf
from .printing import PAPERS, Saved, default_paper, print_rows, qr_svg
from .snapshot import Column, InvalidAnswers, build, column, recheck_answers, session_state

JUST_SAVED = "summaries_just_saved"  # session key: digest of the token saved a moment ago, for the banner
CONSENT_VALUE = "y"
CONFIRM_VALUE = "yes"


def _days() -> int:
    return int(current_app.config["SUMMARY_DAYS"])


def _unavailable(action: str) -> tuple[str, int]:
    """503 page: the database is down. The results in the session are untouched and still reachable."""
    return render_template(
        "summaries/unavailable.html", action=action, has_answers=bool(stored_answers())
    ), 503


def _not_found() -> tuple[str, int]:
    return render_template("summaries/not_found.html", summary_days=_days()), 404


def _load(token: str) -> SavedSummary | tuple[str, int]:
    try:
        row = store.find(token)
    except store.StorageUnavailable:
        return _unavailable("open")
    return row if row is not None else _not_found()


def _saved(token: str, row: SavedSummary) -> Saved:
    return Saved(
        url=public_url(url_for("summaries.view", token=token)),  # PUBLIC_BASE_URL, never the Host header
        created=store.aware(row.created_at),
        expires=store.aware(row.expires_at),
    )


def _lang_for(snapshot: dict[str, Any], fallback: str) -> str:
    lang = choose_lang()
    return lang if lang in snapshot.get("langs", {}) else fallback


def _print_langs() -> list[str]:
    """The page's language, then the second language chosen for a side-by-side print (``lang2``), if any."""
    first = choose_lang()
    second = normalize_lang(request.args.get("lang2"))
    return [first, second] if second and second != first else [first]


def _print_html(
    snapshot: dict[str, Any],
    langs: list[str],
    saved: Saved | None,
    back_url: str,
    pdf_url: str,
    for_pdf: bool,
) -> str:
    value = request.args.get("paper")
    paper = value if value in PAPERS else default_paper(snapshot.get("region"))
    full = request.args.get("full") == "1"
    return render_template(
        "summaries/print.html",
        rows=print_rows(snapshot, langs, saved, full),
        full=full,
        langs=langs,
        bilingual=len(langs) > 1,
        paper=paper,
        papers=PAPERS,
        saved=saved,
        qr=qr_svg(saved.url, gettext("QR code of the link to this summary")) if saved else None,
        expires_on=format_date(saved.expires.date(), "long") if saved else None,
        second_options=[(code, NATIVE_NAMES[code]) for code in NATIVE_NAMES if code != langs[0]],
        second=langs[1] if len(langs) > 1 else "",
        back_url=back_url,
        pdf_url=pdf_url,
        for_pdf=for_pdf,
    )


def _pdf_response(html: str, as_of: str, langs: list[str]) -> Any:
    name = f"myeloma-summary-{as_of}-{'-'.join(langs)}.pdf"
    if request.method == "HEAD":
        # The headers a GET would send, without the seconds of rendering (RFC 9110 section 9.3.2 lets a HEAD
        # leave out Content-Length); the request still counts against the PDF limit.
        response = current_app.response_class(b"", mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    try:
        # Links in the PDF resolve against PUBLIC_BASE_URL, never against the request's Host header.
        data = render_pdf(current_app._get_current_object(), html, public_url("/"))  # type: ignore[attr-defined]
    except PdfUnavailable:
        return _unavailable("pdf")
    except PdfBusy:
        page, status = _unavailable("busy")
        return page, status, {"Retry-After": str(current_app.config["PDF_RETRY_AFTER"])}
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _print_args() -> dict[str, str]:
    """The print options of this request, carried over to the PDF link."""
    return {k: v for k in ("lang2", "paper", "full") if (v := request.args.get(k))}


# ---- Save --------------------------------------------------------------------------------------------


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> Any:
    """A save form whose token expired (the browser was left open): ask again, answers untouched."""
    if request.endpoint == "summaries.save" and stored_answers():
        notice = gettext("For your security, please send the form again. Your answers are still here.")
        return render_template("summaries/save.html", error=None, notice=notice, summary_days=_days()), 400
    return render_template("errors/error.html", code=400), 400


@bp.route("/save", methods=["GET", "POST"])
def save() -> Any:
    answers = stored_answers()
    if not answers:
        return redirect(url_for("patient.check"), 303)
    if request.method == "GET":
        return render_template("summaries/save.html", error=None, notice=None, summary_days=_days())
    if request.form.get("consent") != CONSENT_VALUE:
        error = gettext("Tick the box to agree, if you want us to save your results.")
        return render_template("summaries/save.html", error=error, notice=None, summary_days=_days()), 400
    try:
        snapshot = build(answers, session_state(answers))
    except InvalidAnswers:
        return redirect(url_for("patient.results"), 303)  # the results page explains what changed
    try:
        token, _row = store.create(answers, snapshot, choose_lang(), snapshot["rules_version"], _days())
    except store.StorageUnavailable:
        return _unavailable("save")
    session[JUST_SAVED] = store.token_digest(token)
    return redirect(url_for("summaries.view", token=token), 303)


# ---- A saved summary ---------------------------------------------------------------------------------


@bp.get("/s/<token>")
def view(token: str) -> Any:
    row = _load(token)
    if not isinstance(row, SavedSummary):
        return row
    snapshot = row.result
    col = column(snapshot, _lang_for(snapshot, row.lang))
    just_saved = session.get(JUST_SAVED) == store.token_digest(token)
    if just_saved:
        session.pop(JUST_SAVED)
    saved = _saved(token, row)
    return render_template(
        "summaries/view.html",
        c=col,
        page=saved_page(col, lambda label_id: url_for("summaries.therapy", token=token, label_id=label_id)),
        steps=_steps_html(col),
        routes=col.routes,
        token=token,
        saved=saved,
        just_saved=just_saved,
        saved_on=format_date(saved.created.date(), "long"),
        expires_on=format_date(saved.expires.date(), "long"),
        as_of=format_date(col.as_of, "long"),
        checked_on=format_date(col.checked_on, "long"),
        rules_changed=col.rules_version != engine().rules.version,
        current_rules_version=engine().rules.version,
        # The snapshot against today's rules: read-only, the session is not touched (issue 25).
        since=render_since(snapshot, row.answers, engine(), today(), col.lang),
        second_options=[(code, NATIVE_NAMES[code]) for code in NATIVE_NAMES if code != col.lang],
        papers=PAPERS,
        paper=default_paper(col.region),
    )


def saved_page(col: Column, detail_url: Any) -> dict[str, Any]:
    """The overview of a saved summary: the same as the live one, from the snapshot."""
    return overview_page(
        col.data,
        col.elsewhere,
        col.at_home,
        hypothetical=col.hypothetical,
        detail_url=detail_url,
        question=question_text,
        region_name=region_name_of,
    )


def _steps_html(col: Column) -> Markup:
    if not col.region or not any(col.steps.values()):
        return Markup()
    return Markup(macros().steps(col.steps, region_name_of(col.region)))  # noqa: S704 - a macro's output


@bp.get("/s/<token>/<label_id>")
def therapy(token: str, label_id: str) -> Any:
    """One therapy of a saved summary: the same detail page as the live one, from the snapshot."""
    row = _load(token)
    if not isinstance(row, SavedSummary):
        return row
    col = column(row.result, _lang_for(row.result, row.lang))
    found = find_therapy(col.data, col.at_home, label_id)
    if found is None:
        return _not_found()
    rows, at_home = found
    fallback = (col.at_home or {}).get("region") if at_home else col.region
    region = label_region(rows[0]) or fallback
    region_name = region_name_of(region)
    practice_rows = [col.practice.get(r["label_id"]) or {} for r in rows]
    practice = Markup(macros().practice(practice_rows, region_name))  # noqa: S704 - a macro's output
    return render_template(
        "summaries/therapy.html",
        rows=rows,
        region=region,
        region_name=region_name,
        at_home=at_home,
        hypothetical=col.hypothetical,
        as_of=format_date(col.as_of, "long"),
        practice=practice,
        approx=None,
        back_url=url_for("summaries.view", token=token),
    )


@bp.get("/s/<token>/print", endpoint="print")
def print_saved(token: str) -> Any:
    row = _load(token)
    if not isinstance(row, SavedSummary):
        return row
    langs = [lang for lang in _print_langs() if lang in row.result["langs"]] or [row.lang]
    return _print_html(
        row.result,
        langs,
        _saved(token, row),
        back_url=url_for("summaries.view", token=token),
        pdf_url=url_for("summaries.pdf", token=token, **_print_args()),
        for_pdf=False,
    )


@bp.get("/s/<token>/pdf")
def pdf(token: str) -> Any:
    row = _load(token)
    if not isinstance(row, SavedSummary):
        return row
    langs = [lang for lang in _print_langs() if lang in row.result["langs"]] or [row.lang]
    html = _print_html(row.result, langs, _saved(token, row), back_url="", pdf_url="", for_pdf=True)
    return _pdf_response(html, row.result["as_of"], langs)


@bp.get("/s/<token>/delete")
def confirm_delete(token: str) -> Any:
    """Deleting cannot be undone, so it asks first (GOV.UK/NHS pattern): this page changes nothing."""
    row = _load(token)
    if not isinstance(row, SavedSummary):
        return row
    return render_template("summaries/confirm_delete.html", token=token, confirm_value=CONFIRM_VALUE)


@bp.post("/s/<token>/delete")
def delete(token: str) -> Any:
    if request.form.get("confirm") != CONFIRM_VALUE:
        # Not confirmed (an old form, or a crafted post): ask, delete nothing; an unknown token is a 404 here too.
        row = _load(token)
        if not isinstance(row, SavedSummary):
            return row
        return redirect(url_for("summaries.confirm_delete", token=token), 303)
    try:
        removed = store.remove(token)
    except store.StorageUnavailable:
        return _unavailable("delete")
    if not removed:
        return _not_found()
    return render_template("summaries/deleted.html")


@bp.get("/s/<token>/recheck")
def recheck_page(token: str) -> Any:
    """An old "check again" link: changes nothing (a link from another site must not replace someone's
    answers), and leads to the summary, whose button sends the POST below."""
    row = _load(token)
    if not isinstance(row, SavedSummary):
        return row
    return redirect(url_for("summaries.view", token=token), 303)


@bp.post("/s/<token>/recheck")
def recheck(token: str) -> Any:
    """Load the saved answers into this browser's session and show today's results for them (a form with a
    CSRF token: design brief section 5)."""
    row = _load(token)
    if not isinstance(row, SavedSummary):
        return row
    session[SESSION_ANSWERS] = recheck_answers(row.answers)
    # The form state belonged to earlier answers; the form rebuilds it from the answers just loaded.
    session.pop(SESSION_FORM, None)
    session.pop(SESSION_FORM_INVALID, None)
    return redirect(url_for("patient.results"), 303)


# ---- Print and PDF of the results in this browser ------------------------------------------------------


def _current_snapshot(langs: list[str]) -> dict[str, Any] | Response:
    answers = stored_answers()
    if not answers:
        return redirect(url_for("patient.check"))
    try:
        return build(answers, session_state(answers), langs)
    except InvalidAnswers:
        return redirect(url_for("patient.results"))


@bp.get("/results/print")
def print_current() -> Any:
    langs = _print_langs()
    snapshot = _current_snapshot(langs)
    if isinstance(snapshot, Response):
        return snapshot
    return _print_html(
        snapshot,
        langs,
        None,
        back_url=url_for("patient.results"),
        pdf_url=url_for("summaries.pdf_current", **_print_args()),
        for_pdf=False,
    )


@bp.get("/results/pdf")
def pdf_current() -> Any:
    langs = _print_langs()
    snapshot = _current_snapshot(langs)
    if isinstance(snapshot, Response):
        return snapshot
    html = _print_html(snapshot, langs, None, back_url="", pdf_url="", for_pdf=True)
    return _pdf_response(html, snapshot["as_of"], langs)
