"""The receiver's own way in, ahead of Flask's routing.

`/register` is the one endpoint an app hits on every page load, so it skips
what it does not use: URL routing, the session and CSRF hooks, the login
manager's request loading and the page hooks. It still runs in the app's
context (configuration, database, logging) and answers with the same JSON
and security headers. Everything else goes to Flask unchanged.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Request

from ..errors import MESSAGES
from .routes import receive


class ReceiverMiddleware:
    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/r/"):
            label, token = None, path[len("/r/") :]
        elif path == "/register" or path.startswith("/register/"):
            label, token = (None if path == "/register" else path[len("/register/") :]), None
        else:
            return self.wsgi_app(environ, start_response)
        request = Request(environ)
        with self.app.app_context():
            try:
                response = receive(request, label, token)
            except Exception:  # noqa: BLE001 - answer like Flask's own 500 handler
                self.app.logger.exception("Unhandled error in the receiver")
                response = self.app.json.response({"error": MESSAGES[500], "status": 500})
                response.status_code = 500
        return response(environ, start_response)
