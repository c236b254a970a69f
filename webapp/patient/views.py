"""The patient journey: /check (the form), /check/answers (check your answers), /results; privacy and
accessibility pages. Nothing here writes to the database: answers live in the session cookie only."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..eligibility import Label, Rules
from ..eligibility.practice import residence_place
from ..i18n import gettext, names, present
from ..results.answer_rows import answer_rows
from ..results.answers import (
    SESSION_ANSWERS,
    SESSION_FORM,
    SESSION_FORM_INVALID,
    elsewhere,
    engine,
    evaluate_data,
    parse_answers,
    stored_answers,
    today,
)
from ..results.form_state import (
    NOT_LISTED,
    UNSURE,
    answers_from_state,
    drug_groups,
    state_from_answers,
    top_lines,
)
from ..results.money import approximate_prices, load_rates
from ..results.overview import find_therapy, overview_page, question_text, region_name_of
from ..results.schema import CheckRequest
from ..results.sections import label_practice, practice_html, steps_html
from . import bp
from .display import nice_date
from .forms import CheckForm, bcma_car_t_examples, form_class, residence_groups


def _clinician() -> bool:
    return present(request.values, "clinician") == "1" or bool((session.get(SESSION_FORM) or {}).get("as_of"))


def _form(**kwargs: Any) -> CheckForm:
    rules = engine().rules
    form = form_class(rules)(**kwargs)
    form.setup(rules, _clinician(), today())
    return form


def _render_form(form: CheckForm, status: int = 200, notice: str | None = None) -> tuple[str, int]:
    """The form page, rendered whole (with its errors, in the order of the page, and an optional notice)."""
    return render_template("patient/check.html", **_form_context(form, form.ordered_errors(), notice)), status


def _form_context(form: CheckForm, errors: list[tuple[str, str]], notice: str | None) -> dict[str, Any]:
    rules = engine().rules
    groups = drug_groups(rules)
    region_options = [
        {"value": c.value, "label": c.label}
        if c.value != NOT_LISTED
        else {
            "value": c.value,
            "label": c.label,
            "divider": True,
            "hint": gettext(
                "We will show where each treatment is approved, and what your answers get there."
            ),
        }
        for c in form.region.choices
    ]
    top = top_lines(rules)
    line_options = []
    for v in (c.value for c in form.prior_lines.choices):
        if v == UNSURE:
            line_options.append({"value": v, "label": gettext("Not sure"), "divider": True})
        elif v == "0":
            line_options.append({"value": v, "label": gettext("None yet")})
        elif int(v) == top:
            line_options.append({"value": v, "label": gettext("%(num)s or more", num=v)})
        else:
            line_options.append({"value": v, "label": v})
    return {
        "form": form,
        "errors": errors,
        "notice": notice,
        "class_groups": [g for g in groups if g.is_class],
        "other_groups": [g for g in groups if not g.is_class],
        "region_options": region_options,
        "line_options": line_options,
        "residence_groups": residence_groups(rules),
        "bcma_examples": bcma_car_t_examples(rules),
        "clinician": form.clinician,
        "today_iso": today().isoformat(),
    }


def _saved_state() -> dict[str, Any] | None:
    state = session.get(SESSION_FORM)
    if isinstance(state, dict):
        return state
    answers = stored_answers()
    if answers:
        return state_from_answers(answers, engine().rules)
    return None


@bp.route("/check", methods=["GET", "POST"])
def check() -> Any:
    if request.method == "POST":
        form = _form()
        valid = form.validate()
        state = form.state()
        session[SESSION_FORM] = state  # kept even when invalid, so a language switch keeps what was typed
        if not valid:
            session[SESSION_FORM_INVALID] = True
            return _render_form(form, 400)
        answers = answers_from_state(state, engine().rules, form.clinician)
        _req, _region, errors = parse_answers(answers, engine().rules, today())
        if errors:  # the form and the API disagree: a bug, but the person must not lose their answers
            current_app.logger.error("form answers rejected by parse_check: %s", sorted(errors))
            session[SESSION_FORM_INVALID] = True
            return _render_form(form, 400, gettext("Sorry, something went wrong. Please check your answers."))
        session[SESSION_ANSWERS] = answers
        session.pop(SESSION_FORM_INVALID, None)
        return redirect(url_for("patient.answers"), 303)

    state = _saved_state()
    if state is None:
        return _render_form(_form(formdata=None))
    # The CSRF field renders a fresh token whatever the data, so the saved state can go in as form data.
    form = _form(formdata=MultiDict(_pairs(state)))
    if session.get(SESSION_FORM_INVALID):
        form.validate()  # show the errors again, now in the language just chosen
    return _render_form(form)


def _pairs(state: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in state.items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((key, str(v)))
    return pairs


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> Any:
    """A form sent without a valid token (the browser was closed, say): keep what was typed and ask again."""
    message = gettext("For your security, please send the form again. Your answers are still here.")
    if request.endpoint == "patient.check" and request.method == "POST":
        form = _form()
        form.validate()
        session[SESSION_FORM] = form.state()
        return _render_form(form, 400, message)
    if request.endpoint == "patient.answers":
        return _render_answers(400, message)
    return render_template("errors/error.html", code=400), 400


def _render_answers(status: int = 200, notice: str | None = None) -> Any:
    answers = stored_answers()
    if not answers:
        return redirect(url_for("patient.check"))
    rules = engine().rules
    state = session.get(SESSION_FORM) if isinstance(session.get(SESSION_FORM), dict) else None
    state = state or state_from_answers(answers, rules)
    return render_template(
        "patient/answers.html", rows=answer_rows(state, answers, rules), notice=notice
    ), status


@bp.route("/check/answers", methods=["GET", "POST"])
def answers() -> Any:
    if request.method == "POST":
        if not stored_answers():
            return redirect(url_for("patient.check"), 303)
        return redirect(url_for("patient.results"), 303)
    return _render_answers()


@bp.post("/check/clear")
def clear() -> Response:
    """Forget every answer (for a shared computer). The language choice stays."""
    for key in (SESSION_ANSWERS, SESSION_FORM, SESSION_FORM_INVALID):
        session.pop(key, None)
    return redirect(url_for("core.home", cleared=1), 303)


@dataclasses.dataclass
class Evaluated:
    """One person's results, as the overview and the detail pages read them."""

    req: CheckRequest
    chosen: str | None
    shown: str | None
    viewing: str | None
    hypothetical: bool
    data: dict[str, Any]
    home: str | None
    at_home: dict[str, Any] | None


