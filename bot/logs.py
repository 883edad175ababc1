"""Structured log lines to stderr, written by one background thread.

Request threads only put a record on a queue: a log call on the ack path then costs a
queue append, not a turn at a shared file lock (sixteen request threads queueing for the
stderr handler's lock cost a burst of slash commands a third of its CPU).
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_listener: logging.handlers.QueueListener | None = None


def setup() -> None:
    """Route every log record through a queue to stderr; quiet the chatty libraries."""
    global _listener
    if _listener is not None:
        return
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(logging.Formatter(FORMAT))
    _listener = logging.handlers.QueueListener(records, writer)
    _listener.start()
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(records)]
    root.setLevel(logging.INFO)
    for noisy in ("apscheduler", "waitress", "httpx"):  # httpx logs full URLs
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)  # "skipped: already running"
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N" on every burst
    atexit.register(flush)


def flush() -> None:
    """Write out everything queued (before exiting, or before a deliberate crash)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
