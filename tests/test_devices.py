"""Linking a device from the page's JavaScript, My devices, and the external id record."""

import datetime as dt

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Device, UserDevice

from .payloads import IOS_PAYLOAD, PLAYER, V5_PAYLOAD


@pytest.fixture
def alice(auth):
    auth.create("alice@example.com")
    auth.create("bob@example.com")
    auth.login("alice@example.com")
    return auth


def test_link_device_from_page(client, alice, app):
    response = alice.post_json("/api/devices", IOS_PAYLOAD)
    assert response.status_code == 200
    device = response.json["device"]
    assert device["subscription_id"] == PLAYER and device["learnt_via"] == "page"
    assert response.json["warnings"] == response.json["warning_codes"] == []
    page = client.get("/devices").get_data(as_text=True)
    assert PLAYER in page and "iPhone" in page and "page" in page


def test_link_device_v5_shape(alice):
    response = alice.post_json("/api/devices", V5_PAYLOAD)
    assert response.json["device"]["subscription_id"] == V5_PAYLOAD["subscription"]["id"]


def test_link_device_needs_login_and_csrf(client, alice):
    assert client.post("/api/devices", json=IOS_PAYLOAD).status_code == 400  # no CSRF header
    alice.logout()
    response = alice.post_json("/api/devices", IOS_PAYLOAD)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"oneSignalUserId": "not-a-uuid", "platform": "ios"}, "must be a UUID"),
        ({"oneSignalUserId": "1234", "platform": "ios"}, "must be a UUID"),
        ({"platform": "ios", "oneSignalSubscribed": False}, "No subscription"),
        ({"subscription": {"id": "<script>"}}, "must be a UUID"),
    ],
)
def test_link_device_rejects_bad_ids(alice, payload, message):
    response = alice.post_json("/api/devices", payload)
    assert response.status_code == 400 and message in response.json["error"]
    codes = response.json["warning_codes"]
    assert {"no-subscription-id", "subscription-id-not-uuid"} & set(codes)


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'"string"', b"null"])
def test_link_device_rejects_non_objects(client, alice, body):
    response = client.post(
        "/api/devices", data=body, content_type="application/json",
        headers={"X-CSRFToken": alice.token()},
    )  # fmt: skip
    assert response.status_code == 400 and "JSON" in response.json["error"]


def test_user_id_in_body_is_ignored(client, alice, app):
    alice.post_json("/api/devices", {**IOS_PAYLOAD, "user_id": 2, "yourAppUserId": 2})
    with app.app_context():
        link = db.session.scalar(sa.select(UserDevice))
        assert link.user.email == "alice@example.com"


def test_page_then_registration_post_is_one_device(client, alice, app):
    alice.post_json("/api/devices", IOS_PAYLOAD)
    client.post("/register", json=IOS_PAYLOAD)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Device)) == 1
        link = db.session.scalar(sa.select(UserDevice))
        assert (link.learnt_via, link.last_via) == ("page", "registration")


def test_remove_own_device_and_not_others(client, alice, app):
    alice.post_json("/api/devices", IOS_PAYLOAD)
    with app.app_context():
        device_id = db.session.scalar(sa.select(Device.id))
    alice.logout()
    alice.login("bob@example.com")
    token = alice.token()
    assert (
        client.post(f"/devices/{device_id}/remove", data={"csrf_token": token}).status_code == 404
    )
    assert client.post("/devices/9999/remove", data={"csrf_token": token}).status_code == 404
    alice.logout()
    alice.login("alice@example.com")
    assert client.post(f"/devices/{device_id}/remove").status_code == 400  # CSRF
    response = client.post(f"/devices/{device_id}/remove", data={"csrf_token": alice.token()})
    assert response.status_code == 302
    assert PLAYER not in client.get("/devices").get_data(as_text=True)


def test_devices_page_shows_only_mine(client, alice):
    alice.post_json("/api/devices", IOS_PAYLOAD)
    alice.logout()
    alice.login("bob@example.com")
    assert PLAYER not in client.get("/devices").get_data(as_text=True)


