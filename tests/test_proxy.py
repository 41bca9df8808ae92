"""The README's reverse-proxy recipe, run: Debian's nginx terminating TLS in
front of gunicorn as `make serve` runs it (third attack pass, finding 10).

Without nginx the test skips with a reason, unless REQUIRE_BROWSER=1 (CI, which
installs it), where it fails instead."""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import urllib3

from bench.common import Site, csrf_token, free_port

from .conftest import PASSWORD

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# The server block of README's "Behind nginx", with this test's ports and files.
SERVER_BLOCK = """
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name 127.0.0.1;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        client_max_body_size 1m;          # REGISTER_MAX_BYTES
        proxy_request_buffering on;       # whole bodies, then gunicorn
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}
"""


def _nginx_or_skip() -> str:
    if os.path.exists(NGINX):
        return NGINX
    message = "nginx not found (apt-get install nginx)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (REQUIRE_BROWSER=1)")
    pytest.skip(message)


@pytest.fixture
def proxied(tmp_path):
    """(https URL of nginx, the Site behind it)."""
    nginx = _nginx_or_skip()
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = Site(TRUSTED_PROXY_HOPS=1, FORWARDED_ALLOW_IPS="127.0.0.1", SITE_URL=url).start()
    server = SERVER_BLOCK.format(port=port, cert=cert, key=key, upstream=site.port)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n    access_log off;\n    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n{server}}}\n"
    )
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.05)
        yield url, site
    finally:
        proc.terminate()
        proc.wait(10)
        site.stop()


def _session() -> requests.Session:
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    session = requests.Session()
    session.verify = False  # the test's self-signed certificate
    session.trust_env = False  # a CA bundle named in the environment would win over verify
    return session


def test_behind_nginx(proxied):
    url, site = proxied
    browser = _session()

    # Secure cookies: the site knows the request came over HTTPS.
    page = browser.get(url + "/login")
    assert page.status_code == 200
    assert "secure" in page.headers["Set-Cookie"].lower()

    # Log in through the proxy.
    site.flask("users", "create", "dev@example.com", "--password", PASSWORD)
    # (over HTTPS, Flask-WTF also wants a same-origin Referer, as a browser sends)
    browser.headers["Referer"] = url + "/"
    login = browser.post(url + "/login", allow_redirects=False, data={
        "email": "dev@example.com", "password": PASSWORD,
        "csrf_token": csrf_token(page.text)})  # fmt: skip
    assert login.status_code == 302, login.text[-600:]
    assert all("secure" in c.lower() for c in login.raw.headers.getlist("Set-Cookie"))
    assert browser.get(url + "/profile").status_code == 200

    # Links come out as https, under the site's address.
    made = browser.post(url + "/endpoints", data={
        "name": "QA", "csrf_token": csrf_token(browser.get(url + "/endpoints").text)})  # fmt: skip
    endpoint_url = re.search(r"https://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]+", made.text).group(0)
    assert endpoint_url.startswith(url)
    assert _session().post(endpoint_url, json={"n": 1}).status_code == 200

    # A foreign Host is refused.
    assert _session().get(url + "/login", headers={"Host": "evil.example"}).status_code == 400


def test_slow_bodies_do_not_hold_the_site(proxied):
    """16 clients trickling a body a byte at a time: nginx holds them, and
    every gunicorn thread stays free for the pages."""
    url, _site = proxied
    port = int(url.rsplit(":", 1)[1])
    stop = threading.Event()
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    opened = []

    head = (
        b"POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )

    def trickle():
        raw = socket.create_connection(("127.0.0.1", port))
        with context.wrap_socket(raw) as conn:
            conn.sendall(head)
            opened.append(conn)
            while not stop.wait(0.5):
                conn.sendall(b" ")

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(16)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(opened) < 16:
            assert time.monotonic() < deadline, "slow clients did not connect"
            time.sleep(0.01)
        started = time.monotonic()
        for _ in range(5):
            assert _session().get(url + "/login", timeout=5).status_code == 200
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)


def test_the_readme_gives_this_server_block():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for line in ("proxy_request_buffering on;", "proxy_set_header X-Forwarded-Proto $scheme;",
                 "client_max_body_size 1m;", "TRUSTED_PROXY_HOPS=1"):  # fmt: skip
        assert line in readme, line
