"""The print view: a snapshot laid out for paper, in one language or two side by side.

Each language is rendered part by part (the opening, the answers, each therapy card, ...) with its own
locale; two languages are then zipped part by part into rows of two columns, so a doctor abroad reads the
same card in both languages on the same line of the page. The therapy cards are the results page's own
partial (``patient/_card.html``), with every ``<details>`` opened, because paper cannot be clicked.
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

from ..eligibility import STATUSES
from .snapshot import column, in_language

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


def _parts(snapshot: Mapping[str, Any], lang: str, saved: Saved | None) -> list[tuple[str, str, Markup]]:
    col = column(snapshot, lang)
    ctx: dict[str, Any] = {
        "c": col,
        "saved": saved,
        "as_of": format_date(col.as_of, "long"),
        "checked_on": format_date(col.checked_on, "long"),
        "printed_on": format_date(dt.datetime.now(dt.UTC).date(), "long"),
        "hypothetical": col.hypothetical,
    }

    def part(kind: str, **extra: Any) -> Markup:
        html = render_template("summaries/_print_part.html", part=kind, **ctx, **extra)
        return Markup(open_details(html))  # noqa: S704 - a rendered, autoescaped template

    parts = [("intro", "intro", part("intro")), ("answers", "answers", part("answers"))]
    if col.data.get("warnings") or col.hypothetical:
        parts.append(("notes", "notes", part("notes")))
    if col.region:
        sections = col.sections
        for status in STATUSES:
            parts.append(("group", status, part("group", status=status, items=sections[status])))
            for t in sections[status]:
                parts.append(("card", t["product"], part("card", t=t)))
    parts.append(("elsewhere", "elsewhere", part("elsewhere")))
    if col.routes:
        parts.append(("routes", "routes", part("routes")))
    parts.append(("next", "next", part("next")))
    return parts


def print_rows(snapshot: Mapping[str, Any], langs: Sequence[str], saved: Saved | None) -> list[Row]:
    """The parts of every language, zipped into rows (one cell per language)."""
    columns = []
    for i, lang in enumerate(langs):
        with in_language(lang):
            parts = _parts(snapshot, lang, saved)
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
