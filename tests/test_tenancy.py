"""Private by default: a stranger who signs up sees nothing of anyone else's,
and a team sees what it shares. Each test plays the attacker of the review:
Bob, a stranger with an account, after Alice's captures and devices."""

import json

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture, Endpoint

from .payloads import IOS_PAYLOAD, PLAYER

ALICE_DEVICE = "a11ce000-0000-4000-8000-00000000a11c"
SURFACES = (
    "/inspector", "/inspector/rows?after=0", "/api/captures", "/api/captures.ndjson",
    "/api/captures.har", "/api/captures?user=alice@example.com",
    "/api/captures?label=alice-build", "/devices", "/send-to-me", "/profile", "/endpoints",
)  # fmt: skip


@pytest.fixture
def people(auth):
    for email in ("alice@example.com", "bob@example.com", "admin@example.com"):
        auth.create(email, admin=email.startswith("admin"))
    return auth


def _alice_sends(app, client, auth) -> str:
    """Alice, logged in, posts with her cookies to /register/<label>; her app
    also posts anonymously to her private endpoint; somebody posts anonymously
    to /register. Returns her endpoint's path."""
    auth.login("alice@example.com")
    payload = {**IOS_PAYLOAD, "oneSignalUserId": ALICE_DEVICE, "note": "secret-of-alice"}
    assert client.post("/register/alice-build", json=payload).status_code == 200  # 1
    endpoint = auth.endpoint("alice@example.com", "Alice's phone")
    anonymous = app.test_client()
    assert anonymous.post(endpoint, json={**payload, "n": 2}).status_code == 200  # 2
    assert anonymous.post("/register", json={"n": 3, "note": "secret-of-alice"}).status_code == 200
    auth.logout()
    return endpoint


def _texts(client, paths) -> dict[str, str]:
    return {path: client.get(path).get_data(as_text=True) for path in paths}


def test_a_stranger_sees_nothing_of_anyone_elses(client, people, app):
    _alice_sends(app, client, people)
    people.login("bob@example.com")
    for path, text in _texts(client, SURFACES).items():
        assert "secret-of-alice" not in text, path
        assert ALICE_DEVICE not in text, path
        assert "alice-build" not in text or path.endswith("alice-build"), path
    assert client.get("/api/captures").json["captures"] == []
    assert client.get("/api/captures?q=secret-of-alice").json["captures"] == []
    assert 'class="capture"' not in client.get("/inspector?q=secret-of-alice").get_data(True)
    for capture_id in (1, 2, 3):
        for url in (f"/inspector/{capture_id}", f"/inspector/{capture_id}/body",
                    f"/inspector/{capture_id}/har", f"/api/captures/{capture_id}",
                    f"/inspector/compare?a={capture_id}&b={capture_id}"):  # fmt: skip
            assert client.get(url).status_code == 404, url
    with app.app_context():
        endpoint_id = db.session.scalar(sa.select(Endpoint.id))
    assert client.get(f"/endpoints/{endpoint_id}").status_code == 404


def test_each_sees_their_own_and_admins_see_all(client, people, app):
    _alice_sends(app, client, people)
    people.login("alice@example.com")
    assert [c["id"] for c in client.get("/api/captures").json["captures"]] == [1, 2]
    people.logout()
    people.login("admin@example.com")
    assert [c["id"] for c in client.get("/api/captures").json["captures"]] == [1, 2, 3]


