"""OneSignal's answers, read as OneSignal means them: every shape of a Create
message answer its API clients model (onesignal-python-api, onesignal-node-api
CreateNotificationSuccessResponse, GenericError, InvalidIdentifierError,
Notification200Errors), Retry-After in full, `received` as a paid-plan field
and subscription types named as OneSignal names them. All through the site's
pages and the local stand-in (tests/standin.py)."""

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.jobs import run_due_jobs
from demo_app.models import Job, PushLog, utcnow

from .payloads import IOS_PAYLOAD, PLAYER, V5_PAYLOAD
from .standin import (
    Reply,
    error_objects,
    error_strings,
    invalid_external_user_ids,
    not_subscribed,
    onesignal_settings,
    opted_out,
    opted_out_as_list,
    subscription,
    user,
)

V5_PLAYER = V5_PAYLOAD["subscription"]["id"]


@pytest.fixture
def app_settings(standin):
    return {
        **onesignal_settings(standin.url),
        "ONESIGNAL_TIMEOUT": 1.0,
        "ONESIGNAL_MAX_RETRIES": 2,
        "ONESIGNAL_DEADLINE": 3.0,
    }


@pytest.fixture
def alice(auth):
    auth.create("alice@example.com")  # external id user-1
    auth.login("alice@example.com")
    auth.post_json("/api/devices", IOS_PAYLOAD)
    auth.post_json("/api/devices", V5_PAYLOAD)
    return auth


def result_words(page: str) -> str:
    """What the send result says, as a person reads it: the headline, the
    summary and the hints, without the folded request and raw answer."""
    section = page.split('<section class="card result"', 1)[1].split("<details", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", section))


def send(client, auth, **fields):
    data = {"target": "devices", "title": "Hi", "message": "Test push", "url": "",
            "csrf_token": auth.token(), **fields}  # fmt: skip
    response = client.post("/send-to-me", data=data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


SHAPES = [
    # (name, target, answer, words the result must say)
    ("opted out, sent", "external_id", opted_out("user-1", 3),
     ["Sent to external id user-1", "Sent; 3 of user-1's subscriptions are unsubscribed.",
      "Unsubscribed: notifications turned off for the app on that device"]),
    ("one opted out, sent", "external_id", opted_out("user-1", 1),
     ["Sent; 1 of user-1's subscriptions is unsubscribed."]),
    ("opted out, nothing sent", "external_id", opted_out("user-1", 2, sent=False),
     ["Nothing was sent: user-1 has no subscription that can get push (2 subscriptions, "
      "all unsubscribed)."]),
    ("invalid_aliases as a list", "external_id", opted_out_as_list("user-1", 2),
     ["Sent; 2 of user-1's subscriptions are unsubscribed."]),
    ("invalid_player_ids, sent", "devices", not_subscribed(PLAYER),
     [f"Sent; 1 subscription named is not subscribed: {PLAYER}."]),
    ("no player subscribed", "devices", not_subscribed(PLAYER, V5_PLAYER, sent=False),
     ["Nothing was sent. OneSignal says: All included players are not subscribed"]),
    ("legacy invalid_external_user_ids", "external_id", invalid_external_user_ids("user-1"),
     ["Sent; no subscribed device has external id user-1."]),
    ("a list holding an object, no id", "devices",
     error_objects(("invalid-targets", "No recipients matched")),
     ["Nothing was sent. OneSignal says: No recipients matched (invalid-targets)"]),
    ("a list holding an object, with an id", "devices",
     error_objects(("partial", "Some recipients were dropped"), sent=True),
     ["Sent; Some recipients were dropped (partial)."]),
    ("strings, no id", "devices", error_strings("Message Notifications must have English "
                                                "language content"),
     ["Nothing was sent. OneSignal says: Message Notifications must have English language "
      "content"]),
    ("one string, no id", "devices", {"id": "", "errors": "Notification content is missing"},
     ["Nothing was sent. OneSignal says: Notification content is missing"]),
    ("an object of another kind", "devices",
     {"id": "", "errors": {"invalid_template": {"detail": "Template not found"}}},
     ["Nothing was sent. OneSignal says: invalid template: Template not found"]),
    ("no id, no errors", "devices", {"id": "", "external_id": None},
     ["Nothing was sent. OneSignal gave no reason."]),
    ("an id and empty errors", "devices", {"id": "n-1", "errors": []}, ["Sent to 2 devices"]),
    ("odd items", "devices", {"id": "", "errors": [None, 7, {"code": "x"}, ["y", {"title": "z"}]]},
     ["Nothing was sent. OneSignal says: 7; x; y, z"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "target", "answer", "words"), SHAPES,
                         ids=[s[0] for s in SHAPES])  # fmt: skip
def test_every_create_answer_shape_is_read(client, alice, standin, name, target, answer, words):
    standin.queue(Reply(200, answer))
    said = result_words(send(client, alice, target=target))
    for expected in words:
        assert expected in said, (name, said)
    # never a raw object, never one name per subscription, never the old wrong hint
    assert "{" not in said and "'code'" not in said
    assert "user-1, user-1" not in said and "never set on any device" not in said


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (error_objects(("bad-request", "include_aliases is malformed")),
         "OneSignal refused the request (HTTP 400): include_aliases is malformed (bad-request)"),
        ({"errors": {"invalid_aliases": {"external_id": ["user-1"]}}},
         "OneSignal refused the request (HTTP 400): user-1 has no subscription that can get push"),
        ({"errors": "Bad things"}, "OneSignal refused the request (HTTP 400): Bad things"),
    ],
)  # fmt: skip
def test_refusals_in_every_shape_are_words(client, alice, standin, answer, words):
    standin.queue(Reply(400, answer))
    said = result_words(send(client, alice))
    assert words in said and "{" not in said


def test_a_huge_answer_is_summed_up(client, alice, standin):
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(5000)]
    standin.queue(Reply(200, {"id": "n-1", "errors": {"invalid_player_ids": ids + ids}}))
    said = result_words(send(client, alice))
    assert "Sent; 5000 subscriptions named are not subscribed: " in said
    assert f"{ids[9]} and 4990 more." in said and ids[10] not in said
    standin.queue(Reply(200, error_strings(*[f"reason {i}" for i in range(5000)])))
    said = result_words(send(client, alice))
    assert "OneSignal says: reason 0; " in said and "reason 9" in said and "reason 10" not in said


