"""``flask rules report``: every label by region, for a clinician to read and sign off, and a staleness check.

The report is built from the same plain-word descriptions as the label pages (describe.py), so what a
clinician signs is what the pages show and the engine uses. It needs an app context (gettext) but no
request. Dates are written as the data gives them (ISO, with month or year precision kept), because a
sign-off document must be unambiguous in every language.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app

from ..eligibility.model import Label, Region, Rules
from ..i18n import current_locale_id, gettext, names, ngettext
from .describe import (
    CriterionLine,
    criteria_lines,
    flag_texts,
    months_before,
    regimen_line,
    state_name,
    url_parts,
)

STALE_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Entry:
    label: Label
    product_name: str
    brand: str
    state: str
    state_text: str
    criteria: tuple[CriterionLine, ...]
    regimen: CriterionLine
    flags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Report:
    rules: Rules
    today: dt.date
    stale_before: dt.date
    stale: tuple[Entry, ...]
    regions: tuple[tuple[Region, str, tuple[Entry, ...]], ...]  # region, its name, its label versions
    total: int
    verified: int
    reviewed: int


def stale_labels(rules: Rules, today: dt.date, months: int = STALE_MONTHS) -> list[Label]:
    """Labels whose source was last checked more than ``months`` months before ``today``."""
    cutoff = months_before(today, months)
    return sorted(
        (lb for lb in rules.labels.values() if lb.source.checked < cutoff),
        key=lambda lb: (lb.source.checked, lb.id),
    )


def build_report(rules: Rules, today: dt.date) -> Report:
    """The report's content in the active locale; needs an app context."""

    def entry(label: Label) -> Entry:
        product = rules.products[label.product]
        state = label.state_on(today)
        return Entry(
            label=label,
            product_name=names(product.names),
            brand=product.brand_in(label.region, current_locale_id()),
            state=state,
            state_text=state_name(state),
            criteria=tuple(criteria_lines(rules, label)),
            regimen=regimen_line(rules, label),
            flags=tuple(flag_texts(label)),
        )

    regions = []
    for region in rules.regions.values():
        labels = sorted(
            (lb for lb in rules.labels.values() if lb.region == region.id),
            key=lambda lb: (lb.product, lb.in_force_from, lb.id),
        )
        if labels:
            regions.append((region, names(region.names), tuple(entry(lb) for lb in labels)))
    all_labels = list(rules.labels.values())
    return Report(
        rules=rules,
        today=today,
        stale_before=months_before(today, STALE_MONTHS),
        stale=tuple(entry(lb) for lb in stale_labels(rules, today)),
        regions=tuple(regions),
        total=len(all_labels),
        verified=sum(lb.source.verified for lb in all_labels),
        reviewed=sum(bool(lb.source.reviewed_by) for lb in all_labels),
    )


# -- Markdown ------------------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_<>#|])")