def test_a_shared_endpoint_is_seen_by_the_team_until_unshared(client, people, app):
    endpoint = _alice_sends(app, client, people)
    with app.app_context():
        endpoint_id = db.session.scalar(sa.select(Endpoint.id))
    people.login("alice@example.com")
    token = people.token()
    response = client.post(
        f"/endpoints/{endpoint_id}/share", data={"email": "bob@example.com", "csrf_token": token}
    )
    assert response.status_code == 302
    client.post(endpoint, json={"n": 4}, headers={"Authorization": "Bearer alice-token"})
    people.logout()

    people.login("bob@example.com")
    # an invitation shows nothing until Bob accepts it
    assert client.get("/api/captures").json["captures"] == []
    assert client.get(f"/endpoints/{endpoint_id}").status_code == 404
    assert "Invitations" in client.get("/endpoints").get_data(as_text=True)
    accepted = client.post(f"/endpoints/{endpoint_id}/accept", data={"csrf_token": people.token()})
    assert accepted.status_code == 302
    # Bob sees the endpoint's captures (2 and 4), not Alice's others
    assert [c["id"] for c in client.get("/api/captures").json["captures"]] == [2, 4]
    detail = client.get("/inspector/4").get_data(as_text=True)
    assert "alice-token" not in detail and "Bearer [masked]" in detail
    assert client.get("/inspector/1").status_code == 404
    # the detail page's older/newer links name no capture he may not see
    page = client.get("/inspector/2").get_data(as_text=True)
    assert "/inspector/1" not in page and "/inspector/3" not in page
    assert "Alice&#39;s phone" in client.get("/endpoints").get_data(as_text=True)
    # Bob may leave, but not share it on or rename it
    token = people.token()
    assert (
        client.post(
            f"/endpoints/{endpoint_id}/share",
            data={"email": "admin@example.com", "csrf_token": token},
        ).status_code
        == 404
    )
    people.logout()

    people.login("alice@example.com")
    client.post(f"/endpoints/{endpoint_id}/members/2/remove", data={"csrf_token": people.token()})
    people.logout()
    people.login("bob@example.com")
    assert client.get("/api/captures").json["captures"] == []
    assert client.get("/inspector/2").status_code == 404


def test_endpoint_new_url_and_unknown_tokens(client, people, app):
    people.login("alice@example.com")
    endpoint = people.endpoint("alice@example.com")
    with app.app_context():
        endpoint_id = db.session.scalar(sa.select(Endpoint.id))
    assert client.post(f"/endpoints/{endpoint_id}/new-url", data={"csrf_token": people.token()})
    response = app.test_client().post(endpoint, json={})
    assert response.status_code == 404 and "new URL" in response.json["error"]
    # recorded all the same, as a rejected request only admins see
    with app.app_context():
        capture = db.session.scalar(sa.select(Capture))
        assert (capture.status, capture.http_status, capture.endpoint_id) == ("rejected", 404, None)
    assert client.get("/api/captures").json["captures"] == []
    people.logout()
    people.login("admin@example.com")
    assert client.get("/api/captures").json["captures"][0]["status"] == "rejected"


def test_share_refuses_unknown_emails_and_limits_guessing(client, people, app):
    people.login("alice@example.com")
    people.endpoint("alice@example.com")
    token = people.token()
    for i in range(20):
        response = client.post(
            "/endpoints/1/share", data={"email": f"guess{i}@example.com", "csrf_token": token}
        )
        assert response.status_code == 302
    assert "No account uses that email" in client.get("/endpoints/1").get_data(as_text=True)
    over = client.post("/endpoints/1/share", data={"email": "x@example.com", "csrf_token": token})
    assert over.status_code == 429


def _my_device_page(client, auth, email) -> str:
    auth.login(email)
    text = client.get("/devices").get_data(as_text=True)
    auth.logout()
    return text


def test_foreign_posts_never_change_what_the_owner_sees(client, people, app):
    """Facts are kept per account: an anonymous POST, or Bob's, naming Alice's
    device changes nothing on Alice's pages."""
    people.login("alice@example.com")
    people.post_json("/api/devices", {**IOS_PAYLOAD, "model": "Alice's iPhone 15"})
    people.logout()
    forged = {**IOS_PAYLOAD, "model": "PWNED", "appVersion": "6.6.6", "osVersion": "0"}
    app.test_client().post("/register", json=forged)
    people.login("bob@example.com")
    client.post("/register", json=forged)  # Bob claims the device too
    people.logout()
    alice_page = _my_device_page(client, people, "alice@example.com")
    assert "Alice&#39;s iPhone 15" in alice_page and "PWNED" not in alice_page
    assert "6.6.6" not in alice_page
    # ... and she is told the device is shared, not with whom
    assert "Also linked to 1 other account" in alice_page and "bob@" not in alice_page
    bob_page = _my_device_page(client, people, "bob@example.com")
    assert "PWNED" in bob_page and "Alice" not in bob_page


