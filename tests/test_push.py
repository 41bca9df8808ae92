"""Sending through OneSignal's REST API, against a local stand-in server."""

import datetime as dt
import html
import json
import logging
import time

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.jobs import run_due_jobs
from demo_app.models import Device, Job, Message, PushLog

from .payloads import IOS_PAYLOAD, PLAYER, V5_PAYLOAD
from .standin import API_KEY, APP_ID, Reply, onesignal_settings, opted_out

V5_PLAYER = V5_PAYLOAD["subscription"]["id"]


@pytest.fixture
def app_settings(standin):
    return {
        **onesignal_settings(standin.url),
        "ONESIGNAL_TIMEOUT": 1.0,
        "ONESIGNAL_MAX_RETRIES": 2,
        "ORDER_DELAY_SECONDS": 0,
    }


@pytest.fixture
def alice(auth, client):
    auth.create("alice@example.com")
    auth.create("bob@example.com")
    auth.login("alice@example.com")
    auth.post_json("/api/devices", IOS_PAYLOAD)
    auth.post_json("/api/devices", V5_PAYLOAD)
    return auth


def send(client, auth, **fields):
    data = {"target": "devices", "title": "Hi", "message": "Test push", "url": "",
            "csrf_token": auth.token(), **fields}  # fmt: skip
    return client.post("/send-to-me", data=data)


def test_send_to_my_devices_request_shape(client, alice, standin, app):
    app.config["SEND_LINK_HOSTS"] = ["example.com"]  # the operator allows it
    response = send(client, alice, url="https://example.com/page")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sent to 2 devices" in page and "OneSignal message id" in page
    [request] = standin.requests
    assert request["method"] == "POST" and request["path"] == "/notifications"
    assert request["headers"]["Authorization"] == f"Key {API_KEY}"
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["body"]
    assert body["app_id"] == APP_ID
    assert sorted(body["include_subscription_ids"]) == sorted([PLAYER, V5_PLAYER])
    assert "include_aliases" not in body and "target_channel" not in body
    assert body["contents"] == {"en": "Test push"} and body["headings"] == {"en": "Hi"}
    # another site's page is sent as given, inside the app and with no token
    assert body["data"] == {"kind": "send-to-me", "targetUrl": "https://example.com/page"}
    assert "url" not in body and "app_url" not in body
    assert len(body["idempotency_key"]) == 36


def test_send_by_external_id(client, alice, standin):
    send(client, alice, target="external_id")
    body = standin.requests[0]["body"]
    assert body["include_aliases"] == {"external_id": ["user-1"]}
    assert body["target_channel"] == "push"
    assert "include_subscription_ids" not in body


def test_send_to_one_device(client, alice, standin, app):
    with app.app_context():
        device_id = db.session.scalar(sa.select(Device.id).where(Device.subscription_id == PLAYER))
    send(client, alice, target=f"device:{device_id}")
    assert standin.requests[0]["body"]["include_subscription_ids"] == [PLAYER]


def test_cannot_target_another_users_device(client, alice, standin, app, auth):
    auth.logout()
    auth.login("bob@example.com")
    bob_device = {**IOS_PAYLOAD, "oneSignalUserId": "aaaaaaaa-0000-4000-8000-00000000bbbb"}
    auth.post_json("/api/devices", bob_device)
    with app.app_context():
        bob_id = db.session.scalar(
            sa.select(Device.id).where(Device.subscription_id == bob_device["oneSignalUserId"])
        )
    auth.logout()
    auth.login("alice@example.com")
    response = send(client, alice, target=f"device:{bob_id}")
    assert response.status_code == 404
    assert send(client, alice, target="device:not-a-number").status_code == 404
    assert standin.requests == []


def test_no_devices_sends_nothing(client, auth, standin):
    auth.create()
    auth.login()
    page = send(client, auth).get_data(as_text=True)
    assert "no linked device yet" in page
    assert standin.requests == []


