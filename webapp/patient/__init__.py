"""The patient journey: the form, check your answers, results (issue 8)."""

from flask import Blueprint

bp = Blueprint("patient", __name__)

from . import display, views  # noqa: E402, F401 - registers the routes and template helpers on bp
