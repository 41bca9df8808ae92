"""A registration backend of the app's company, on loopback: what an
endpoint forwards to in the tests (test_forward.py, the browser tests)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Backend:
    """A registration backend of the app's company: records what it is sent,
    answers as told (`status`, `body`, `headers`, `delay`)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status, self.body, self.delay = 201, b'{"registered": true}', 0.0
        self.headers = [("Content-Type", "application/json"), ("Set-Cookie", "session=evil"),
                        ("X-Backend", "yes")]  # fmt: skip
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                backend.requests.append({
                    "method": self.command, "path": self.path,
                    "headers": list(self.headers.items()), "body": self.rfile.read(length),
                })  # fmt: skip
                time.sleep(backend.delay)
                try:
                    self.send_response(backend.status)
                    for name, value in backend.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(backend.body)))
                    self.end_headers()
                    self.wfile.write(backend.body)
                except OSError:
                    pass  # the site stopped waiting (the slow backend's test)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/push"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