def test_empty_id_means_nothing_sent(client, alice, standin):
    standin.queue(Reply(200, {"id": "", "errors": ["All included players are not subscribed"]}))
    page = send(client, alice).get_data(as_text=True)
    assert "Nothing was sent. OneSignal says: All included players are not subscribed" in page
    assert "OneSignal user id (oneSignalId) instead" in page


def test_partial_invalid_recipients_listed(client, alice, standin):
    standin.queue(Reply(200, opted_out("user-1", 3)))
    page = html.unescape(send(client, alice, target="external_id").get_data(as_text=True))
    assert "Sent; 3 of user-1's subscriptions are unsubscribed." in page
    assert "user-1, user-1" not in page and "never set on any device" not in page
    standin.queue(Reply(200, {"id": "n-2", "errors": {"invalid_player_ids": [PLAYER]}}))
    assert f"1 subscription named is not subscribed: {PLAYER}" in send(client, alice).get_data(
        as_text=True
    )


def test_400_explained(client, alice, standin):
    reason = (
        "You must include which players, segments, or tags you wish to send this notification to."
    )
    standin.queue(Reply(400, {"errors": [reason]}))
    page = send(client, alice).get_data(as_text=True)
    assert "OneSignal refused the request (HTTP 400)" in page and "No recipient matched" in page


@pytest.mark.parametrize("status", [401, 403])
def test_wrong_key_explained(client, alice, standin, status):
    reason = "Access denied. Please include an 'Authorization: ...' header with a valid API key"
    standin.queue(Reply(status, {"errors": [reason]}))
    page = send(client, alice).get_data(as_text=True)
    assert "App API key, not an Organization key" in page
    assert len(standin.requests) == 1  # never retried


def test_429_retried_after_retry_after_with_same_key(client, alice, standin):
    standin.queue(
        Reply(429, {"errors": ["API rate limit exceeded."]}, headers={"Retry-After": "1"})
    )
    page = send(client, alice).get_data(as_text=True)
    assert "Sent to 2 devices" in page and "2 attempts, same idempotency key" in page
    first, second = standin.requests
    assert second["at"] - first["at"] >= 0.9
    assert first["body"]["idempotency_key"] == second["body"]["idempotency_key"]


def test_429_gives_up_after_bounded_retries(client, alice, standin):
    standin.queue(
        *[Reply(429, {"errors": ["API rate limit exceeded."]}, headers={"Retry-After": "0"})] * 5
    )
    page = send(client, alice).get_data(as_text=True)
    assert "rate limit was reached" in page
    assert len(standin.requests) == 3  # one try and two retries


def test_503_then_success(client, alice, standin):
    standin.queue(
        Reply(503, {"errors": ["Service temporarily unavailable"]}, headers={"Retry-After": "0"})
    )
    page = send(client, alice).get_data(as_text=True)
    assert "Sent to 2 devices" in page and len(standin.requests) == 2


def test_read_timeout(client, alice, standin):
    standin.queue(Reply(200, {"id": "late"}, delay=2.5))
    page = send(client, alice).get_data(as_text=True)
    assert "did not answer within 1 s" in page
    assert len(standin.requests) == 1


def test_connection_refused(client, alice, app):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config["ONESIGNAL_API_URL"] = f"http://127.0.0.1:{port}"
    page = send(client, alice).get_data(as_text=True)
    assert "could not be reached" in page


def test_non_json_answer(client, alice, standin):
    standin.queue(Reply(200, raw=b"<html>gateway</html>"))
    assert "something that is not JSON" in send(client, alice).get_data(as_text=True)
    standin.queue(*[Reply(502, raw=b"<html>bad gateway</html>", headers={"Retry-After": "0"})] * 3)
    assert "temporarily unavailable (HTTP 502)" in send(client, alice).get_data(as_text=True)


