"""Label events (issue 25): what happened to each label, derived from the dated versions in rules/.

``label_events`` is pure: rules and corrections in, events out, no Flask. Each label version gives
- "approved": the first version of a product in a region, or one that came after every earlier version
  had ended (Blenrep came back in the US and the EU after it was withdrawn);
- "extended": a version that came while an earlier one was in force or the day it ended (a new line of
  therapy, a new combination, a reissued text);
- "superseded" or "withdrawn" (withdrawn or lapsed): the day it ended, with the reason the data gives;
- "corrected": each entry of rules/corrections.toml (our text changed, the regulator's did not).

``describe_event`` puts one event into plain words in the active language (needs an app context for
gettext), from the same criteria diff the clinician label page shows (describe.criteria_changes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ..eligibility.dates import PartialDate
from ..eligibility.model import Label, Rules
from ..eligibility.texts import N_
from ..i18n import gettext, names, ngettext
from .corrections import Correction
from .describe import (
    criteria_changes,
    criteria_lines,
    date_text,
    partial_date_text,
    regimen_line,
    versions_of,
)

EVENT_KINDS: tuple[str, ...] = ("approved", "extended", "superseded", "withdrawn", "corrected")
KIND_NAMES: dict[str, str] = {
    "approved": N_("Approved"),
    "extended": N_("New version"),
    "superseded": N_("Superseded"),
    "withdrawn": N_("Withdrawn or lapsed"),
    "corrected": N_("Text corrected"),
}
# Entry ids: name-based UUIDs (RFC 4122 version 5) of "<label id>/<kind>", so an event keeps its id for as
# long as the label id lives (ids are permanent), whatever the host, the language or the order of the feed.
ID_NAMESPACE = uuid.UUID("9b0c6c1e-4f64-5d3c-9a53-6b1f1d0f2a25")


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # one of EVENT_KINDS
    label: Label  # the version the event happened to
    date: PartialDate | None  # as precise as the data gives it; None: date unknown
    day: dt.date  # when it counts: the date's effective day, else the day the label was recorded
    compared_with: tuple[
        Label, ...
    ] = ()  # approved again / extended: the earlier version(s); ended: the next
    correction: Correction | None = None

    @property
    def key(self) -> str:
        """Stable across runs and languages: the label id, the kind, and a correction's date."""
        return self.correction.key if self.correction else f"{self.label.id}/{self.kind}"

    @property
    def id(self) -> str:
        return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, self.key)}"


def _start_event(rules: Rules, label: Label) -> Event:
    earlier = [
        lb for lb in versions_of(rules, label) if lb.id != label.id and lb.in_force_from < label.in_force_from
    ]
    start = label.in_force_from
    # In force on the new version's first day, or ending that very day (it replaced them).
    live = [lb for lb in earlier if lb.in_force_until is None or lb.in_force_until >= start]
    day = label.approved.effective if label.approved else label.source.checked
    if live:
        latest = max(lb.in_force_from for lb in live)
        return Event(
            "extended", label, label.approved, day, tuple(lb for lb in live if lb.in_force_from == latest)
        )
    if earlier:  # every earlier version had ended: approved again
        last_end = max(lb.in_force_until for lb in earlier if lb.in_force_until is not None)
        return Event(
            "approved",
            label,
            label.approved,
            day,
            tuple(lb for lb in earlier if lb.in_force_until == last_end),
        )
    return Event("approved", label, label.approved, day)


def label_events(rules: Rules, corrections: tuple[Correction, ...] = ()) -> list[Event]:
    """Every event of every label version, newest first (then by region, product and label id)."""
    events: list[Event] = []
    for label in rules.labels.values():
        events.append(_start_event(rules, label))
        if label.ended is not None:
            until = label.ended.effective
            following = tuple(
                lb for lb in versions_of(rules, label) if lb.id != label.id and lb.in_force_from == until
            )
            kind = "superseded" if label.end_reason == "superseded" else "withdrawn"
            events.append(Event(kind, label, label.ended, until, following))
    for correction in corrections:
        label = rules.labels[correction.label]
        date = PartialDate(correction.date.isoformat(), "day", correction.date)
        events.append(Event("corrected", label, date, correction.date, correction=correction))
    order = {kind: i for i, kind in enumerate(EVENT_KINDS)}
    region_rank = {r: i for i, r in enumerate(rules.regions)}
    events.sort(
        key=lambda e: (
            -e.day.toordinal(),
            region_rank.get(e.label.region, len(region_rank)),
            e.label.product,
            order[e.kind],
            e.label.id,
        )
    )
    return events


def filter_events(events: list[Event], region: str | None = None, product: str | None = None) -> list[Event]:
    return [
        e
        for e in events
        if (region is None or e.label.region == region) and (product is None or e.label.product == product)
    ]


# -- plain words ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CitationText:
    """A label's citation as a reader sees it: document, issuer, the document's date (or "accessed <day>"
    when it has none), section and addresses. Never the maintainers' notes."""

    document: str
    issuer: str
    when: str  # the document's date, or "accessed <checked>"
    section: str
    urls: tuple[str, ...]

    def __str__(self) -> str:
        return gettext(", ").join(p for p in (self.document, self.issuer, self.section, self.when) if p)


