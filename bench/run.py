"""`make bench`: every benchmark, one after another; exit 1 if a target is missed."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import contention, push, receiver, search  # noqa: E402

BENCHES = [
    ("receiver and inspector", receiver.main),
    ("SQLite write contention", contention.main),
    ("send to me", push.main),
    ("inspector search", search.main),
]

if __name__ == "__main__":
    failed = []
    for name, main in BENCHES:
        print(f"\n== {name} ==", flush=True)
        if main() != 0:
            failed.append(name)
    print("\nbench:", "all targets met" if not failed else "missed in " + ", ".join(failed))
    sys.exit(1 if failed else 0)
