"""The clinician view: label browser, label pages, CSV export (issue 10), label changes and their feed (25)."""

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

# The blueprint's own stylesheet lives beside it; /labels/static does not clash with /labels/<label id>.
bp = Blueprint("labels", __name__, static_folder="static", static_url_path="/labels/static")


@bp.record_once
def _load_events(state: BlueprintSetupState) -> None:
    """Read rules/corrections.toml and derive the label events once, at start-up, like the rules themselves:
    a corrections file that does not load stops the app."""
    from .corrections import load_corrections
    from .events import label_events

    app = state.app
    rules = app.extensions["engine"].rules
    corrections = load_corrections(app.config["RULES_DIR"], rules)
    app.extensions["label_events"] = label_events(rules, corrections)


from . import changes, views  # noqa: E402, F401 - registers the routes on bp