def test_devices_prune_cli(app, runner, alice, client):
    alice.post_json("/api/devices", IOS_PAYLOAD)
    alice.post_json("/api/devices", V5_PAYLOAD)
    with app.app_context():
        old = db.session.scalars(sa.select(UserDevice)).first()
        old.last_seen = dt.datetime(2000, 1, 1)
        db.session.commit()
    result = runner.invoke(args=["devices", "prune", "--days", "30"])
    assert "Removed 1 device links" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserDevice)) == 1
    assert runner.invoke(args=["devices", "prune", "--days", "0"]).exit_code != 0


def _record(alice, **overrides):
    payload = {"action": "set", "method": "legacy", "subscription_id": PLAYER,
               "external_id": "user-1", "success": True, "error": None, **overrides}  # fmt: skip
    return alice.post_json("/api/external-id", payload)


def test_external_id_outcome_recorded_on_profile(client, alice):
    alice.post_json("/api/devices", IOS_PAYLOAD)
    response = _record(alice)
    assert response.status_code == 200 and response.json["device"]["external_id_state"] == "set"
    assert "set to user-1" in client.get("/profile").get_data(as_text=True)
    _record(alice, action="remove", method="v5", external_id=None)
    assert "removed" in client.get("/profile").get_data(as_text=True)
    _record(alice, success=False, error="OneSignal: not registered")
    assert "failed: OneSignal: not registered" in client.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"external_id": "someone-else"}, 400),
        ({"action": "drop"}, 400),
        ({"method": "magic"}, 400),
        ({"subscription_id": "x"}, 400),
        ({"subscription_id": "0c1d2e3f-1111-4222-8333-444455556666"}, 404),
    ],
)
def test_external_id_record_is_validated(alice, overrides, status):
    alice.post_json("/api/devices", IOS_PAYLOAD)
    assert _record(alice, **overrides).status_code == status


def test_external_id_record_for_other_users_device_is_404(client, alice):
    alice.post_json("/api/devices", IOS_PAYLOAD)
    alice.logout()
    alice.login("bob@example.com")
    assert _record(alice, external_id="user-2").status_code == 404


def test_hub_shows_qr_outside_app_only(client):
    page = client.get("/onesignal").get_data(as_text=True)
    assert "<svg" in page and "Simulate the app" in page
    in_app = client.get(
        "/onesignal", headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari gonative"}
    )
    assert "<svg" not in in_app.get_data(as_text=True)
    median = client.get("/onesignal", headers={"User-Agent": "Mozilla/5.0 Android median"})
    assert "yes (user agent)" in median.get_data(as_text=True)


def test_hub_shows_fixed_seed_sample(client):
    page = client.get("/onesignal").get_data(as_text=True)
    assert "JSON.stringify(info)" in page and "gn_OneSignalUserId" in page


def _device_card(client) -> str:
    page = client.get("/devices").get_data(as_text=True)
    start = page.index(f'data-subscription-id="{PLAYER}"')
    return page[start : page.index("</li>", start)]


def test_iphone_registration_post_never_makes_a_device_subscribed(client, alice):
    """An iOS registration POST says subscribed: true whatever OneSignal says;
    only the info handed to a page says it, and a device needs a token."""
    declined = {**IOS_PAYLOAD, "oneSignalSubscribed": True}  # what a declined iPhone POSTs
    client.post("/register", json=declined)
    card = _device_card(client)
    assert "subscription unknown" in card and "pill-ok" not in card
    assert "registration POST says subscribed whatever OneSignal says" in card
    alice.post_json("/api/devices", {**IOS_PAYLOAD, "oneSignalSubscribed": False})
    client.post("/register", json=declined)  # the POST does not undo what the page said
    card = _device_card(client)
    assert "not subscribed" in card and "pill-bad" in card


def test_a_device_without_token_is_not_called_subscribed(client, alice):
    tokenless = {k: v for k, v in IOS_PAYLOAD.items() if k != "oneSignalPushToken"}
    alice.post_json("/api/devices", tokenless)
    card = _device_card(client)
    assert "subscription unknown" in card and "reported no push token" in card
    assert "Push token</dt><dd>none reported" in card
    alice.post_json("/api/devices", IOS_PAYLOAD)
    card = _device_card(client)
    assert "pill-ok" in card and "Push token</dt><dd>reported" in card
