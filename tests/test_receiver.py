"""The registration receiver: every request kept, payloads understood, devices linked."""

import json

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture, Device, UserDevice

from .payloads import IOS_PAYLOAD, PLAYER, V5_PAYLOAD


def captures(app):
    with app.app_context():
        return db.session.scalars(sa.select(Capture).order_by(Capture.id)).all()


def test_legacy_payload_creates_device_anonymously(client, app):
    response = client.post("/register", json=IOS_PAYLOAD)
    assert response.status_code == 200
    data = response.json
    assert data["user"] == "anonymous"
    assert data["device"] == {"subscription_id": PLAYER, "linked": False}
    assert data["understood"]["push_token"] == "7f9e"
    assert data["understood"]["custom_data"] == {"userId": "42"}
    with app.app_context():
        device = db.session.scalar(sa.select(Device))
        assert device.subscription_id == PLAYER
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserDevice)) == 0
        capture = db.session.get(Capture, data["capture_id"])
        assert capture.body == json.dumps(IOS_PAYLOAD).encode()
        assert capture.parsed["customData_userId"] == "42"  # every key kept
        assert capture.device_id == device.id and capture.status == "ok"
        assert capture.platform == "ios"


def test_logged_in_sender_gets_device_linked(client, auth, app):
    auth.create()
    auth.login()
    response = client.post("/register/build-7", json=IOS_PAYLOAD)
    assert response.json["user"] == "alice@example.com"
    assert response.json["device"]["linked"] is True
    assert response.json["label"] == "build-7"
    client.post("/register", json=IOS_PAYLOAD)
    with app.app_context():
        links = db.session.scalars(sa.select(UserDevice)).all()
        assert len(links) == 1
        assert links[0].learnt_via == "registration"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Device)) == 1


def test_one_device_several_users(client, auth, app):
    auth.create()
    auth.create("bob@example.com")
    auth.login()
    client.post("/register", json=IOS_PAYLOAD)
    auth.logout()
    auth.login("bob@example.com")
    client.post("/register", json=IOS_PAYLOAD)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserDevice)) == 2


def test_v5_payload_understood(client, app):
    data = client.post("/register", json=V5_PAYLOAD).json
    assert data["understood"]["shape"] == "v5"
    assert data["understood"]["subscription_id"] == V5_PAYLOAD["subscription"]["id"]
    assert data["understood"]["onesignal_id"] == V5_PAYLOAD["oneSignalId"]
    assert data["understood"]["external_id"] == "user-1"
    assert data["device"]["subscription_id"] == V5_PAYLOAD["subscription"]["id"]


def test_older_android_registration_id(client):
    payload = {"platform": "android", "oneSignalUserId": PLAYER, "oneSignalRegistrationId": "reg",
               "oneSignalSubscribed": True}  # fmt: skip
    assert client.post("/register", json=payload).json["understood"]["push_token"] == "reg"


def test_warnings_no_subscription_id_yet(client, app):
    payload = {k: v for k, v in IOS_PAYLOAD.items() if not k.startswith("oneSignal")}
    data = client.post("/register", json=payload).json
    assert data["device"] is None
    assert any("No subscription (player) id yet" in w for w in data["warnings"])


def test_warning_onesignal_id_instead_of_subscription(client):
    payload = {"platform": "android", "oneSignalId": "0c1d2e3f-1111-4222-8333-444455556666"}
    data = client.post("/register", json=payload).json
    assert any("oneSignalId is the OneSignal user id" in w for w in data["warnings"])
    same = {"platform": "ios", "oneSignalUserId": PLAYER, "oneSignalId": PLAYER}
    data = client.post("/register", json=same).json
    # one rule, one warning (it used to be written twice)
    assert [w for w in data["warnings"] if "user id" in w] == [
        "oneSignalId and the subscription (player) id are the same value: that looks like "
        "the OneSignal user id used as a device id. Pushes to it will not arrive."
    ]


def test_not_subscribed_and_consent_warnings(client):
    payload = dict(IOS_PAYLOAD, oneSignalSubscribed=False, oneSignalRequiresUserPrivacyConsent=True)
    data = client.post("/register", json=payload).json
    # an iOS registration POST's subscribed flag says nothing (always true in
    # the app's code); its consent flag is OneSignal's own
    assert data["understood"]["subscribed"] is None
    assert not any("not subscribed" in w for w in data["warnings"])
    assert any("Whether this iPhone can receive pushes is unknown" in w for w in data["warnings"])
    assert any("held back until privacy consent" in w for w in data["warnings"])
    android = dict(payload, platform="android", os="Android")
    data = client.post("/register", json=android).json
    assert data["understood"]["subscribed"] is False
    assert any("not subscribed" in w for w in data["warnings"])
    # Android's flag is true until the page grants consent, in every app
    assert not any("held back" in w for w in data["warnings"])


