"""Saved summaries: print, save with consent, PDF, expiry (issue 9)."""

from flask import Blueprint

bp = Blueprint("summaries", __name__)