def test_api_key_never_shown_or_logged(client, alice, standin, app, caplog):
    caplog.set_level(logging.DEBUG)
    standin.queue(Reply(403, {"errors": ["Access denied"]}))
    pages = [send(client, alice).get_data(as_text=True), send(client, alice).get_data(as_text=True)]
    pages.append(client.get("/notifications").get_data(as_text=True))
    for page in pages:
        assert API_KEY not in page
    assert "Key ••••••••" in pages[0]
    assert API_KEY not in caplog.text
    with app.app_context():
        rows = db.session.scalars(sa.select(PushLog)).all()
        assert rows
        for row in rows:
            assert API_KEY not in json.dumps(
                [row.request_body, row.response, row.summary, row.target], default=str
            )


@pytest.mark.parametrize("app_settings", [{"ONESIGNAL_APP_ID": "", "ONESIGNAL_API_KEY": ""}])
def test_not_configured_shows_request_that_would_be_sent(client, alice):
    page = send(client, alice).get_data(as_text=True)
    assert "OneSignal is not configured" in page
    assert "include_subscription_ids" in page and "Key ••••••••" in page
    # the placeholder reads as written, escaped for HTML, not as a \u003c escape
    assert "&#34;app_id&#34;: &#34;&lt;ONESIGNAL_APP_ID&gt;&#34;" in page
    assert "\\u003c" not in page
    history = client.get("/notifications").get_data(as_text=True)
    assert "&lt;ONESIGNAL_APP_ID&gt;" in history and "\\u003c" not in history


def test_send_is_throttled_per_user(client, alice, standin, app):
    app.config["SEND_LIMIT_PER_MINUTE"] = 3
    for _ in range(3):
        assert send(client, alice).status_code == 200
    response = send(client, alice)
    assert response.status_code == 429
    assert "You have sent 3 pushes in the last minute" in response.get_data(as_text=True)
    assert len(standin.requests) == 3


def test_send_form_validates_url(client, alice, standin):
    page = send(client, alice, url="javascript:alert(1)").get_data(as_text=True)
    assert "Use a full http:// or https:// address" in page
    assert standin.requests == []


def test_history_lists_attempts(client, alice, standin):
    send(client, alice)
    standin.queue(Reply(200, {"id": "", "errors": ["All included players are not subscribed"]}))
    send(client, alice, target="external_id")
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('class="card push-row"') == 2
    assert "not sent" in page and "sent" in page and "external id" in page


def test_devices_chunked_at_2000(app, standin):
    from demo_app.accounts import create_user
    from demo_app.push.service import send_to

    with app.app_context():
        user = create_user("many@example.com", "longenough1")
        db.session.add_all(
            Device(subscription_id=f"00000000-0000-4000-8000-{i:012d}") for i in range(4500)
        )
        db.session.commit()
        from demo_app.models import UserDevice, utcnow

        now = utcnow()
        ids = db.session.scalars(sa.select(Device.id)).all()
        db.session.add_all(
            UserDevice(
                user_id=user.id, device_id=i, learnt_via="page", last_via="page",
                first_seen=now, last_seen=now,
            )
            for i in ids
        )  # fmt: skip
        db.session.commit()
        results = send_to(user, "devices", title="t", message="m")
    assert [len(r["body"]["include_subscription_ids"]) for r in standin.requests] == [
        2000,
        2000,
        500,
    ]
    assert len({r["body"]["idempotency_key"] for r in standin.requests}) == 3
    assert all(r.ok for r in results)


