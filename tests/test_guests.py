"""A private URL in one click: a guest account behind this browser's cookies,
kept 7 days, that signing up keeps; guests cannot send pushes or messages."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from demo_app.accounts import prune_guests
from demo_app.extensions import db
from demo_app.models import Capture, CaptureTombstone, Endpoint, User

from .payloads import IOS_PAYLOAD


def _get_a_url(client, auth):
    return client.post("/guest", data={"csrf_token": auth.token()})


def test_a_visitor_gets_a_private_endpoint_in_one_click(client, app, auth):
    page = client.get("/endpoints").get_data(as_text=True)
    assert "Get a private URL now" in page and "kept for 7 days" in page
    made = _get_a_url(client, auth)
    assert made.status_code == 302 and made.headers["Location"].startswith("/endpoints/")
    detail = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Guest" in detail and "/r/" in detail and "Sign up to keep it" in detail
    assert "@guest.invalid" not in detail  # the made-up address is nobody's business
    with app.app_context():
        guest = db.session.scalar(sa.select(User))
        endpoint = db.session.scalar(sa.select(Endpoint))
        assert guest.is_guest and endpoint.owner_id == guest.id
        left = guest.guest_until - dt.datetime.now(dt.UTC).replace(tzinfo=None)
        assert dt.timedelta(days=6, hours=23) < left <= dt.timedelta(days=7)
        token = endpoint.token
    # The app posts to it; the guest's inspector shows it.
    capture_id = client.post(f"/r/{token}", json=IOS_PAYLOAD).json["capture_id"]
    assert client.get(f"/inspector/{capture_id}").status_code == 200
    # The cookie is a remember-me cookie: the browser keeps it across restarts.
    assert any(c.key == "remember_token" for c in client._cookies.values())


def test_signing_up_from_that_browser_keeps_the_endpoint_and_captures(client, app, auth):
    location = _get_a_url(client, auth).headers["Location"]
    with app.app_context():
        token = db.session.scalar(sa.select(Endpoint.token))
    capture_id = client.post(f"/r/{token}", json=IOS_PAYLOAD).json["capture_id"]
    form = {"email": "qa@example.com", "password": "long enough", "confirm": "long enough"}
    signed = client.post("/signup", data={**form, "csrf_token": auth.token()})
    assert signed.status_code == 302
    with app.app_context():
        [user] = db.session.scalars(sa.select(User)).all()
        assert user.email == "qa@example.com" and not user.is_guest
        assert db.session.scalar(sa.select(Endpoint.owner_id)) == user.id
    assert client.get(location).status_code == 200
    assert client.get(f"/inspector/{capture_id}").status_code == 200
    # and it is a real account now: log out, log in with the new password
    auth.logout()
    assert auth.login("qa@example.com", "long enough").status_code == 302
    assert client.get(f"/inspector/{capture_id}").status_code == 200


@pytest.mark.parametrize(
    "path,data",
    [
        ("/send-to-me", {"target": "all", "title": "t", "message": "m"}),
        ("/messages", {"recipient": "bob@example.com", "body": "hi"}),
        ("/orders", {}),
    ],
)
def test_guests_cannot_send_pushes_or_messages(client, app, auth, path, data):
    auth.create("bob@example.com")
    _get_a_url(client, auth)
    refused = client.post(path, data={**data, "csrf_token": auth.token()})
    assert refused.status_code == 403
    assert "sign up" in refused.get_data(as_text=True)


@pytest.mark.parametrize("app_settings", [{"GUEST_LIMIT_PER_HOUR": 2}])
def test_guest_creation_is_limited_per_address(app, auth):
    for expected in (302, 302, 429):
        client = app.test_client()  # a new browser each time
        token = auth.__class__(app, client).token()
        assert client.post("/guest", data={"csrf_token": token}).status_code == expected
    # another address is not affected
    client = app.test_client()
    token = auth.__class__(app, client).token()
    other = client.post("/guest", data={"csrf_token": token},
                        environ_base={"REMOTE_ADDR": "192.0.2.8"})  # fmt: skip
    assert other.status_code == 302


def test_guests_are_pruned_with_their_captures_after_seven_days(client, app, auth):
    auth.create()
    _get_a_url(client, auth)
    with app.app_context():
        token = db.session.scalar(sa.select(Endpoint.token))
    kept_elsewhere = app.test_client().post("/register", json=IOS_PAYLOAD).json["capture_id"]
    client.post(f"/r/{token}", json=IOS_PAYLOAD)
    client.post("/register", json=IOS_PAYLOAD)  # sent with the guest's login
    with app.app_context():
        assert prune_guests() == 0  # not yet
        guest = db.session.scalar(sa.select(User).where(User.guest_until.is_not(None)))
        guest.guest_until = dt.datetime(2000, 1, 1)
        db.session.commit()
        assert prune_guests() == 1
        assert db.session.scalars(sa.select(User.email)).all() == ["alice@example.com"]
        assert db.session.scalar(sa.select(Endpoint.id)) is None
        assert db.session.scalars(sa.select(Capture.id)).all() == [kept_elsewhere]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaptureTombstone)) == 2
    # the old cookie is worthless now
    assert client.get("/endpoints").get_data(as_text=True).count("Get a private URL now") == 1