def test_the_stand_in_answers_as_onesignal_for_opted_out_subscriptions(client, alice, standin):
    """Without a queued answer: OneSignal's own reading of the user it knows."""
    standin.users["user-1"] = user(
        "user-1",
        subscription(PLAYER),
        subscription(V5_PLAYER, "AndroidPush", enabled=False, notification_types=-2),
        subscription("cccccccc-0000-4000-8000-00000000cccc", notification_types=0),
    )
    said = result_words(send(client, alice, target="external_id"))
    assert "Sent; 2 of user-1's subscriptions are unsubscribed." in said
    standin.users["user-1"]["subscriptions"][0]["enabled"] = False
    said = result_words(send(client, alice, target="external_id"))
    assert (
        "Nothing was sent: user-1 has no subscription that can get push (3 subscriptions, "
        "all unsubscribed)." in said
    )
    standin.unsubscribed.add(PLAYER)
    said = result_words(send(client, alice))
    assert f"Sent; 1 subscription named is not subscribed: {PLAYER}." in said


# Retry-After, in full


def test_a_two_minute_retry_after_is_waited_in_full_by_the_job_runner(
    client, alice, standin, app, monkeypatch
):
    slept = []
    monkeypatch.setattr("demo_app.onesignal.client.time.sleep", slept.append)
    standin.queue(Reply(429, error_strings("API rate limit exceeded."),
                        headers={"Retry-After": "120"}))  # fmt: skip
    said = result_words(send(client, alice))
    assert "sent again in 2 min by the background runner, as OneSignal asked" in said
    assert max(slept, default=0) < 1  # (the stand-in sleeps 0 s per answer)
    with app.app_context():
        job = db.session.scalar(sa.select(Job).where(Job.kind == "push_retry"))
        wait = (job.run_at - job.created_at).total_seconds()
        assert 119 <= wait <= 121  # the full wait, not 30 s
        assert run_due_jobs() == 0  # not before it is over
        # OneSignal asks for 10 more minutes: the runner does not sleep, it queues again
        job.run_at = utcnow()
        db.session.commit()
    standin.queue(Reply(429, error_strings("API rate limit exceeded."),
                        headers={"Retry-After": "600"}))  # fmt: skip
    with app.app_context():
        assert run_due_jobs() == 1
        again = db.session.scalars(
            sa.select(Job).where(Job.kind == "push_retry", Job.status == "queued")
        ).one()
        assert 599 <= (again.run_at - utcnow()).total_seconds() <= 601
        again.run_at = utcnow()
        db.session.commit()
        assert run_due_jobs() == 1
        outcomes = db.session.scalars(sa.select(PushLog.outcome).order_by(PushLog.id)).all()
    assert max(slept, default=0) < 1  # (the stand-in sleeps 0 s per answer)
    assert outcomes == ["rate_limited", "rate_limited", "sent"]
    keys = {r["body"]["idempotency_key"] for r in standin.requests}
    assert len(standin.requests) == 3 and len(keys) == 1