def test_message_pushes_recipient_and_opens_message(client, alice, standin, app, auth):
    auth.logout()
    auth.login("bob@example.com")
    auth.post_json(
        "/api/devices", {**IOS_PAYLOAD, "oneSignalUserId": "bbbbbbbb-0000-4000-8000-00000000bbbb"}
    )
    auth.logout()
    auth.login("alice@example.com")
    response = client.post(
        "/messages",
        data={"recipient": "Bob@example.com", "body": "Lunch?", "csrf_token": auth.token()},
    )
    assert response.status_code == 302
    assert "phone was notified" in client.get("/messages").get_data(as_text=True)
    body = standin.requests[-1]["body"]
    assert body["include_subscription_ids"] == ["bbbbbbbb-0000-4000-8000-00000000bbbb"]
    assert body["headings"] == {"en": "Message from alice@example.com"}
    with app.app_context():
        message_id = db.session.scalar(sa.select(Message.id))
    assert "url" not in body and "app_url" not in body
    target = body["data"].pop("targetUrl")
    assert target.startswith(f"http://localhost/messages/{message_id}?opened=")
    assert body["data"] == {"kind": "message", "message_id": message_id}
    auth.logout()
    auth.login("bob@example.com")
    inbox = client.get("/messages").get_data(as_text=True)
    assert "1 unread" in inbox and "alice@example.com" in inbox
    assert "Lunch?" in client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "unread" not in client.get("/messages").get_data(as_text=True).split("<h2>Inbox")[0]


def test_message_to_unknown_or_self_refused(client, alice, standin):
    token = alice.token()
    page = client.post(
        "/messages", data={"recipient": "nobody@example.com", "body": "x", "csrf_token": token}
    )
    assert "No user has that email" in page.get_data(as_text=True)
    page = client.post(
        "/messages", data={"recipient": "alice@example.com", "body": "x", "csrf_token": token}
    )
    assert "Send it to someone else" in page.get_data(as_text=True)
    assert standin.requests == []


def test_message_readable_only_by_its_two_users(client, alice, app, auth):
    auth.create("eve@example.com")
    client.post(
        "/messages",
        data={"recipient": "bob@example.com", "body": "secret", "csrf_token": auth.token()},
    )
    auth.logout()
    auth.login("eve@example.com")
    assert client.get("/messages/1").status_code == 404


def test_message_by_external_id_when_set_so(client, alice, standin, app):
    app.config["PUSH_TARGET"] = "external_id"
    client.post(
        "/messages",
        data={"recipient": "bob@example.com", "body": "Hi", "csrf_token": alice.token()},
    )
    body = standin.requests[-1]["body"]
    assert body["include_aliases"] == {"external_id": ["user-2"]}
    assert body["target_channel"] == "push"


def test_order_delivered_by_worker(client, alice, standin, app):
    response = client.post("/orders", data={"csrf_token": alice.token()})
    assert response.status_code == 302
    assert "delivering" in client.get("/orders").get_data(as_text=True)  # due now, not run yet
    assert standin.requests == []  # nothing sent by the web request itself
    with app.app_context():
        assert run_due_jobs() == 1
        job = db.session.scalar(sa.select(Job))
        assert job.status == "done"
        assert run_due_jobs() == 0  # exactly once
    body = standin.requests[0]["body"]
    assert body["headings"] == {"en": "Your order was delivered"}
    assert "url" not in body and "app_url" not in body
    assert body["data"]["targetUrl"].startswith("http://localhost/orders?opened=")
    assert "delivered" in client.get("/orders").get_data(as_text=True)


def test_order_rows_follow_delivery_for_their_owner_only(client, alice, standin, app):
    client.post("/orders", data={"csrf_token": alice.token()})
    rows = client.get("/orders/rows")
    assert rows.headers["Cache-Control"] == "no-store"
    assert "data-pending" in rows.get_data(as_text=True)
    with app.app_context():
        assert run_due_jobs() == 1
    done = client.get("/orders/rows").get_data(as_text=True)
    assert "data-pending" not in done and "delivered" in done
    alice.logout()
    alice.login("bob@example.com")
    assert client.get("/orders/rows").get_data(as_text=True).strip() == ""


def test_order_waits_for_its_time(client, alice, standin, app):
    app.config["ORDER_DELAY_SECONDS"] = 60
    client.post("/orders", data={"csrf_token": alice.token()})
    with app.app_context():
        assert run_due_jobs() == 0
    assert standin.requests == []


