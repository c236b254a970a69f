"""The physical floor: a bare Flask app with a constant JSON body and a constant HTML page, nothing else.

With ``BENCH_SAME_JSON`` and ``BENCH_SAME_HTML`` naming files, it also serves those bytes as they are (the
benchmark saves there a check's JSON answer and a results page of the real app): the floor for sending that
many bytes, so the benchmark can tell the cost of the bytes from the cost of the work.
"""

import os
from pathlib import Path

from flask import Flask, Response, jsonify

app = Flask(__name__)
HTML = "<!doctype html><html lang=en><head><title>Bare</title></head><body><main><h1>Bare</h1></main></body></html>"
SAME_JSON = Path(os.environ["BENCH_SAME_JSON"]).read_bytes() if os.environ.get("BENCH_SAME_JSON") else b"{}"
SAME_HTML = Path(os.environ["BENCH_SAME_HTML"]).read_bytes() if os.environ.get("BENCH_SAME_HTML") else b""


@app.route("/bare.json", methods=["GET", "POST"])
def bare_json() -> Response:
    """Driven with the same POST as /api/v1/check, so both pay for the same request; the body is not read."""
    return jsonify(status="ok", region="CN", results=[])


@app.get("/bare.html")
def bare_html() -> Response:
    return Response(HTML, mimetype="text/html")


@app.route("/same.json", methods=["GET", "POST"])
def same_json() -> Response:
    return Response(SAME_JSON, mimetype="application/json")


@app.get("/same.html")
def same_html() -> Response:
    return Response(SAME_HTML, mimetype="text/html")


@app.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")
