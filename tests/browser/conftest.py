"""Real-browser fixtures: the site served on loopback, Debian's Chromium driven
by Playwright (never a downloaded browser).

Without Chromium or Playwright these tests skip with a reason, unless
REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from demo_app.serving import RawHeadersRequestHandler

from ..conftest import database_url, make_app, reset_schema

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "screenshots")
)


def _browser_problem() -> str | None:
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    problem = _browser_problem()
    if problem:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(problem + " (REQUIRE_BROWSER=1)")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=RawHeadersRequestHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # links are built from SITE_URL: the address this server really has
        app.config["SITE_URL"] = self.url
        app.config["TRUSTED_HOSTS"] = ["127.0.0.1"]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_settings():
    return {}


@pytest.fixture
def live_app(tmp_path, live_settings):
    app = make_app(database_url("sqlite", tmp_path), tmp_path, **live_settings)
    reset_schema(app)
    return app


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page (360 px wide) that records script errors and any
    request that leaves the machine."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1)
    page = context.new_page()
    page.errors = []
    page.external_requests = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))

    def check_request(request):
        if not request.url.startswith((live_server.url, "data:", "blob:")):
            page.external_requests.append(request.url)

    page.on("request", check_request)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
