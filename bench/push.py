"""How much time the site adds to a "send to me" on top of OneSignal's own latency.

A local stand-in answers every notification request after LATENCY seconds;
the site runs under gunicorn (SQLite) pointed at it. Sequential sends from a
logged-in user: added time = end-to-end time - the time the stand-in itself
spent on that request (its sleep plus its own handling, measured inside it).
Target: median under 15 ms.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import time

from .common import ROOT, Site

sys.path.insert(0, str(ROOT))
from tests.standin import StandIn  # noqa: E402

LATENCY = 0.050
SENDS = int(os.environ.get("BENCH_SENDS", 200))
DEVICE = {"platform": "ios", "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd",
          "oneSignalSubscribed": True}  # fmt: skip


def main() -> int:
    standin = StandIn(latency=LATENCY).start()
    site = Site(
        workers=2,
        ONESIGNAL_API_URL=standin.url,
        ONESIGNAL_APP_ID="11111111-2222-4333-8444-555555555555",
        ONESIGNAL_API_KEY="bench-key",
        SEND_LIMIT_PER_MINUTE=1_000_000,
    ).start()
    try:
        session, token = site.login_session("push@example.com", "bench-password-1")
        session.post(site.url + "/api/devices", json=DEVICE, headers={"X-CSRFToken": token})
        form = {"target": "devices", "title": "Bench", "message": "Bench push", "csrf_token": token}
        for _ in range(10):  # warm up connections and caches
            session.post(site.url + "/send-to-me", data=form)
        added, own = [], []
        for _ in range(SENDS):
            served = len(standin.served)
            started = time.perf_counter()
            response = session.post(site.url + "/send-to-me", data=form)
            elapsed = time.perf_counter() - started
            assert "Sent to 1 device" in response.text, response.text[:500]
            while len(standin.served) == served:  # its thread notes the time just after answering
                time.sleep(0.0001)
            own.append(standin.served[served])
            added.append((elapsed - standin.served[served]) * 1000)
        with sqlite3.connect(site.tmp / "bench.db") as conn:
            calls = [row[0] for row in conn.execute("SELECT duration_ms FROM push_log")][-SENDS:]
    finally:
        site.stop()
        standin.stop()
    added.sort()
    median = statistics.median(added)
    print(f"{SENDS} sequential sends, stand-in latency {LATENCY * 1000:.0f} ms, gunicorn, SQLite")
    print(
        f"time the site adds per send: median {median:.1f} ms, "
        f"p90 {added[int(len(added) * 0.9)]:.1f} ms, max {added[-1]:.1f} ms"
    )
    stand_in = statistics.median(own) * 1000
    call = statistics.median(calls) - stand_in
    print(f"stand-in's own time per request, its latency included: median {stand_in:.1f} ms")
    print(f"  the site's HTTP call to it took a median {call:.1f} ms more than that")
    ok = median < 15
    print("push bench:", "target met (median < 15 ms)" if ok else "TARGET MISSED (median >= 15 ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
