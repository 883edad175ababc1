"""Python loads this at start-up when its folder is on PYTHONPATH: a bot process the tests
start this way runs as on a machine whose time sync failed, its wall clock (`time.time`,
which the bot's own clock and the logs read) TEST_CLOCK_AHEAD_SECONDS ahead. Monotonic
time is left alone, as a wrong wall clock leaves it."""

import os
import time

_AHEAD = float(os.environ.get("TEST_CLOCK_AHEAD_SECONDS") or 0)

if _AHEAD:
    _machine_time = time.time

    def _ahead() -> float:
        return _machine_time() + _AHEAD

    time.time = _ahead
