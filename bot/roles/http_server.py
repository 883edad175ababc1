"""The WSGI server the web role runs: waitress, with one busy-wait taken out of its I/O loop.

Waitress's I/O thread asks every connection whether it has output to send. While a request
thread is writing its response (under the connection's output lock, sending it itself),
the connection says yes, the socket is writable, and the I/O thread's attempt to send finds
the lock taken and does nothing — then asks again, at once. On two cores with sixteen
request threads, the writer often waits for the GIL that this loop keeps taking: bursts of
100 Slack requests were seen to spin the loop 3 900–5 700 times (~200 ms of CPU, against
~150 turns and ~25 ms in a burst without it), and those bursts had the worst p99s.

Here a connection whose output is being sent by its request thread does not ask to be
written: that thread sends what it wrote (waitress flushes on every write) and, if the
socket takes only part of it, wakes the I/O thread once it has let go of the lock, as
waitress wakes it when the request ends. Everything else is waitress's own behaviour.
"""

from __future__ import annotations

from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import create_server


class _Channel(HTTPChannel):  # type: ignore[misc]  # (waitress has no type hints)
    def writable(self) -> bool:
        if self.requests and self.total_outbufs_len and not (self.will_close or self.close_when_flushed):
            # A request thread holds the output lock while it sends its own response.
            if not self.outbuf_lock.acquire(blocking=False):
                return False
            self.outbuf_lock.release()
        return bool(super().writable())

    def write_soon(self, data: Any) -> int:
        written = int(super().write_soon(data))
        if self.total_outbufs_len:
            # The socket took only part of it; waitress woke the I/O thread while this thread
            # still held the lock (so it was told "nothing to write"): wake it again, unlocked.
            self.server.pull_trigger()
        return written


def make_server(app: Any, host: str, port: int, threads: int, **options: Any) -> Any:
    """A waitress server for `app` on host:port (call `.run()`; `.close()` stops it)."""
    server = create_server(app, host=host, port=port, threads=threads, **options)
    server.channel_class = _Channel
    return server
