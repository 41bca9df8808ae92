"""What OneSignal says, asked through the site's client against the local
stand-in: a push's delivery counts (View message), the subscriptions linked
to an external id (View user) and the external id of a device (identity by
subscription); and the simulated phone's feed of pushes."""

import datetime as dt
import logging

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import PushLog, utcnow

from .payloads import IOS_PAYLOAD, PLAYER, V5_PAYLOAD
from .standin import Reply, subscription, user

APP_ID = "11111111-2222-4333-8444-555555555555"
API_KEY = "os_v2_app_SECRETKEY0123456789"
V5_PLAYER = V5_PAYLOAD["subscription"]["id"]
BOB_PLAYER = "bbbbbbbb-0000-4000-8000-00000000bbbb"


@pytest.fixture
def app_settings(standin):
    return {
        "ONESIGNAL_API_URL": standin.url,
        "ONESIGNAL_APP_ID": APP_ID,
        "ONESIGNAL_API_KEY": API_KEY,
        "ONESIGNAL_TIMEOUT": 1.0,
        "ONESIGNAL_MAX_RETRIES": 0,
    }


@pytest.fixture
def alice(auth):
    auth.create("alice@example.com")
    auth.create("bob@example.com")
    auth.login("bob@example.com")
    auth.post_json("/api/devices", {**IOS_PAYLOAD, "oneSignalUserId": BOB_PLAYER})
    auth.logout()
    auth.login("alice@example.com")
    auth.post_json("/api/devices", IOS_PAYLOAD)
    auth.post_json("/api/devices", V5_PAYLOAD)
    return auth


def send(client, auth, **fields):
    data = {"target": "devices", "title": "Hello", "message": "Test push", "url": "",
            "csrf_token": auth.token(), **fields}  # fmt: skip
    return client.post("/send-to-me", data=data).get_data(as_text=True)


def gets(standin, part):
    return [r for r in standin.requests if r["method"] == "GET" and part in r["path"]]


def text(response):
    return response.get_data(as_text=True)


# View message: the counts on /notifications


def test_notifications_shows_the_counts_in_words(client, alice, standin):
    send(client, alice)
    message_id = standin.requests[0]["body"] and next(iter(standin.created))
    standin.taps[message_id] = 1
    page = text(client.get("/notifications"))
    assert "handed to Apple/Google: 2 · unsubscribed: 0 · errors: 0 · tapped: 1" in page
    [asked] = gets(standin, "/notifications/")
    assert asked["path"] == f"/notifications/{message_id}?app_id={APP_ID}"
    assert asked["headers"]["Authorization"] == f"Key {API_KEY}"
    assert "iOS: successful 2" in page or "Android: successful 2" in page


def test_counts_are_asked_once_per_interval_across_page_opens(client, alice, standin, app):
    send(client, alice)
    client.get("/notifications")
    client.get("/notifications")  # another tab, or another host: same database
    assert len(gets(standin, "/notifications/")) == 1
    with app.app_context():  # the interval has passed
        past = utcnow() - dt.timedelta(seconds=app.config["PUSH_STATS_INTERVAL"] + 1)
        db.session.execute(sa.update(PushLog).values(stats_checked_at=past))
        db.session.commit()
    client.get("/notifications")
    assert len(gets(standin, "/notifications/")) == 2


def test_old_pushes_are_not_asked_when_the_page_opens(client, alice, standin, app):
    send(client, alice)
    with app.app_context():
        db.session.execute(sa.update(PushLog).values(created_at=utcnow() - dt.timedelta(hours=25)))
        db.session.commit()
    page = text(client.get("/notifications"))
    assert gets(standin, "/notifications/") == []
    assert "Ask OneSignal for the counts" in page  # on demand it still can


def test_ask_again_button(client, alice, standin, app):
    send(client, alice)
    with app.app_context():
        push_id = db.session.scalar(sa.select(PushLog.id))
    client.get("/notifications")
    # without the CSRF token: refused, nothing asked
    assert client.post(f"/notifications/{push_id}/refresh").status_code == 400
    response = client.post(f"/notifications/{push_id}/refresh", data={"csrf_token": alice.token()},
                           follow_redirects=True)  # fmt: skip
    assert "moments ago: ask again in" in text(response)
    assert len(gets(standin, "/notifications/")) == 1
    with app.app_context():
        db.session.execute(sa.update(PushLog).values(stats_checked_at=None))
        db.session.commit()
    standin.stats[next(iter(standin.created))] = {"failed": 1}
    response = client.post(f"/notifications/{push_id}/refresh", data={"csrf_token": alice.token()},
                           follow_redirects=True)  # fmt: skip
    assert "unsubscribed: 1" in text(response)


