"""Accounts: sign-up, login, throttling, safe redirects, logout, profile."""

import datetime as dt

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import User
from demo_app.security import is_safe_next

from .conftest import PASSWORD, AuthActions, csrf_from


def test_signup_creates_hashed_account_and_logs_in(client, app):
    token = csrf_from(client.get("/signup").get_data(as_text=True))
    response = client.post(
        "/signup",
        data={
            "email": "New@Example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "new@example.com" in page
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.email == "new@example.com"
        assert PASSWORD not in user.password_hash
        assert user.check_password(PASSWORD)
        assert user.external_id == f"user-{user.id}"


def test_signup_rejects_duplicate_and_short_password(client, auth):
    auth.create("alice@example.com")
    token = csrf_from(client.get("/signup").get_data(as_text=True))
    page = client.post(
        "/signup",
        data={
            "email": "ALICE@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        },
    ).get_data(as_text=True)
    assert "already exists" not in page
    assert "That email can&#39;t be used for a new account" in page
    page = client.post(
        "/signup",
        data={
            "email": "b@example.com",
            "password": "short",
            "confirm": "short",
            "csrf_token": token,
        },
    ).get_data(as_text=True)
    assert "8 characters or more" in page


def _sign_up(client, email):
    token = csrf_from(client.get("/signup").get_data(as_text=True))
    data = {"email": email, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    return client.post("/signup", data=data)


@pytest.mark.parametrize("app_settings", [{"SIGNUP_LIMIT_PER_HOUR": 3}])
def test_signup_attempts_are_throttled_per_address(app, client, auth):
    auth.create("taken@example.com")
    assert _sign_up(client, "taken@example.com").status_code == 200
    assert _sign_up(client, "new1@example.com").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    assert _sign_up(client, "taken@example.com").status_code == 200
    blocked = _sign_up(client, "maybe@example.com")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 3600
    assert 'href="/signup"' in blocked.get_data(as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert _sign_up(elsewhere, "maybe@example.com").status_code == 302


@pytest.mark.parametrize("app_settings", [{"ALLOW_SIGNUP": False}])
def test_signup_can_be_switched_off(client):
    response = client.get("/signup")
    assert response.status_code == 404
    assert "Sign-up is switched off" in response.get_data(as_text=True)
    assert 'href="/signup"' not in client.get("/login").get_data(as_text=True)


def test_login_success_and_logout(client, auth):
    auth.create()
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "alice@example.com" in client.get("/profile").get_data(as_text=True)
    assert auth.logout().status_code == 302
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_is_not_a_get(client, auth):
    auth.create()
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.get("/profile").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.com", "wrong password"), ("nobody@example.com", PASSWORD), ("", "")],
)
def test_login_failure(client, auth, email, password):
    auth.create()
    response = auth.login(email, password)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Wrong email or password" in page or "This field is required" in page
    assert client.get("/profile").status_code == 302


def test_unknown_email_costs_a_password_hash_like_a_known_one(client, auth, monkeypatch):
    """No timing difference between "no such account" and "wrong password"."""
    import werkzeug.security

    auth.create()
    auth.login("warm-up@example.com", "x")  # the first unknown email may make the dummy hash
    hashes = []
    real = werkzeug.security._hash_internal

    def counted(method, salt, password):
        hashes.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", counted)
    auth.login("alice@example.com", "wrong password")
    known = list(hashes)
    hashes.clear()
    auth.login("nobody@example.com", "wrong password")
    assert hashes == known and len(known) == 1


def test_failed_logins_are_throttled(client, auth):
    auth.create()
    for _ in range(5):
        assert auth.login(password="nope nope nope").status_code == 200
    blocked = auth.login()  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed logins" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) >= 1
    assert client.get("/profile").status_code == 302


def test_owner_logs_in_from_elsewhere_while_an_attacker_is_locked_out(client, app, auth):
    auth.create()
    for i in range(5):
        client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
        assert auth.login(password=f"guess {i}").status_code == 200
    assert auth.login(password="guess 5").status_code == 429
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.2"
    assert AuthActions(app, owner).login().status_code == 302


def test_colleague_behind_the_same_address_can_still_log_in(client, app, auth):
    auth.create()
    auth.create("bob@example.com")
    for i in range(5):
        auth.login(password=f"guess {i}")
    assert auth.login().status_code == 429
    colleague = app.test_client()  # same office NAT: same address
    assert AuthActions(app, colleague).login("bob@example.com").status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """The throttle's idea of now, moved by hand."""
    from demo_app import throttle
    from demo_app.models import utcnow

    now = [utcnow()]
    monkeypatch.setattr(throttle, "utcnow", lambda: now[0])

    def advance(seconds):
        now[0] += dt.timedelta(seconds=seconds)

    return advance


def test_lockout_of_one_pair_grows_and_is_capped(client, auth, clock):
    auth.create()
    for i in range(5):
        assert auth.login(password=f"guess {i}").status_code == 200
    waits = []
    for i in range(6):
        blocked = auth.login()
        assert blocked.status_code == 429
        wait = int(blocked.headers["Retry-After"])
        waits.append(wait)
        clock(wait)
        assert auth.login(password=f"more {i}").status_code == 200
    assert waits == [60, 120, 240, 480, 900, 900]


def test_successful_login_clears_the_pair(client, auth, clock):
    auth.create()
    for i in range(4):
        auth.login(password=f"guess {i}")
    assert auth.login().status_code == 302
    auth.logout()
    for i in range(4):
        assert auth.login(password=f"again {i}").status_code == 200


@pytest.mark.parametrize("app_settings", [{"LOGIN_LIMIT_PER_ADDRESS": 8}])
def test_one_address_has_a_ceiling_over_every_email(client, auth):
    auth.create()
    for i in range(8):
        assert auth.login(f"user{i}@example.com", "guess").status_code == 200
    blocked = auth.login()  # a new pair, right password: the address waits
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 600


@pytest.mark.parametrize("app_settings", [{"LOGIN_LIMIT_PER_ADDRESS": 50}])
def test_strangers_at_the_owners_address_do_not_lock_out_a_known_browser(app, client, auth):
    """Third attack pass, finding 8: 51 failed logins with random emails from
    one address locked the owner out behind the same address for 10 minutes.
    A browser that logged in to the account before keeps a signed cookie, and
    the address-wide ceiling does not apply to it; the pair limit still does."""
    auth.create()
    assert auth.login().status_code == 302
    assert "known_device" in client.get_cookie("known_device").key
    auth.logout()
    stranger = app.test_client()
    strangers = AuthActions(app, stranger)
    for i in range(51):
        strangers.login(f"random{i}@example.com", "guess")
    assert strangers.login().status_code == 429  # a new browser: the ceiling holds
    assert auth.login().status_code == 302  # the owner's browser gets in
    # The cookie names one account: for another email the ceiling holds.
    assert auth.login("other@example.com", "guess").status_code == 429
    # A forged or foreign cookie counts for nothing.
    stranger.set_cookie("known_device", client.get_cookie("known_device").value + "x")
    assert strangers.login().status_code == 429
    # The pair limit still applies to the known browser.
    auth.logout()
    for i in range(5):
        auth.login(password=f"guess {i}")
    assert auth.login().status_code == 429


def test_lockout_page_links_back_to_login(client, auth):
    auth.create()
    for i in range(5):
        auth.login(password=f"guess {i}")
    page = auth.login().get_data(as_text=True)
    card = page[page.index('class="card error-page"') :]
    card = card[: card.index("</section>")]
    assert "Too many failed logins" in card
    assert 'href="/login"' in card


def test_wrong_current_password_counts_as_a_failed_login(client, auth):
    auth.create()
    auth.login()
    for i in range(5):
        assert _change_password(client, current=f"guess {i}").status_code == 200
    response = _change_password(client)
    assert response.status_code == 429
    assert client.get("/profile").status_code == 200  # still logged in, password unchanged


def test_throttle_does_not_block_other_accounts_from_other_addresses(client, auth):
    auth.create()
    auth.create("bob@example.com")
    for _ in range(5):
        auth.login(password="bad password")
    client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert auth.login("bob@example.com").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "///evil.example",
        " //evil.example",
    ],
)
def test_login_does_not_follow_next_off_site(auth, target):
    auth.create()
    response = auth.login(next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_next_inside_site(auth):
    auth.create()
    response = auth.login(next="/profile?tab=1")
    assert response.headers["Location"] == "/profile?tab=1"


def test_login_page_keeps_next_from_query(client):
    page = client.get("/login?next=/profile").get_data(as_text=True)
    assert 'value="/profile"' in page


def test_is_safe_next_table():
    assert is_safe_next("/inspector/3")
    for bad in ["", None, "evil.example", "//x", "/\\x", "https://x/", "/\nx"]:
        assert not is_safe_next(bad)


def test_remember_me_sets_persistent_cookie(client, auth):
    auth.create()
    auth.login(remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.expires is not None
    assert cookie.http_only


def test_session_is_renewed_at_login(client, auth):
    auth.create()
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login()
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_csrf_rejected_without_token(client, auth):
    auth.create()
    response = client.post("/login", data={"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_csrf_rejected_on_logout_and_json(client, auth):
    auth.create()
    auth.login()
    assert client.post("/logout").status_code == 400
    assert client.get("/profile").status_code == 200


def test_profile_edits_external_id_with_validation(client, auth, app):
    auth.create()
    auth.create("bob@example.com")
    auth.login()
    token = auth.token()
    for bad in ["NULL", "all", "-1", "00000000-0000-0000-0000-000000000000", "has space"]:
        page = client.post("/profile", data={"external_id": bad, "csrf_token": token}).get_data(
            as_text=True
        )
        assert 'class="error"' in page, bad
    page = client.post("/profile", data={"external_id": "user-2", "csrf_token": token}).get_data(
        as_text=True
    )
    assert "Another account uses that external id" in page
    response = client.post("/profile", data={"external_id": "alice-42", "csrf_token": token})
    assert response.status_code == 302
    assert "alice-42" in client.get("/profile").get_data(as_text=True)


NEW_PASSWORD = "a brand new passphrase"
COOKIES = ("session", "remember_token")


def _cookie_values(client) -> dict:
    return {name: client.get_cookie(name).value for name in COOKIES if client.get_cookie(name)}


def _profile_with(app, name, value):
    """/profile as seen by another browser that holds only this one cookie."""
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief.get("/profile")


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_deletes_the_remember_cookie(client, auth):
    auth.create()
    auth.login(remember=True)
    response = auth.logout()
    [cookie] = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    ]
    assert "Expires=Thu, 01 Jan 1970" in cookie
    assert client.get_cookie("remember_token") is None
    assert _is_login_redirect(client.get("/profile"))


@pytest.mark.parametrize("name", COOKIES)
def test_cookies_from_before_logout_no_longer_log_in(app, client, auth, name):
    auth.create()
    auth.login(remember=True)
    copied = _cookie_values(client)[name]
    assert _profile_with(app, name, copied).status_code == 200
    auth.logout()
    assert _is_login_redirect(_profile_with(app, name, copied))


def test_login_cookie_differs_after_logout(client, auth):
    """The remember token is not a fixed function of the account."""
    auth.create()
    auth.login(remember=True)
    first = client.get_cookie("remember_token").value
    auth.logout()
    auth.login(remember=True)
    assert client.get_cookie("remember_token").value != first


def test_logging_out_on_the_laptop_leaves_the_phone_logged_in(app, client, auth):
    """Issue: one session token per account made a logout on the laptop log
    the phone's app out, and its registration POSTs arrived anonymous. Now a
    logout ends this browser's login only."""
    from demo_app.extensions import db
    from demo_app.models import UserDevice

    from .payloads import IOS_PAYLOAD

    auth.create()
    phone = app.test_client()
    AuthActions(app, phone).login(remember=True)
    auth.login(remember=True)  # the laptop
    laptop_cookies = _cookie_values(client)
    auth.logout()
    assert _is_login_redirect(client.get("/profile"))
    for name, value in laptop_cookies.items():  # a copy of the laptop's cookies
        assert _is_login_redirect(_profile_with(app, name, value)), name
    # The phone is still logged in, and its app's registration POST is linked.
    assert phone.get("/profile").status_code == 200
    answer = phone.post("/register", json=IOS_PAYLOAD)
    assert answer.json["user"] == "alice@example.com" and answer.json["device"]["linked"]
    with app.app_context():
        assert db.session.scalar(sa.select(UserDevice.user_id)) is not None


def test_log_out_everywhere_ends_other_browsers(app, client, auth):
    auth.create()
    phone = app.test_client()
    AuthActions(app, phone).login(remember=True)
    auth.login()
    page = client.get("/profile").get_data(as_text=True)
    assert 'action="/logout-everywhere"' in page
    response = client.post("/logout-everywhere", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert _is_login_redirect(client.get("/profile"))
    assert _is_login_redirect(phone.get("/profile"))


def _change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    data = {
        "current_password": current,
        "new_password": new,
        "confirm": new if confirm is None else confirm,
        "csrf_token": token,
    }
    return client.post("/profile/password", data=data)


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, auth):
    auth.create()
    auth.login(remember=True)
    before = _cookie_values(client)
    laptop = app.test_client()
    AuthActions(app, laptop).login()
    response = _change_password(client)
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert _is_login_redirect(laptop.get("/profile"))
    for name, value in before.items():
        assert _is_login_redirect(_profile_with(app, name, value)), name
    renewed = client.get_cookie("remember_token").value
    assert renewed != before["remember_token"]
    assert _profile_with(app, "remember_token", renewed).status_code == 200
    assert auth.logout().status_code == 302
    assert auth.login(password=PASSWORD).status_code == 200  # the old one is refused
    assert auth.login(password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "error"),
    [
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "current password is wrong"),
        (PASSWORD, NEW_PASSWORD, "something else", "The passwords differ"),
        (PASSWORD, "short", "short", "8 characters or more"),
    ],
)
def test_password_change_refused(app, client, auth, current, new, confirm, error):
    auth.create()
    auth.login()
    response = _change_password(client, current, new, confirm)
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("next_url", "lands"),
    [("/onesignal", "/onesignal"), ("https://evil.example/x", "/"), ("//evil.example", "/")],
)
def test_signup_keeps_next_within_the_site(client, auth, next_url, lands):
    """The hub's "Log in" link carries ?next; signing up instead of logging in
    lands there too, and never on another site."""
    page = client.get("/login", query_string={"next": next_url}).get_data(as_text=True)
    assert "/signup?next=" in page  # the login page's sign-up link passes it on
    form = client.get("/signup", query_string={"next": next_url}).get_data(as_text=True)
    token = csrf_from(form)
    assert 'name="next"' in form
    response = client.post("/signup", data={"email": "new@example.com", "password": PASSWORD,
                                            "confirm": PASSWORD, "next": next_url,
                                            "csrf_token": token})  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == lands
