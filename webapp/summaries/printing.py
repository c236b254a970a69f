"""The print view: a snapshot laid out for paper, in one language or two side by side.

By default it is the summary for the specialist, two pages in one language (four side by side): the answers,
each verdict in a line (matches as "all criteria met", could-matches with their unknown criteria only, labels
not checked by name), the questions, a short numbered reference list, the disclaimer and the QR link. "Include
full details" adds each therapy's detail page. Each language is rendered part by part with its own locale; two
languages are then zipped part by part into rows of two columns, so a doctor abroad reads the same part in
both languages on the same line of the page. Every ``<details>`` is opened, because paper cannot be clicked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import segno
from flask import render_template
from flask_babel import format_date
from markupsafe import Markup

from ..i18n import gettext
from ..results.overview import question_text, region_name_of, row_questions
from .snapshot import Column, column, in_language

PAPERS = ("a4", "letter")
# Where US Letter is the paper in the printer; everywhere else covered uses A4.
LETTER_REGIONS = frozenset({"US", "CA"})
_CLOSED_DETAILS = re.compile(r"<details(?![^>]*\sopen)")
_ID_ATTRS = re.compile(r'\b(id|for|aria-labelledby|aria-describedby|aria-controls)="([^"]*)"')
_FRAGMENT_LINKS = re.compile(r'href="#([^"]+)"')


@dataclass(frozen=True)
class Saved:
    """What the print view shows about a saved summary: its link and dates."""

    url: str
    created: dt.datetime
    expires: dt.datetime


@dataclass(frozen=True)
class Cell:
    lang: str
    html: Markup


@dataclass(frozen=True)
class Row:
    kind: str
    key: str
    cells: list[Cell]


def default_paper(region: str | None) -> str:
    return "letter" if region in LETTER_REGIONS else "a4"


def open_details(html: str) -> str:
    return _CLOSED_DETAILS.sub("<details open", html)


def prefix_ids(html: str, prefix: str) -> str:
    """Make the ids of a second column unique in the page (the card partial names its ids by product)."""

    def attr(m: re.Match[str]) -> str:
        return f'{m[1]}="{" ".join(prefix + v for v in m[2].split())}"'

    return _FRAGMENT_LINKS.sub(lambda m: f'href="#{prefix}{m[1]}"', _ID_ATTRS.sub(attr, html))


def qr_svg(url: str, title: str) -> Markup:
    """The link as a QR code, inline SVG (no image request, nothing for the CSP to block), black on white."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=3, dark="#000", light="#fff", svgclass="print-qr__code", lineclass=None, title=title
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno's own markup; title escaped by segno


def references(col: Column, page: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each label shown, once, in the order shown: a short numbered reference list (document, regulator,
    date). The same snapshot gives the same order in every language, so the numbers agree side by side."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    groups = [page["therapies"]] + ([page["at_home"]["therapies"]] if page.get("at_home") else [])
    for items in groups:
        for t in items:
            for row in t.rows:
                if row["label_id"] not in seen:
                    seen.add(row["label_id"])
                    out.append({"label_id": row["label_id"], "source": row.get("source") or {}, "row": row})
    return out


def _parts(
    snapshot: Mapping[str, Any], lang: str, saved: Saved | None, full: bool
) -> list[tuple[str, str, Markup]]:
    from .views import saved_page  # the overview of a snapshot, as the saved summary page shows it

    col = column(snapshot, lang)
    page = saved_page(col, lambda label_id: "")
    refs = references(col, page)
    numbers = {q: i for i, q in enumerate(page["questions"], 1)}

    def question_numbers(row: Mapping[str, Any], region: str | None) -> str:
        """The numbers, in the list of questions, of what would settle a row: its unknown criteria, once."""
        texts = row_questions(row, region_name_of(region), question_text)
        found = sorted({numbers[t] for t in texts if t in numbers})
        return gettext(", ").join(str(n) for n in found)

    ctx: dict[str, Any] = {
        "c": col,
        "question_numbers": question_numbers,
        "page": page,
        "saved": saved,
        "references": refs,
        "refs": {r["label_id"]: i for i, r in enumerate(refs, 1)},
        "as_of": format_date(col.as_of, "long"),
        "checked_on": format_date(col.checked_on, "long"),
        "printed_on": format_date(dt.datetime.now(dt.UTC).date(), "long"),
    }

    def part(kind: str, **extra: Any) -> Markup:
        html = render_template("summaries/_print_part.html", part=kind, **ctx, **extra)
        return Markup(open_details(html))  # noqa: S704 - a rendered, autoescaped template

    parts = [("intro", "intro", part("intro")), ("answers", "answers", part("answers"))]
    if col.data.get("warnings") or col.hypothetical:
        parts.append(("notes", "notes", part("notes")))
    if col.region:
        parts.append(("results", "results", part("results")))
    if page.get("at_home"):
        parts.append(("at_home", "at_home", part("at_home")))
    if col.elsewhere:
        parts.append(("elsewhere", "elsewhere", part("elsewhere")))
    if page["questions"]:
        parts.append(("questions", "questions", part("questions")))
    if refs:
        parts.append(("references", "references", part("references")))
    if full:
        home = page.get("at_home")
        shown = [(t, col.region) for t in page["therapies"]]
        shown += [(t, home["region"]) for t in home["therapies"]] if home else []
        for t, region in shown:
            detail = {
                "first": t.first,
                "rows": t.rows,
                "region": region,
                "practice": [col.practice.get(r["label_id"]) or {} for r in t.rows],
            }
            parts.append(("detail", f"{region}-{t.product}", part("detail", t=detail)))
    parts.append(("next", "next", part("next")))
    return parts


def print_rows(
    snapshot: Mapping[str, Any], langs: Sequence[str], saved: Saved | None, full: bool = False
) -> list[Row]:
    """The parts of every language, zipped into rows (one cell per language)."""
    columns = []
    for i, lang in enumerate(langs):
        with in_language(lang):
            parts = _parts(snapshot, lang, saved, full)
        if i:
            parts = [(k, key, Markup(prefix_ids(html, f"{lang}-"))) for k, key, html in parts]  # noqa: S704
        columns.append(parts)
    rows = []
    for pieces in zip(*columns, strict=True):
        kind, key, _html = pieces[0]
        # The same snapshot in every language has the same parts in the same order.
        if any(p[:2] != (kind, key) for p in pieces):
            raise RuntimeError("the languages of a snapshot disagree on its parts")
        rows.append(Row(kind, key, [Cell(lang, p[2]) for lang, p in zip(langs, pieces, strict=True)]))
    return rows
