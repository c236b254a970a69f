"""Command-line tools: ``flask --app webapp rules check``, ``rules report`` and ``rules diff <git-ref>``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup

from .eligibility import RulesError, load_rules
from .eligibility.model import Rules
from .i18n import LANGUAGES, use_locale
from .labels.corrections import load_corrections
from .labels.report import build_report, html_report, markdown_report
from .labels.rulesdiff import DiffError, diff_against, format_diff

rules_cli = AppGroup("rules", help="Validate and report on the label data in rules/.")


def rules_table(rules: Rules, today: dt.date) -> str:
    """Region x product: each version with its dates and state today, and the verified count."""
    lines = []
    header = f"{'region':<6} {'product':<28} {'versions (approved → ended, state today)':<70} verified"
    lines.append(header)
    lines.append("-" * len(header))
    total = verified = 0
    for region in rules.regions:
        for product in rules.products.values():
            labels = [lb for lb in product.labels if lb.region == region]
            if not labels:
                continue
            labels.sort(key=lambda lb: lb.in_force_from)
            parts = []
            for lb in labels:
                approved = str(lb.approved) if lb.approved else "date unknown"
                ended = f" → {lb.ended}" if lb.ended else ""
                parts.append(f"{lb.id} ({approved}{ended}, {lb.state_on(today)})")
            n_ver = sum(lb.source.verified for lb in labels)
            total += len(labels)
            verified += n_ver
            first, *rest = parts
            lines.append(f"{region:<6} {product.id:<28} {first:<70} {n_ver}/{len(labels)}")
            lines.extend(f"{'':<6} {'':<28} {p}" for p in rest)
    lines.append("-" * len(header))
    lines.append(
        f"{total} label versions in {len(rules.products)} products; {verified} verified against the regulator's text."
    )
    return "\n".join(lines)


# The regions whose regulators publish their texts (issue 23 sets a verification target for them).
PUBLIC_TEXT_REGIONS = ("US", "EU", "CA", "JP")
STALE_AFTER_DAYS = 365


def verification_table(rules: Rules, today: dt.date) -> str:
    """The labels in force on ``today``: the share verified against the regulator's own text per region, the
    public-text regions together and overall, then each label with the day its source was checked and the day
    it goes stale (checked more than a year before)."""
    in_force = [lb for lb in rules.labels.values() if lb.in_force_on(today)]

    def share(labels: list) -> str:
        done = sum(lb.source.verified for lb in labels)
        pct = f"{100 * done / len(labels):.0f}%" if labels else "-"
        return f"{done}/{len(labels)} ({pct})"

    lines = [f"Verified against the regulator's own text, labels in force on {today}:"]
    for region in rules.regions:
        labels = [lb for lb in in_force if lb.region == region]
        if labels:
            lines.append(f"  {region:<4} {share(labels)}")
    public = [lb for lb in in_force if lb.region in PUBLIC_TEXT_REGIONS]
    lines.append(f"  {'+'.join(PUBLIC_TEXT_REGIONS)}: {share(public)}")
    lines.append(f"  all  {share(in_force)}")
    lines.append("")
    lines.append(f"{'label in force':<30} {'verified':<9} {'checked':<11} stale from")
    for lb in sorted(in_force, key=lambda lb: (lb.region, lb.id)):
        stale = lb.source.checked + dt.timedelta(days=STALE_AFTER_DAYS)
        mark = "  STALE" if stale <= today else ""
        lines.append(
            f"{lb.id:<30} {'yes' if lb.source.verified else 'no':<9} {lb.source.checked!s:<11} {stale}{mark}"
        )
    return "\n".join(lines)


@rules_cli.command("check")
@click.option("--unverified", is_flag=True, help="Also list every unverified label with its reason.")
def check(unverified: bool) -> None:
    """Validate rules/ (strictly) and print the region x product table."""
    try:
        rules = load_rules(current_app.config["RULES_DIR"])
        corrections = load_corrections(current_app.config["RULES_DIR"], rules)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from None
    today = dt.datetime.now(dt.UTC).date()
    click.echo(f"rules version {rules.version}, last reviewed {rules.last_reviewed}: OK")
    click.echo(f"{len(corrections)} corrections in corrections.toml: OK")
    click.echo(rules_table(rules, today))
    click.echo("")
    click.echo(verification_table(rules, today))
    if unverified:
        click.echo("\nNot verified against the regulator's own text:")
        for label in rules.labels.values():
            if not label.source.verified:
                click.echo(f"- {label.id}: {label.source.verified_note}")


@rules_cli.command("report")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
    help="Markdown to read or paste anywhere; HTML to print and sign.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Report as if today were this day (YYYY-MM-DD); the staleness check counts back from it.",
)
@click.option(
    "--lang",
    type=click.Choice(list(LANGUAGES)),
    default="en",
    show_default=True,
    help="Language of the headings and plain words; label text is always as the regulator wrote it.",
)
def report(fmt: str, output: Path | None, today: dt.datetime | None, lang: str) -> None:
    """All labels by region for clinician sign-off, and every source last checked over 12 months ago."""
    rules = current_app.extensions["engine"].rules
    day = today.date() if today else dt.datetime.now(dt.UTC).date()
    # No request here: set the language for gettext and for the app's language hook directly.
    g.lang_code = lang
    with use_locale(LANGUAGES[lang]):
        content = build_report(rules, day)
        text = html_report(content, lang) if fmt == "html" else markdown_report(content)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(
        f"Wrote {fmt} report of {content.total} label versions to {output}; "
        f"{len(content.stale)} with a source last checked before {content.stale_before}.",
        err=True,
    )


@rules_cli.command("diff")
@click.argument("ref")
@click.option(
    "--skip-sources",
    is_flag=True,
    help="Leave out changes to the labels' [source] tables (dates checked, addresses, notes).",
)
def diff(ref: str, skip_sources: bool) -> None:
    """List label-level changes between rules/ at git REF (a commit, tag or branch) and today's."""
    try:
        result = diff_against(
            Path(current_app.config["RULES_DIR"]), ref, skip=("source.",) if skip_sources else ()
        )
    except DiffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_diff(result), nl=False)


def register_cli(app: Flask) -> None:
    app.cli.add_command(rules_cli)
