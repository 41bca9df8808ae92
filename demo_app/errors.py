"""Error pages in the site's look; JSON for API callers."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address.",
    405: "That method is not allowed here.",
    413: "The request is larger than this site accepts.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The service is not available right now.",
}


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/register", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(code: int, message: str | None = None, link: tuple | None = None, **extra):
    """`link`: (url, text) of the page to go back to, for the HTML answer."""
    message = message or MESSAGES.get(code, "Error")
    if request_ctx.url_adapter is None:
        # The Host header was refused (TRUSTED_HOSTS): no URL can be built,
        # so no page either; a plain answer, with nothing from the request.
        return current_app.response_class(
            "400: This site does not answer to that Host header.\n", 400, mimetype="text/plain"
        )
    if wants_json():
        response = jsonify(error=message, status=code, **extra)
        response.status_code = code
        return response
    return render_template("error.html", code=code, message=message, link=link), code


def message_for(error: HTTPException) -> str | None:
    """A description given to abort() says more than the generic text;
    werkzeug's stock descriptions say less than ours."""
    code = error.code or 500
    custom = error.description and error.description != type(error).description
    return error.description if custom and code < 500 else MESSAGES.get(code)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(
            400,
            f"The security token was missing or out of date ({error.description}). "
            "Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        response = error_response(code, message_for(error))
        if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response = app.make_response(response)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500)

    app.register_error_handler(InternalServerError, unexpected)
