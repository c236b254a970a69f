"""The app's own stack with no work: this app, every hook and header as served, plus two routes that send
constant bytes (the benchmark saves there a check's JSON answer and a results page of the real app).

Against the bare app serving the same bytes, it shows what the stack costs (contexts, the session, the hooks
for language, security headers, compression and the request log); against it, the real endpoints show what
the work costs (reading and checking the answers, evaluating every label, building the answer). Benchmark
only: these routes are never part of the product.
"""

import os
from pathlib import Path

from flask import Response

from webapp import create_app
from webapp.extensions import csrf

app = create_app()
SAME_JSON = Path(os.environ["BENCH_SAME_JSON"]).read_bytes()
SAME_HTML = Path(os.environ["BENCH_SAME_HTML"]).read_bytes()


# Under /api/, as the check is: the API's null session, no CSRF (the API takes no cookies), its error handling.
@app.post("/api/v1/bench-floor")
@csrf.exempt
def floor_json() -> Response:
    """Driven with the check's POST; the body is not read."""
    return Response(SAME_JSON, mimetype="application/json")


@app.get("/bench-floor.html")
def floor_html() -> Response:
    """Driven with the results page's cookie: Flask opens (verifies and decodes) the signed session on every
    request, so this pays for it as the page does."""
    return Response(SAME_HTML, mimetype="text/html")
