"""Steps a person takes in the browser, and checks, shared by the browser tests."""

import os
from pathlib import Path

import pytest

from ..conftest import PASSWORD


def login(page, base, email, password=PASSWORD):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def send_message(page, base: str, to: str, body: str) -> None:
    """Write to another user through the messages form, as a person would."""
    page.goto(base + "/messages")
    page.get_by_label("To", exact=True).fill(to)
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send message").click()


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA
    rules and axe's best practices): id, help and the targets of each."""
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (make test installs it with npm)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (REQUIRE_BROWSER=1)")
        pytest.skip(message)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # add_script_tag(path=...) would inline the file, which the site's CSP
        # (script-src 'self') refuses: serve it from the page's own origin.
        if not getattr(page, "axe_routed", False):
            page.route("**/__axe-core/axe.min.js", lambda route: route.fulfill(path=str(AXE)))
            page.axe_routed = True
        origin = page.evaluate("() => location.origin")
        page.add_script_tag(url=origin + "/__axe-core/axe.min.js")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )


def assert_accessible(page, where: str = "") -> None:
    """No axe-core violation on the page; a failure lists each one."""
    violations = axe_violations(page)
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}\n")
        lines += [f"    at {target}\n" for target in v["targets"]]
    assert not violations, f"axe-core on {where or page.url}:\n" + "".join(lines)
