"""The patient journey: the form, check your answers, results (issue 8)."""

from flask import Blueprint

bp = Blueprint("patient", __name__)
