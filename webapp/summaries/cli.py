"""``flask --app webapp summaries purge``: delete expired saved summaries. Safe to run from cron."""

from __future__ import annotations

import sys

import click

from . import bp, store


@bp.cli.command("purge")
def purge() -> None:
    """Delete every saved summary past its expiry. Running it twice, or twice at once, does no harm."""
    try:
        count = store.purge()
    except store.StorageUnavailable:
        # A non-zero exit, so cron mails the failure; the rows stay hidden once expired anyway.
        click.echo("Could not reach the database: no summary was deleted.", err=True)
        sys.exit(1)
    click.echo(f"Deleted {count} expired saved {'summary' if count == 1 else 'summaries'}.")
