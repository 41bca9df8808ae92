"""Issue 20, points 2 to 4, as an attacker tried them: ids that leave their
path segment, look-ups that spend the app's OneSignal rate limit or the site's
threads, and "send to me" pushing another site's page to a phone."""

import datetime as dt
import html
import threading
import time

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import User, utcnow
from demo_app.onesignal import client as os_client

from .conftest import AuthActions
from .payloads import IOS_PAYLOAD, PLAYER, V5_PAYLOAD
from .standin import APP_ID, Reply, onesignal_settings, subscription, user

V5_PLAYER = V5_PAYLOAD["subscription"]["id"]


@pytest.fixture
def app_settings(standin):
    return {
        **onesignal_settings(standin.url),
        "ONESIGNAL_TIMEOUT": 2.0,
        "ONESIGNAL_MAX_RETRIES": 0,
    }


@pytest.fixture
def alice(auth):
    auth.create("alice@example.com")  # external id user-1
    auth.create("bob@example.com")  # user-2
    auth.login("alice@example.com")
    auth.post_json("/api/devices", IOS_PAYLOAD)
    auth.post_json("/api/devices", V5_PAYLOAD)
    return auth


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# 2. Ids in OneSignal URLs are single path segments

ODD_IDS = {
    "a/b": "a%2Fb",
    "a?b=1": "a%3Fb%3D1",
    "a#b": "a%23b",
    "50%": "50%25",
    "a b": "a%20b",
    "a..b": "a..b",
    "...": "...",
    "é": "%C3%A9",
    "%2e%2e": "%252e%252e",
}


def test_every_id_bearing_call_asks_exactly_one_segment(app, standin):
    """The stand-in logs each path as requested: the id never leaves its
    segment, and "." or ".." is never asked at all."""
    with app.test_request_context():
        for raw, encoded in ODD_IDS.items():
            os_client.view_user(raw)
            os_client.identity_of(raw)
            os_client.view_message(raw)
            assert standin.paths()[-3:] == [
                f"/apps/{APP_ID}/users/by/external_id/{encoded}",
                f"/apps/{APP_ID}/subscriptions/{encoded}/user/identity",
                f"/notifications/{encoded}?app_id={APP_ID}",
            ], raw
        asked = len(standin.requests)
        for dots in (".", ".."):
            for call, what in ((os_client.view_user, "external id"),
                               (os_client.identity_of, "subscription id"),
                               (os_client.view_message, "message id")):  # fmt: skip
                found = call(dots)
                assert found.outcome == "refused"
                assert f"“{dots}” cannot be a OneSignal {what}" in found.summary
        assert len(standin.requests) == asked  # nothing was asked


def test_an_external_id_of_dots_never_reaches_onesignal(client, alice, standin, app):
    """The attack: ".." as the external id made View user ask
    /apps/<app>/users/by/ with the App API key."""
    for dots in (".", ".."):
        page = client.post("/profile", data={"external_id": dots, "csrf_token": alice.token()})
        assert "cannot be “.” or “..”" in text(page)
    with app.app_context():  # an account that stored it before the rule
        db.session.execute(sa.update(User).where(User.id == 1).values(external_id=".."))
        db.session.commit()
    page = text(client.get("/onesignal/user-panel"))
    assert "Not asked: “..” cannot be a OneSignal external id" in page
    assert standin.requests == []
    response = alice.post_json("/api/external-id", {
        "action": "set", "method": "v5", "subscription_id": PLAYER, "external_id": "..",
        "success": True})  # fmt: skip
    assert response.status_code == 400 and "cannot be “.” or “..”" in response.get_json()["error"]


# 3. Look-ups are cached, limited per user and a few at once


def test_view_user_is_asked_once_per_interval_database_wide(client, alice, standin, app):
    standin.users["user-1"] = user("user-1", subscription(PLAYER))
    first = text(client.get("/onesignal/user-panel"))
    for _ in range(5):  # other tabs, other hosts: the same database
        assert text(client.get("/onesignal/user-panel")) == first
    assert len(standin.paths()) == 1
    assert "OneSignal links 1 push subscription to external id user-1" in first
    from demo_app.models import OneSignalAnswer

    with app.app_context():
        past = utcnow() - dt.timedelta(seconds=app.config["ONESIGNAL_LOOKUP_INTERVAL"] + 1)
        db.session.execute(sa.update(OneSignalAnswer).values(asked_at=past))
        db.session.commit()
    client.get("/onesignal/user-panel")
    assert len(standin.paths()) == 2


def test_identity_is_cached_and_forgotten_when_the_app_sets_the_id(client, alice, standin):
    url = f"/api/onesignal/identity?subscription_id={PLAYER}"
    assert client.get(url).get_json()["external_id"] is None
    standin.identities[PLAYER] = {"external_id": "user-1", "onesignal_id": "os-1"}
    assert client.get(url).get_json()["external_id"] is None  # kept for the interval
    assert len(standin.paths()) == 1
    alice.post_json("/api/external-id", {"action": "set", "method": "v5",
                                         "subscription_id": PLAYER, "external_id": "user-1",
                                         "success": True})  # fmt: skip
    answer = client.get(url).get_json()
    assert answer["external_id"] == "user-1" and answer["matches"] is True
    assert len(standin.paths()) == 2


