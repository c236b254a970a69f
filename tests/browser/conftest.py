"""Browser tests: a live app in this process and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from ..conftest import ROOT, UNDER_CI, make_app, migrate

CHROMIUM = shutil.which("chromium") and "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM:
        if UNDER_CI:
            pytest.fail("Chromium is not installed: CI must run the browser tests", pytrace=False)
        pytest.skip("Chromium is not installed (make test installs it from Debian when run as root)")
    real = "/usr/lib/chromium/chromium"  # the real binary; the /usr/bin wrapper prints a harmless warning
    return {
        **browser_type_launch_args,
        "executable_path": real if Path(real).exists() else CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on 127.0.0.1 from a thread of this process (so coverage sees the app code)."""
    tmp = tmp_path_factory.mktemp("live")
    app = make_app(tmp, WTF_CSRF_ENABLED=True)
    migrate(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Absolute URLs (a saved summary's link, its QR code) come from PUBLIC_BASE_URL only: this server's.
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
