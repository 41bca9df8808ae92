"""Property: whatever is thrown at the receiver, no 5xx, and every body under
the limit is stored byte for byte."""

import io

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo_app.extensions import db
from demo_app.models import Capture

LIMIT = 4096
header_names = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
    min_size=1,
    max_size=20,
).filter(lambda n: n.lower() not in {"content-length", "transfer-encoding", "host", "content-type"})
header_values = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80
).map(str.strip)
content_types = st.one_of(
    st.sampled_from(
        ["application/json", "application/json; charset=UTF-8", "text/plain",
         "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
         "multipart/form-data", "application/octet-stream", "", "text/json", "application/ld+json"]
    ),
    header_values,
)  # fmt: skip
bodies = st.one_of(
    st.binary(max_size=LIMIT + 200),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=30,
    ).map(lambda v: __import__("json").dumps(v).encode()),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=bodies,
    content_type=content_types,
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    label=st.one_of(st.none(), st.text(max_size=70)),
)
def test_receiver_never_fails_and_keeps_bodies(app, client, body, content_type, headers, label):
    app.config["REGISTER_MAX_BYTES"] = LIMIT
    path = "/register" if label is None else "/register/" + label.replace("?", "").replace("#", "")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Capture))
    # input_stream sends the bytes as they are (data= would build a form body)
    response = client.post(
        path,
        input_stream=io.BytesIO(body),
        content_length=len(body),
        headers=[("Content-Type", content_type), *headers],
    )
    assert response.status_code < 500
    capture_id = response.json["capture_id"]
    with app.app_context():
        capture = db.session.get(Capture, capture_id)
        assert capture.body_size == len(body)
        if len(body) <= LIMIT:
            assert capture.body == body
        else:
            assert response.status_code == 413 and capture.body is None
        # one request, one capture: never none, never two
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Capture)) == before + 1
