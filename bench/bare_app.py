"""The physical floor: a bare Flask app with a constant JSON body and a constant HTML page, nothing else."""

from flask import Flask, Response, jsonify

app = Flask(__name__)
HTML = "<!doctype html><html lang=en><head><title>Bare</title></head><body><main><h1>Bare</h1></main></body></html>"


@app.route("/bare.json", methods=["GET", "POST"])
def bare_json() -> Response:
    """Driven with the same POST as /api/v1/check, so both pay for the same request; the body is not read."""
    return jsonify(status="ok", region="CN", results=[])


@app.get("/bare.html")
def bare_html() -> Response:
    return Response(HTML, mimetype="text/html")


@app.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")
