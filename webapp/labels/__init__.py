"""The clinician view: label browser, label pages, CSV export (issue 10)."""

from flask import Blueprint

bp = Blueprint("labels", __name__)