def _evaluated() -> Evaluated | Response:
    """Evaluate the session's answers (or send the person to the form)."""
    answers = stored_answers()
    if not answers:
        return redirect(url_for("patient.check"))
    rules = engine().rules
    req, region, errors = parse_answers(answers, rules, today())
    if req is None:
        # Answers saved under older rules (a drug was renamed, say): the form shows what is still valid.
        current_app.logger.info("stored answers no longer valid: %s", sorted(errors))
        session.pop(SESSION_ANSWERS, None)
        session[SESSION_FORM_INVALID] = True
        return redirect(url_for("patient.check"))
    viewing = present(request.args, "region")
    if viewing not in rules.regions or viewing == region:
        viewing = None
    shown = viewing or region
    # Every label is for myeloma that has come back, so for myeloma under control the pages show, clearly
    # labelled, what the same answers would get if it came back.
    hypothetical = req.answers.relapsed_or_refractory is False
    changes = {"relapsed_or_refractory": True} if hypothetical else {}
    data = evaluate_data(req, shown, **changes)
    # Someone who lives in another covered region is shown what matches at home, evaluated the same way.
    home = residence_place(rules, req.residence)[1]
    at_home = evaluate_data(req, home, **changes) if home and shown and home != shown else None
    return Evaluated(req, region, shown, viewing, hypothetical, data, home if at_home else None, at_home)


