"""Ids in URLs and query arguments, bounded to what an id column holds.

Ids are 64-bit signed integers (BIGINT on PostgreSQL, INTEGER on SQLite); a
larger number reaching a query makes the database driver fail, which would
answer 500. So a larger number in a path is no page (404), and in a query
argument a 400 that says which argument.

Users, devices, messages and jobs have 32-bit ids on PostgreSQL (INTEGER):
routes taking one of those say so, as <int(max=2147483647):...>.
"""

from __future__ import annotations

import builtins
import re

from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` for the whole app: never above MAX_ID (nor below -MAX_ID - 1
    with signed=True)."""

    # werkzeug's argument names, as in <int(min=1):id>
    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        low = -MAX_ID - 1 if min is None else builtins.max(min, -MAX_ID - 1)
        high = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits, low, high, signed)


def out_of_range(name: str):
    abort(400, f"“{name}” is out of range: ids are whole numbers up to {MAX_ID}.")


ASCII_NUMBER = re.compile(r"[0-9]+")


def parse_id(name: str, value: str) -> int:
    """A query argument's id: ASCII digits only (not "²" nor other scripts'
    digits, which str.isdigit() accepts) and within MAX_ID; else a 400 that
    names the argument."""
    if not ASCII_NUMBER.fullmatch(value):
        abort(400, f"“{name}” must be a whole number.")
    if len(value) > 19 or int(value) > MAX_ID:
        out_of_range(name)
    return int(value)


def id_arg(name: str) -> int | None:
    """request.args[name] as an id: None when missing or not a whole number
    (as `type=int` gives), a 400 when no id can be that large or small."""
    number = request.args.get(name, type=int)
    if number is not None and not -MAX_ID - 1 <= number <= MAX_ID:
        out_of_range(name)
    return number
