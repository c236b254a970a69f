"""Template helpers for the results partials (``_card.html``, ``_trace.html``), registered app-wide so the
print view and the clinician view can include the same partials. Amounts and dates are formatted here by
Babel in the active locale: the data only ever holds numbers, currency codes and ISO dates."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from urllib.parse import quote

from babel.dates import format_skeleton
from babel.numbers import get_currency_name
from flask import current_app, request
from flask_babel import format_currency, format_date, format_decimal

from ..eligibility.model import SAFETY_TOPICS
from ..eligibility.texts import N_
from ..i18n import current_locale_id, gettext, names, use_locale
from ..results.answers import engine
from ..results.overview import citation, kind_text, label_region, question_for, region_name_of
from . import bp

UNIT_TEXT = {
    "infusion": N_("per infusion"),
    "treatment": N_("per treatment"),
    "patient": N_("per person treated"),
    "month": N_("per month"),
    "course": N_("per course"),
    "vial": N_("per vial"),
    "dose": N_("per dose"),
}
PRICE_TYPE_TEXT = {
    "list": N_("List price"),
    "official": N_("Official price"),
    "reported": N_("Reported price"),
    "payment-limit": N_("Most the payer will pay"),
}
AVAILABILITY_ASPECT_TEXT = {
    "approval": N_("Approved"),
    "launch": N_("On sale"),
    "funding": N_("Paid for by public health services"),
}
AVAILABILITY_STATUS_TEXT = {
    "yes": N_("Yes"),
    "no": N_("No"),
    "partial": N_("In part"),
    "unknown": N_("Not known"),
}


@bp.app_template_filter("nice_date")
def nice_date(value: str | dt.date | None) -> str:
    """An ISO date, or a date known only to the month ("2025-03") or year ("2025"), in the active language."""
    if not value:
        return ""
    return _nice_date(value if isinstance(value, dt.date) else str(value), current_locale_id())


@functools.lru_cache(maxsize=4096)
def _nice_date(value: str | dt.date, locale: str) -> str:
    """Formatting a date with Babel costs ~40 µs and a page shows dozens of the same dates: once per locale."""
    with use_locale(locale):
        if isinstance(value, dt.date):
            return format_date(value, "long")
        try:
            if len(value) == 10:
                return format_date(dt.date.fromisoformat(value), "long")
            if len(value) == 7:
                return format_skeleton("yMMMM", dt.date(int(value[:4]), int(value[5:7]), 1), locale=locale)
        except ValueError:
            return value
        return value


@bp.app_template_filter("drug_name")
@bp.app_template_global()
def drug_name(drug_id: str) -> str:
    drug = engine().rules.drugs.get(drug_id)
    return names(drug.names) if drug else drug_id


@bp.app_template_test("safety_topic")
def is_safety(topic: str) -> bool:
    return topic in SAFETY_TOPICS  # rules/ classifies the topics (webapp/eligibility/model.py)


@bp.app_template_global()
def unique_by(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Facts of one kind across a product's label rows, each once (two regimens share their caveats)."""
    seen: set[Any] = set()
    out = []
    for row in rows:
        for item in row.get(key) or []:
            ident = item.get("id") if isinstance(item, dict) else repr(item)
            if ident not in seen:
                seen.add(ident)
                out.append(item)
    return out


def _money(value: float, currency: str) -> str:
    if not currency:  # the loader requires a code; a number without one is still better than a crash
        return format_decimal(value)
    # Whole amounts without decimals: "US$465,000", not "US$465,000.00".
    if float(value).is_integer():
        return format_currency(int(value), currency, format="¤#,##0", currency_digits=False)
    return format_currency(value, currency)


@bp.app_template_global()
def price_text(price: dict[str, Any]) -> str:
    """A price or price range with its currency, formatted for the active language, and its unit."""
    currency = price.get("currency") or ""
    low, high = price.get("low"), price.get("high")
    if low is None and high is None:
        return ""
    if low is not None and high is not None and low != high:
        text = gettext("%(low)s to %(high)s", low=_money(low, currency), high=_money(high, currency))
    else:
        text = _money(low if low is not None else high, currency)
    unit = UNIT_TEXT.get(price.get("unit") or "")
    return gettext("%(price)s %(unit)s", price=text, unit=gettext(unit)) if unit else text


@bp.app_template_global()
def price_type_text(kind: str | None) -> str:
    return gettext(PRICE_TYPE_TEXT[kind]) if kind in PRICE_TYPE_TEXT else ""


