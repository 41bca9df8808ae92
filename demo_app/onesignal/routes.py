from __future__ import annotations

import re

import segno
from flask import render_template, request

from ..links import site_url
from . import bp

IN_APP_UA = re.compile(r"\b(gonative|median)\b", re.IGNORECASE)


def in_app_user_agent() -> bool:
    return bool(IN_APP_UA.search(request.headers.get("User-Agent", "")))


@bp.get("/onesignal")
def hub():
    url = site_url("onesignal.hub")
    qr = None if in_app_user_agent() else segno.make(url, error="m").svg_inline(scale=4, border=2)
    return render_template(
        "onesignal/hub.html",
        page_url=url,
        qr_svg=qr,
        in_app_ua=in_app_user_agent(),
    )
