"""The patient journey: /check (the form), /check/answers (check your answers), /results; privacy and
accessibility pages. Nothing here writes to the database: answers live in the session cookie only."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..eligibility.practice import residence_place
from ..fragments import answer_fragments, fragments, page_cached, render_spliced
from ..i18n import current_locale_id, gettext, names, present
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
    therapies,
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


CSRF_MARK = "<!--csrf_token-->"


def _render_form(
    form: CheckForm | Callable[[], CheckForm],
    status: int = 200,
    notice: str | None = None,
    key: Hashable | None = None,
    per_answers: bool = False,
) -> tuple[str, int]:
    """The form page. ``form`` may be a factory, called only when the form's HTML must be rendered: with a
    ``key`` naming everything the form is made of, that HTML is rendered once per key and language (in the
    cache of answer-dependent fragments when the form holds someone's answers)."""
    rules = engine().rules

    def body() -> tuple[Markup, Markup, bool]:
        built = form() if callable(form) else form
        errors = built.ordered_errors()
        # The output of an autoescaping template, so already safe HTML.
        html = Markup(render_template("patient/_check_form.html", **_form_context(built, errors, notice)))  # noqa: S704
        before, after = html.split(CSRF_MARK, 1)
        return before, after, bool(errors)

    if key is None:
        before, after, has_errors = body()
    else:
        cache = answer_fragments() if per_answers else fragments()
        before, after, has_errors = cache.get(("check-form", rules, current_locale_id(), key), body)
    html = render_template("patient/check.html", form_before=before, form_after=after, has_errors=has_errors)
    return html, status


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
    invalid = bool(session.get(SESSION_FORM_INVALID))
    clinician = _clinician()

    def build() -> CheckForm:
        if state is None:
            return _form(formdata=None)
        # The CSRF field renders a fresh token whatever the data, so the saved state can go in as form data.
        form = _form(formdata=MultiDict(_pairs(state)))
        if invalid:
            form.validate()  # show the errors again, now in the language just chosen
        return form

    # Everything the form's HTML is made of besides the rules and the language (the day bounds the as-of date).
    return _render_form(build, key=(repr(state), invalid, clinician, today()), per_answers=state is not None)


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


@bp.get("/results")
def results() -> Any:
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

    chosen = region
    viewing = present(request.args, "region")
    if viewing not in rules.regions or viewing == chosen:
        viewing = None
    shown = viewing or chosen
    data = evaluate_data(req, shown)
    # Every label is for myeloma that has come back, so for myeloma under control the page shows, clearly
    # labelled, what the same answers would get if it came back.
    under_control = req.answers.relapsed_or_refractory is False
    if under_control:
        data = evaluate_data(req, shown, relapsed_or_refractory=True)
    sections = therapies(data["results"])
    has = current_app.view_functions
    return render_spliced(
        "patient/results.html",
        data=data,
        sections=sections,
        elsewhere=elsewhere(data, rules),
        region=shown,
        region_name=names(rules.regions[shown].names) if shown else None,
        chosen=chosen,
        chosen_name=names(rules.regions[chosen].names) if chosen else None,
        viewing=viewing,
        under_control=under_control,
        as_of=nice_date(req.as_of),
        as_of_is_today=req.as_of == today(),
        rules=rules,
        can_save="summaries.save" in has and not viewing,
        print_url=url_for("summaries.print_current") if "summaries.print_current" in has else None,
        pdf_url=url_for("summaries.pdf_current") if "summaries.pdf_current" in has else None,
        summary_days=current_app.config.get("SUMMARY_DAYS"),
        routes=[] if shown else _routes(req.as_of),
        # Everything the page's cached pieces are made of besides their own keys (webapp/fragments.py), and
        # all that the cards' practice facts read of the residence (webapp/patient/cards.py).
        fragment_scope=(rules, req.as_of, request.script_root),
        fragment_place=residence_place(rules, req.residence),
    )


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
    return page_cached(
        "patient/privacy.html",
        summary_days=cfg.get("SUMMARY_DAYS"),
        lang_days=int(cfg.get("LANG_COOKIE_MAX_AGE", 0)) // 86400,
    )


@bp.get("/accessibility")
def accessibility() -> str:
    return page_cached("patient/accessibility.html")
