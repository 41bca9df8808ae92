"""The QA inspector: every request the receiver got, as pages and as JSON."""

from __future__ import annotations

import json
import re

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from ..endpoints.routes import start_context
from ..endpoints.service import access_for, endpoints_of
from ..extensions import db
from ..ids import MAX_ID, out_of_range, parse_id
from ..models import Capture
from ..receiver import forward
from ..receiver.store import delete_captures
from . import bp
from .queries import (
    MAX_LIMIT,
    PLATFORMS,
    STATUSES,
    Filters,
    labels_in_use,
    neighbour,
    newest_first,
)
from .queries import oldest_first_after as tail
from .views import (
    COMPARE_MAX_ROWS,
    HAR_CREATOR,
    body_text,
    can_see_secrets,
    compare,
    curl_command,
    form_view,
    forward_views,
    gonative_view,
    har_entry,
    hexdump,
    pretty_json,
    query_pairs,
    shown_cookies,
    shown_headers,
    to_api,
)

PAGE_SIZE = 50


def _int_arg(name: str, default: int | None = None, high: int | None = None) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return default
    if value.startswith("-") and value[1:].isascii() and value[1:].isdigit():
        abort(400, f"“{name}” cannot be negative.")
    number = parse_id(name, value)
    return min(number, high) if high else number


def _access():
    """What the viewer may see, worked out once per request."""
    if "access" not in g:
        g.access = access_for(current_user)
    return g.access


def _filters() -> Filters:
    filters = Filters.from_args(request.args, current_user.email)
    if filters.status and filters.status not in STATUSES:
        abort(400, f"status is one of {', '.join(STATUSES)}.")
    return filters


def _list_context(filters: Filters, before: int | None) -> dict:
    """What the capture list (and its filters) needs, on the list and detail pages."""
    rows, older = newest_first(filters, _access(), before, PAGE_SIZE)
    return {
        "rows": rows,
        "older": older,
        "before": before,
        "filters": filters,
        "statuses": STATUSES,
        "platforms": PLATFORMS,
        "labels": labels_in_use(_access()),
        "endpoints": endpoints_of(current_user.id),
        "newest_id": rows[0].id if rows else _int_arg("after", 0),
        "max_count": current_app.config["CAPTURE_MAX_COUNT"],
        "max_days": current_app.config["CAPTURE_MAX_DAYS"],
        "max_bytes": current_app.config["REGISTER_MAX_BYTES"],
    }


@bp.get("/inspector")
@login_required
def index():
    context = _list_context(_filters(), _int_arg("before"))
    start = None
    if not context["rows"] and not context["filters"].any() and not context["before"]:
        # nothing yet: how to send, to the viewer's own endpoint if they have one
        mine = [e for e in context["endpoints"] if e.owner_id == current_user.id]
        start = {"endpoint": mine[0] if mine else None, **start_context(mine[0] if mine else None)}
    return render_template("inspector/index.html", capture=None, start=start, **context)


@bp.get("/inspector/rows")
@login_required
def rows():
    """New rows for the live list (newest first), rendered like the page's own."""
    filters = _filters()
    after = _int_arg("after", 0)
    found = tail(filters, _access(), after, PAGE_SIZE)
    html = render_template(
        "inspector/_rows.html", rows=list(reversed(found)), list_args=filters.as_args()
    )
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["X-Newest-Id"] = str(found[-1].id if found else after)
    response.headers["Cache-Control"] = "no-store"
    return response


def _capture_or_404(capture_id: int) -> Capture:
    """The capture, if the viewer may see it; else the same 404 as for none,
    so nobody learns which ids exist."""
    capture = db.session.get(Capture, capture_id)
    if capture is None or not _access().can_see(capture):
        abort(404, f"There is no capture {capture_id}; it may have been pruned or deleted.")
    return capture