def test_worker_command_runs_jobs(client, alice, standin, app):
    import threading

    from demo_app.jobs import run_forever

    client.post("/orders", data={"csrf_token": alice.token()})
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app, stop), daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not standin.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert len(standin.requests) == 1


def test_push_inactive_cli(app, runner, alice, standin):
    import datetime as dt

    from demo_app.models import User

    with app.app_context():
        alice_user = db.session.scalar(sa.select(User).where(User.email == "alice@example.com"))
        alice_user.last_seen_at = dt.datetime(2020, 1, 1)
        bob = db.session.scalar(sa.select(User).where(User.email == "bob@example.com"))
        bob.last_seen_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        db.session.commit()
    dry = runner.invoke(args=["push", "inactive", "--days", "30", "--dry-run"])
    assert "would push\talice@example.com" in dry.output and "bob@" not in dry.output
    assert standin.requests == []
    real = runner.invoke(args=["push", "inactive", "--days", "30"])
    assert "sent\talice@example.com" in real.output
    assert len(standin.requests) == 1
    data = standin.requests[0]["body"]["data"]
    assert data.pop("targetUrl").startswith("http://localhost/?opened=")
    assert data == {"kind": "re-engagement"}


def test_a_long_retry_after_goes_to_the_job_runner(client, alice, standin, app, monkeypatch):
    """A web request never sleeps through OneSignal's Retry-After past its
    deadline (gunicorn would kill the worker at 30 s): the same request, same
    idempotency key, is handed to the job runner."""
    app.config.update(ONESIGNAL_DEADLINE=3.0)
    standin.queue(
        Reply(429, {"errors": ["API rate limit exceeded."]}, headers={"Retry-After": "30"})
    )
    slept = []
    monkeypatch.setattr("demo_app.onesignal.client.time.sleep", slept.append)
    page = send(client, alice).get_data(as_text=True)
    assert max(slept, default=0) < 1  # the request did not wait the 30 s
    assert "sent again in 30 s by the background runner" in page
    assert len(standin.requests) == 1
    with app.app_context():
        job = db.session.scalar(sa.select(Job).where(Job.kind == "push_retry"))
        assert (
            job is not None
            and job.payload["body"]["idempotency_key"]
            == (standin.requests[0]["body"]["idempotency_key"])
        )
        job.run_at = job.created_at  # due now
        db.session.commit()
        assert run_due_jobs() == 1
        assert db.session.get(Job, job.id).status == "done"
        outcomes = db.session.scalars(sa.select(PushLog.outcome).order_by(PushLog.id)).all()
    assert outcomes == ["rate_limited", "sent"]
    first, second = standin.requests
    assert first["body"]["idempotency_key"] == second["body"]["idempotency_key"]


def test_send_has_a_total_deadline(client, alice, standin, app):
    """Several slow answers cannot add up past the deadline."""
    app.config.update(ONESIGNAL_DEADLINE=2.5, ONESIGNAL_TIMEOUT=1.0, ONESIGNAL_MAX_RETRIES=4)
    standin.queue(*[Reply(503, {"errors": ["busy"]}, headers={"Retry-After": "0"}, delay=0.9)] * 5)
    send(client, alice)
    # each answer takes 0.9 s: a fourth try would end past the 2.5 s deadline,
    # where the old client tried all five
    assert len(standin.requests) <= 3


def test_messages_are_throttled_like_send_to_me(client, alice, standin, app):
    app.config["MESSAGE_LIMIT_PER_MINUTE"] = 3
    for i in range(3):
        response = client.post(
            "/messages",
            data={"recipient": "bob@example.com", "body": f"m{i}", "csrf_token": alice.token()},
        )
        assert response.status_code == 302
    over = client.post(
        "/messages",
        data={"recipient": "bob@example.com", "body": "m4", "csrf_token": alice.token()},
    )
    assert over.status_code == 429
    assert "Wait" in over.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 3


