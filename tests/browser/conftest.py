"""Real-browser fixtures: the site served on loopback, Debian's Chromium driven
by Playwright (never a downloaded browser).

Without Chromium or Playwright these tests skip with a reason, unless
REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
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
# Screenshots are taken only when asked: SCREENSHOT_DIR=screenshots make test
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


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
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

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
    track_requests(page)
    yield page
    context.close()


def track_requests(page) -> None:
    """Keep `page.in_flight`: the requests the page has started and not yet
    finished, for `settled()`."""
    in_flight = page.in_flight = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))


def settled(page, timeout: float = 10.0) -> None:
    """Wait until the page has loaded and every request it started (its
    scripts' fetches included) has an answer: what "networkidle" waits for,
    without its 500 ms of quiet after the last one."""
    page.wait_for_load_state("load")
    deadline = time.monotonic() + timeout
    while page.in_flight:
        assert time.monotonic() < deadline, f"requests still open: {page.in_flight}"
        page.wait_for_timeout(10)  # Playwright's events arrive while it waits


def screenshot(page, name: str, full_page: bool = True) -> Path | None:
    """Save the page (all of it, or the viewport) as SCREENSHOT_DIR/<name>.png,
    if that is set."""
    if not SCREENSHOTS:
        return None
    path = Path(SCREENSHOTS) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path
