"""The inspector as a QA engineer uses it every day (issue 21): clean rows,
the body first, deleting their own captures, filters that hold, one place to
start; at 1280x800 and 360x740, light and dark, with axe-core clean."""

import pytest
import requests
from playwright.sync_api import expect

from .conftest import screenshot
from .helpers import check_both_schemes, login

pytestmark = pytest.mark.browser

SIZES = [(360, 740), (1280, 800)]
LONG_EMAIL = "a.very.long.qa.engineer.name+android-build-42@example-company.com"


@pytest.fixture
def qa(live_app):
    """A QA engineer with a private endpoint named "Android build 42"."""
    from demo_app.accounts import create_user
    from demo_app.endpoints import service

    from ..conftest import PASSWORD

    with live_app.app_context():
        user = create_user(LONG_EMAIL, PASSWORD)
        endpoint = service.create(user, "Android build 42")
        return {"email": user.email, "path": "/r/" + endpoint.token, "id": endpoint.id}


def _check(page, name: str) -> None:
    check_both_schemes(page, name, full_page=False)


def _varied(page, base: str, path: str, n: int) -> None:
    """n captures of the kinds QA sends: registrations sent with the login
    (a device), malformed JSON (a parse error), forms, anonymous JSON."""
    from ..payloads import IOS_PAYLOAD, V5_PAYLOAD

    for i in range(n):
        kind = i % 4
        if kind == 0:
            page.request.post(base + path + "/devices", data=V5_PAYLOAD)
        elif kind == 1:
            requests.post(base + path, data='{"oneSignalUserId": "x", broken',
                          headers={"Content-Type": "application/json"}, timeout=10)  # fmt: skip
        elif kind == 2:
            requests.post(base + path, data={"user": f"u{i}", "step": "login"}, timeout=10)
        else:
            requests.post(base + path + "?build=41", json=IOS_PAYLOAD, timeout=10)


ROW_BOXES = """() => [...document.querySelectorAll('li.capture')].map(row => {
    const cells = [row.querySelector('.pick'), ...row.querySelectorAll('a.cap-link > *')]
      .filter(el => getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0)
      .map(el => { const b = el.getBoundingClientRect();
                   return {name: el.className, l: b.left, r: b.right, t: b.top, b: b.bottom}; });
    const lines = new Set(cells.map(c => Math.round(c.t / 4)));
    return {id: row.dataset.id, height: row.getBoundingClientRect().height, cells,
            lineHeight: parseFloat(getComputedStyle(row.querySelector('a.cap-link')).lineHeight)};
  })"""


def _overlaps(row) -> list:
    cells, found = row["cells"], []
    for i, a in enumerate(cells):
        for b in cells[i + 1 :]:
            if (
                a["l"] < b["r"] - 0.5
                and b["l"] < a["r"] - 0.5
                and a["t"] < b["b"] - 0.5
                and b["t"] < a["b"] - 0.5
            ):
                found.append((a["name"], b["name"]))
    return found