def _detail_context(capture: Capture, filters: Filters) -> dict:
    """The capture, and its neighbours in the list as searched and filtered."""
    access = _access()
    capture_id = capture.id
    newer = neighbour(access, capture_id, True, filters=filters)
    older = neighbour(access, capture_id, False, filters=filters)
    same_source = (
        Capture.endpoint_id == capture.endpoint_id
        if capture.endpoint_id is not None
        else Capture.label.is_(None)
        if capture.label is None
        else Capture.label == capture.label
    )
    same_label = neighbour(access, capture_id, False, same_source)
    return {
        "capture": capture,
        "list_args": filters.as_args(),
        "headers": shown_headers(capture, current_user),
        "cookies": shown_cookies(capture, current_user),
        "own": can_see_secrets(capture, current_user),
        "text": body_text(capture),
        "form": form_view(capture),
        "query": query_pairs(capture),
        "pretty": None if form_view(capture) else pretty_json(capture),
        "hexdump": hexdump(capture.body) if capture.body else "",
        "gonative": gonative_view(capture),
        "curl": curl_command(capture, current_user),
        "newer": newer,
        "older_capture": older,
        "compare_with": same_label or older,
        "forwards": forward_views(capture),
        "may_delete": may_delete(capture),
        "can_replay": bool(
            capture.endpoint is not None
            and capture.endpoint.forward_url
            and capture.endpoint.owner_id == current_user.id
            and capture.body is not None
        ),
    }


@bp.get("/inspector/<int:capture_id>")
@login_required
def detail(capture_id: int):
    """One capture in full; from about 1024 px wide, beside the list (the
    filters in the query string apply to that list)."""
    capture = _capture_or_404(capture_id)
    filters = _filters()
    context = {**_list_context(filters, None), **_detail_context(capture, filters)}
    return render_template("inspector/detail.html", **context)


@bp.get("/inspector/<int:capture_id>/pane")
@login_required
def pane(capture_id: int):
    """The capture's detail alone, for the list's side pane (inspector.js)."""
    capture = _capture_or_404(capture_id)
    context = _detail_context(capture, _filters())
    html = render_template("inspector/_detail.html", level=2, **context)
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/inspector/compare")
@login_required
def compare_page():
    """What changed between two captures: say, the same app before and after a
    plugin upgrade, or a user whose device did not link and one whose did."""
    a_id, b_id = _int_arg("a"), _int_arg("b")
    picked = request.args.getlist("pick")
    if a_id is None and b_id is None and picked:
        # two rows ticked in the list: the older one first
        if len(picked) != 2 or not all(re.fullmatch(r"[0-9]{1,20}", p) for p in picked):
            abort(400, "Tick exactly two captures in the list to compare them.")
        a_id, b_id = sorted(int(p) for p in picked)
        if b_id > MAX_ID:
            out_of_range("pick")
    if a_id is None or b_id is None:
        abort(400, "Name two captures to compare: /inspector/compare?a=<id>&b=<id>.")
    a, b = _capture_or_404(a_id), _capture_or_404(b_id)
    diff = compare(a, b, current_user)
    return render_template("inspector/compare.html", a=a, b=b, diff=diff, max_rows=COMPARE_MAX_ROWS)


@bp.get("/inspector/<int:capture_id>/body")
@login_required
def download_body(capture_id: int):
    capture = _capture_or_404(capture_id)
    if capture.body is None:
        abort(404, "This capture has no stored body (it was empty or over the size limit).")
    return _download(capture.body, "application/octet-stream", f"capture-{capture.id}.bin")


@bp.get("/inspector/<int:capture_id>/har")
@login_required
def download_har(capture_id: int):
    """One capture as a HAR file, to open in a browser's dev tools or a proxy."""
    capture = _capture_or_404(capture_id)
    har = {"log": {"version": "1.2", "creator": HAR_CREATOR,
                   "entries": [har_entry(capture, current_user)]}}  # fmt: skip
    har_text = json.dumps(har, ensure_ascii=False, indent=2)
    return _download(har_text, "application/json", f"capture-{capture.id}.har")