def test_another_accounts_push_cannot_be_refreshed(client, alice, standin, app, auth):
    send(client, alice)
    with app.app_context():
        push_id = db.session.scalar(sa.select(PushLog.id))
    auth.logout()
    auth.login("bob@example.com")
    mine = client.post(f"/notifications/{push_id}/refresh", data={"csrf_token": auth.token()})
    missing = client.post("/notifications/999999/refresh", data={"csrf_token": auth.token()})
    assert mine.status_code == missing.status_code == 404
    assert gets(standin, "/notifications/") == []


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(401, {"errors": ["Access denied"]}, method="GET"), "OneSignal refused the API key"),
        (Reply(429, {"errors": ["Rate limit"]}, {"Retry-After": "7"}, method="GET"),
         "rate limit was reached (HTTP 429): ask again in 7 s"),
        (Reply(404, {"errors": ["Couldn't find"]}, method="GET"), "OneSignal has no message"),
    ],
)  # fmt: skip
def test_view_message_errors_are_explained(client, alice, standin, reply, words):
    send(client, alice)
    standin.queue(reply)
    page = text(client.get("/notifications"))
    assert words in page
    assert API_KEY not in page


# View user: the profile and the OneSignal page


def test_user_panel_lists_linked_subscriptions(client, alice, standin):
    standin.users["user-1"] = user(
        "user-1",
        subscription(PLAYER),
        subscription(V5_PLAYER, "AndroidPush", enabled=False, notification_types=-2,
                     model="Pixel 8"),
    )  # fmt: skip
    page = text(client.get(f"/onesignal/user-panel?device={PLAYER}"))
    assert "OneSignal links 2 push subscriptions to external id user-1; 1 can get push." in page
    assert "…00abcd" in page and "this device" in page and "enabled" in page
    assert "unsubscribed (the user turned push off" in page
    assert page.count("this device") == 1
    [asked] = gets(standin, "/users/by/external_id/")
    assert asked["path"] == f"/apps/{APP_ID}/users/by/external_id/user-1"


def test_user_panel_explains_unknown_external_id(client, alice, standin):
    page = text(client.get("/onesignal/user-panel"))
    assert "OneSignal has no user with external id user-1: the app has not set it yet" in page


@pytest.mark.parametrize(
    ("status", "words"),
    [(401, "OneSignal refused the API key (401/403)"), (403, "not an Organization key"),
     (429, "rate limit was reached (HTTP 429)"), (503, "temporarily unavailable (HTTP 503)")],
)  # fmt: skip
def test_user_panel_explains_errors(client, alice, standin, status, words, caplog):
    caplog.set_level(logging.DEBUG)
    standin.queue(Reply(status, {"errors": ["no"]}, method="GET"))
    page = text(client.get("/onesignal/user-panel"))
    assert words in page
    assert API_KEY not in page and API_KEY not in caplog.text


def test_user_panel_when_not_configured(client, alice, standin, app):
    app.config["ONESIGNAL_API_KEY"] = ""
    page = text(client.get("/onesignal/user-panel"))
    assert "nothing was asked. It would ask: GET" in page
    assert "/users/by/external_id/user-1" in page
    assert standin.requests == [] or gets(standin, "/users/") == []


def test_profile_page_loads_the_panel(client, alice):
    page = text(client.get("/profile"))
    assert 'data-panel="/onesignal/user-panel' in page


# Identity by subscription: only for the viewer's own device


def test_identity_of_my_device(client, alice, standin):
    standin.identities[PLAYER] = {"external_id": "user-1", "onesignal_id": "os-1"}
    answer = client.get(f"/api/onesignal/identity?subscription_id={PLAYER}").get_json()
    assert answer["text"] == "OneSignal ties this device to external id user-1."
    assert answer["matches"] is True
    [asked] = gets(standin, "/user/identity")
    assert asked["path"] == f"/apps/{APP_ID}/subscriptions/{PLAYER}/user/identity"


def test_identity_unknown_to_onesignal(client, alice, standin):
    answer = client.get(f"/api/onesignal/identity?subscription_id={V5_PLAYER}").get_json()
    assert answer["outcome"] == "not_found" and "has no subscription" in answer["text"]