@bp.get("/results")
def results() -> Any:
    ev = _evaluated()
    if isinstance(ev, Response):
        return ev
    rules = engine().rules
    shown, as_of = ev.shown, ev.req.as_of
    steps = Markup()
    if shown:
        labels = [rules.labels[r["label_id"]] for r in ev.data["results"]]
        if labels:
            steps = steps_html(
                rules, shown, labels, as_of, ev.req.residence, names(rules.regions[shown].names)
            )
    has = current_app.view_functions
    return render_template(
        "patient/results.html",
        page=overview_page(
            ev.data,
            elsewhere(ev.data, rules),
            ev.at_home,
            hypothetical=ev.hypothetical,
            detail_url=lambda label_id: url_for("patient.therapy", label_id=label_id, **_region_arg(ev)),
            question=question_text,
            region_name=region_name_of,
        ),
        steps=steps,
        chosen_name=names(rules.regions[ev.chosen].names) if ev.chosen else None,
        viewing=ev.viewing,
        as_of=nice_date(as_of),
        as_of_is_today=as_of == today(),
        can_save="summaries.save" in has and not ev.viewing,
        print_url=url_for("summaries.print_current") if "summaries.print_current" in has else None,
        pdf_url=url_for("summaries.pdf_current") if "summaries.pdf_current" in has else None,
        summary_days=current_app.config.get("SUMMARY_DAYS"),
        routes=[] if shown else _routes(as_of),
    )


def _region_arg(ev: Evaluated) -> dict[str, str]:
    return {"region": ev.viewing} if ev.viewing else {}


@bp.get("/results/<label_id>")
def therapy(label_id: str) -> Any:
    """One therapy's detail: every label of its product in the region, the same answers, nothing stored."""
    ev = _evaluated()
    if isinstance(ev, Response):
        return ev
    rules = engine().rules
    found = find_therapy(ev.data, ev.at_home, label_id)
    label = rules.labels.get(label_id)
    if found is None or label is None:
        abort(404)
    rows, at_home = found
    region_name = names(rules.regions[label.region].names)
    labels = [rules.labels[r["label_id"]] for r in rows]
    return render_template(
        "patient/therapy.html",
        rows=rows,
        region=label.region,
        region_name=region_name,
        at_home=at_home,
        hypothetical=ev.hypothetical,
        as_of=nice_date(ev.req.as_of),
        practice=practice_html(rules, labels, ev.req.as_of, ev.req.residence, region_name),
        approx=_approximate(rules, label, ev.req.as_of, ev.req.residence),
        back_url=url_for("patient.results", **_region_arg(ev)),
    )


def _approximate(rules: Rules, label: Label, as_of: dt.date, residence: str | None) -> dict[str, Any] | None:
    """The label's prices, approximately, in the currency of where the person lives, when that is a covered
    region with another currency; computed on every request (never cached: it depends on the residence)."""
    home = residence_place(rules, residence)[1]
    if not home or home == label.region:
        return None
    currency = rules.regions[home].currency
    if currency == rules.regions[label.region].currency:
        return None
    rates = load_rates(str(current_app.config["RULES_DIR"]))
    cost = label_practice(rules, label, as_of, residence)["cost"]
    prices = approximate_prices(rates, cost["prices"] if cost else [], currency)
    if not prices or rates is None:
        return None
    return {"prices": prices, "date": rates.date, "home": home, "sources": rates.sources}


def _routes(day: Any) -> list[dict[str, Any]]:
    """Special routes (named-patient programmes, pilot zones, trial registries) for a place not covered."""
    from ..results import serialize  # the practice data serializer (issue 7), when it is there

    practice = getattr(engine().rules, "practice", None)
    routes = tuple(s for s in getattr(practice, "routes", ()) if s.dates.holds_on(day))
    make = getattr(serialize, "steps_data", None)
    return make(routes) if make and routes else []


@bp.get("/privacy")
def privacy() -> str:
    cfg = current_app.config
    return render_template(
        "patient/privacy.html",
        summary_days=cfg.get("SUMMARY_DAYS"),
        lang_days=int(cfg.get("LANG_COOKIE_MAX_AGE", 0)) // 86400,
    )


@bp.get("/accessibility")
def accessibility() -> str:
    return render_template("patient/accessibility.html")
