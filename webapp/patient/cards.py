"""A therapy card, put together from the pieces in ``patient/_card.html`` and ``patient/_trace.html``.

The results page, the print view and the clinician view all show cards through ``card()``. On the live results
page (where the view put a ``fragment_scope`` in the context) each piece comes from the fragment caches
(webapp/fragments.py), so a page is mostly joined from HTML many people share:

- per label, day and language: the card's heading, a row's source and the label's own words, a row's trial
  figures and the end of its trace; the practice facts (caveats, cost, steps) also per ``practice_case``,
  what the person's place of residence means for that label;
- what depends on the answers, under keys made of the evaluated criteria's keys (``CriterionResult.key``,
  which name everything a criterion is made of): the start of a row's verdict (its status and open
  questions), each reason a row does not match, and each criterion's line of the trace. These are few, and
  shared by everyone whose answers evaluate alike (every adult who answered "yes" shares one line), so they
  go in the shared cache: no piece of a card is one person's.

The pieces are kept as UTF-8, and while the results page renders (``fragments.render_spliced``) a card's bytes
go into the page's bytes as they are, never decoded into the page's text to be encoded again.

Elsewhere (a saved summary's snapshot, the print views) nothing is cached and every piece is rendered.
``card`` takes the page's scope as arguments, not from the template context: Jinja gives a function that
reads the context, when called in a loop, a fresh copy of the context on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from flask import current_app
from markupsafe import Markup

from ..eligibility.practice import practice_case
from ..fragments import FragmentCache, fragments, splice
from ..i18n import current_locale_id
from . import bp
from .display import label_region, region_name_of

CARD = "patient/_card.html"
TRACE = "patient/_trace.html"


def _modules() -> tuple[Any, Any]:
    """The macros of ``_card.html`` and ``_trace.html``, made once per app (each import would rebuild them).
    With templates reloading (debug), the templates are looked up each time, so an edited template shows."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    env = app.jinja_env
    if env.auto_reload:
        return env.get_template(CARD).module, env.get_template(TRACE).module
    modules = app.extensions.get("card_modules")
    if modules is None:
        modules = app.extensions["card_modules"] = (
            env.get_template(CARD).module,
            env.get_template(TRACE).module,
        )
    return modules


def _piece(cache: FragmentCache, key: tuple[Hashable, ...], build: Callable[[], str]) -> bytes:
    """A piece's HTML as UTF-8 from ``cache`` (half the memory of most str with Chinese or a curly quote),
    built on a miss. ``build`` returns the output of an autoescaping macro, so safe HTML."""
    return cache.get(key, lambda: str(build()).encode())


@bp.app_template_global()
def card(
    result: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]] | None = None,
    heading_level: int | None = None,
    hypothetical: bool = False,
    scope: tuple[Any, ...] | None = None,
    place: tuple[bool, str | None] | None = None,
) -> Markup:
    """One therapy card: ``result`` is one entry of ``result_data()["results"]``, ``rows`` every entry of the
    same product in the region (one per label, e.g. two regimens; default ``[result]``), ``hypothetical``
    true when the answers were evaluated as if the myeloma had come back, ``heading_level`` the card
    heading's level (default 3). The live results page passes its ``fragment_scope`` (the rules, the day and
    the script root: what every piece is made of besides its own key) and ``fragment_place`` (the place of
    residence, as ``residence_place`` gives it); without them nothing is cached."""
    rows = list(rows) if rows else [result]
    hl = heading_level or 3
    m, t = _modules()
    region = region_name_of(label_region(result))
    several = len(rows) > 1
    if not scope or place is None:
        parts = [m.card_open(result, hl)]
        for row in rows:
            parts.append(m.verdict_start(row, hl, hypothetical, several, region))
            parts += [m.reason(row["criteria"][i]) for i in _reasons(row)]
            parts += (m.verdict_end(row), m.row_label(row, hl), t.trace_start())
            parts += [t.trace_row(c) for c in row["criteria"]]
            parts += (t.trace_end(row), m.row_end(row, hl))
        parts.append(m.card_end(result, rows, hl, region))
        return Markup("".join(parts))  # noqa: S704 - joined outputs of autoescaping macros

    cache = fragments()
    rules, day, root = scope
    base = ("card", rules, day, root, current_locale_id())
    parts = [_piece(cache, (*base, "open", result["label_id"], hl), lambda: m.card_open(result, hl))]
    for row in rows:
        label_id, status = row["label_id"], row["status"]
        keys = getattr(row, "criteria_keys", None)
        verdict = getattr(row, "verdict_key", None)
        if keys is None or verdict is None:  # a row not from the live engine: keyed by its JSON data (exact)
            keys = tuple(repr(c) for c in row["criteria"])
            verdict = repr((status, row["decided_by"], row["criteria"]))
        parts.append(
            _piece(
                cache,
                (*base, "verdict", label_id, hl, hypothetical, several, verdict),
                lambda row=row: m.verdict_start(row, hl, hypothetical, several, region),
            )
        )
        for i in _reasons(row):
            parts.append(
                _piece(cache, (*base, "reason", keys[i]), lambda row=row, i=i: m.reason(row["criteria"][i]))
            )
        # Pieces next to each other that share a key are kept as one.
        parts.append(
            _piece(
                cache,
                (*base, "row-label", label_id, hl, status),
                lambda row=row: m.verdict_end(row) + m.row_label(row, hl) + t.trace_start(),
            )
        )
        for i, key in enumerate(keys):
            parts.append(
                _piece(cache, (*base, "trace-row", key), lambda row=row, i=i: t.trace_row(row["criteria"][i]))
            )
        parts.append(
            _piece(
                cache, (*base, "row-end", label_id, hl), lambda row=row: t.trace_end(row) + m.row_end(row, hl)
            )
        )
    label = rules.labels[result["label_id"]]
    parts.append(
        _piece(
            cache,
            (*base, "end", tuple(r["label_id"] for r in rows), hl, practice_case(place, label.region)),
            lambda: m.card_end(result, rows, hl, region),
        )
    )
    html = b"".join(parts)
    return splice(html) or Markup(html.decode())  # noqa: S704 - joined outputs of autoescaping macros


def _reasons(row: Mapping[str, Any]) -> list[int]:
    """For a row that does not match (the template's last branch), the places of its criteria not met."""
    if row["status"] in ("eligible", "possible"):
        return []
    outcomes = getattr(row, "outcomes", None)
    if outcomes is None:
        outcomes = [c["outcome"] for c in row["criteria"]]
    return [i for i, outcome in enumerate(outcomes) if outcome == "not_met"]
