"""`python -m bench [--quick]`: every benchmark, one table each. They measure; they do not
assert timings. `--quick` uses tiny sizes (CI runs it to keep the benchmarks working)."""

from __future__ import annotations

import platform
import sys
import time

from bench import callbacks, live, photo_eval, polling, preview_cost, scale


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    started = time.monotonic()
    import os

    print(f"# replica-bot benchmarks ({'quick' if quick else 'full'})")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("## Live bot, one process (HTTP mode, local fakes)\n")
    print(live.run(quick))
    print("\n## Web and worker processes (SQLite and PostgreSQL)\n")
    print(scale.run(quick))
    print("\n## Polling\n")
    print(polling.run(quick))
    print("\n## End of training → thread notice\n")
    print(callbacks.run(quick))
    print("\n## Photo checks\n")
    photo_eval.main(["--quick"] if quick else [])
    print("\n## Annotated preview and fixed photo (per 12 MP photo)\n")
    print(preview_cost.run(quick))
    print(f"\n(total {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