def _download(content, mimetype: str, filename: str) -> Response:
    return Response(
        content,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def may_delete(capture: Capture) -> bool:
    """A capture is the viewer's to delete when it is theirs: sent with their
    login, or to an endpoint they own (members only read); admins may too."""
    return bool(
        current_user.is_admin
        or capture.user_id == current_user.id
        or (capture.endpoint is not None and capture.endpoint.owner_id == current_user.id)
    )


@bp.post("/inspector/<int:capture_id>/delete")
@login_required
def delete(capture_id: int):
    capture = _capture_or_404(capture_id)
    if not may_delete(capture):
        abort(403, "Only the person who sent a capture, or its endpoint's owner, can delete it.")
    removed = delete_captures(Capture.id == capture.id)  # never comes back from the log
    db.session.commit()
    flash(f"{removed} capture deleted (#{capture_id}).", "success")
    return redirect(url_for("inspector.index"))


# JSON API, same access rules as the pages.


@bp.get("/api/captures")
@login_required
def api_list():
    filters = _filters()
    after = _int_arg("after", 0)
    limit = _int_arg("limit", 100, MAX_LIMIT) or 100
    found = tail(filters, _access(), after, limit)
    return jsonify(
        captures=[to_api(c, current_user) for c in found],
        next_after=found[-1].id if found else None,
    )


@bp.get("/api/captures/<int:capture_id>")
@login_required
def api_detail(capture_id: int):
    return jsonify(to_api(_capture_or_404(capture_id), current_user))


def _matching(filters: Filters, after: int, each):
    """`each(capture)` for every capture matching `filters` after id `after`,
    oldest first, read from the database in keyset chunks while it streams."""
    access = _access()
    while True:
        chunk = tail(filters, access, after, 200)
        for capture in chunk:
            yield each(capture)
        if len(chunk) < 200:
            break
        after = chunk[-1].id
        db.session.expunge_all()


@bp.get("/api/captures.ndjson")
@login_required
def api_export():
    """Every capture matching the filters, oldest first, one JSON per line."""
    filters = _filters()
    viewer = current_user._get_current_object()
    lines = _matching(
        filters,
        _int_arg("after", 0),
        lambda capture: json.dumps(to_api(capture, viewer), ensure_ascii=False) + "\n",
    )
    return Response(
        stream_with_context(lines),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="captures.ndjson"'},
    )


@bp.get("/api/captures.har")
@login_required
def api_export_har():
    """Every capture matching the filters as one HAR 1.2 file, oldest first,
    streamed entry by entry."""
    filters = _filters()
    viewer = current_user._get_current_object()
    entries = _matching(
        filters,
        _int_arg("after", 0),
        lambda capture: json.dumps(har_entry(capture, viewer), ensure_ascii=False),
    )

    def generate():
        yield '{"log": {"version": "1.2", "creator": ' + json.dumps(HAR_CREATOR)
        yield ', "entries": ['
        for number, entry in enumerate(entries):
            yield ("," if number else "") + "\n" + entry
        yield "\n]}}\n"

    return Response(
        stream_with_context(generate()),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="captures.har"'},
    )


@bp.after_request
def private(response):
    """Captures carry the viewer's own cookies and Authorization unmasked:
    no shared cache, and no browser cache, keeps a copy."""
    response.headers.setdefault("Cache-Control", "no-store, private")
    return response


@bp.post("/inspector/<int:capture_id>/replay")
@login_required
def replay(capture_id: int):
    """Send a captured request to its endpoint's forward URL again (the
    endpoint's owner only); the capture keeps the new answer."""
    capture = _capture_or_404(capture_id)
    endpoint = capture.endpoint
    if endpoint is None or endpoint.owner_id != current_user.id or not endpoint.forward_url:
        abort(403, "Only the owner of an endpoint that forwards can replay its captures.")
    if capture.body is None:
        abort(409, "This capture's body was not stored (over the size limit): nothing to replay.")
    prefix = f"/r/{endpoint.token}"
    suffix = capture.path[len(prefix) :] if capture.path.startswith(prefix + "/") else ""
    exchange = forward.send(endpoint.forward_url, capture.method, suffix, capture.query_string,
                            capture.headers or [], capture.body, replay=True)  # fmt: skip
    capture.forwards = forward.kept(capture.forwards, exchange)
    db.session.commit()
    outcome = exchange["error"] or f"your backend answered {exchange['status']}"
    flash(f"Replayed to {endpoint.forward_url}: {outcome}.",
          "error" if exchange["error"] else "success")  # fmt: skip
    return redirect(url_for("inspector.detail", capture_id=capture.id) + "#forwards")