def test_no_link_from_a_stranger_to_a_device_he_never_saw(client, people, app, standin):
    """The review's attack: read a device id in the inspector, link it, push.
    Bob can no longer read it; and linking needs the id itself."""
    _alice_sends(app, client, people)
    people.login("bob@example.com")
    listed = json.dumps(client.get("/api/captures").json)
    assert ALICE_DEVICE not in listed and PLAYER not in listed


def test_endpoint_names_cannot_hide_or_reorder_text(client, people):
    people.login("alice@example.com")
    page = client.post(
        "/endpoints", data={"name": "QA \u202egnp.exe", "csrf_token": people.token()}
    ).get_data(as_text=True)
    assert "cannot hold control, bidi or invisible characters" in page
    assert "\u202e" not in client.get("/endpoints").get_data(as_text=True).split("<form")[0]


def test_a_message_never_shows_the_sender_the_recipients_devices(client, people, app, standin):
    """The review's second way to a stranger's phone: message them, then read
    their device ids in your own push history and link them to yourself."""
    app.config.update(ONESIGNAL_API_URL=standin.url, ONESIGNAL_APP_ID="app", ONESIGNAL_API_KEY="k")
    people.login("alice@example.com")
    client.post("/register", json={**IOS_PAYLOAD, "oneSignalUserId": ALICE_DEVICE})
    people.logout()
    people.login("bob@example.com")
    sent = client.post(
        "/messages",
        data={"recipient": "alice@example.com", "body": "hi", "csrf_token": people.token()},
    )
    assert sent.status_code == 302
    assert standin.requests[-1]["body"]["include_subscription_ids"] == [ALICE_DEVICE]
    for path in ("/notifications", "/messages", "/send-to-me", "/devices"):
        assert ALICE_DEVICE not in client.get(path).get_data(as_text=True), path
    people.logout()
    # the push is in the history of the person whose phone it went to
    people.login("alice@example.com")
    history = client.get("/notifications").get_data(as_text=True)
    assert "Message from bob@example.com" in history and ALICE_DEVICE in history


def test_the_empty_inspector_offers_only_an_endpoint_you_own(client, people, app):
    """Anyone can share an endpoint with you; it must not become the URL the
    page tells you to paste into your app (its owner reads what it gets)."""
    bobs = people.endpoint("bob@example.com", "Your team endpoint", members=["alice@example.com"])
    people.login("alice@example.com")
    page = client.get("/inspector").get_data(as_text=True)
    assert bobs not in page and "http://localhost/register" in page
    mine = people.endpoint("alice@example.com", "Alice's own")
    page = client.get("/inspector").get_data(as_text=True)
    assert mine in page and bobs not in page


def test_nobody_puts_captures_in_your_inspector_without_your_word(client, people, app):
    """Bob invites Alice to his endpoint, full of captures he controls: she
    sees none of them unless she accepts, and declining ends it."""
    bobs = people.endpoint("bob@example.com", "Your team endpoint")
    app.test_client().post(bobs, json={"note": "click http://evil.example"})
    with app.app_context():
        from demo_app.accounts import find_by_email
        from demo_app.endpoints import service

        endpoint = db.session.scalar(sa.select(Endpoint))
        service.share(endpoint, "alice@example.com")
        endpoint_id = endpoint.id
    people.login("alice@example.com")
    assert client.get("/api/captures").json["captures"] == []
    assert "evil.example" not in client.get("/inspector").get_data(as_text=True)
    assert "Your team endpoint" in client.get("/endpoints").get_data(as_text=True)
    declined = client.post(f"/endpoints/{endpoint_id}/decline", data={"csrf_token": people.token()})
    assert declined.status_code == 302
    assert "Your team endpoint" not in client.get("/endpoints").get_data(as_text=True)
    assert (
        client.post(
            f"/endpoints/{endpoint_id}/accept", data={"csrf_token": people.token()}
        ).status_code
        == 404
    )
    assert client.get("/api/captures").json["captures"] == []
    with app.app_context():
        assert find_by_email("alice@example.com") is not None
