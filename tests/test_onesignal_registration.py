"""GET /api/onesignal/registration: has a registration POST from this device
reached the site, among the captures the viewer may see?"""

from demo_app.extensions import db
from demo_app.models import Capture, Device

PLAYER = "6392d91a-b206-4b7b-a620-cd68e32c3a76"


def add_capture(app, user_id=None, endpoint_id=None, subscription_id=PLAYER):
    with app.app_context():
        device = db.session.query(Device).filter_by(subscription_id=subscription_id).one_or_none()
        if device is None:
            device = Device(subscription_id=subscription_id)
            db.session.add(device)
            db.session.flush()
        capture = Capture(method="POST", path="/register", device_id=device.id, user_id=user_id,
                          endpoint_id=endpoint_id)  # fmt: skip
        db.session.add(capture)
        db.session.commit()
        return capture.id


def ask(client, subscription_id=PLAYER):
    return client.get(f"/api/onesignal/registration?subscription_id={subscription_id}")


def test_needs_login_and_a_uuid(app, client, auth):
    assert ask(client).status_code in (302, 401)
    auth.create()
    auth.login()
    response = ask(client, "not-a-uuid")
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"


def test_none_yet_offers_the_shared_url(app, client, auth):
    auth.create()
    auth.login()
    response = ask(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert answer["state"] == "none" and answer["url"].endswith("/register")
    assert answer["url_pattern"] == ".*"


def test_a_strangers_capture_of_the_same_device_is_not_reported(app, client, auth):
    stranger = auth.create("mallory@example.com")
    add_capture(app, user_id=stranger)
    add_capture(app)  # anonymous, to the shared /register URL: nobody's
    auth.create()
    auth.login()
    assert ask(client).get_json()["state"] == "none"


def test_own_capture_with_login_and_anonymous_to_own_endpoint(app, client, auth):
    alice = auth.create()
    path = auth.endpoint()
    auth.login()
    answer = ask(client).get_json()
    assert answer["state"] == "none" and answer["url"].endswith(path)
    from demo_app.models import Endpoint

    with app.app_context():
        endpoint_id = db.session.query(Endpoint.id).scalar()
    add_capture(app, endpoint_id=endpoint_id)
    answer = ask(client).get_json()
    assert answer["state"] == "anonymous" and answer["seconds_ago"] >= 0
    newest = add_capture(app, user_id=alice)
    answer = ask(client).get_json()
    assert answer["state"] == "with-login" and answer["capture_id"] == newest


def add_open(app, user_id, target_kind, target):
    from demo_app.models import PushLog, PushOpen

    with app.app_context():
        push = PushLog(user_id=user_id, kind="test", target_kind=target_kind, target=target,
                       outcome="sent")  # fmt: skip
        db.session.add(push)
        db.session.flush()
        db.session.add(PushOpen(push_id=push.id, how="url"))
        db.session.commit()
        return push.id


def test_last_open_is_this_devices_own(app, client, auth):
    alice = auth.create()
    auth.login()
    add_open(app, alice, "devices", ["11111111-2222-4333-8444-555555555555"])  # another device
    add_open(app, alice, "external_id", [PLAYER])  # reaches every device: says nothing
    assert ask(client).get_json()["opened"] is None
    mine = add_open(app, alice, "devices", [PLAYER.upper()])
    opened = ask(client).get_json()["opened"]
    assert opened["push"] == mine and opened["how"] == "its link"