def _md(text: str) -> str:
    """Escape what Markdown would read as formatting; the label text must come out exactly as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _urls(text: str | tuple[str, ...]) -> str:
    """Each address as a Markdown autolink, remarks between them escaped as text."""
    return "".join(f"<{part}>" if kind == "url" else _md(part) for kind, part in url_parts(text))


def _quote(text: str) -> list[str]:
    return [f"> {_md(line)}" if line.strip() else ">" for line in text.strip().splitlines()]


def _summary(report: Report) -> str:
    return gettext(
        "%(total)s label versions of %(products)s products in %(regions)s regions. %(verified)s verified "
        "against the regulator's own text; %(reviewed)s signed off by a clinician.",
        total=report.total,
        products=len(report.rules.products),
        regions=len(report.regions),
        verified=report.verified,
        reviewed=report.reviewed,
    )


def _stale_line(e: Entry, region_name: str) -> str:
    s = e.label.source
    return gettext(
        "%(id)s (%(product)s, %(region)s): last checked %(date)s. %(document)s, %(section)s: %(url)s",
        id=f"`{e.label.id}`",
        product=_md(e.product_name),
        region=_md(region_name),
        date=s.checked.isoformat(),
        document=_md(s.document),
        section=_md(s.section),
        url=_urls(s.urls),
    )


def _item(name: str, value: str) -> str:
    return "- **" + name + ":** " + value


def _bold(text: str) -> str:
    return "**" + text + "**"


def markdown_report(report: Report) -> str:
    rules, out = report.rules, []
    region_names = {r.id: name for r, name, _ in report.regions}
    out += ["# " + gettext("Label data for clinician sign-off"), ""]
    out.append(
        gettext(
            "Rules version %(version)s, data last reviewed %(reviewed)s. Report made on %(today)s.",
            version=_bold(rules.version),
            reviewed=rules.last_reviewed.isoformat(),
            today=report.today.isoformat(),
        )
    )
    out += ["", _summary(report), ""]

    out += ["## " + gettext("Staleness check"), ""]
    out += [
        ngettext(
            "Sources last checked more than %(num)d month ago (before %(date)s):",
            "Sources last checked more than %(num)d months ago (before %(date)s):",
            STALE_MONTHS,
            date=report.stale_before.isoformat(),
        ),
        "",
    ]
    if report.stale:
        out += ["- " + _stale_line(e, region_names[e.label.region]) for e in report.stale]
    else:
        out.append(
            gettext(
                "None: every source was checked on or after %(date)s.", date=report.stale_before.isoformat()
            )
        )
    out.append("")

    for region, region_name, entries in report.regions:
        out += [f"## {_md(region_name)} ({region.id})", ""]
        regulator = gettext(
            "Regulator: %(name)s (%(short)s).", name=_md(region.regulator_name), short=_md(region.regulator)
        )
        count = ngettext("%(num)d label version.", "%(num)d label versions.", len(entries))
        out += [f"{regulator} {count}", ""]
        for e in entries:
            out += _markdown_entry(e, report.today)
    return "\n".join(out).rstrip() + "\n"


def _markdown_entry(e: Entry, today: dt.date) -> list[str]:
    lb, s = e.label, e.label.source
    title = f"{_md(e.product_name)} ({_md(e.brand)})" if e.brand else _md(e.product_name)
    out = [f"### {title}: `{lb.id}`", ""]
    out.append(_item(gettext("Status on %(date)s", date=today.isoformat()), e.state_text))
    approved = str(lb.approved) if lb.approved else gettext("no source gives the date")
    if lb.approval_type:
        approved += f" ({_md(lb.approval_type)})"
    out.append(_item(gettext("Approved"), approved))
    if lb.approved is None or lb.approved.precision != "day":
        out.append(_item(gettext("Counted as in force from"), lb.in_force_from.isoformat()))
    if lb.ended:
        reason = gettext("Withdrawn") if lb.end_reason == "withdrawn" else gettext("Superseded")
        out.append(_item(reason, str(lb.ended)))
    out += [_item(e.regimen.name, _md(e.regimen.text)), ""]
    out += [_bold(gettext("Indication, as the regulator published it")) + f" (`{lb.indication_lang}`):", ""]
    out += [*_quote(lb.indication), ""]
    if lb.indication_en:
        official = lb.indication_en_official
        heading = gettext("In English") if official else gettext("In English (unofficial translation)")
        out += [_bold(heading) + ":", "", *_quote(lb.indication_en), ""]
    out += [_bold(gettext("Encoded criteria, in plain words")) + ":", ""]
    out += [f"- {_md(c.name)} (`{c.key}`): {_md(c.text)}" for c in e.criteria]
    out.append("")
    if s.verified:
        verified = gettext("Verified against the regulator's own text.")
    else:
        verified = gettext("Not verified: %(note)s", note=_md(s.verified_note))
    if s.checked_against == "regulator":
        against = gettext("the regulator's own text")
    else:
        against = gettext("a secondary source")
    source = gettext(
        "%(document)s, %(section)s. %(url)s. Checked on %(date)s against %(against)s.",
        document=_md(s.document),
        section=_md(s.section),
        url=_urls(s.urls),
        date=s.checked.isoformat(),
        against=against,
    )
    out.append(_bold(gettext("Source")) + ": " + source + " " + verified)
    if s.notes:
        out += ["", _bold(gettext("Notes")) + ": " + _md(s.notes)]
    # Not verified and not reviewed are said just above and below; the other flags are listed here.
    flags = [text for flag, text in e.flags if flag not in ("not_verified", "not_reviewed")]
    if flags:
        out += ["", _bold(gettext("Flags")) + ":", ""] + ["- " + _md(t) for t in flags]
    out.append("")
    if s.reviewed_by:
        signed = gettext(
            "Reviewed by %(name)s on %(date)s.",
            name=_md(s.reviewed_by),
            date=s.reviewed_on.isoformat() if s.reviewed_on else "?",
        )
    else:
        signed = gettext("Reviewed by ____________________ on ____________ (not yet reviewed)")
    out += [_bold(gettext("Sign-off")) + ": " + signed, "", "---", ""]
    return out


# -- HTML --------------------------------------------------------------------------------------------------------
def html_report(report: Report, lang: str) -> str:
    """A standalone HTML file (it is saved and printed, not served by the app)."""
    template = current_app.jinja_env.get_template("labels/report.html")
    return template.render(
        report=report, lang=lang, summary=_summary(report), months=STALE_MONTHS, url_parts=url_parts
    )
