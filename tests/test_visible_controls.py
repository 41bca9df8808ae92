"""Characters that hide or reorder text (a right-to-left override, bidi
isolates and marks, zero-width spaces, control characters) are shown as
visible tokens wherever the inspector shows captured text, so a capture
cannot make a value read as something else. Downloads and exports keep them."""

from markupsafe import Markup

from demo_app.display import visible

RLO = "\u202e"
# Every kind, each in some captured value below.
SPOOFING = [RLO, "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069",
            "\u200e", "\u200f", "\u061c", "\u200b", "\ufeff", "\x1b", "\x07", "\x85"]  # fmt: skip


def test_visible_filter():
    shown = visible(f"<b>{RLO}x\u2066\x1b\t\r\n\r")
    assert isinstance(shown, Markup)
    assert shown == Markup(
        '&lt;b&gt;<span class="ctl" title="RIGHT-TO-LEFT OVERRIDE">&lt;U+202E&gt;</span>x'
        '<span class="ctl" title="LEFT-TO-RIGHT ISOLATE">&lt;U+2066&gt;</span>'
        '<span class="ctl" title="control character">&lt;U+001B&gt;</span>\t\r\n'
        '<span class="ctl" title="control character">&lt;U+000D&gt;</span>'
    )
    for char in SPOOFING:
        assert char not in visible(char)
    assert visible("plain, ünïcode, עברית, 😀 and ❤️") == "plain, ünïcode, עברית, 😀 and ❤️"
