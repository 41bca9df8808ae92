"""Captured text in pages: escaped, and with every character that hides or
reorders the text around it shown as a visible token.

A right-to-left override (U+202E) in a header makes the rest of the line read
backwards; a zero-width space or a control character changes what a value
is without showing. The `visible` filter escapes the text and writes each
such character as `<U+202E>` in a span of class "ctl". Tab and newline stay
as they are, and so does a carriage return before a newline (line ends).
Downloads and exports keep the bytes: they are data, not display.
"""

from __future__ import annotations

import json
import re
import unicodedata

from flask import Flask
from markupsafe import Markup, escape

# Bidi embeddings, overrides, isolates and marks; invisible separators,
# joiners-that-are-not-for-scripts, fillers and tags.
INVISIBLE = (
    "\u00ad\u034f\u2800\U0001d173-\U0001d17a"
    "\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f"
)
# C0 controls but tab and newline, DEL, C1 controls, and the above.
HIDDEN = re.compile(f"\r(?!\n)|[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f{INVISIBLE}]")


def _token(match: re.Match) -> str:
    char = match.group(0)
    name = unicodedata.name(char, "control character")
    return f'<span class="ctl" title="{name}">&lt;U+{ord(char):04X}&gt;</span>'


def visible(value) -> Markup:
    """`value` as HTML: escaped, hidden characters as visible tokens."""
    escaped = str(escape(value))
    return Markup(HIDDEN.sub(_token, escaped))  # noqa: S704 - escaped above; tokens are ours


def visible_text(value: str) -> str:
    """`value` as plain text with each hidden character written as a visible
    `<U+202E>` token: for what is not HTML (a push's text, a JSON field a
    script shows with textContent)."""
    return HIDDEN.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", value)


def pretty_json(value) -> str:
    """JSON for a person to read in a <pre>: indented, characters as they are
    (Jinja's tojson writes "<" as \\u003c, which is for scripts, not for eyes);
    autoescaping makes it safe."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def init_app(app: Flask) -> None:
    app.add_template_filter(visible, "visible")
    app.add_template_filter(pretty_json, "pretty_json")
