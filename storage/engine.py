"""One database, two engines: embedded SQLite (a file) or PostgreSQL (`DATABASE_URL`).

Everything above this module speaks one SQL dialect (named parameters, `ON CONFLICT`,
`RETURNING`) through SQLAlchemy Core, which gives both engines one connection API and a
thread-safe pool. What differs lives here: SQLite gets WAL (readers never wait for the
writer), a busy timeout (several processes on one machine queue instead of failing) and
`BEGIN IMMEDIATE` for writes (a write transaction takes the lock up front, so two writers
never deadlock upgrading read locks).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

BUSY_TIMEOUT_MS = 30_000
_WRITE = "replica_bot_write"
ENQUEUED = "replica_bot_enqueued"  # connection info key: queues that got jobs in this transaction


class Wakeup:
    """In-process wake-up for job runners: set when a transaction that enqueued jobs
    commits, so a worker in the same process starts at once instead of at its next poll."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until a notification newer than `seen` (or the timeout); the latest generation."""
        with self._cond:
            self._cond.wait_for(lambda: self._generation != seen, timeout)
            return self._generation

    @property
    def generation(self) -> int:
        return self._generation


def describe(target: str) -> str:
    """Where the data lives, without the password (for logs)."""
    if "://" not in target:
        return f"sqlite:{target}"
    return make_url(target).render_as_string(hide_password=True)


class Database:
    """An engine plus the two kinds of transaction the repositories need."""

    def __init__(self, target: str):
        """`target`: a SQLite file path (or ":memory:"), or a postgresql:// URL."""
        self.target = target
        self.is_postgres = "://" in target
        self.engine = _postgres_engine(target) if self.is_postgres else _sqlite_engine(target)
        self.wakeup = Wakeup()

    @property
    def dialect(self) -> str:
        return "postgresql" if self.is_postgres else "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may write; committed on success, rolled back on error.
        Job runners in this process are woken once a transaction that enqueued commits."""
        with self.engine.connect().execution_options(**{_WRITE: True}) as conn:
            try:
                with conn.begin():
                    yield conn
            finally:
                enqueued = conn.info.pop(ENQUEUED, None)  # info outlives the checkout: clear it
            if enqueued:
                self.wakeup.notify()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot; never blocks a writer)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def ping(self) -> bool:
        """True when the database answers (the health check)."""
        try:
            with self.read() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure to reach it is "unhealthy", never a crash
            return False

    def close(self) -> None:
        self.engine.dispose()


def _postgres_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    return create_engine(
        parsed,
        pool_size=10,
        max_overflow=40,
        pool_pre_ping=True,  # a restarted or failed-over server: reconnect, don't fail a job
        pool_recycle=1800,
        connect_args={"connect_timeout": 10, "application_name": "replica-bot"},
    )


def _sqlite_engine(path: str) -> Engine:
    memory = path == ":memory:"
    engine = create_engine(
        "sqlite://" if memory else f"sqlite:///{path}",
        # One shared connection for an in-memory database (tests); a pool for a file.
        **(
            {"poolclass": StaticPool}
            if memory
            else {"pool_size": 20, "max_overflow": 60, "pool_timeout": BUSY_TIMEOUT_MS / 1000}
        ),
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not memory:
            _enable_wal(cursor)
            # With WAL, NORMAL syncs at checkpoints: a killed process loses nothing, only a
            # power cut may drop the last commits; FULL put an fsync on every Slack event.
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (once; it is remembered). Processes starting together on a new
    file can see "database is locked" here, past the busy timeout: retry a few times."""
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # sqlite3.OperationalError
            if "locked" not in str(exc) or attempt == 49:
                raise OperationalError("PRAGMA journal_mode = WAL", {}, exc) from exc
            time.sleep(0.05)