def test_identity_of_someone_elses_device_is_a_404(client, alice, standin):
    theirs = client.get(f"/api/onesignal/identity?subscription_id={BOB_PLAYER}")
    missing = client.get("/api/onesignal/identity?subscription_id=00000000-0000-4000-8000-0")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json() == missing.get_json()
    assert gets(standin, "/user/identity") == []
    assert client.get("/api/onesignal/identity?subscription_id=a%2Fb").status_code == 400


# The simulated phone's feed and the send result's headline


def test_simulated_phone_gets_pushes_for_its_id_only(client, alice, standin):
    send(client, alice, simulated=PLAYER)
    feed = client.get(f"/api/simulated-pushes?subscription_id={PLAYER}").get_json()
    [push] = feed["pushes"]
    assert (push["title"], push["message"], push["app"]) == ("Hello", "Test push", "Push Lab")
    assert push["targetUrl"].startswith("http://localhost/notifications?opened=")
    again = client.get(f"/api/simulated-pushes?subscription_id={PLAYER}&after={feed['after']}")
    assert again.get_json()["pushes"] == []
    # another account's device is answered like one that does not exist
    theirs = client.get(f"/api/simulated-pushes?subscription_id={BOB_PLAYER}")
    nobody = "00000000-0000-4000-8000-000000000000"
    missing = client.get(f"/api/simulated-pushes?subscription_id={nobody}")
    assert theirs.get_json() == missing.get_json() == {"pushes": [], "after": 0, "linked": False}


def test_send_result_leads_with_what_happened(client, alice, standin, app):
    assert "Arrived on your simulated phone · sent through OneSignal" in send(
        client, alice, simulated=PLAYER
    )
    assert "Sent to 2 devices" in send(client, alice)
    # a simulated id that is not this account's device is not "your phone"
    assert "Sent to 2 devices" in send(client, alice, simulated=BOB_PLAYER)
    app.config["ONESIGNAL_API_KEY"] = ""
    page = send(client, alice, simulated=PLAYER)
    assert "Arrived on your simulated phone" in page
    assert "so real phones get nothing" in page
    assert '<details class="view setup"><summary>Setting up OneSignal' in page
    assert '<details class="view" open' not in page
    feed = client.get(f"/api/simulated-pushes?subscription_id={PLAYER}").get_json()
    assert len(feed["pushes"]) == 4  # each named PLAYER; sent or not, the phone shows it


def test_simulated_phone_gets_the_delivered_order(client, alice, standin, app):
    from demo_app.jobs import run_due_jobs

    app.config["ORDER_DELAY_SECONDS"] = 0
    client.post("/orders", data={"csrf_token": alice.token()})
    with app.app_context():
        assert run_due_jobs() == 1  # the background runner's turn
    feed = client.get(f"/api/simulated-pushes?subscription_id={V5_PLAYER}").get_json()
    [push] = feed["pushes"]
    assert push["title"] == "Your order was delivered"
    assert push["targetUrl"].startswith("http://localhost/orders?opened=")


def test_history_says_how_each_open_was_learnt(client, alice, standin):
    send(client, alice)
    target = standin.requests[0]["body"]["data"]["targetUrl"]
    client.get(target.replace("http://localhost", ""))
    alice.post_json("/api/push-opened", {"targetUrl": target})  # the same tap
    page = text(client.get("/notifications"))
    assert "Opened 1 time" in page and "1 by its link and the listener (one tap)" in page
    alice.post_json("/api/push-opened", {"targetUrl": target}, headers={"User-Agent": "tablet"})
    page = text(client.get("/notifications"))
    assert "Opened 2 times" in page
    assert (
        "1 by its link and the listener (one tap), 1 by the app&#39;s pushOpened listener" in page
    )


def test_a_slow_onesignal_never_holds_the_history_page(client, alice, standin, app, monkeypatch):
    from demo_app.push import stats

    monkeypatch.setattr(stats, "PAGE_BUDGET", 0.6)
    app.config["ONESIGNAL_TIMEOUT"] = 0.5
    for _ in range(3):
        send(client, alice)
    standin.queue(*[Reply(200, {"id": "x"}, delay=1.0, method="GET")] * 3)
    page = text(client.get("/notifications"))
    assert "did not answer within 0.5 s" in page
    # the first question used up the page's budget: the others wait for the next open
    assert len(gets(standin, "/notifications/")) == 1
