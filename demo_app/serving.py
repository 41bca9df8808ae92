"""Server hooks that hand the receiver the headers exactly as they arrived.

WSGI merges repeated headers into one comma-joined value and does not keep
their order. Both servers we run know the raw list; these hooks put it in the
environ under RAW_HEADERS_KEY, where the receiver looks first.
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

from .receiver.parsing import RAW_HEADERS_KEY


class RawHeadersRequestHandler(WSGIRequestHandler):
    """For werkzeug's development server (`make_server(..., request_handler=...)`)."""

    def make_environ(self):
        environ = super().make_environ()
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        return environ


def install_gunicorn_hook() -> None:
    """Wrap gunicorn's environ builder; called from gunicorn.conf.py."""
    from gunicorn.http import wsgi

    if getattr(wsgi.create, "_pushlab", False):
        return
    original = wsgi.create

    def create(req, sock, client, server, cfg):
        response, environ = original(req, sock, client, server, cfg)
        # gunicorn upper-cases names; order and repeats are what matter here
        environ[RAW_HEADERS_KEY] = [(name.title(), value) for name, value in req.headers]
        return response, environ

    create._pushlab = True
    wsgi.create = create
