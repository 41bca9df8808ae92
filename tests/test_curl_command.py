"""The command behind "Copy as cURL" is pasted into a shell by a QA engineer. Every
piece of it comes from a captured request, so the sender chooses it: the
command must stay one curl call, with each captured piece one argument."""

import html
import re
import shlex
import subprocess
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo_app.display import INVISIBLE
from demo_app.inspector.views import SKIP_IN_CURL, body_text, curl_command
from demo_app.models import Capture

from .rawhttp import request_bytes, send, served

HIDES_TEXT = re.compile(f"[{INVISIBLE}]")
# bash runs the command with curl replaced by a function that writes each
# argument it gets, NUL-terminated, to the file "args".
RECORD_ARGS = "curl() { printf '%s\\0' \"$@\" > args; }\n"


def run_in_bash(command: str, where) -> list[str]:
    where.mkdir(exist_ok=True)
    subprocess.run(
        ["bash", "-c", RECORD_ARGS + command],
        cwd=where,
        check=True,
        timeout=10,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
    )
    return (where / "args").read_bytes().decode("utf-8").split("\0")[:-1]


def copied_command(client, capture_id: int) -> str:
    """The command behind the "Copy as cURL" button, as the browser copies it."""
    page = client.get(f"/inspector/{capture_id}").get_data(as_text=True)
    match = re.search(r'<textarea id="curl"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(match.group(1))


def test_copied_curl_command_runs_nothing_planted(app, client, auth, tmp_path):
    """A method with a quote and a header holding a shell command: both the
    development server and gunicorn accept and record such a request."""
    auth.create(admin=True)  # anonymous captures are for admins to see
    auth.login()
    with served(app) as server:
        status = send(server, request_bytes(b"X'", b"/register", [b"X-A: ;touch PWNED #"]))
    assert status == 405  # recorded, and told only POST is accepted
    command = copied_command(client, 1)

    shell = tmp_path / "shell"
    args = run_in_bash(command, shell)
    assert not (shell / "PWNED").exists()
    assert args[:3] == ["-X", "X'", "http://localhost/register"]
    assert args[args.index("X-A: ;touch PWNED #") - 1] == "-H"


def test_curl_command_keeps_repeats_and_refuses_curl_specials(app, client, auth, tmp_path):
    auth.create(admin=True)  # anonymous captures are for admins to see
    auth.login()
    headers = [b"X-Twice: 1", b"X-Twice: 2", b"@notes.txt: x", b"Content-Type: text/plain"]
    with served(app) as server:
        send(server, request_bytes(b"POST", b"/register/{a,b}[1-9]", headers, b"@/etc/passwd"))
    assert ["@notes.txt", "x"] in client.get("/api/captures/1").json["headers"]
    args = run_in_bash(copied_command(client, 1), tmp_path / "shell")
    # brackets and braces in a URL are curl patterns (one request per match)
    assert "--globoff" in args
    sent = [args[i + 1] for i, a in enumerate(args) if a == "-H"]
    assert [h for h in sent if "Twice" in h] == ["X-Twice: 1", "X-Twice: 2"]
    # "-H @file" would make curl read headers from a file of the viewer's
    assert not any(h.startswith("@") for h in sent)
    # --data-raw sends an "@" as it is (--data would read the file)
    assert args[args.index("--data-raw") + 1] == "@/etc/passwd"


def test_nul_in_a_value_cannot_cut_the_command(app):
    """The receiver stores no NUL outside the body (they become U+FFFD), and a
    body with one is offered as a file; a NUL that got into a stored value
    anyhow becomes U+FFFD too, since no shell argument can hold one."""
    capture = Capture(id=3, method="POST", path="/register", query_string="", body=b"a\x00b",
                      headers=[["X-Nul", "a\x00b"]], cookies=[], user_id=1)  # fmt: skip
    with app.test_request_context("/"):
        command = curl_command(capture, SimpleNamespace(is_authenticated=True, id=1))
    assert "\x00" not in command
    assert shlex.split(command)[-4:] == ["-H", "X-Nul: a\ufffdb", "--data-binary", "@capture-3.bin"]


# What the receiver can record: no NUL and no lone surrogate outside the body
# (parsing.clean replaces them); anything else, newlines and quotes included.
recordable = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
methods = st.one_of(
    st.sampled_from(
        ["POST", "GET", "X'", "-X", "'", '"', "$(id)", "`id`", "a b", "\n", "!!", "\\"]
    ),
    recordable.filter(bool).map(lambda m: m[:16]),
)
header_names = st.one_of(
    st.sampled_from(["Host", "Content-Length", "Cookie", "X-A", "@file", "-H", "'", "a b"]),
    recordable.filter(bool).map(lambda n: n[:30]),
)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=100),
    recordable.map(str.encode),
    st.sampled_from([b"", b"@/etc/passwd", b"a\x00b", b"'; touch x; '", b"\xff\xfe"]),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=methods,
    path=recordable.map(lambda p: "/register" + p[:60]),
    query=recordable.map(lambda q: q[:60]),
    headers=st.lists(st.tuples(header_names, recordable.map(lambda v: v[:60])), max_size=6),
    body=bodies,
)
def test_curl_command_gives_back_each_captured_piece(app, tmp_path, method, path, query, headers,
                                                     body):  # fmt: skip
    """bash splits the command back into exactly the captured pieces: the
    method after -X, the URL, each header (minus the skipped ones) as one -H
    in order, the body after --data-raw, or --data-binary @file when it is not
    text (not UTF-8, or holding a NUL: no shell argument can). So does
    shlex.split, when no piece holds a character unsafe to paste: those go in
    bash's $'...' words, which shlex does not know. Either way the command is
    one line of printable characters, none of them invisible."""
    capture = Capture(id=7, method=method, path=path, query_string=query,
                      headers=[list(h) for h in headers], cookies=[], body=body,
                      body_size=len(body or b""), user_id=1)  # fmt: skip
    with app.test_request_context("/"):
        command = curl_command(capture, SimpleNamespace(is_authenticated=True, id=1))

    url = "http://localhost" + path + ("?" + query if query else "")
    expected = ["curl", "-X", method, url]
    if any(c in url for c in "[]{}"):
        expected.append("--globoff")
    for name, value in headers:
        if name.lower() not in SKIP_IN_CURL and not name.startswith("@"):
            expected += ["-H", f"{name}: {value}"]
    if body:
        text = body_text(capture)
        binary = ["--data-binary", "@capture-7.bin"]
        expected += ["--data-raw", text] if text is not None else binary

    assert run_in_bash(command, tmp_path / "shell") == expected[1:]
    if all(piece.isprintable() and not HIDES_TEXT.search(piece) for piece in expected):
        assert shlex.split(command) == expected
    assert command.isprintable() and not HIDES_TEXT.search(command)


def test_pasted_command_is_one_line_of_visible_characters(app, tmp_path):
    """Control characters in a pasted command reach the terminal's line
    editor (Ctrl-A moves to the start of the line, where more text can be
    typed outside the quotes); bidi controls make it read as something else."""
    value = "a\x01touch PWNED; \x05\u202eb\nc\td'\\!"
    capture = Capture(id=4, method="POST\x1b", path="/register/\u2066", query_string="",
                      headers=[["X-A", value]], cookies=[], body=value.encode(),
                      user_id=1)  # fmt: skip
    with app.test_request_context("/"):
        command = curl_command(capture, SimpleNamespace(is_authenticated=True, id=1))
    assert command.isprintable()  # one line: no control character, no line break
    assert not HIDES_TEXT.search(command)
    args = run_in_bash(command, tmp_path / "shell")
    assert args == ["-X", "POST\x1b", "http://localhost/register/\u2066",
                    "-H", f"X-A: {value}", "--data-raw", value]  # fmt: skip
    assert not (tmp_path / "shell" / "PWNED").exists()