def test_unknown_recipients_are_limited_so_accounts_cannot_be_listed(client, alice, standin):
    for i in range(20):
        page = client.post(
            "/messages",
            data={"recipient": f"guess{i}@example.com", "body": "x", "csrf_token": alice.token()},
        )
        assert "No user has that email" in page.get_data(as_text=True)
    over = client.post(
        "/messages",
        data={"recipient": "bob@example.com", "body": "x", "csrf_token": alice.token()},
    )
    assert over.status_code == 429


# Closing the loop: the push opens its page inside the app, and the open is recorded.

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36 gonative median"
)


def _target(standin, index=-1) -> str:
    body = standin.requests[index]["body"]
    assert "url" not in body and "app_url" not in body  # they would open the browser
    return body["data"]["targetUrl"]


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://localhost"  # SITE_URL
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _opens(app):
    from demo_app.models import PushOpen

    with app.app_context():
        return db.session.scalars(sa.select(PushOpen).order_by(PushOpen.id)).all()


def test_every_kind_of_push_opens_a_page_of_site_url_inside_the_app(
    client, alice, standin, app, runner
):
    """Send to me, a message, an order and re-engagement all carry their page
    as data.targetUrl on SITE_URL (not the request's host), never url/app_url."""
    app.config.update(SITE_URL="https://push.example.com", TRUSTED_HOSTS=None)
    app.config["PUSH_TARGET"] = "external_id"  # so Bob, with no device, gets it too
    send(client, alice)
    client.post("/messages", data={"recipient": "bob@example.com", "body": "Hi",
                                   "csrf_token": alice.token()})  # fmt: skip
    client.post("/orders", data={"csrf_token": alice.token()})
    with app.app_context():
        run_due_jobs()
        from demo_app.models import User

        user = db.session.scalar(sa.select(User).where(User.email == "alice@example.com"))
        user.last_seen_at = user.created_at = dt.datetime(2020, 1, 1)
        db.session.commit()
    runner.invoke(args=["push", "inactive", "--days", "30"])
    kinds = {}
    for request in standin.requests:
        body = request["body"]
        assert "url" not in body and "app_url" not in body
        kinds[body["data"]["kind"]] = body["data"]["targetUrl"]
    assert set(kinds) == {"send-to-me", "message", "order", "re-engagement"}
    assert kinds["message"].startswith("https://push.example.com/messages/1?opened=")
    assert kinds["send-to-me"].startswith("https://push.example.com/notifications?opened=")
    assert kinds["order"].startswith("https://push.example.com/orders?opened=")
    assert kinds["re-engagement"].startswith("https://push.example.com/?opened=")
    tokens = {url.split("opened=")[1] for url in kinds.values()}
    assert len(tokens) == 4 and all(len(t) >= 32 for t in tokens)


def test_send_result_and_history_show_the_page_it_opens(client, alice, standin):
    page = send(client, alice).get_data(as_text=True)
    assert "Tapping it opens" in page and "http://localhost/notifications</a>" in page
    history = client.get("/notifications").get_data(as_text=True)
    assert 'Opens <a href="http://localhost/notifications">' in history
    assert "Not opened yet" in history


def test_opening_the_url_records_the_open_and_greets(client, alice, standin, app):
    send(client, alice, title="Hello")
    url = _target(standin)
    response = client.get(_path(url), headers={"User-Agent": PHONE_UA})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/notifications"  # token gone
    page = client.get("/notifications").get_data(as_text=True)
    assert "You opened “Hello” (push #1)" in page and "after it was sent" in page
    [opened] = _opens(app)
    assert opened.how == "url" and opened.user_agent == PHONE_UA[:255]
    assert opened.user_id == 1 and opened.push_id == 1
    assert opened.seconds_after is not None and opened.seconds_after >= 0
    assert "Opened 1 time, first at" in page