def test_retry_after_as_a_date(client, alice, standin, app, monkeypatch):
    from email.utils import format_datetime

    monkeypatch.setattr("demo_app.onesignal.client.time.sleep", lambda s: None)
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=300)
    standin.queue(Reply(429, error_strings("API rate limit exceeded."),
                        headers={"Retry-After": format_datetime(when, usegmt=True)}))  # fmt: skip
    said = result_words(send(client, alice))
    assert re.search(r"sent again in (4 min 5\d s|5 min) by the background runner", said), said


def test_a_lookup_tells_the_real_wait_and_waits_it(client, alice, standin):
    standin.queue(Reply(429, error_strings("Rate limit"), {"Retry-After": "120"}, method="GET"))
    page = client.get("/onesignal/user-panel").get_data(as_text=True)
    assert "rate limit was reached (HTTP 429): ask again in 2 min." in page
    # asked again moments later: OneSignal said two minutes, so it is not asked
    again = client.get("/onesignal/user-panel").get_data(as_text=True)
    assert re.search(r"ask again in (2 min|1 min 5\d s)\.", again)
    assert len(standin.paths()) == 1


# received: a paid-plan field


def test_received_zero_on_a_free_plan_is_not_recorded_not_zero(client, alice, standin):
    send(client, alice)
    page = client.get("/notifications").get_data(as_text=True)
    assert "handed to Apple/Google: 2" in page
    assert "confirmed on the phone: not recorded (a paid OneSignal feature)" in page
    assert "confirmed on the phone: 0" not in page and "received 0" not in page
    assert "received not recorded (a paid OneSignal feature)" in page


def test_received_on_a_paid_plan_is_shown(client, alice, standin, app):
    send(client, alice)
    message_id = next(iter(standin.created))
    standin.stats[message_id] = {"received": 2}
    page = client.get("/notifications").get_data(as_text=True)
    assert "confirmed on the phone: 2" in page


def test_nothing_handed_over_says_nothing_about_received(client, alice, standin):
    send(client, alice)
    standin.stats[next(iter(standin.created))] = {"successful": 0, "failed": 2}
    page = client.get("/notifications").get_data(as_text=True)
    assert "unsubscribed: 2" in page and "confirmed on the phone" not in page


# Subscription types


def test_subscription_types_are_named_as_onesignal_names_them(client, alice, standin):
    standin.users["user-1"] = user(
        "user-1",
        subscription("aaaaaaaa-0000-4000-8000-0000000fire", "FireOSPush"),
        subscription("aaaaaaaa-0000-4000-8000-000000macos", "macOSPush"),
        subscription("aaaaaaaa-0000-4000-8000-00000vision", "VisionOSPush"),
        subscription("aaaaaaaa-0000-4000-8000-0000000mail", "Email"),
        subscription("aaaaaaaa-0000-4000-8000-00000000wa1", "WhatsApp"),
    )
    page = html.unescape(client.get("/onesignal/user-panel").get_data(as_text=True))
    assert "OneSignal links 3 push subscriptions to external id user-1; 3 can get push." in page
    for name in ("Fire OS", "macOS", "VisionOSPush", "email", "WhatsApp"):
        assert f"<strong>{name}</strong>" in page
    assert "?" not in re.sub(r"<[^>]+>", "", page.split("<details")[0])
