"""Send exact bytes to the app served by werkzeug's development server.

The test client builds a tidy WSGI environ; a hostile sender writes bytes to a
socket. These helpers let a test do the latter: `served(app)` runs the app on
loopback (with the raw-header hook, as in the browser tests, or as plain
`flask run` serves it), `send(server, data)` writes a request and returns the
answer's status code.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from demo_app.serving import RawHeadersRequestHandler


class QuietRawHandler(RawHeadersRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class QuietPlainHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@contextlib.contextmanager
def served(app, raw_headers: bool = True):
    handler = QuietRawHandler if raw_headers else QuietPlainHandler
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(5)


def send(server, data: bytes) -> int:
    """Write `data` as it is, read the whole answer; its status code."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def request_bytes(method: bytes, path: bytes, headers: list[bytes], body: bytes = b"") -> bytes:
    lines = [method + b" " + path + b" HTTP/1.1", b"Host: localhost", *headers,
             b"Connection: close", b"Content-Length: " + str(len(body)).encode()]  # fmt: skip
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def exchange(server, data: bytes) -> tuple[int, bytes]:
    """Write `data` as it is, read one answer by its Content-Length (the
    request may ask to keep the connection alive); (status, body)."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(head.split(b" ", 2)[1]), body
