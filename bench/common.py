"""Shared pieces of the benchmarks: a throw-away site under gunicorn, wrk runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# wrk sends this too: the session was made for this user agent.
USER_AGENT = "pushlab-bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


class Site:
    """A fresh instance folder and database, migrated, served by gunicorn."""

    def __init__(self, workers: int | None = None, database_url: str | None = None, **env):
        """`workers` None: gunicorn.conf.py's defaults, as `make serve` runs."""
        self.tmp = Path(tempfile.mkdtemp(prefix="pushlab-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url or f"sqlite:///{self.tmp}/bench.db"
        self.env = {
            **os.environ,
            "INSTANCE_PATH": str(self.tmp),
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": self.database_url,
            "CAPTURE_MAX_COUNT": "100000000",
            "CAPTURE_MAX_DAYS": "0",
            "PORT": str(self.port),
            "ACCESS_LOG": str(self.tmp / "access.log"),
            "RUN_WORKER": "false",
            "SITE_URL": self.url,
            # Load comes from one loopback address; the per-address limit still
            # counts every request (same statement, same transaction), it just
            # does not turn the load away.
            "REGISTER_LIMIT_PER_MINUTE": "100000000",
            **{k: str(v) for k, v in env.items()},
        }
        if workers is not None:
            self.env["WEB_CONCURRENCY"] = str(workers)
        else:
            for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
                self.env.pop(name, None)
        self.proc = None

    def flask(self, *args: str) -> str:
        out = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT, env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout

    def start(self) -> Site:
        self.flask("db", "upgrade")
        with open(self.tmp / "err.log", "w") as errors:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        for _ in range(100):
            try:
                if requests.get(self.url + "/ping", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start: " + (self.tmp / "err.log").read_text()[-2000:])

    def login_session(self, email: str, password: str) -> tuple[requests.Session, str]:
        """A new account, logged in: (session, CSRF token for its JSON calls)."""
        self.flask("users", "create", email, "--password", password)
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        token = csrf_token(session.get(self.url + "/login").text)
        session.post(
            self.url + "/login",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
        )
        return session, csrf_token(session.get(self.url + "/").text)

    def login_cookie(self, email: str, password: str) -> str:
        session, _ = self.login_session(email, password)
        return "session=" + session.cookies["session"]

    def stop(self) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def wrk(
    url: str,
    seconds: int = 10,
    connections: int = 8,
    threads: int = 2,
    method: str = "GET",
    body: str | None = None,
    headers: dict | None = None,
) -> dict:
    """Run wrk and read requests/s, p50/p99 latency and non-2xx counts from it."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = {json.dumps(method)}\n")
        if body is not None:
            script.write(f"wrk.body = {json.dumps(body)}\n")
        for name, value in {"User-Agent": USER_AGENT, **(headers or {})}.items():
            script.write(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    out = subprocess.run(
        [*command, "-s", script.name, url], check=True, capture_output=True, text=True
    ).stdout
    os.unlink(script.name)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": total,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "none",
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def show(name: str, result: dict) -> None:
    print(
        f"{name:<34} {result['rps']:>9.1f} req/s  p50 {result['p50_ms']:>7.2f} ms  "
        f"p99 {result['p99_ms']:>7.2f} ms  non-2xx {result['non2xx']}  "
        f"socket errors: {result['socket_errors']}",
        flush=True,
    )