def _rows_in_view(page) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('li.capture')].filter(row => {
             const box = row.getBoundingClientRect();
             return box.top >= 0 && box.bottom <= window.innerHeight;
           }).length"""
    )


@pytest.mark.parametrize("width,height", SIZES)
def test_rows_are_clean(page, live_server, qa, width, height):
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    login(page, base, qa["email"])
    _varied(page, base, qa["path"], 24)
    page.goto(base + "/inspector")
    rows = page.evaluate(ROW_BOXES)
    assert len(rows) == 24
    for row in rows:
        assert _overlaps(row) == [], (row["id"], _overlaps(row))
        lines = round((row["height"] - 8) / row["lineHeight"])
        assert lines <= (1 if width >= 1024 else 2), (row["id"], row["height"])
    if width >= 1024:
        fit = _rows_in_view(page)
        print(f"rows that fit at {width}x{height}: {fit}")
        assert fit >= 14
    # the endpoint's name, never its secret token; platform, sender, device
    registration = page.locator('li.capture[data-id="1"]')
    text = registration.inner_text()
    assert "Android build 42" in text and qa["path"] not in text
    assert "android" in text and LONG_EMAIL[:12] in text and "9f8e7d6c" in text
    # a problem is an icon; its text is in the title and read out
    broken = page.locator('li.capture[data-id="2"] .cap-flag')
    assert broken.get_attribute("title").startswith("Malformed JSON")
    assert "Malformed JSON" in broken.locator(".cap-tip").text_content()
    # shown on keyboard focus, as on hover
    page.locator('li.capture[data-id="2"] a.cap-link').focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    tip = broken.locator(".cap-tip").bounding_box()
    assert tip["width"] > 40  # shown, not a 1 px box
    assert broken.locator(".cap-tip").inner_text().endswith(" UTC")  # with the exact time
    screenshot(page, f"rows-problem-focused-{width}", full_page=False)
    page.locator("h1").first.click()
    _check(page, "rows")


SECTION_ORDER = """el => [...el.querySelectorAll(':scope > section')].map(s => {
    const h = s.querySelector('h2, h3');
    return h ? h.firstChild.textContent.trim().split(' (')[0] : ''; })"""


@pytest.mark.parametrize("width,height", SIZES)
def test_detail_shows_the_body_first(page, live_server, qa, width, height):
    from ..payloads import V5_PAYLOAD

    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    login(page, base, qa["email"])
    payload = {**V5_PAYLOAD, "os": "Android"}  # "android" and "Android": said once
    requests.post(base + qa["path"], json=payload, headers={"X-Trace": "t" * 9000}, timeout=10)
    page.goto(base + "/inspector")
    page.locator('li.capture[data-id="1"] a.cap-link').click()
    heading = page.get_by_role("heading", name="Capture #1", level=2)
    expect(heading).to_be_visible()
    # one heading for the page, the same as on the list
    assert page.locator("h1").all_inner_texts() == ["Inspector"]
    article = page.locator("article.capture-detail")
    order = article.evaluate(SECTION_ORDER)
    assert order[:5] == ["Capture #1", "Body", "GoNative / Median registration fields",
                         "Headers", "Request"]  # fmt: skip
    assert page.locator("#body-pretty").is_visible()
    # a 9,000-character header value is folded, with its length
    long_value = page.locator("#headers details.long-value")
    expect(long_value.locator("summary")).to_contain_text("(9,000 characters)")
    assert long_value.get_attribute("open") is None
    platform = page.locator("#reading dt:text('Platform') + dd").inner_text()
    assert platform.lower().split().count("android") == 1
    _check(page, "detail")
    # the capture's own page: the same order as the pane
    page.goto(base + "/inspector/1")
    assert page.locator("article.capture-detail").evaluate(SECTION_ORDER) == order


@pytest.mark.parametrize("width,height", SIZES)
def test_own_captures_are_deleted_after_one_question(page, live_server, qa, width, height):
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    login(page, base, qa["email"])
    for i in range(3):
        requests.post(base + qa["path"], json={"n": i}, timeout=10)
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.goto(base + "/inspector/2")
    _check(page, "detail-delete")
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("1 capture deleted (#2).")).to_be_visible()
    assert questions == ["Delete capture #2? It cannot be undone."]
    assert page.locator("li.capture").count() == 2
    # the owner clears the endpoint: one question, and how many went
    page.goto(base + f"/endpoints/{qa['id']}")
    page.get_by_role("button", name="Delete its captures").click()
    expect(page.get_by_text("2 captures of “Android build 42” deleted.")).to_be_visible()
    assert questions[1] == "Delete all 2 captures of this endpoint? It cannot be undone."
    _check(page, "endpoint-cleared")
    page.goto(base + "/inspector")
    assert page.locator("li.capture").count() == 0


@pytest.mark.parametrize("width,height", SIZES)
def test_filters_hold_from_the_list_to_a_capture(page, live_server, qa, width, height):
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    login(page, base, qa["email"])
    for i in range(6):  # 1, 3, 5 to the shared URL; 2, 4, 6 to the endpoint
        target = base + (qa["path"] if i % 2 else "/register/other")
        name = "Zo\\u00eb" if i == 3 else "Zoe"  # #4's JSON escapes the ë, as apps do
        page.request.post(target, data=f'{{"n": {i}, "name": "{name}"}}',
                          headers={"Content-Type": "application/json"})  # fmt: skip
    page.goto(base + "/inspector")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Endpoint").select_option(label="Android build 42")
    page.get_by_role("button", name="Filter", exact=True).click()
    rows = page.locator("li.capture")
    expect(rows).to_have_count(3)
    assert [row.get_attribute("data-id") for row in rows.all()] == ["6", "4", "2"]
    _check(page, "filtered")
    page.locator('li.capture[data-id="4"] a.cap-link').click()
    expect(page.get_by_role("heading", name="Capture #4", level=2)).to_be_visible()
    # previous goes to #2, the filtered list's next row, not to #3
    page.get_by_role("link", name="← #2").click()
    expect(page.get_by_role("heading", name="Capture #2", level=2)).to_be_visible()
    assert "endpoint_id=" in page.url
    # a search for the decoded text finds what the app sent escaped
    page.goto(base + "/inspector")
    page.get_by_label("Search").fill("Zoë")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-id") == "4"


@pytest.mark.parametrize("width,height", SIZES)
def test_one_place_to_start(page, live_server, qa, width, height):
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    login(page, base, qa["email"])
    # no Receiver tab: the old page leads to Endpoints
    assert page.get_by_role("link", name="Receiver", exact=True).count() == 0
    page.goto(base + "/receiver")
    expect(page.get_by_role("heading", name="Endpoints", level=1)).to_be_visible()
    # the empty inspector: the URL, the configuration, the cURL sample, the sample button
    page.goto(base + "/inspector")
    start = page.locator("#start")
    assert start.locator("#endpoint-url").inner_text() == base + qa["path"]
    assert f'"url": "{base}{qa["path"]}"' in start.locator("#config-json").inner_text()
    assert f"curl -X POST {base}{qa['path']}" in start.locator("#curl-sample").inner_text()
    _check(page, "inspector-empty")
    # the endpoint's page has the same, and its sample lands in the inspector
    page.goto(base + f"/endpoints/{qa['id']}")
    expect(page.get_by_role("heading", name="Android build 42", level=1)).to_be_visible()
    assert '"urlRegex": ".*"' in page.locator("#config-json").inner_text()
    page.get_by_role("button", name="Send a sample POST").click()
    expect(page.locator("#sample-result")).to_contain_text("HTTP 200")
    _check(page, "endpoint-start")
    page.get_by_role("link", name="Open capture #1 in the inspector").click()
    expect(page.get_by_role("heading", name="Capture #1", level=2)).to_be_visible()
    assert page.locator("h1").all_inner_texts() == ["Inspector"]
