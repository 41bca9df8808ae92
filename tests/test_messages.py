"""Messages: the recipient picker offers only people you have written with,
and the live count and inbox answer only the viewer's own messages."""

import pytest

from .conftest import PASSWORD


@pytest.fixture
def people(app, auth):
    for email in ("alice@example.com", "bob@example.com", "bea@example.com", "carol@example.com"):
        auth.create(email)
    auth.create("b%_x@example.com")
    return auth


def _write(client, auth, sender, to, body):
    auth.login(sender)
    response = client.post(
        "/messages", data={"recipient": to, "body": body, "csrf_token": auth.token()}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    auth.logout()


def _recipients(client, q):
    response = client.get("/api/messages/recipients", query_string={"q": q})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    return response.get_json()["recipients"]


def test_the_picker_lists_only_people_you_have_written_with(client, people):
    _write(client, people, "alice@example.com", "bob@example.com", "Lunch?")
    _write(client, people, "carol@example.com", "alice@example.com", "Hi Alice")

    people.login("alice@example.com")
    # both directions count, the most recent first
    assert _recipients(client, "") == ["carol@example.com", "bob@example.com"]
    assert _recipients(client, "B") == ["bob@example.com"]  # a prefix, any case
    # bea@ and b%_x@ have accounts, but Alice never wrote with them: not listed,
    # and LIKE's wildcards in the search are plain characters
    assert _recipients(client, "be") == []
    assert _recipients(client, "%") == [] and _recipients(client, "_") == []
    page = client.get("/messages").get_data(as_text=True)
    assert 'data-recipient="bob@example.com"' in page
    assert 'data-recipient="carol@example.com"' in page
    assert "bea@example.com" not in page and "b%_x@example.com" not in page
    people.logout()

    # a stranger who wrote to nobody is shown nobody, whatever he searches
    people.login("bea@example.com")
    for q in ("", "a", "b", "c", "@", "alice@example.com"):
        assert _recipients(client, q) == [], q
    assert "data-recipient" not in client.get("/messages").get_data(as_text=True)
    # someone new is reached by typing their exact email
    response = client.post(
        "/messages",
        data={"recipient": "Alice@example.com", "body": "Hello", "csrf_token": people.token()},
    )
    assert response.status_code == 302
    assert _recipients(client, "") == ["alice@example.com"]


def test_news_answers_the_viewers_own_count_and_messages(client, people):
    assert client.get("/api/messages/unread").status_code == 401
    _write(client, people, "bob@example.com", "alice@example.com", "one <b>bold</b>")
    _write(client, people, "bob@example.com", "alice@example.com", "two " + "x" * 200)
    _write(client, people, "alice@example.com", "carol@example.com", "to carol")

    people.login("alice@example.com")
    news = client.get("/api/messages/unread")
    assert news.headers["Cache-Control"] == "no-store, private"
    assert news.get_json() == {"unread": 2, "messages": []}  # no `after`: the count alone
    received = client.get("/api/messages/unread?after=0").get_json()["messages"]
    assert [(m["id"], m["sender"], m["read"]) for m in received] == [
        (1, "bob@example.com", False),
        (2, "bob@example.com", False),
    ]
    assert received[0]["body"] == "one <b>bold</b>"  # as text: the page sets it as text
    assert len(received[1]["body"]) == 81 and received[1]["body"].endswith("…")
    assert client.get("/api/messages/unread?after=1").get_json()["messages"][0]["id"] == 2
    # what Alice sent is not news to her; what she read no longer counts
    client.get("/messages/1")
    assert client.get("/api/messages/unread?after=2").get_json() == {"unread": 1, "messages": []}
    people.logout()

    # Carol sees only her own message; Bob has no news at all
    people.login("carol@example.com")
    assert client.get("/api/messages/unread?after=0").get_json()["unread"] == 1
    [only] = client.get("/api/messages/unread?after=0").get_json()["messages"]
    assert only["body"] == "to carol" and only["sender"] == "alice@example.com"
    people.logout()
    people.login("bob@example.com", PASSWORD)
    assert client.get("/api/messages/unread?after=0").get_json() == {"unread": 0, "messages": []}
    assert client.get("/api/messages/unread?after=x" + "9" * 30).status_code == 200
    assert client.get("/api/messages/unread?after=" + "9" * 30).status_code == 400