def test_android_consent_flag_is_no_alarm_while_onesignal_runs(client):
    payload = {"platform": "android", "oneSignalUserId": PLAYER, "oneSignalRegistrationId": "fcm",
               "oneSignalSubscribed": True,
               "oneSignalRequiresUserPrivacyConsent": True}  # fmt: skip
    assert client.post("/register", json=payload).json["warnings"] == []
    del payload["oneSignalRegistrationId"]
    warnings = client.post("/register", json=payload).json["warnings"]
    assert any("only matters if your app is set to require consent" in w for w in warnings)


def test_nested_custom_data_of_old_builds_is_read(client):
    payload = {"platform": "ios", "oneSignalUserId": PLAYER, "customData": {"userId": "42"}}
    data = client.post("/register", json=payload).json
    assert data["understood"]["custom_data"] == {"userId": "42"}
    # builds that nested custom data never sent a token: not called missing
    assert not any("No push token yet" in w for w in data["warnings"])
    assert any("never send one" in w for w in data["warnings"])


def test_malformed_json_is_400_with_position_and_still_stored(client, app):
    raw = b'{"platform": "ios",\n  "oneSignalUserId": }'
    response = client.post("/register", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json["line"] == 2 and response.json["column"] == 22
    assert "Malformed JSON" in response.json["error"]
    stored = captures(app)[-1]
    assert stored.id == response.json["capture_id"]
    assert stored.status == "parse_error" and stored.body == raw


# What the seed's login-page sample sends once its syntax error is fixed:
# jQuery turns `data: {...}` into key=value&... and labels it with the given
# contentType, since nothing called JSON.stringify.
SEED_JQUERY_BODY = b"yourAppUserId=42&oneSignalUserId=1a2b3c4d-0000-4000-8000-00000000abcd"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=UTF-8"])
def test_form_body_sent_as_json_is_named_as_such(client, app, content_type):
    response = client.post("/register", data=SEED_JQUERY_BODY, content_type=content_type)
    assert response.status_code == 400
    error = response.json["error"]
    assert error.startswith("This is a form body (key=value&...) sent as application/json")
    assert "JSON.stringify" in error and "Malformed JSON" not in error
    assert response.json["form_keys"] == ["oneSignalUserId", "yourAppUserId"]
    stored = captures(app)[-1]
    assert stored.status == "parse_error" and stored.body == SEED_JQUERY_BODY
    assert stored.parsed == {"form": {"yourAppUserId": ["42"], "oneSignalUserId": [PLAYER]}}
    assert stored.problems[0] == error


@pytest.mark.parametrize("body", [b"platform=ios", b"a%5Bb%5D=1&c=", b"key=va+lue&empty=&x=%7B%7D"])
def test_other_form_bodies_under_json_are_recognised(client, body):
    response = client.post("/register", data=body, content_type="application/json")
    assert response.status_code == 400 and "This is a form body" in response.json["error"]


@pytest.mark.parametrize("body", [b'{"a=b": 1', b"a = 1", b"=1", b"[a=1]", b"x=1\n"])
def test_broken_json_that_is_no_form_stays_malformed_json(client, body):
    response = client.post("/register", data=body, content_type="application/json")
    assert response.status_code == 400 and "Malformed JSON" in response.json["error"]


def test_invalid_utf8_json_is_400_and_kept_byte_exact(client, app):
    raw = b'{"a": "\xff\xfe\x00"}'
    response = client.post("/register", data=raw, content_type="application/json; charset=UTF-8")
    assert response.status_code == 400 and "UTF-8" in response.json["error"]
    assert captures(app)[-1].body == raw


@pytest.mark.parametrize("app_settings", [{"REGISTER_MAX_BYTES": 1000}])
def test_oversized_body_is_413_and_headers_still_stored(client, app):
    response = client.post(
        "/register", data=b"x" * 5000, content_type="application/json", headers={"X-Build": "9"}
    )
    assert response.status_code == 413
    assert response.json["limit"] == 1000 and response.json["size"] == 5000
    stored = captures(app)[-1]
    assert stored.status == "too_large" and stored.body is None and stored.body_size == 5000
    assert ["X-Build", "9"] in stored.headers


@pytest.mark.parametrize("app_settings", [{"REGISTER_MAX_BYTES": 1000}])
def test_body_at_the_limit_is_accepted(client, app):
    assert client.post("/register", data=b"a" * 1000, content_type="text/plain").status_code == 200
    assert captures(app)[-1].body_size == 1000


def test_wrong_method_is_405_and_recorded(client, app):
    response = client.get("/register?x=1")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert captures(app)[-1].status == "rejected" and captures(app)[-1].query_string == "x=1"


@pytest.mark.parametrize("label", ["bad label", "a/b", "x" * 65, "<script>"])
def test_bad_label_is_400_and_recorded(client, app, label):
    response = client.post("/register/" + label, json={})
    assert response.status_code == 400
    assert captures(app)[-1].status == "rejected"


def test_form_and_multipart_bodies_are_parsed(client, app):
    client.post("/register", data={"platform": "ios", "a": "1"})
    form = captures(app)[-1]
    assert form.parsed["form"] == {"platform": ["ios"], "a": ["1"]}
    client.post(
        "/register",
        data={"note": "hi", "file": (__import__("io").BytesIO(b"\x00\x01binary"), "f.bin")},
        content_type="multipart/form-data",
    )
    multipart = captures(app)[-1]
    assert multipart.parsed["files"][0]["size"] == 8
    assert b"\x00\x01binary" in multipart.body  # raw multipart kept byte-exact


def test_empty_body_with_json_type_is_400(client, app):
    response = client.post("/register", data=b"", content_type="application/json")
    assert response.status_code == 400
    assert captures(app)[-1].body == b""


def test_empty_body_without_type_is_recorded(client, app):
    assert client.post("/register").status_code == 200
    assert "Empty body." in captures(app)[-1].problems


def test_deep_json_does_not_break_anything(client, app):
    deep = b"[" * 10000 + b"]" * 10000
    response = client.post("/register", data=deep, content_type="application/json")
    assert response.status_code == 200
    stored = captures(app)[-1]
    assert stored.body == deep and stored.parsed is None
    assert any("nested deeper" in p for p in stored.problems)


def test_nul_bytes_in_json_strings_are_kept(client, app):
    raw = b'{"platform": "ios\\u0000", "x": "a\\u0000b"}'
    assert client.post("/register", data=raw, content_type="application/json").status_code == 200
    assert captures(app)[-1].body == raw


def test_every_header_recorded_in_order(client, app):
    client.post("/register", json={}, headers=[("X-First", "1"), ("X-Second", "2")])
    names = [name.lower() for name, _ in captures(app)[-1].headers]
    assert names.index("x-first") < names.index("x-second")


def test_remote_address_ignores_forwarded_for_by_default(client, app):
    client.post("/register", json={}, headers={"X-Forwarded-For": "6.6.6.6"})
    assert captures(app)[-1].remote_addr == "127.0.0.1"


@pytest.mark.parametrize("app_settings", [{"TRUSTED_PROXY_HOPS": 1}])
def test_remote_address_from_trusted_proxy(client, app):
    client.post("/register", json={}, headers={"X-Forwarded-For": "6.6.6.6"})
    assert captures(app)[-1].remote_addr == "6.6.6.6"


def test_receiver_needs_no_csrf_token(client, auth):
    auth.create()
    auth.login()
    assert client.post("/register", json=IOS_PAYLOAD).status_code == 200


def test_remember_cookie_alone_identifies_sender(client, auth, app):
    auth.create()
    auth.login(remember=True)
    remember = client.get_cookie("remember_token").value
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert fresh.post("/register", json=IOS_PAYLOAD).json["user"] == "alice@example.com"


def test_prune_keeps_newest(app, runner, client):
    for i in range(5):
        client.post("/register", json={"n": i})
    app.config["CAPTURE_MAX_COUNT"] = 2
    result = runner.invoke(args=["captures", "prune"])
    assert "Removed 3" in result.output
    assert [json.loads(c.body)["n"] for c in captures(app)] == [3, 4]


@pytest.mark.parametrize("name", ["session", "remember_token"])
def test_cookie_from_before_logout_is_anonymous(client, auth, app, name):
    auth.create()
    auth.login(remember=True)
    copied = client.get_cookie(name).value
    auth.logout()
    replay = app.test_client()
    replay.set_cookie(name, copied)
    response = replay.post("/register", json=IOS_PAYLOAD)
    assert response.json["user"] == "anonymous"
    assert response.json["device"]["linked"] is False
    assert captures(app)[-1].user_id is None
