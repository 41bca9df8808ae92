"""Ids no database column can hold (beyond 64 bits) are a 404 in a path and a
400 in a query argument, never a 500 from the database driver."""

import re

import pytest

from demo_app.ids import MAX_ID

TOO_BIG = 2**64
HUGE = "9" * 5000  # more digits than int() converts by default


@pytest.fixture
def admin(auth):
    auth.create("admin@example.com", admin=True)
    auth.login("admin@example.com")
    return auth


@pytest.mark.parametrize(
    "url",
    [f"/inspector/{TOO_BIG}", f"/inspector/{TOO_BIG}/body", f"/inspector/{TOO_BIG}/har",
     f"/api/captures/{TOO_BIG}", f"/messages/{TOO_BIG}", f"/inspector/{HUGE}"],
)  # fmt: skip
def test_path_id_too_big_is_not_found(client, admin, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "nothing at this address" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "name"),
    [(f"/api/captures?after={TOO_BIG}", "after"),
     (f"/api/captures?limit={TOO_BIG}", "limit"),
     (f"/api/captures.ndjson?after={TOO_BIG}", "after"),
     (f"/api/captures.har?after={TOO_BIG}", "after"),
     (f"/inspector?before={TOO_BIG}", "before"),
     (f"/inspector/rows?after={TOO_BIG}", "after"),
     (f"/inspector/compare?a={TOO_BIG}&b=1", "a"),
     (f"/notifications?before={TOO_BIG}", "before"),
     (f"/notifications?before=-{TOO_BIG}", "before"),
     # the third attack pass: a filter's id took isdigit() then int()
     ("/inspector?endpoint_id=9223372036854775808", "endpoint_id"),
     ("/inspector/rows?after=0&endpoint_id=9223372036854775808", "endpoint_id"),
     ("/api/captures?endpoint_id=9223372036854775808", "endpoint_id"),
     ("/api/captures.ndjson?endpoint_id=9223372036854775808", "endpoint_id")],
)  # fmt: skip
def test_query_id_too_big_is_a_bad_request(client, admin, url, name):
    response = client.get(url)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert re.search(f"(“|&#8220;|\\\\u201c){name}(”|&#8221;|\\\\u201d) is out of range", text)


def test_largest_id_still_works(client, admin):
    assert client.get(f"/inspector/{MAX_ID}").status_code == 404  # no such capture
    assert client.get(f"/messages/{MAX_ID}").status_code == 404  # 32-bit ids on PostgreSQL
    assert client.get(f"/messages/{2**31}").status_code == 404
    assert client.get(f"/api/captures?after={MAX_ID}").json == {"captures": [], "next_after": None}
    assert client.get(f"/notifications?before={MAX_ID}").status_code == 200
    assert client.get(f"/notifications?before={-MAX_ID - 1}").status_code == 200
    assert client.get("/notifications?before=x").status_code == 200  # ignored, as before


def _paths(app, int_value):
    """(rule, method, path) of every route, its int arguments set to
    `int_value` and any other argument to "x"."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<int(\([^)]*\))?:[^>]+>", str(int_value), rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        # the receiver's rules take any method
        methods = rule.methods if rule.methods is not None else {"GET", "POST", "PUT"}
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            yield rule, method, path


@pytest.mark.parametrize("value", [TOO_BIG, MAX_ID, 2**31])  # 2**31: beyond INTEGER ids
def test_no_route_answers_500_to_a_huge_id(app, client, admin, value):
    """Every route with an id in its path, whatever its method: there is no such thing."""
    token = admin.token()
    tried = 0
    for rule, method, path in _paths(app, value):
        if "<int" not in rule.rule:
            continue
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, path)
        tried += 1
    assert tried >= 7


@pytest.mark.parametrize(
    "path", ["/inspector", "/inspector/rows", "/api/captures", "/api/captures.ndjson",
             "/api/captures.har", "/inspector/compare?b=1&a"],
)  # fmt: skip
@pytest.mark.parametrize("value", ["²", "١٢", "1e3", "0x10"])
def test_query_ids_take_ascii_digits_only(client, admin, path, value):
    """Not "²" (str.isdigit() says yes, int() says no) nor other scripts'
    digits: a 400 naming the argument, never a 500."""
    name = "a" if path.endswith("&a") else "endpoint_id"
    url = f"{path}={value}" if path.endswith("&a") else f"{path}?endpoint_id={value}"
    response = client.get(url)
    assert response.status_code == 400, url
    assert "must be a whole number" in response.get_data(as_text=True), url
    assert name in response.get_data(as_text=True)


@pytest.mark.parametrize("value", [TOO_BIG, -TOO_BIG, HUGE, "²"])
def test_no_get_route_answers_500_to_huge_query_ids(app, client, admin, value):
    client.post("/register", json={})
    names = ("before", "after", "a", "b", "limit", "id", "endpoint_id")
    query = "&".join(f"{name}={value}" for name in names)
    for _rule, method, path in _paths(app, 1):
        if method != "GET" or path.startswith("/register"):
            continue
        response = client.get(f"{path}?{query}")
        assert response.status_code < 500, path
