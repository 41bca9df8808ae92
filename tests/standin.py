"""A local stand-in for OneSignal's REST API, so the real HTTP code runs over
loopback. Tests queue the answers; every request is recorded."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Reply:
    def __init__(self, status=200, body=None, headers=None, delay=0.0, raw=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.delay = delay
        self.raw = raw


class StandIn:
    def __init__(self, latency: float = 0.0):
        self.requests: list[dict] = []
        self.served: list[float] = []
        self.replies: list[Reply] = []
        self.latency = latency
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's
                # algorithm and the client's delayed ACK add ~40 ms per answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                started = time.perf_counter()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with standin.lock:
                    standin.requests.append(
                        {"method": "POST", "path": self.path, "headers": dict(self.headers),
                         "body": body, "at": time.monotonic()}
                    )  # fmt: skip
                    reply = standin.replies.pop(0) if standin.replies else None
                if reply is None:
                    reply = Reply(200, {"id": str(uuid.uuid4()), "external_id": None})
                time.sleep(reply.delay or standin.latency)
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header(
                        "Content-Type", "application/json" if reply.raw is None else "text/html"
                    )
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                # How long the stand-in itself took, its latency included.
                standin.served.append(time.perf_counter() - started)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def queue(self, *replies: Reply) -> None:
        with self.lock:
            self.replies.extend(replies)

    def start(self) -> StandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
