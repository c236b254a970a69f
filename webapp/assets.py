"""Static assets: content-hashed URLs so browsers may cache them for a year, and compressed responses.

Every ``url_for('static', filename=...)`` (the app's and each blueprint's) gets ``?v=<hash of the file>``,
worked out once at start-up, so a changed file gets a new URL and the long cache lifetime is safe.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_compress import Compress

ONE_YEAR = 365 * 24 * 3600


def _hashes(folder: str | None) -> dict[str, str]:
    if not folder or not Path(folder).is_dir():
        return {}
    root = Path(folder)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in root.rglob("*")
        if path.is_file()
    }


def init_assets(app: Flask) -> None:
    """Call after the blueprints are registered (their static folders are hashed too)."""
    versions: dict[str, dict[str, str]] = {"static": _hashes(app.static_folder)}
    for name, blueprint in app.blueprints.items():
        if blueprint.static_folder:
            versions[f"{name}.static"] = _hashes(blueprint.static_folder)

    @app.url_defaults
    def _version_static(endpoint: str, values: dict[str, Any]) -> None:
        table = versions.get(endpoint)
        if table is not None and "v" not in values:
            digest = table.get(values.get("filename", ""))
            if digest:
                values["v"] = digest

    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", ONE_YEAR)
    # gzip for everyone; Brotli where the browser asks for it. Small bodies are not worth compressing.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
            "text/csv",
        ],
    )
    Compress(app)

    # Registered after Compress, so it runs before it (Flask runs after_request hooks last-in, first-out).
    @app.after_request
    def _materialize_static(response: Response) -> Response:
        """Read a static file into memory (they are small), closing it, so it is compressed like any page.

        Flask-Compress would otherwise wrap the open file in a generator and never close it.
        """
        endpoint = request.endpoint or ""
        if endpoint.endswith("static") and response.is_streamed and response.status_code == 200:
            data = b"".join(response.iter_encoded())
            response.close()
            response.direct_passthrough = False
            response.set_data(data)
        return response
