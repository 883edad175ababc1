"""The one clock every stored timestamp is written and judged by: the database server's.

Job locks, leases, heartbeats and grace periods compare a time one process wrote with
another process's "now". On PostgreSQL those processes may run on several machines, and a
machine whose clock runs a minute ahead would take jobs that are still running (a Tavus
create done twice) or count live workers as dead. So each process reads the server's clock
now and then (`sync`) and keeps time as that reading plus the time elapsed since (a clock that
only goes forward): its own clock's error, or a step of it, then changes nothing. SQLite is one machine: its clock.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)

# An offset this large between a machine and the database is worth an operator's look (the
# bot keeps working: it follows the database).
SKEW_LOGGED_SECONDS = 2.0
SKEW_RELOGGED_SECONDS = 3600.0  # said again at most this often while it lasts

# (the server's time, _ticks() at that moment); None: this machine's clock.
_anchor: tuple[datetime, float] | None = None
_lock = threading.Lock()
_skew_logged_at: float | None = None  # _ticks() when the skew was last logged
_BOOTTIME = hasattr(time, "CLOCK_BOOTTIME")


def _ticks() -> float:
    """Seconds that only go forward, also while the machine is suspended (Linux's
    CLOCK_BOOTTIME; elsewhere the monotonic clock)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) if _BOOTTIME else time.monotonic()


class ServerClock(Protocol):
    def server_time(self) -> datetime | None: ...


def system_now() -> datetime:
    """This machine's clock (aware, UTC)."""
    return datetime.fromtimestamp(time.time(), UTC)


def now() -> datetime:
    """The current time on the database's clock (aware, UTC)."""
    anchor = _anchor
    if anchor is None:
        return system_now()
    server, at = anchor
    return server + timedelta(seconds=_ticks() - at)


def utc_now() -> str:
    """`now()` as stored: ISO 8601, whole seconds, UTC."""
    return now().isoformat(timespec="seconds")


def seconds_ago(seconds: float) -> str:
    """A timestamp in the same form as utc_now(), `seconds` in the past."""
    return (now() - timedelta(seconds=seconds)).isoformat(timespec="seconds")


def seconds_from_now(seconds: float) -> str:
    return seconds_ago(-seconds)


def sync(db: ServerClock) -> float | None:
    """Follow `db`'s clock from now on; returns how far this machine's clock is ahead of it
    (seconds), or None where the database is this machine's (SQLite). Logs a large offset."""
    global _anchor, _skew_logged_at
    started, local_started = _ticks(), system_now()
    server = db.server_time()
    if server is None:
        return None
    finished = _ticks()
    half_trip = (finished - started) / 2  # the server read its clock about midway
    with _lock:
        _anchor = (server.astimezone(UTC), started + half_trip)
        offset = (local_started + timedelta(seconds=half_trip) - server).total_seconds()
        quiet = _skew_logged_at is not None and finished - _skew_logged_at < SKEW_RELOGGED_SECONDS
        if abs(offset) >= SKEW_LOGGED_SECONDS and not quiet:
            _skew_logged_at = finished
            log.warning(
                "event=clock_skew offset_s=%.1f detail=this machine's clock differs from the database's; "
                "timestamps follow the database (fix the machine's time sync)",
                offset,
            )
    return offset


def forget() -> None:
    """Back to this machine's clock (tests; a process that switches databases)."""
    global _anchor, _skew_logged_at
    with _lock:
        _anchor, _skew_logged_at = None, None
