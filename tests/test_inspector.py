"""The inspector pages and JSON API: paging, filters, masking, access rules."""

import base64
import html
import json
import re

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture, User

from .payloads import IOS_PAYLOAD, V5_PAYLOAD


@pytest.fixture
def alice(auth):
    auth.create("alice@example.com")
    auth.create("bob@example.com")
    auth.create("admin@example.com", admin=True)
    auth.login("alice@example.com")
    return auth


def test_login_required(client):
    assert client.get("/inspector").status_code == 302
    response = client.get("/api/captures")
    assert response.status_code == 401 and "Log in" in response.json["error"]
    assert client.get("/api/captures/1").status_code == 401
    assert client.get("/api/captures.ndjson").status_code == 401
    assert client.get("/inspector/1/body").status_code == 302
    assert client.get("/inspector/1/har").status_code == 302
    assert client.get("/api/captures.har").status_code == 401


def test_list_newest_first_with_keyset_pages(client, alice, app):
    for i in range(55):
        client.post("/register/pages", json={"n": i})
    page = client.get("/inspector").get_data(as_text=True)
    assert page.index("#55<") < page.index("#54<")
    assert "#6<" in page and "#5<" not in page
    assert "before=6" in page
    older = client.get("/inspector?before=6").get_data(as_text=True)
    assert "#5<" in older and "#1<" in older and "#6<" not in older
    assert "Jump to the newest" in older


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("label=ios-build", {1}),
        ("platform=android", {2}),
        ("platform=other", {3, 4}),
        ("status=parse_error", {4}),
        ("user=alice@example.com", {1, 2}),
        ("user=me", {1, 2}),
        ("user=anonymous", {3, 4}),
        ("path=/register/ios", {1}),
        ("q=io.example.app", {1, 2}),
        ("q=100%25", {3}),
        ("label=ios-build&user=bob@example.com", set()),
    ],
)
def test_filters(client, alice, app, query, expected):
    client.post("/register/ios-build", json=IOS_PAYLOAD)
    client.post("/register", json=V5_PAYLOAD)
    # anonymous requests to an endpoint of Alice's are hers to see
    endpoint = alice.endpoint("alice@example.com")
    anonymous = app.test_client()
    anonymous.post(endpoint, json={"discount": "100%"})
    anonymous.post(endpoint, data=b"{oops", content_type="application/json")
    found = {c["id"] for c in client.get("/api/captures?" + query).json["captures"]}
    assert found == expected
    page = client.get("/inspector?" + query).get_data(as_text=True)
    for capture_id in range(1, 5):
        assert (f"#{capture_id}<" in page) == (capture_id in expected)


def test_api_tail_after_and_limit(client, alice):
    for i in range(5):
        client.post("/register", json={"n": i})
    first = client.get("/api/captures?after=0&limit=2").json
    assert [c["id"] for c in first["captures"]] == [1, 2] and first["next_after"] == 2
    rest = client.get("/api/captures?after=2&limit=10").json
    assert [c["id"] for c in rest["captures"]] == [3, 4, 5]
    assert client.get("/api/captures?after=5").json == {"captures": [], "next_after": None}
    assert client.get("/api/captures?after=x").status_code == 400
    assert client.get("/api/captures?status=weird").status_code == 400


def test_api_capture_fields(client, alice):
    client.post("/register/qa", json=IOS_PAYLOAD)
    data = client.get("/api/captures/1").json
    for key in ("id", "received_at", "method", "path", "label", "remote_addr", "content_type",
                "headers", "body", "json", "user", "device", "status", "problems"):  # fmt: skip
        assert key in data
    assert data["json"] == IOS_PAYLOAD
    assert data["body_encoding"] == "utf-8" and json.loads(data["body"]) == IOS_PAYLOAD
    assert data["user"] == "alice@example.com"
    assert data["device"] == IOS_PAYLOAD["oneSignalUserId"]
    assert client.get("/api/captures/99").status_code == 404


