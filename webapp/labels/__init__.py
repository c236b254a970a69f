"""The clinician view: label browser, label pages, CSV export (issue 10)."""

from flask import Blueprint

# The blueprint's own stylesheet lives beside it; /labels/static does not clash with /labels/<label id>.
bp = Blueprint("labels", __name__, static_folder="static", static_url_path="/labels/static")

from . import views  # noqa: E402, F401 - registers the routes on bp