@bp.app_template_global()
def availability_text(aspect: str, status: str) -> tuple[str, str]:
    return (
        gettext(AVAILABILITY_ASPECT_TEXT[aspect]) if aspect in AVAILABILITY_ASPECT_TEXT else aspect,
        gettext(AVAILABILITY_STATUS_TEXT[status]) if status in AVAILABILITY_STATUS_TEXT else status,
    )


@bp.app_template_global()
def percent(value: float | None) -> str:
    """A figure given in percent (0 to 100), e.g. 97.9 -> "97.9%" in the active language."""
    if value is None:
        return ""
    return gettext("%(num)s%%", num=format_decimal(value, format="#,##0.#"))


@bp.app_template_global()
def months(value: float | None) -> str:
    if value is None:
        return ""
    return gettext("%(num)s months", num=format_decimal(value, format="#,##0.#"))


@bp.app_template_global()
def criterion_answer(c: dict[str, Any]) -> str:
    """The answer a criterion read, in words (the criterion's sentence says what the label asks)."""
    rules = engine().rules
    answer = c.get("answer")
    if c.get("missing_data"):
        return "–"
    if isinstance(answer, dict):  # a class: the listed drugs of the class, and the class answer
        drugs = answer.get("drugs")
        if drugs:
            return gettext(", ").join(names(rules.drugs[d].names) for d in drugs if d in rules.drugs)
        if answer.get("class") is True:
            return gettext("Yes, name not known")
        outcome = c.get("outcome")
        return (
            gettext("Yes")
            if outcome == "met"
            else gettext("None")
            if outcome == "not_met"
            else gettext("Not sure")
        )
    if answer is True:
        return gettext("Yes")
    if answer is False:
        return gettext("No")
    if answer is None:
        return gettext("Not sure")
    return str(answer)


@bp.app_template_global()
def report_problem_url() -> str:
    """A mailto link to the configured contact, naming the page (its path only, never the answers)."""
    email = current_app.config.get("CONTACT_EMAIL") or ""
    subject = gettext("Problem with a label or a translation")
    body = gettext("Page: %(page)s", page=request.path) + "\n\n" + gettext("What is wrong:") + "\n"
    return f"mailto:{email}?subject={quote(subject)}&body={quote(body)}"


@bp.app_template_global()
def endpoint_exists(name: str) -> bool:
    return name in current_app.view_functions


@bp.app_template_global("kind_text")
def _kind_text(kind: str | None, target: str | None) -> str:
    return kind_text(kind, target)


@bp.app_template_global()
def therapy_names(row: dict[str, Any], region: str | None = None) -> dict[str, str]:
    """A therapy's names for a heading: ``main`` (the generic name in the reader's language), ``second`` (in
    Chinese, the English generic name, which Hong Kong prescribes by; in English, the short form such as
    cilta-cel) and ``brand`` (in the label's region)."""
    product = engine().rules.products.get(row.get("product") or "")
    main = str(row.get("name") or row.get("product") or "")
    brand = row.get("brand") or ""
    if product is None:
        return {"main": main, "second": "", "brand": brand}
    inn = product.inn
    if current_locale_id() != "en" and main != inn and main != product.names.en:
        second = inn
    else:
        main = inn[:1].upper() + inn[1:]
        second = product.short or ""
    return {"main": main, "second": second, "brand": brand}


@bp.app_template_global("citation_of")
def _citation_of(source: dict[str, Any] | None) -> dict[str, Any]:
    return citation(source)


@bp.app_template_global()
def regulator_name(row: dict[str, Any]) -> str:
    """The regulator of a row's label, named in the reader's language where the rules give it."""
    rules = engine().rules
    region = label_region(row)
    label = row.get("label") or {}
    if region in rules.regions:
        r = rules.regions[region]
        if r.regulator_full is not None:  # the regulator as a reader of this language knows it
            return names(r.regulator_full)
        return r.regulator_name or label.get("regulator") or r.regulator
    return str(label.get("regulator") or "")


@bp.app_template_global()
def group_steps(steps: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for s in steps:
        out.setdefault(s.get("section") or "region", []).append(s)
    return out


@bp.app_template_global()
def currency_name(code: str) -> str:
    """A currency's name in the reader's language ("US dollars", "美元")."""
    try:
        return get_currency_name(code, count=2, locale=current_locale_id())
    except (ValueError, LookupError):
        return code


# Shared with the saved summaries' templates (webapp/results/overview.py holds them).
for _helper in (label_region, region_name_of, question_for):
    bp.add_app_template_global(_helper)
