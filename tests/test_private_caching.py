"""Nothing shown to a logged-in user is cached: every GET route answers a
logged-in browser with Cache-Control: no-store (third attack pass, finding 5:
/notifications held open tokens, /messages, /endpoints/<id>, /receiver,
/profile and /devices sent no Cache-Control)."""

import re

from .payloads import IOS_PAYLOAD


def _get_paths(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = rule.methods if rule.methods is not None else {"GET"}
        if "GET" not in methods:
            continue
        path = re.sub(r"<int(\([^)]*\))?:[^>]+>", "1", rule.rule)
        yield re.sub(r"<[^>]+>", "x", path)


def test_every_page_for_a_logged_in_user_is_no_store(app, client, auth):
    auth.create()
    auth.create("bob@example.com")
    auth.endpoint()
    auth.login()
    client.post("/register", json=IOS_PAYLOAD)
    auth.post_json("/api/devices", IOS_PAYLOAD)
    checked = []
    for path in _get_paths(app):
        response = client.get(path, buffered=True)
        assert "no-store" in response.headers.get("Cache-Control", ""), (path, response.status)
        checked.append(path)
    assert {"/notifications", "/messages", "/endpoints/1", "/profile", "/devices"} <= set(checked)
    # the site's own files stay cacheable
    static = client.get("/static/css/site.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_a_visitors_pages_may_be_cached(client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