def test_binary_body_is_base64_in_api_and_hex_on_page(client, alice):
    raw = b"\x89PNG\r\n\x1a\n\x00\xff"
    client.post("/register", data=raw, content_type="image/png")
    data = client.get("/api/captures/1").json
    assert data["body_encoding"] == "base64"
    import base64

    assert base64.b64decode(data["body"]) == raw
    page = client.get("/inspector/1").get_data(as_text=True)
    assert "89 50 4e 47 0d 0a 1a 0a 00 ff" in page
    download = client.get("/inspector/1/body")
    assert download.data == raw
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert "attachment" in download.headers["Content-Disposition"]


def test_detail_page_shows_everything(client, alice):
    client.post("/register/qa?build=7", json=IOS_PAYLOAD, headers={"X-Trace": "abc"})
    page = client.get("/inspector/1").get_data(as_text=True)
    assert "POST /register/qa?build=7" in page
    assert "X-Trace" in page and "abc" in page
    assert "&#34;oneSignalUserId&#34;: &#34;1a2b3c4d" in page or "oneSignalUserId" in page
    assert "GoNative / Median registration fields" in page
    assert "alice@example.com (logged in)" in page
    assert "curl -X POST" in page
    assert "Copy as cURL" in page and "Download body" in page


def _secret_capture(client, auth):
    client.post("/register", json=IOS_PAYLOAD, headers={"Authorization": "Bearer top-secret-token"})
    return client.get_cookie("session").value


def test_other_users_secrets_are_masked_everywhere(client, alice, app):
    alice_session = _secret_capture(client, alice)
    alice.logout()
    alice.login("admin@example.com")  # sees every capture, secrets masked
    surfaces = [
        client.get("/inspector/1").get_data(as_text=True),
        client.get("/api/captures/1").get_data(as_text=True),
        client.get("/api/captures").get_data(as_text=True),
        client.get("/api/captures.ndjson").get_data(as_text=True),
        client.get("/inspector?q=top-secret").get_data(as_text=True),
    ]
    for text in surfaces:
        assert "top-secret-token" not in text
        assert alice_session not in text
    assert "[masked]" in surfaces[0] and "[masked]" in surfaces[1]
    # nobody can find a capture by searching for its secret either
    assert client.get("/api/captures?q=top-secret").json["captures"] == []


def test_own_secrets_are_shown_to_the_sender(client, alice):
    alice_session = _secret_capture(client, alice)
    page = client.get("/inspector/1").get_data(as_text=True)
    assert "top-secret-token" in page
    assert alice_session in page


def _delete(client, auth, path):
    return client.post(path, data={"csrf_token": auth.token()}, follow_redirects=False)