def test_lookups_are_limited_per_user(client, alice, standin, app, auth):
    app.config["LOOKUP_LIMIT_PER_MINUTE"] = 3
    for _ in range(3):
        assert client.get("/onesignal/user-panel").status_code == 200
    over = client.get("/onesignal/user-panel")
    assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 61
    assert "You asked OneSignal 3 times in the last minute: ask again in" in text(over)
    identity = client.get(f"/api/onesignal/identity?subscription_id={PLAYER}")
    assert identity.status_code == 429
    assert identity.get_json()["error"].startswith("You asked OneSignal 3 times")
    # another account is not limited by Alice's questions
    auth.logout()
    auth.login("bob@example.com")
    assert client.get("/onesignal/user-panel").status_code == 200


def test_a_slow_onesignal_holds_a_few_threads_at_most(app, standin, alice):
    """Four look-ups wait for a slow OneSignal; the fifth is answered at once."""
    from demo_app.onesignal.lookups import AT_ONCE

    clients = []
    for i in range(AT_ONCE + 1):
        browser = app.test_client()
        actions = AuthActions(app, browser)
        actions.create(f"user{i}@example.com")
        actions.login(f"user{i}@example.com")
        clients.append(browser)
    standin.queue(*[Reply(200, user("x"), delay=1.5, method="GET")] * AT_ONCE)
    threads = [threading.Thread(target=c.get, args=("/onesignal/user-panel",))
               for c in clients[:AT_ONCE]]  # fmt: skip
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while len(standin.paths()) < AT_ONCE and time.monotonic() < deadline:
        time.sleep(0.01)  # until OneSignal holds all four
    assert len(standin.paths()) == AT_ONCE
    started = time.monotonic()
    busy = clients[-1].get("/onesignal/user-panel")
    took = time.monotonic() - started
    for thread in threads:
        thread.join(5)
    assert busy.status_code == 503 and took < 1.0
    assert "OneSignal is busy, try again in 2 s." in text(busy)
    assert busy.headers["Retry-After"] == "2"
    assert len(standin.paths()) == AT_ONCE  # the fifth never reached OneSignal
    assert clients[-1].get("/onesignal/user-panel").status_code == 200  # and then it can


# 4. "Send to me" opens only this site on tap; a shared device says so


def send(client, auth, **fields):
    data = {"target": "devices", "title": "Hi", "message": "Test push", "url": "",
            "csrf_token": auth.token(), **fields}  # fmt: skip
    return client.post("/send-to-me", data=data)


@pytest.mark.parametrize("url", [
    "https://evil.example/login",
    "http://localhost.evil.example/",
    "http://localhost@evil.example/",
    "http://evil.example\\@localhost/",
    "https://localhost/",  # another scheme: not SITE_URL
    "http://localhost:8080/",  # another port
])  # fmt: skip
def test_send_to_me_refuses_a_link_to_another_site(client, alice, standin, url):
    page = text(send(client, alice, url=url))
    assert "A push may open only a page of this site on tap" in page
    assert standin.requests == []


def test_send_to_me_opens_this_site_or_an_allowed_host(client, alice, standin, app):
    send(client, alice, url="http://localhost/orders?x=1")
    assert standin.requests[-1]["body"]["data"]["targetUrl"].startswith(
        "http://localhost/orders?x=1&opened="
    )
    app.config["SEND_LINK_HOSTS"] = ["docs.example.com"]
    send(client, alice, url="https://docs.example.com/push")
    assert standin.requests[-1]["body"]["data"]["targetUrl"] == "https://docs.example.com/push"
    assert "only a page of this site" in text(send(client, alice, url="https://evil.example/"))
    assert len(standin.requests) == 2


def test_a_device_linked_to_two_accounts_says_so_to_each(client, alice, standin, app, auth):
    """Bob's registration POST named Alice's subscription id: the device is
    linked to both. Each one's send result tells them, naming no one."""
    auth.logout()
    auth.login("bob@example.com")
    auth.post_json("/api/devices", IOS_PAYLOAD)  # Alice's phone, now Bob's too
    bobs = text(send(client, auth))
    note = "Device …00abcd is also linked to 1 other account: whoever uses that account can push"
    assert note in bobs and "alice@" not in bobs
    auth.logout()
    auth.login("alice@example.com")
    alices = text(send(client, auth))
    assert note in alices and "bob@" not in alices
    only_hers = text(send(client, auth, target=f"device:{_device_id(app, V5_PLAYER)}"))
    assert "also linked" not in only_hers


def _device_id(app, subscription_id):
    from demo_app.models import Device

    with app.app_context():
        return db.session.scalar(
            sa.select(Device.id).where(Device.subscription_id == subscription_id)
        )