def test_one_tap_learnt_by_link_and_listener_is_one_open(client, alice, standin, app):
    """The app reports a tap by loading the push's link and through its
    pushOpened listener: the same device, the same push, one open."""
    send(client, alice, title="Hello")
    data = standin.requests[-1]["body"]["data"]
    client.get(_path(data["targetUrl"]), headers={"User-Agent": PHONE_UA})
    answer = alice.post_json("/api/push-opened", data, headers={"User-Agent": PHONE_UA})
    assert answer.get_json()["recorded"] is True
    [opened] = _opens(app)
    assert opened.how == "url+listener"
    page = client.get("/notifications").get_data(as_text=True)
    assert "Opened 1 time" in page and "its link and the listener (one tap)" in page
    # another device's tap of the same push still counts apart
    alice.post_json("/api/push-opened", data, headers={"User-Agent": "Android tablet app"})
    assert len(_opens(app)) == 2


def test_a_second_device_and_a_logged_out_one_are_recorded_too(client, alice, standin, app):
    send(client, alice, title="Hello")
    path = _path(_target(standin))
    client.get(path, headers={"User-Agent": PHONE_UA})
    other = app.test_client()  # another phone, not logged in
    long_agent = "iPhone app " + "x" * 400
    response = other.get(path, headers={"User-Agent": long_agent}, follow_redirects=True)
    assert response.status_code == 200  # the login page, since /notifications needs it
    assert "You opened “Hello”" in response.get_data(as_text=True)
    first, second = _opens(app)
    assert (first.user_id, second.user_id) == (1, None)
    assert second.user_agent == long_agent[:255]  # clipped
    assert "Opened 2 times" in client.get("/notifications").get_data(as_text=True)
    # Bob sees none of Alice's pushes or their opens
    alice.logout()
    alice.login("bob@example.com")
    bobs = client.get("/notifications").get_data(as_text=True)
    assert "Opened" not in bobs and "push #1" not in bobs


def test_forged_unknown_expired_or_used_up_tokens_record_nothing(client, alice, standin, app):
    app.config["PUSH_OPEN_LIMIT"] = 2
    send(client, alice)
    path = _path(_target(standin))
    token = path.split("opened=")[1]
    for forged in ("forged", token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 5000):
        response = client.get(f"/notifications?opened={forged}")
        assert response.status_code == 200
        assert "You opened" not in response.get_data(as_text=True)
    assert _opens(app) == []
    # used up: the limit counts opens per push
    for _ in range(3):
        client.get(path)
    assert len(_opens(app)) == 2
    third = client.get(path)
    assert third.status_code == 200 and "You opened" not in third.get_data(as_text=True)
    # expired
    app.config["PUSH_OPEN_LIMIT"] = 20
    with app.app_context():
        row = db.session.get(PushLog, 1)
        row.created_at = row.created_at - dt.timedelta(days=8)
        db.session.commit()
    assert client.get(path).status_code == 200
    assert len(_opens(app)) == 2


def test_the_token_redirect_stays_on_this_site(client, alice, standin, app):
    send(client, alice)
    token = _target(standin).split("opened=")[1]
    # a path no route serves ("//evil.example/x") is not a page: no redirect at all
    odd = client.get(
        f"/x?opened={token}&keep=1", environ_overrides={"PATH_INFO": "//evil.example/x"}
    )
    assert odd.status_code == 404 and "Location" not in odd.headers
    response = client.get(f"/notifications?opened={token}&keep=1")
    from urllib.parse import urlsplit

    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc) == ("http", "localhost")  # SITE_URL
    assert location.path == "/notifications" and location.query == "keep=1"