@dataclass(frozen=True, slots=True)
class EventView:
    event: Event
    kind_text: str
    title: str  # "<product> in <region>: <what happened>"
    date_text: str  # the date as precise as known, or "date unknown"
    product_name: str
    region_name: str
    changes: tuple[str, ...]  # what changed, in plain words
    citation: CitationText


def _lines_change(old: Label, new: Label) -> str | None:
    """ "Now from 1 prior line instead of 4", when both versions state a minimum."""
    lo_old, lo_new = old.criteria.min_prior_lines, new.criteria.min_prior_lines
    unknown = set(old.criteria.unknown) | set(new.criteria.unknown)
    if lo_old is None or lo_new is None or "min_prior_lines" in unknown or lo_old == lo_new:
        return None
    return ngettext(
        "Now from %(num)d prior line instead of %(old)d",
        "Now from %(num)d prior lines instead of %(old)d",
        lo_new,
        old=lo_old,
    )


def change_texts(rules: Rules, old: Label, new: Label) -> list[str]:
    """What changed in the encoded criteria and companion drugs from ``old`` to ``new``, in plain words."""
    out = []
    for change in criteria_changes(rules, old, new):
        if change.key == "min_prior_lines" and (text := _lines_change(old, new)):
            out.append(text)
        elif change.key == "regimen" and change.added and not change.removed:
            out.append(gettext("Now also given with %(drugs)s", drugs=gettext(", ").join(change.added)))
        else:
            # Translators: a criterion's name, then what the new label version asks and what the old one did.
            out.append(
                gettext(
                    "%(name)s: %(after)s (before: %(before)s)",
                    name=change.name,
                    after=change.after,
                    before=change.before,
                )
            )
    return out


def _approved_texts(rules: Rules, label: Label) -> list[str]:
    # Every label requires relapsed or refractory myeloma: saying so in each approval adds nothing.
    lines = [
        line.text
        for line in criteria_lines(rules, label)
        if line.state == "required" and line.key != "relapsed_or_refractory"
    ]
    regimen = regimen_line(rules, label)
    if regimen.state == "required":
        lines.append(regimen.text)
    unknown = [line for line in criteria_lines(rules, label) if line.state == "unknown"]
    if unknown:
        lines.append(
            gettext(
                "Not stated by any source we hold: %(criteria)s",
                criteria=gettext(", ").join(line.name for line in unknown),
            )
        )
    return lines


def _region_name(rules: Rules, region: str) -> str:
    return names(rules.regions[region].names)


def citation_of(label: Label) -> CitationText:
    c = label.source.citation
    when = partial_date_text(c.date) if c.date else gettext("accessed %(date)s", date=date_text(c.checked))
    return CitationText(c.document, c.issuer, when, c.section, c.urls)


def describe_event(rules: Rules, event: Event) -> EventView:
    label = event.label
    product_name = names(rules.products[label.product].names)
    region_name = _region_name(rules, label.region)
    changes: list[str]
    if event.kind == "approved":
        if event.compared_with:
            what = gettext("approved again")
            changes = [gettext("Approved again after the earlier label was withdrawn.")]
            changes += change_texts(rules, event.compared_with[0], label)
        else:
            what = gettext("approved")
            changes = _approved_texts(rules, label)
        if not label.indication_held:
            # No encoded criteria to describe: what the approval covers is not known to us.
            changes = [gettext("We hold only that this approval exists, not what it approves.")]
    elif event.kind == "extended":
        what = gettext("new label version")
        changes = []
        for old in event.compared_with:
            found = change_texts(rules, old, label)
            changes += [c for c in found if c not in changes]
        if not changes:
            changes = [gettext("A new text of the label; the criteria we encode did not change.")]
    elif event.kind == "superseded":
        what = gettext("label replaced")
        changes = [
            gettext("Replaced by the label version %(version)s.", version=lb.id) for lb in event.compared_with
        ] or [gettext("Replaced by a newer version of the label.")]
    elif event.kind == "withdrawn":
        what = gettext("withdrawn or lapsed")
        changes = [gettext("No longer approved in %(region)s from this date.", region=region_name)]
    else:
        what = gettext("label text corrected")
        changes = [gettext(event.correction.text)] if event.correction else []
    if event.date is None and label.in_force_by is not None and event.kind in ("approved", "extended"):
        when = gettext(
            "date unknown (in force by %(date)s at the latest)", date=date_text(label.in_force_by.date)
        )
    elif event.date is None:
        when = gettext("date unknown")
    else:
        when = partial_date_text(event.date)
    if label.regimen:
        # Two versions approved together differ by their companion drugs: the title says which.
        # Translators: e.g. "belantamab mafodotin with bortezomib, dexamethasone in European Union: approved".
        title = gettext(
            "%(product)s with %(drugs)s in %(region)s: %(what)s",
            product=product_name,
            drugs=gettext(", ").join(names(rules.drugs[d].names) for d in label.regimen),
            region=region_name,
            what=what,
        )
    else:
        # Translators: e.g. "Ciltacabtagene autoleucel in the United States: new label version".
        title = gettext(
            "%(product)s in %(region)s: %(what)s", product=product_name, region=region_name, what=what
        )
    return EventView(
        event=event,
        kind_text=gettext(KIND_NAMES[event.kind]),
        title=title,
        date_text=when,
        product_name=product_name,
        region_name=region_name,
        changes=tuple(changes),
        citation=citation_of(label),
    )
