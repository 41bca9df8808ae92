"""The payloads real GoNative / Median apps send (tests/corpus), read as the
research behind them says (`expect` in each file, FINDINGS.md): through the
shared vectors, and as registration POSTs sent to the receiver byte for byte
with their headers."""

import json

import pytest
import sqlalchemy as sa

from demo_app.devices.info import message, normalise
from demo_app.extensions import db
from demo_app.models import Capture
from demo_app.receiver.parsing import NOTE_CODES

from .rawhttp import exchange, served
from .vectors import CORPUS, corpus_file, corpus_payload, info_vectors

FILES = sorted(path.name for path in CORPUS.glob("*.json"))
REGISTRATIONS = [name for name in FILES if corpus_file(name)["kind"] == "registration"]
# The corpus's warning tags and the site's warning codes.
TAGS = {
    "consent_blocking": "consent-required",
    "not_subscribed": "not-subscribed",
    "no_subscription_id": "no-subscription-id",
    "no_push_token": "no-token",
    "id_not_uuid": "subscription-id-not-uuid",
    "user_id_as_subscription_id": "user-id-as-subscription-id",
    "ios_registration_subscribed_flag_unreliable": "ios-subscribed-flag-unreliable",
}
CONSENT = {
    "absent": {None},
    "android_not_granted_yet": {"not-recorded", "granted"},
    "ios_required_and_not_granted": {"blocking", "not-blocking"},
    "v5_unconfirmed": {"blocking", "not-blocking", "granted", "unknown"},
}


def codes_wanted(expect: dict) -> tuple[set, set]:
    """(codes that must appear, codes that must not)."""
    must = {TAGS[tag] for tag in expect["warnings_should_include"]}
    must_not = {TAGS[tag] for tag in expect["warnings_must_not_include"]}
    if expect.get("token_reported_by_build") is False:
        must.add("token-not-reported")
        must_not.add("no-token")
    return must, must_not


@pytest.mark.parametrize("name", FILES)
def test_each_corpus_file_is_a_vector_that_agrees_with_its_expect_block(name):
    """The shared vectors (run by Python and by the page) carry every corpus
    payload, and what they expect is what the research found."""
    document = corpus_file(name)
    expect = document["expect"]
    [vector] = [v for v in info_vectors() if v.get("corpus") == name]
    assert vector["kind"] == document["kind"] and vector["input"] == corpus_payload(document)
    wanted = vector["expected"]
    for key in ("platform", "shape", "subscription_id", "push_token", "subscribed"):
        assert wanted[key] == expect[key], key
    assert wanted["onesignal_id"] == expect.get("onesignal_id")
    assert wanted["external_id"] == expect.get("external_id")
    assert wanted["custom_data"] == expect.get("custom_data", {})
    assert wanted["consent"] in CONSENT[expect["consent_flag_meaning"]]
    must, must_not = codes_wanted(expect)
    assert must <= set(vector["warnings"]) and not must_not & set(vector["warnings"])


def raw_request(document: dict) -> bytes:
    """The corpus request as the app writes it, to /register instead of the
    made-up endpoint URL: same headers in the same order, same body bytes."""
    request = document["request"]
    lines = [b"POST /register HTTP/1.1"]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in request["headers"]]
    return b"\r\n".join(lines) + b"\r\n\r\n" + request["body"].encode()


@pytest.mark.parametrize("app_settings", [{"SITE_URL": "https://pushlab.example.com"}])
@pytest.mark.parametrize("name", REGISTRATIONS)
def test_registration_corpus_is_understood_as_sent(app, name):
    document = corpus_file(name)
    expect = document["expect"]
    body = document["request"]["body"].encode()
    with served(app) as server:
        status, answer = exchange(server, raw_request(document))
    assert status == 200, answer
    answer = json.loads(answer)
    understood = answer["understood"]
    assert understood["platform"] == expect["platform"]
    assert understood["subscription_id"] == expect["subscription_id"]
    assert understood["push_token"] == expect["push_token"]
    assert understood["subscribed"] is expect["subscribed"]
    assert understood["custom_data"] == expect["custom_data"]
    device = answer["device"]
    assert (device and device["subscription_id"]) == expect["subscription_id"]
    # The warnings in words: those the research calls for, none it rules out.
    info = normalise(json.loads(body), kind="registration")
    must, must_not = codes_wanted(expect)
    said = set(answer["warnings"])
    assert {message(code, info) for code in must} <= said
    assert not {message(code, info) for code in must_not} & said
    with app.app_context():
        capture = db.session.get(Capture, answer["capture_id"])
        # answered 200; "warning" when something is wrong, not for mere notes
        wrong = set(info.codes) - set(NOTE_CODES)
        assert capture.body == body and capture.status == ("warning" if wrong else "ok")
        sent = [name for name, _ in document["request"]["headers"]]
        assert [name for name, _ in capture.headers] == sent
        assert capture.content_type == dict(document["request"]["headers"])["Content-Type"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Capture)) == 1
