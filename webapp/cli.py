"""Command-line tools: ``flask --app webapp rules check``."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .eligibility import RulesError, load_rules
from .eligibility.model import Rules

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


@rules_cli.command("check")
@click.option("--unverified", is_flag=True, help="Also list every unverified label with its reason.")
def check(unverified: bool) -> None:
    """Validate rules/ (strictly) and print the region x product table."""
    try:
        rules = load_rules(current_app.config["RULES_DIR"])
    except RulesError as exc:
        raise click.ClickException(str(exc)) from None
    today = dt.datetime.now(dt.UTC).date()
    click.echo(f"rules version {rules.version}, last reviewed {rules.last_reviewed}: OK")
    click.echo(rules_table(rules, today))
    if unverified:
        click.echo("\nNot verified against the regulator's own text:")
        for label in rules.labels.values():
            if not label.source.verified:
                click.echo(f"- {label.id}: {label.source.verified_note}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(rules_cli)
