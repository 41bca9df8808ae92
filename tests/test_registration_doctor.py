"""The OneSignal page's "Registration POST" row asks the site whether this
device's registration POST arrived, and with whose login."""

from .payloads import IOS_PAYLOAD

SUB = IOS_PAYLOAD["oneSignalUserId"].lower()


def _ask(client, sub=SUB):
    return client.get("/api/onesignal/registration", query_string={"subscription_id": sub})


def test_none_anonymous_and_with_login(client, auth):
    auth.create()
    auth.login()
    first = _ask(client)
    assert first.json["state"] == "none" and first.json["register_url"].endswith("/register")
    assert "no-store" in first.headers["Cache-Control"]
    # anonymous on the shared /register: said, but not opened for her
    client.application.test_client().post("/register", json=IOS_PAYLOAD)
    anonymous = _ask(client).json
    assert anonymous["state"] == "anonymous" and anonymous["capture_id"] is None
    client.post("/register", json=IOS_PAYLOAD)
    mine = _ask(client).json
    assert mine["state"] == "with_login" and mine["capture_id"] and mine["seconds_ago"] >= 0


def test_a_strangers_private_endpoint_is_not_reported(client, auth):
    auth.create()
    auth.create("mallory@example.com")
    path = auth.endpoint(owner="mallory@example.com")
    client.post(path, json=IOS_PAYLOAD)  # the same device, to Mallory's endpoint
    auth.login()
    assert _ask(client).json["state"] == "none"
    # her own endpoint is offered as the URL to set
    mine = auth.endpoint()
    assert _ask(client).json["register_url"].endswith(mine)


def test_a_bad_id_is_a_400_and_a_visitor_logs_in_first(client, auth):
    assert _ask(client).status_code == 401
    auth.create()
    auth.login()
    assert _ask(client, "../../x").status_code == 400
