"""Removing a member offers the endpoint a new URL in one click: they may
still know the old one (third attack pass, minor finding)."""

import re

import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Endpoint, User


def test_removing_a_member_offers_a_new_url(app, client, auth):
    auth.create()
    auth.create("bob@example.com")
    old = auth.endpoint(members=["bob@example.com"])
    auth.login()
    with app.app_context():
        bob = db.session.scalar(sa.select(User.id).where(User.email == "bob@example.com"))
    removed = client.post(f"/endpoints/1/members/{bob}/remove", data={"csrf_token": auth.token()})
    assert removed.status_code == 302
    page = client.get(removed.headers["Location"]).get_data(as_text=True)
    assert "may still know this endpoint's URL" in page
    form = re.search(r'<form method="post" action="(/endpoints/1/new-url)"', page)
    assert form, "no one-click new URL"
    assert client.post(form.group(1), data={"csrf_token": auth.token()}).status_code == 302
    with app.app_context():
        new = "/r/" + db.session.scalar(sa.select(Endpoint.token))
    assert new != old
    assert client.post(old, json={}).status_code == 404  # what Bob knew is dead
    assert client.post(new, json={}).status_code == 200
    # An ordinary visit to the page offers nothing.
    assert "may still know" not in client.get("/endpoints/1").get_data(as_text=True)
