"""The clinician view: /labels (browser), /labels/<label id> (one version), /labels.csv (export)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, current_app, render_template, request, url_for

from ..eligibility.model import CLASS_IDS, CRITERION_KEYS, Label, Rules
from ..i18n import current_locale_id, gettext, names
from ..results.serialize import label_data
from . import bp
from .describe import (
    LINE_WORDS,
    compare,
    criteria_lines,
    date_text,
    expect_name,
    flag_texts,
    marked_up,
    neighbours,
    partial_date_text,
    regimen_line,
    state_name,
    today,
    url_parts,
    versions_of,
)
from .scenarios import cases_for


def rules() -> Rules:
    return current_app.extensions["engine"].rules


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def data_lang(text: str | None) -> str:
    """'en' for source text written in Latin letters (document titles, notes, addresses), else ''.

    The data does not say what language a source field is in. Nearly all are English, some quote Chinese or
    Japanese inside English; marking them lang="en" lets screen readers and the Chinese-page check treat them
    as the data they are. Text with no Latin word stays unmarked rather than guessed.
    """
    return "en" if text and _LATIN_WORD.search(text) else ""


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "data_lang": data_lang,
        "url_parts": url_parts,
        "expect_name": expect_name,
        "marked_up": marked_up,
    }


def _filters(data: Rules) -> tuple[str | None, str | None]:
    """The region and product asked for; an id we do not know is ignored (the form shows "all")."""
    region = (request.args.get("region") or "").strip().upper() or None
    product = (request.args.get("product") or "").strip().lower() or None
    return (region if region in data.regions else None, product if product in data.products else None)


def ordered_labels(data: Rules, region: str | None = None, product: str | None = None) -> list[Label]:
    """Region in the order of regions.toml, then product id, then oldest version first."""
    region_rank = {r: i for i, r in enumerate(data.regions)}
    chosen = [
        lb
        for lb in data.labels.values()
        if (region is None or lb.region == region) and (product is None or lb.product == product)
    ]
    return sorted(chosen, key=lambda lb: (region_rank[lb.region], lb.product, lb.in_force_from, lb.id))


# -- /labels ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    """A class or drug in a table cell: the short text and, for a class abbreviation, its full name."""

    text: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Row:
    label: Label
    product_name: str
    brand: str
    regimen: str
    approved: str
    ended: str
    state: str
    state_text: str
    lines: str
    lines_stated: bool
    exposed: tuple[Target, ...] | None  # None: no source states it
    refractory: tuple[Target, ...] | None
    also: tuple[str, ...]
    verified: bool


def _targets(data: Rules, ids: Iterable[str]) -> tuple[Target, ...]:
    # Classes in one fixed order (PI, IMiD, anti-CD38) so rows compare at a glance; the label page keeps
    # the label's own order.
    ids = sorted(ids, key=lambda t: (CLASS_IDS.index(t) if t in CLASS_IDS else len(CLASS_IDS), t))
    return tuple(
        Target(t, names(data.classes[t].names)) if t in CLASS_IDS else Target(names(data.drugs[t].names))
        for t in ids
    )


def _lines_at_a_glance(label: Label) -> str:
    c, unknown = label.criteria, set(label.criteria.unknown)
    if "min_prior_lines" in unknown or "max_prior_lines" in unknown:
        return gettext("Not stated")
    lo, hi = c.min_prior_lines, c.max_prior_lines
    if lo is not None and hi is not None:
        text = gettext("%(min)d to %(max)d", min=lo, max=hi)
    elif lo is not None:
        text = gettext("at least %(num)d", num=lo)
    elif hi is not None:
        text = gettext("at most %(num)d", num=hi)
    else:
        return "–"
    if label.line_word != "lines":
        text = gettext("%(count)s (%(word)s)", count=text, word=gettext(LINE_WORDS[label.line_word]))
    return text


def row_for(data: Rules, label: Label, day: dt.date) -> Row:
    c, unknown = label.criteria, set(label.criteria.unknown)
    product = data.products[label.product]
    also = []
    if "adult" in unknown:
        also.append(gettext("Adults: not stated"))
    elif c.adult:
        also.append(gettext("Adults only"))
    if "progressed_on_last" in unknown:
        also.append(gettext("Worse on the latest treatment: not stated"))
    elif c.progressed_on_last:
        also.append(gettext("Worse on the latest treatment"))
    if "no_prior_bcma_car_t" in unknown:
        also.append(gettext("Earlier BCMA CAR-T: not stated"))
    elif c.no_prior_bcma_car_t:
        also.append(gettext("No earlier BCMA CAR-T"))
    state = label.state_on(day)
    regimen = regimen_line(data, label)
    return Row(
        label=label,
        product_name=names(product.names),
        brand=product.brand_in(label.region, current_locale_id()),
        regimen=regimen.text if regimen.state == "required" else "",
        approved=partial_date_text(label.approved),
        ended=partial_date_text(label.ended),
        state=state,
        state_text=state_name(state),
        lines=_lines_at_a_glance(label),
        lines_stated=not unknown & {"min_prior_lines", "max_prior_lines"},
        exposed=None if "exposed" in unknown else _targets(data, c.exposed),
        refractory=None if "refractory" in unknown else _targets(data, c.refractory),
        also=tuple(also),
        verified=label.source.verified,
    )


@bp.get("/labels")
def index() -> str:
    data = rules()
    region, product = _filters(data)
    day = today()
    # region -> product -> versions: each product's versions share one row header in the table.
    groups: dict[str, dict[str, list[Row]]] = {}
    for label in ordered_labels(data, region, product):
        groups.setdefault(label.region, {}).setdefault(label.product, []).append(row_for(data, label, day))
    return render_template(
        "labels/index.html",
        groups=[(data.regions[r], list(by_product.values())) for r, by_product in groups.items()],
        total=sum(len(rows) for by_product in groups.values() for rows in by_product.values()),
        regions=[(r.id, names(r.names)) for r in data.regions.values()],
        products=sorted(((p.id, names(p.names)) for p in data.products.values()), key=lambda p: p[1]),
        region=region,
        product=product,
        region_name=names,
        csv_url=url_for(
            "labels.export_csv", **{k: v for k, v in (("region", region), ("product", product)) if v}
        ),
        today_text=date_text(day),
    )


# -- /labels/<label id> ------------------------------------------------------------------------------------------
@bp.get("/labels/<label_id>")
def label(label_id: str) -> str:
    data = rules()
    record = data.labels.get(label_id)
    if record is None:
        abort(404)
    product, region = data.products[record.product], data.regions[record.region]
    day = today()
    near = neighbours(data, record)
    return render_template(
        "labels/label.html",
        label=record,
        product=product,
        product_name=names(product.names),
        brand=product.brand_in(record.region, current_locale_id()),
        region=region,
        region_name=names(region.names),
        state=record.state_on(day),
        state_text=state_name(record.state_on(day)),
        today_text=date_text(day),
        approved=partial_date_text(record.approved),
        ended=partial_date_text(record.ended),
        in_force_from=date_text(record.in_force_from),
        criteria=criteria_lines(data, record),
        regimen=regimen_line(data, record),
        flags=flag_texts(record),
        checked=date_text(record.source.checked),
        reviewed_on=date_text(record.source.reviewed_on),
        history=[
            {
                "label": lb,
                "approved": partial_date_text(lb.approved),
                "ended": partial_date_text(lb.ended),
                "state": lb.state_on(day),
                "state_text": state_name(lb.state_on(day)),
                "regimen": regimen_line(data, lb),
            }
            for lb in versions_of(data, record)
        ],
        before=[compare(data, old, record) for old in near.before],
        after=[compare(data, record, new) for new in near.after],
        alongside=near.alongside,
        cases=cases_for(record.id),
        back_url=url_for("labels.index", region=record.region, product=record.product),
    )


# -- /labels.csv -------------------------------------------------------------------------------------------------
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "product",
    "region",
    "regulator",
    "approval_type",
    "approved",
    "approved_precision",
    "in_force_from",
    "ended",
    "end_reason",
    "state_today",
    "regimen",
    "line_word",
    *CRITERION_KEYS,  # one column per criterion a label may set, in the model's order
    "unknown",
    "indication_lang",
    "indication",
    "indication_en",
    "indication_en_official",
    "source_document",
    "source_section",
    "source_url",
    "source_checked",
    "source_checked_against",
    "source_verified",
    "source_verified_note",
    "source_reviewed_by",
    "source_reviewed_on",
    "source_notes",
    "flags",
    "rules_version",
)
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(data: Rules, label: Label, day: dt.date) -> dict[str, str]:
    """One label version as a flat row, from the same dict the JSON API serves (so the two agree)."""
    d = label_data(data, label, day)
    flat: dict[str, Any] = {k: v for k, v in d.items() if k not in ("criteria", "source", "state")}
    flat.update(d["criteria"])
    flat.update({f"source_{k}": v for k, v in d["source"].items()})
    flat["state_today"] = d.get("state")
    flat["rules_version"] = data.version
    return {col: _cell(flat.get(col)) for col in CSV_COLUMNS}


@bp.get("/labels.csv")
def export_csv() -> Response:
    data = rules()
    region, product = _filters(data)
    day = today()
    out = io.StringIO()
    # A byte-order mark, so that spreadsheet programs read the Chinese and Japanese text as UTF-8.
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for label in ordered_labels(data, region, product):
        writer.writerow(csv_row(data, label, day))
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="labels-{data.version}.csv"'
    return response
