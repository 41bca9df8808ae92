"""SQLite under write contention: gunicorn as `make serve` runs it, 32 wrk connections posting
registration payloads for 20 seconds. Prints the throughput, non-2xx answers,
"database is locked" errors and captures stored against 2xx answers."""

from __future__ import annotations

import os
import sys

from .common import Site, show, wrk
from .receiver import JSON, PAYLOAD, count

SECONDS = int(os.environ.get("BENCH_SECONDS", 20))


def main() -> int:
    site = Site().start()
    try:
        result = wrk(site.url + "/register/contention", max(SECONDS, 5), connections=32,
                     method="POST", body=PAYLOAD, headers=JSON)  # fmt: skip
        stored = count(site.database_url)
        errors = (site.tmp / "err.log").read_text()
    finally:
        site.stop()
    show("32 clients, SQLite, make serve", result)
    two_xx = result["requests"] - result["non2xx"]
    locked = errors.count("database is locked")
    lost = max(0, two_xx - stored)
    print(f"{two_xx} 2xx answers, {stored} captures stored, lost {lost}, "
          f"'database is locked' errors: {locked}")  # fmt: skip
    ok = result["non2xx"] == 0 and locked == 0 and lost == 0 and stored - two_xx <= 32
    print("contention bench:", "no lock errors, nothing lost" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