def test_listener_reports_an_open(client, alice, standin, app):
    send(client, alice, title="Hello")
    data = standin.requests[-1]["body"]["data"]
    response = alice.post_json("/api/push-opened", data, headers={"User-Agent": PHONE_UA})
    assert response.status_code == 200
    assert response.get_json()["recorded"] is True
    assert response.get_json()["greeting"].startswith("You opened “Hello” (push #1)")
    # the whole notification, as some bridges pass it, works too
    response = alice.post_json("/api/push-opened", {"additionalData": data})
    assert response.get_json()["recorded"] is True
    first, second = _opens(app)
    assert first.how == second.how == "listener"
    assert first.user_agent == PHONE_UA and first.user_id == 1
    # another site's URL with a real token, a forged one, junk: nothing recorded
    token = data["targetUrl"].split("opened=")[1]
    for junk in (
        {"targetUrl": f"https://evil.example/?opened={token}"},
        {"targetUrl": "http://localhost/?opened=forged"},
        {"targetUrl": 5},
        [1],
        {},
    ):
        response = alice.post_json("/api/push-opened", junk)
        assert response.status_code == 200 and response.get_json() == {"recorded": False}
    assert len(_opens(app)) == 2


def test_listener_needs_the_csrf_header(client, alice, standin, app):
    send(client, alice)
    data = standin.requests[-1]["body"]["data"]
    assert client.post("/api/push-opened", json=data).status_code == 400
    assert _opens(app) == []


def test_each_chunk_has_its_own_token(app, standin):
    from demo_app.accounts import create_user
    from demo_app.models import UserDevice, utcnow
    from demo_app.push.service import send_to

    with app.app_context():
        user = create_user("many@example.com", "longenough1")
        db.session.add_all(
            Device(subscription_id=f"00000000-0000-4000-8000-{i:012d}") for i in range(2001)
        )
        db.session.commit()
        now = utcnow()
        db.session.add_all(
            UserDevice(user_id=user.id, device_id=i, learnt_via="page", last_via="page",
                       first_seen=now, last_seen=now)
            for i in db.session.scalars(sa.select(Device.id)).all()
        )  # fmt: skip
        db.session.commit()
        send_to(user, "devices", title="t", message="m", page="http://localhost/orders")
        tokens = db.session.scalars(sa.select(PushLog.open_token).order_by(PushLog.id)).all()
    sent = [r["body"]["data"]["targetUrl"].split("opened=")[1] for r in standin.requests]
    assert sent == tokens and len(set(tokens)) == 2


def test_a_retried_push_keeps_its_token_on_the_row_that_was_sent(
    client, alice, standin, app, monkeypatch
):
    app.config.update(ONESIGNAL_DEADLINE=3.0)
    standin.queue(
        Reply(429, {"errors": ["API rate limit exceeded."]}, headers={"Retry-After": "30"})
    )
    monkeypatch.setattr("demo_app.onesignal.client.time.sleep", lambda s: None)
    send(client, alice)
    with app.app_context():
        job = db.session.scalar(sa.select(Job).where(Job.kind == "push_retry"))
        job.run_at = job.created_at
        db.session.commit()
        run_due_jobs()
    client.get(_path(_target(standin)))
    [opened] = _opens(app)
    with app.app_context():
        assert db.session.get(PushLog, opened.push_id).outcome == "sent"


def test_open_token_with_a_refused_host_or_a_broken_path_records_nothing(
    client, alice, standin, app
):
    send(client, alice)
    token = standin.requests[-1]["body"]["data"]["targetUrl"].split("opened=")[1]
    app.config["TRUSTED_HOSTS"] = ["localhost"]
    assert client.get(f"/?opened={token}", headers={"Host": "evil.example"}).status_code == 400
    assert client.get(f"/%0d%0aSet-Cookie:%20x=1?opened={token}").status_code == 404
    with app.app_context():
        from demo_app.models import PushOpen

        assert db.session.scalar(sa.select(sa.func.count(PushOpen.id))) == 0
    assert client.get(f"/?opened={token}").status_code == 302  # the real open still counts
