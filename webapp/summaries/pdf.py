"""PDF of the print view with WeasyPrint: the same HTML and CSS as the browser prints, fonts from the system.

Chinese renders with Noto Sans CJK (Debian's fonts-noto-cjk), found through fontconfig and embedded as a
subset (libharfbuzz-subset0 makes that fast). WeasyPrint fetches only our own stylesheets, straight from
the static folders: never the network, so a PDF cannot be made to call out to another host.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask
from werkzeug.security import safe_join

log = logging.getLogger(__name__)


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries (Pango, HarfBuzz) are missing; the caller answers 503."""


class PdfBusy(RuntimeError):
    """Every PDF slot of this process is taken (``PDF_RENDERS``); the caller answers 503 with Retry-After."""


# A PDF costs seconds of CPU and a hundred MB or more: at most PDF_RENDERS renders at once per process, so that
# the threads serving light pages keep a share of the process (issue 24). One semaphore per process and size.
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(size: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        slot = _slots.get(size)
        if slot is None:
            slot = _slots[size] = threading.BoundedSemaphore(size)
        return slot


def _static_roots(app: Flask) -> dict[str, Path]:
    """URL path prefix -> folder, for the app's static files and every blueprint's."""
    roots: dict[str, Path] = {}
    if app.static_folder and app.static_url_path:
        roots[app.static_url_path.rstrip("/") + "/"] = Path(app.static_folder)
    for bp in app.blueprints.values():
        if bp.static_folder and bp.static_url_path:
            prefix = (bp.url_prefix or "").rstrip("/") + bp.static_url_path.rstrip("/") + "/"
            roots[prefix] = Path(bp.static_folder)
    return roots


def _fetcher(app: Flask, host: str) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = _static_roots(app)

    class StaticOnly(URLFetcher):  # type: ignore[misc] - WeasyPrint has no type hints
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"} and parts.netloc == host:
                path = unquote(parts.path)
                for prefix, folder in roots.items():
                    if path.startswith(prefix):
                        local = safe_join(str(folder), path[len(prefix) :])
                        if local and Path(local).is_file():
                            mime = "text/css" if local.endswith(".css") else "application/octet-stream"
                            return URLFetcherResponse(url, Path(local).read_bytes(), {"Content-Type": mime})
            # WeasyPrint logs this and goes on without the resource.
            raise ValueError(f"not fetched for a PDF: {parts.scheme}://{parts.netloc}{parts.path}")

    return StaticOnly()


def render_pdf(app: Flask, html: str, base_url: str) -> bytes:
    """The PDF of ``html`` (a complete print view) whose links are relative to ``base_url``. Waits at most
    ``PDF_WAIT_SECONDS`` for one of the process's ``PDF_RENDERS`` slots, else raises PdfBusy."""
    slot = _slot(max(1, int(app.config["PDF_RENDERS"])))
    if not slot.acquire(timeout=float(app.config["PDF_WAIT_SECONDS"])):
        raise PdfBusy
    try:
        return _render(app, html, base_url)
    finally:
        slot.release()


def _render(app: Flask, html: str, base_url: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango or HarfBuzz missing from the system
        log.error("PDF unavailable: %s", exc)
        raise PdfUnavailable(str(exc)) from exc
    # WeasyPrint warns about every screen-only CSS feature of app.css (media queries, accent-color): noise.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = _fetcher(app, urlsplit(base_url).netloc)
    # pdf/ua-1 tags the structure (headings, lists, tables, language) for screen readers.
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")