def test_whoever_owns_a_capture_may_delete_it(client, alice, app):
    """Owner, member, stranger, anonymous: a capture is deleted by the person
    who sent it, its endpoint's owner, or an admin; a member only reads."""
    alice.create("carol@example.com")
    endpoint = alice.endpoint("alice@example.com", "QA", members=["bob@example.com"])
    alice.logout()
    client.post(endpoint, json={"n": 1})  # 1: anonymous, to Alice's endpoint
    alice.login("bob@example.com")
    client.post("/register", json={"n": 2})  # 2: Bob's own, on the shared URL
    client.post(endpoint, json={"n": 3})  # 3: Bob's own, to Alice's endpoint
    # Bob, a member, sees capture 1 but may not delete it; no button either
    assert client.get("/inspector/1").status_code == 200
    assert 'action="/inspector/1/delete"' not in client.get("/inspector/1").get_data(True)
    assert _delete(client, alice, "/inspector/1/delete").status_code == 403
    # ...but his own captures are his, wherever he sent them
    assert 'data-confirm="Delete capture #3?' in client.get("/inspector/3").get_data(True)
    for capture_id in (2, 3):
        response = _delete(client, alice, f"/inspector/{capture_id}/delete")
        assert response.status_code == 302
        flashed = client.get(response.location).get_data(as_text=True)
        assert f"1 capture deleted (#{capture_id})." in flashed
        assert client.get(f"/inspector/{capture_id}").status_code == 404
    assert client.post("/inspector/1/delete").status_code == 400  # no CSRF token
    # a stranger gets the 404 of a capture that does not exist
    alice.logout()
    alice.login("carol@example.com")
    assert _delete(client, alice, "/inspector/1/delete").status_code == 404
    # anonymous: sent to log in, nothing deleted
    alice.logout()
    assert _delete(client, alice, "/inspector/1/delete").status_code == 302
    alice.login("alice@example.com")
    assert client.get("/inspector/1").status_code == 200
    # the owner of the endpoint may
    assert 'action="/inspector/1/delete"' in client.get("/inspector/1").get_data(True)
    assert _delete(client, alice, "/inspector/1/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Capture)) == 0


def test_the_endpoint_owner_clears_its_captures_members_cannot(client, alice, app):
    endpoint = alice.endpoint("alice@example.com", "QA", members=["bob@example.com"])
    for i in range(3):
        client.post(endpoint, json={"n": i})
    client.post("/register", json={"n": "not the endpoint's"})
    with app.app_context():
        endpoint_id = db.session.scalar(sa.select(Capture.endpoint_id).where(Capture.id == 1))
    clear = f"/endpoints/{endpoint_id}/captures/delete"
    alice.logout()
    assert _delete(client, alice, clear).status_code == 302  # anonymous: log in
    alice.login("bob@example.com")
    page = client.get(f"/endpoints/{endpoint_id}").get_data(as_text=True)
    assert "See its 3 captures" in page and clear not in page
    assert _delete(client, alice, clear).status_code == 404  # a member may not
    alice.logout()
    alice.login("admin@example.com")
    assert _delete(client, alice, clear).status_code == 404  # nor anybody else
    alice.logout()
    alice.login("alice@example.com")
    page = client.get(f"/endpoints/{endpoint_id}").get_data(as_text=True)
    assert 'data-confirm="Delete all 3 captures of this endpoint?' in page
    response = _delete(client, alice, clear)
    assert response.status_code == 302
    assert "3 captures of “QA” deleted." in client.get(response.location).get_data(True)
    with app.app_context():
        left = db.session.scalars(sa.select(Capture.id)).all()
        assert left == [4]  # her capture on the shared URL stays


def test_ndjson_export_streams_filtered_set(client, alice):
    for i in range(450):
        client.post("/register/bulk" if i % 2 else "/register/other", json={"n": i})
    response = client.get("/api/captures.ndjson?label=bulk")
    assert response.is_streamed
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 225
    numbers = [json.loads(line)["json"]["n"] for line in lines]
    assert numbers == list(range(1, 450, 2))


def test_live_rows_endpoint(client, alice):
    client.post("/register", json={"n": 1})
    client.post("/register", json={"n": 2})
    response = client.get("/inspector/rows?after=1")
    assert response.headers["X-Newest-Id"] == "2"
    html = response.get_data(as_text=True)
    assert "#2<" in html and "#1<" not in html
    assert client.get("/inspector/rows?after=2").get_data(as_text=True).strip() == ""


def test_hostile_values_are_escaped(client, alice):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    client.post(
        "/register/x",
        data=json.dumps({"platform": evil, "oneSignalUserId": "javascript:alert(3)"}),
        content_type="application/json",
        headers={"X-Evil": evil, "Referer": "javascript:alert(4)"},
    )
    for url in ("/inspector", "/inspector/1", "/inspector/rows?after=0"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
    assert 'href="javascript:' not in client.get("/inspector/1").get_data(as_text=True)


def test_users_listed_by_email_in_capture(client, alice, app):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3
    client.post("/register", json={})
    with app.app_context():
        assert db.session.scalar(sa.select(Capture.user_id)) is not None


def _har(response) -> list[dict]:
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    log = json.loads(response.get_data(as_text=True))["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "Push Lab"
    return log["entries"]


@pytest.mark.parametrize("app_settings", [{"REGISTER_MAX_BYTES": 1000}])
def test_har_export_for_dev_tools(client, alice):
    alice_session = _secret_capture(client, alice)  # capture 1, by alice
    client.post("/register/har-test?build=7&empty=", json=V5_PAYLOAD)  # 2
    client.post(
        "/register/har-test", data=b"\x00\xffbinary", content_type="application/octet-stream"
    )
    client.post("/register/har-test", data=b"x" * 2000, content_type="text/plain")  # 4: too large
    alice.logout()
    alice.login("admin@example.com")

    response = client.get("/api/captures.har")
    assert response.is_streamed
    entries = _har(response)
    assert [e["_captureId"] for e in entries] == [1, 2, 3, 4]
    secret, v5, binary, large = entries

    # Another user's secrets stay masked in the export too.
    text = response.get_data(as_text=True)
    assert "top-secret-token" not in text and alice_session not in text
    headers = {h["name"].lower(): h["value"] for h in secret["request"]["headers"]}
    assert headers["authorization"] == "Bearer [masked]"
    assert secret["_user"] == "alice@example.com"
    assert {"name": "session", "value": "[masked]"} in secret["request"]["cookies"]

    request = v5["request"]
    assert request["method"] == "POST"
    assert request["url"] == "http://localhost/register/har-test?build=7&empty="
    assert request["queryString"] == [
        {"name": "build", "value": "7"},
        {"name": "empty", "value": ""},
    ]
    assert request["postData"]["mimeType"] == "application/json"
    assert json.loads(request["postData"]["text"]) == V5_PAYLOAD
    assert v5["_label"] == "har-test" and v5["response"]["status"] == 200
    assert v5["startedDateTime"].endswith("Z")

    post = binary["request"]["postData"]
    assert post["_encoding"] == "base64"
    assert base64.b64decode(post["text"]) == b"\x00\xffbinary"

    assert "postData" not in large["request"] and large["request"]["bodySize"] == 2000
    assert large["response"]["status"] == 413 and large["_status"] == "too_large"

    # Filters apply as in the list; one capture downloads as a HAR of its own.
    assert [e["_captureId"] for e in _har(client.get("/api/captures.har?label=har-test"))] == [
        2,
        3,
        4,
    ]
    assert [e["_captureId"] for e in _har(client.get("/inspector/2/har"))] == [2]
    assert client.get("/inspector/99/har").status_code == 404


def test_har_shows_the_sender_their_own_secrets(client, alice):
    alice_session = _secret_capture(client, alice)
    text = client.get("/inspector/1/har").get_data(as_text=True)
    assert "top-secret-token" in text and alice_session in text


def test_compare_two_captures(client, alice):
    legacy = {**IOS_PAYLOAD, "appVersion": "1.0.0"}
    upgraded = {k: v for k, v in IOS_PAYLOAD.items() if k != "oneSignalPushToken"}
    upgraded.update(appVersion="1.1.0", carrierNames=["<b>Telco</b>"])
    client.post("/register/build", json=legacy, headers={"X-Build": "100"})  # 1
    client.post("/register/other", json={"n": 1})  # 2
    client.post("/register/build", json=upgraded, headers={"X-Build": "101", "X-New": "yes"})  # 3

    # The capture page offers the previous capture of the same label.
    detail = client.get("/inspector/3").get_data(as_text=True)
    assert 'name="a" type="number" min="1" inputmode="numeric" value="1"' in detail

    page = client.get("/inspector/compare?a=1&b=3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    keys = {key: kind for kind, key in re.findall(
        r'<li class="change change-(\w+)">\s*<code class="key">([^<]+)</code>', html
    )}  # fmt: skip
    assert keys["appVersion"] == "changed"
    assert keys["oneSignalPushToken"] == "removed"
    assert keys["carrierNames[0]"] == "added"
    assert keys["x-build"] == "changed" and keys["x-new"] == "added"
    assert "content-length" in keys  # a smaller body
    assert "platform" not in keys and "label" not in keys  # unchanged
    assert "&lt;b&gt;Telco&lt;/b&gt;" in html and "<b>Telco" not in html

    same = client.get("/inspector/compare?a=1&b=1").get_data(as_text=True)
    assert "Byte for byte the same body." in same

    assert client.get("/inspector/compare?a=1").status_code == 400
    assert client.get("/inspector/compare?a=1&b=x").status_code == 400
    assert client.get("/inspector/compare?a=1&b=99").status_code == 404


def test_compare_text_bodies_line_by_line_and_masks_secrets(client, alice):
    client.post("/register/t", data="one\ntwo\nthree\n", content_type="text/plain")  # 1
    client.post(
        "/register/t",
        data="one\n2\nthree\n",
        content_type="text/plain",
        headers={"Authorization": "Bearer top-secret-token"},
    )  # 2
    alice.logout()
    alice.login("admin@example.com")
    html = client.get("/inspector/compare?a=1&b=2").get_data(as_text=True)
    assert '<span class="del">-two</span>' in html and '<span class="add">+2</span>' in html
    assert "top-secret-token" not in html and "Bearer [masked]" in html


def test_warning_status_for_200_answers_with_problems(client, alice, app):
    """A payload the receiver took (200) but that has problems is "warning",
    everywhere a status is shown, filtered or exported; harmless notes (every
    iOS POST's subscribed flag) leave it "ok"."""
    ok = client.post("/register", json=IOS_PAYLOAD)
    assert ok.status_code == 200 and ok.json["status"] == "ok" and ok.json["warnings"]
    bad_id = {**IOS_PAYLOAD, "oneSignalUserId": "not-a-uuid"}
    warned = client.post("/register", json=bad_id)
    assert warned.status_code == 200 and warned.json["status"] == "warning"
    assert any("no device was recorded" in w for w in warned.json["warnings"])
    plain = client.post("/register", json={"hello": 1})
    assert plain.status_code == 200 and plain.json["status"] == "warning"
    broken = client.post("/register", data=b"{oops", content_type="application/json")
    assert broken.status_code == 400
    found = {c["id"]: c["status"] for c in client.get("/api/captures").json["captures"]}
    assert found == {1: "ok", 2: "warning", 3: "warning", 4: "parse_error"}
    listed = client.get("/api/captures?status=warning").json["captures"]
    assert [c["id"] for c in listed] == [2, 3]
    page = client.get("/inspector?status=warning").get_data(as_text=True)
    assert 'class="pill pill-warning">warning · 200' in page
    assert 'data-id="1"' not in page and 'data-id="4"' not in page
    assert '<option value="warning" selected>' in page
    har = client.get("/api/captures.har?status=warning").json["log"]["entries"]
    assert [(e["_captureId"], e["_status"], e["response"]["status"]) for e in har] == [
        (2, "warning", 200),
        (3, "warning", 200),
    ]
    ndjson = client.get("/api/captures.ndjson?status=warning").get_data(as_text=True)
    assert [json.loads(line)["status"] for line in ndjson.splitlines()] == ["warning", "warning"]
    detail = client.get("/inspector/2").get_data(as_text=True)
    assert "warning · answered 200" in detail and "What looks wrong" in detail
    # the harmless note is shown as a note, not as something wrong
    first = client.get("/inspector/1").get_data(as_text=True)
    assert "Notes" in first and "What looks wrong" not in first
    assert client.get("/api/captures?status=nonsense").status_code == 400


def test_query_string_and_form_bodies_as_tables(client, alice):
    client.post("/register?build=41&flag&build=42", data={"user": "ann", "step": "login"})
    page = client.get("/inspector/1").get_data(as_text=True)
    query = page[
        page.index('id="query-table"') : page.index("</table>", page.index('id="query-table"'))
    ]
    rows = re.findall(r'<tr><td class="mono">(.*?)</td><td class="mono">(.*?)</td></tr>', query)
    assert rows == [("build", "41"), ("flag", ""), ("build", "42")]
    form = page[page.index('id="form-table"') :]
    assert re.findall(r'<tr><td class="mono">(.*?)</td><td class="mono">(.*?)</td></tr>', form)[
        :2
    ] == [
        ("user", "ann"),
        ("step", "login"),
    ]
    assert 'id="body-pretty"' not in page and "<summary>JSON</summary>" not in page
    # a JSON body that happens to look like the stored form stays JSON
    client.post("/register", json={"form": {"user": ["ann"]}})
    page = client.get("/inspector/2").get_data(as_text=True)
    assert 'id="form-table"' not in page and 'id="body-pretty"' in page
    assert 'id="query-table"' not in page  # no query string, no table


def test_times_are_relative_with_the_exact_utc_time(client, alice, app):
    import datetime as dt

    from demo_app.inspector.views import ago

    now = dt.datetime(2026, 12, 1, 12, 0, 0)
    assert ago(now, now) == "just now"
    assert ago(now - dt.timedelta(seconds=5), now) == "5 s ago"
    assert ago(now - dt.timedelta(minutes=3, seconds=5), now) == "3 min ago"
    assert ago(now - dt.timedelta(hours=2), now) == "2 h ago"
    assert ago(now - dt.timedelta(days=4, hours=1), now) == "4 d ago"
    assert ago(now + dt.timedelta(seconds=3), now) == "just now"  # clocks apart
    client.post("/register", json={"n": 1})
    with app.app_context():
        received = db.session.get(Capture, 1).received_at
    exact = received.strftime("%Y-%m-%d %H:%M:%S UTC")
    for url in ("/inspector", "/inspector/1", "/inspector/rows?after=0"):
        page = client.get(url).get_data(as_text=True)
        match = re.search(
            r'<time [^>]*datetime="([^"]+)" title="([^"]+)"[^>]*>([^<]+)</time>', page
        )
        assert match, url
        assert match.group(1) == received.isoformat() + "Z" and match.group(2) == exact
        assert match.group(3).endswith("ago") or match.group(3) == "just now"


def test_compare_two_ticked_rows(client, alice, app):
    client.post("/register", json={"n": 1})
    client.post("/register", json={"n": 2})
    app.test_client().post("/register", json={"n": 3})  # anonymous: admins only
    page = client.get("/inspector").get_data(as_text=True)
    assert 'form="compare-form" aria-label="Tick #1 to compare"' in page
    assert 'id="compare-form" method="get" action="/inspector/compare"' in page
    # the older one is "from", whatever order they were ticked in
    compared = client.get("/inspector/compare?pick=2&pick=1").get_data(as_text=True)
    assert "From #1 to #2" in compared
    assert client.get("/inspector/compare?pick=1").status_code == 400
    assert client.get("/inspector/compare?pick=1&pick=2&pick=2").status_code == 400
    assert client.get("/inspector/compare?pick=1&pick=x").status_code == 400
    assert client.get("/inspector/compare?pick=1&pick=3").status_code == 404  # not hers
    assert client.get("/inspector/compare?pick=1&pick=99999999999999999999").status_code == 400


def test_side_pane_and_detail_page_with_the_list(client, alice, app):
    for i in range(3):
        client.post("/register/" + ("a" if i % 2 else "b"), json={"n": i})
    app.test_client().post("/register", json={"n": 9})  # #4, admins only
    pane = client.get("/inspector/2/pane")
    html = pane.get_data(as_text=True)
    assert pane.status_code == 200 and pane.headers["Cache-Control"] == "no-store"
    assert '<h2 id="capture-heading">Capture #2' in html and "<html" not in html
    assert client.get("/inspector/4/pane").status_code == 404  # same 404 as none
    assert client.get("/inspector/99/pane").status_code == 404
    # the capture's own page holds the list too, under the same filters
    page = client.get("/inspector/2?label=b").get_data(as_text=True)
    # one heading for the page, list or capture; the capture's as in the pane
    assert '<h1 id="list-heading">Inspector</h1>' in page and page.count("<h1") == 1
    assert '<h2 id="capture-heading">Capture #2' in page
    assert _row_ids(page) == [3, 1]
    assert 'href="/inspector/3?label=b"' in page  # rows keep the list's filters
    live = client.get("/inspector/rows?after=0&label=b").get_data(as_text=True)
    assert 'href="/inspector/3?label=b"' in live


def _row_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="capture" data-id="(\d+)"', page)]


def test_one_place_to_start_the_endpoint_page(client, alice):
    """The endpoint's page: its URL, the app's configuration for it, a cURL
    sample posting to it, and a sample button; /receiver leads there."""
    path = alice.endpoint("alice@example.com", "Android build 42")
    url = "http://localhost" + path
    page = client.get("/endpoints/1").get_data(as_text=True)
    assert f'<code id="endpoint-url" class="wrap-anywhere">{url}</code>' in page
    config = json.loads(
        html.unescape(re.search(r'<pre id="config-json">(.*?)</pre>', page, re.S)[1])
    )
    assert config == {"registration": {"active": True, "endpoints": [
        {"url": url, "urlRegex": ".*", "dataType": "onesignal"}]}}  # fmt: skip
    curl = html.unescape(re.search(r'<pre id="curl-sample"[^>]*>(.*?)</pre>', page, re.S)[1])
    assert curl.startswith(f"curl -X POST {url} -H 'Content-Type: application/json' --data '{{")
    assert f'id="send-sample" data-url="{url}"' in page
    assert (
        'id="sample-capture"' in page
        and "hidden" in page[page.index('id="sample-capture"') :][:200]
    )
    assert "js/receiver.js" in page
    # the old page leads to the endpoints; no "Receiver" in the navigation or on the start page
    response = client.get("/receiver")
    assert response.status_code == 302 and response.location == "/endpoints"
    for start in ("/", "/endpoints"):
        assert ">Receiver<" not in client.get(start).get_data(as_text=True)
    # the empty inspector shows the same three, for her own endpoint
    empty = client.get("/inspector").get_data(as_text=True)
    assert "Send to “Android build 42”" in empty and f'data-url="{url}"' in empty
    assert '<pre id="config-json">' in empty and f"curl -X POST {url}" in empty
    client.post(path, json={"n": 1})
    assert 'id="start"' not in client.get("/inspector").get_data(as_text=True)


def test_search_finds_json_escapes_as_written_and_decoded(client, alice):
    body = b'{"name": "Zo\\u00eb", "url": "https:\\/\\/example.com\\/welcome"}'
    client.post("/register/escaped", data=body, content_type="application/json")
    client.post("/register/plain", json={"name": "Zoe", "url": "nothing here"})

    def found(q):
        return [
            c["id"] for c in client.get("/api/captures", query_string={"q": q}).json["captures"]
        ]

    assert found("Zoë") == [1] and found("zoË") == [1]  # decoded, any case
    assert found("Zo\\u00eb") == [1]  # as written
    assert found("https://example.com/welcome") == [1]
    assert found("\\/\\/example") == [1]
    assert found("Zoe") == [2]


def test_endpoint_filter_and_neighbours_follow_the_list(client, alice):
    first = alice.endpoint("alice@example.com", "Android build 42")
    alice.endpoint("alice@example.com", "iOS build 7")
    for i in range(6):
        client.post(
            first if i % 2 else "/register", json={"n": i, "tag": "odd" if i % 2 else "even"}
        )
    page = client.get("/inspector").get_data(as_text=True)
    assert '<select name="endpoint_id" aria-label="Endpoint">' in page
    assert ">Android build 42</option>" in page and ">iOS build 7</option>" in page
    with_endpoint = client.get("/inspector?endpoint_id=1").get_data(as_text=True)
    assert _row_ids(with_endpoint) == [6, 4, 2]
    assert 'value="1" selected' in with_endpoint
    # previous / next on a capture keep to the filtered list, and keep its filters
    detail = client.get("/inspector/4?endpoint_id=1").get_data(as_text=True)
    assert (
        'href="/inspector/2?endpoint_id=1"' in detail
        and 'href="/inspector/6?endpoint_id=1"' in detail
    )
    pane = client.get("/inspector/4/pane?q=even").get_data(as_text=True)
    assert 'href="/inspector/3?q=even"' in pane and 'href="/inspector/5?q=even"' in pane
    unfiltered = client.get("/inspector/4/pane").get_data(as_text=True)
    assert 'href="/inspector/3"' in unfiltered and 'href="/inspector/5"' in unfiltered
