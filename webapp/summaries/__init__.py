"""Saved summaries: print, save with consent, PDF, expiry (issue 9).

``views`` has the pages (save, /s/<token>, print views, PDFs), ``api`` the JSON API, ``store`` the table,
``snapshot`` the frozen result, ``printing`` the paper layout, ``pdf`` WeasyPrint, ``cli`` the purge command.
"""

from flask import Blueprint

# cli_group: `flask --app webapp summaries purge`. The print styles are this feature's own static files.
bp = Blueprint(
    "summaries",
    __name__,
    cli_group="summaries",
    static_folder="static",
    static_url_path="/summaries/static",
)

from ..results.openapi import declare  # noqa: E402
from . import api, cli, views  # noqa: E402, F401 - registers the routes and the command on bp
from .openapi_paths import openapi_paths  # noqa: E402

declare(bp, lambda rules: {"paths": openapi_paths()})  # the saved-summary operations in /api/v1/openapi.json
