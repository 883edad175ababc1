"""One database, two engines: embedded SQLite (a file) or PostgreSQL (`DATABASE_URL`).

Everything above this module writes one SQL dialect — `:name` parameters (a list value
expands for `IN :name`), `ON CONFLICT`, `RETURNING` — and runs it through `Tx`, a thin
layer over the driver's own cursor (sqlite3, psycopg 3). SQLAlchemy provides the engine:
URL handling, the thread-safe connection pool and the connect-time setup; its statement
machinery is left out of the hot path (a write transaction through it cost 5× the
driver's own, and the web role's acks are mostly this).

Transactions are explicit on both engines: connections run in autocommit, a read is one
statement, and a write is `BEGIN` (`BEGIN IMMEDIATE` on SQLite: the lock is taken up
front, so two writers never deadlock upgrading) … `COMMIT`. SQLite runs in WAL (readers
never wait for the writer) with a busy timeout, so several processes on one machine work;
in a process that answers Slack, the writes in line share one transaction (group_commit.py).
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from .checkpoint import Checkpointer
from .group_commit import GroupCommit

BUSY_TIMEOUT_MS = 30_000
ENQUEUED = "replica_bot_enqueued"  # Tx.info key: this transaction enqueued jobs


def describe(target: str) -> str:
    """Where the data lives, without the password (for logs)."""
    if "://" not in target:
        return f"sqlite:{target}"
    return make_url(target).render_as_string(hide_password=True)


class Gate:
    """At most `width` threads of this process talk to the database at once; re-entrant.

    Every database call releases and retakes the GIL; sixteen request threads doing that
    together spent more CPU handing the GIL around than on the queries (a burst of
    `/replica status` cost 5× the CPU of the same requests one at a time). Queries are
    short, so queueing for them costs less than that."""

    def __init__(self, width: int):
        self._slots = threading.BoundedSemaphore(width)
        self._held = threading.local()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        depth = getattr(self._held, "depth", 0)
        if depth == 0:
            self._slots.acquire()
        self._held.depth = depth + 1
        try:
            yield
        finally:
            self._held.depth = depth
            if depth == 0:
                self._slots.release()


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


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


class Tx:
    """A connection in use: `execute` SQL with `:name` parameters on either driver."""

    def __init__(self, dbapi_conn: Any, is_postgres: bool):
        self._conn = dbapi_conn
        self._pg = is_postgres
        self.info: dict[str, Any] = {}

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one statement; returns the driver's cursor (rowcount, fetchone, fetchall)."""
        values = dict(params or {})
        lists = {k: v for k, v in values.items() if isinstance(v, list | tuple)}
        if lists:
            sql, values = _expand(sql, values, lists)
        cursor = self._conn.cursor()
        cursor.execute(_to_pyformat(sql) if self._pg else sql, values)
        return cursor

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.execute(sql, params)
        found = cursor.fetchall()
        if not found:
            return []
        names = _column_names(cursor)
        return [dict(zip(names, row, strict=True)) for row in found]

    def first(self, sql: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        row = self.execute(sql, params).fetchone()
        return tuple(row) if row is not None else None

    def scalars(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return [row[0] for row in self.execute(sql, params).fetchall()]


def _column_names(cursor: Any) -> list[str]:
    """The result's column names, interned: they then match keyword parameters by identity
    (`Submission(**row)` with ~45 fields otherwise compares strings pairwise, several times
    the cost). psycopg builds a Column object per field for `description` on every call
    (68 µs for 41 columns); its result object names them for 12 µs."""
    result = getattr(cursor, "pgresult", None)
    if result is not None:
        return [sys.intern(result.fname(i).decode()) for i in range(result.nfields)]
    return [sys.intern(d[0]) for d in cursor.description]


def _expand(sql: str, values: dict[str, Any], lists: Mapping[str, Sequence[Any]]) -> tuple[str, dict[str, Any]]:
    """`IN :name` with a list → `IN (:name_0, :name_1, …)`."""
    for name, items in lists.items():
        keys = [f"{name}_{i}" for i in range(len(items))] or [f"{name}_none"]
        sql = re.sub(rf"(?<![:\w]):{name}\b", "(" + ", ".join(f":{k}" for k in keys) + ")", sql)
        del values[name]
        values.update(zip(keys, items, strict=False))
        if not items:
            values[keys[0]] = None  # IN (NULL): matches nothing
    return sql, values


_PYFORMAT: dict[str, str] = {}


def _to_pyformat(sql: str) -> str:
    """psycopg's parameter style: `:name` → `%(name)s` (a literal % doubled)."""
    converted = _PYFORMAT.get(sql)
    if converted is None:
        converted = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
        if len(_PYFORMAT) < 4096:
            _PYFORMAT[sql] = converted
    return converted


class Database:
    """A pool of connections plus the two kinds of transaction the repositories need."""

    def __init__(self, target: str):
        """`target`: a SQLite file path (or ":memory:"), or a postgresql:// URL."""
        self.target = target
        self.is_postgres = "://" in target
        self.engine = _postgres_engine(target) if self.is_postgres else _sqlite_engine(target)
        self.wakeup = Wakeup()
        # SQLite: one statement at a time per process (it is local and quick; and writers left
        # to SQLite's busy handler back off in sleeps of up to 100 ms under a burst).
        # PostgreSQL: a few at once, to overlap the network round trips.
        self._gate = Gate(4 if self.is_postgres else 1)
        self._begin = "BEGIN" if self.is_postgres else "BEGIN IMMEDIATE"
        self._grouped: GroupCommit | None = None  # see group_writes()
        self._checkpointer: Checkpointer | None = None

    @property
    def dialect(self) -> str:
        return "postgresql" if self.is_postgres else "sqlite"

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        with self._gate():
            pooled = self.engine.raw_connection()
            try:
                yield pooled.driver_connection
            except BaseException:
                if _is_broken(pooled.driver_connection):
                    pooled.invalidate()  # a server restart or failover: reconnect next time
                raise
            finally:
                pooled.close()  # back to the pool

    def write(self) -> contextlib.AbstractContextManager[Tx]:
        """A transaction that may write; committed on success, rolled back on error."""
        return self._waking_runners(self._grouped.write() if self._grouped is not None else self._own_transaction())

    @contextlib.contextmanager
    def _waking_runners(self, transaction: contextlib.AbstractContextManager[Tx]) -> Iterator[Tx]:
        """`transaction`'s Tx; job runners in this process are woken once it has committed
        jobs (`ENQUEUED`)."""
        with transaction as tx:
            yield tx
        if tx.info.get(ENQUEUED):
            self.wakeup.notify()

    @contextlib.contextmanager
    def _own_transaction(self) -> Iterator[Tx]:
        """BEGIN … COMMIT for this writer alone (ROLLBACK on error)."""
        with self._connection() as conn:
            tx = Tx(conn, self.is_postgres)
            conn.cursor().execute(self._begin)
            try:
                yield tx
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.cursor().execute("ROLLBACK")
                raise
            conn.cursor().execute("COMMIT")

    def single_statement(self) -> contextlib.AbstractContextManager[Tx]:
        """A write that is exactly ONE statement, run in autocommit as its own transaction
        (atomic, as any statement is): one driver call, where `write()` makes three (BEGIN,
        it, COMMIT; five within a SQLite group) and each lets go of the GIL and waits to take
        it back. Under a burst of 100 requests on PostgreSQL the web role's batches took ~6 ms
        instead of ~15 (medians). While a SQLite group is open, it joins the group instead.
        A second statement here would commit on its own; not for use inside `write()`."""
        return self._waking_runners(
            self._grouped.single_statement() if self._grouped is not None else self._autocommit()
        )

    @contextlib.contextmanager
    def _autocommit(self) -> Iterator[Tx]:
        with self._connection() as conn:  # (connections are opened in autocommit mode)
            yield Tx(conn, self.is_postgres)

    def group_writes(self) -> None:
        """From now on a SQLite file's writers in line share one transaction (group_commit.py).
        For processes that answer Slack's requests, where a burst's writes queue behind each
        other; a worker keeps one transaction per write (grouped, each photo thread waited
        for the others' writes: 9 % fewer photos per minute). PostgreSQL runs several
        transactions at once, and ":memory:" has one connection: both stay as they are.
        The WAL is then checkpointed in the background, not inside a group's COMMIT."""
        if not self.is_postgres and self.target != ":memory:" and self._grouped is None:
            event.listen(self.engine, "connect", _no_autocheckpoint)  # checkpoint.py does it
            self.engine.dispose()  # the pooled connections reopen without their own checkpoints
            self._checkpointer = Checkpointer(self.target).start()
            self._grouped = GroupCommit(self._gate, self.engine.raw_connection, lambda conn: Tx(conn, False))

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """A connection for reads; each statement sees the latest committed state and never
        blocks a writer (WAL on SQLite, MVCC on PostgreSQL)."""
        with self._connection() as conn:
            yield Tx(conn, self.is_postgres)

    def warm(self, connections: int) -> None:
        """Open this many pooled connections now, before traffic: opening one in the middle
        of a burst costs a PostgreSQL server process (several milliseconds)."""
        if not self.is_postgres:
            return
        held = [self.engine.raw_connection() for _ in range(connections)]
        for conn in held:
            conn.close()

    def server_time(self) -> datetime | None:
        """The PostgreSQL server's clock now (for clock.sync); None for SQLite, which runs on
        this machine. `clock_timestamp()`, not `now()`: that is the transaction's start."""
        if not self.is_postgres:
            return None
        with self.read() as tx:
            row = tx.first("SELECT clock_timestamp()")
        assert row is not None
        value: datetime = row[0]
        return value

    def ping(self) -> bool:
        """True when the database answers (the health check)."""
        try:
            with self.read() as tx:
                tx.execute("SELECT 1")
            return True
        except Exception:  # any failure to reach it is "unhealthy", never a crash
            return False

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()


def _is_broken(dbapi_conn: Any) -> bool:
    return bool(getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False))


def _postgres_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    engine = create_engine(
        parsed,
        # Enough kept open for a web process's 16 request threads (or a worker's threads) at
        # once: connections opened past the pool are closed again, and opening one costs a
        # server process fork (~5 ms) in the middle of a burst.
        pool_size=24,
        max_overflow=40,
        pool_recycle=1800,
        pool_reset_on_return=None,  # autocommit: nothing is left open to roll back
        connect_args={"connect_timeout": 10, "application_name": "replica-bot", "autocommit": True},
    )
    return engine


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
        pool_reset_on_return=None,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not memory:
            _enable_wal(cursor)
            # With WAL, NORMAL syncs at checkpoints: a killed process loses nothing, only a
            # power cut may drop the last commits; FULL put an fsync on every Slack event.
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return engine


def _no_autocheckpoint(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint = 0")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (once; it is remembered). Processes starting together on a new
    file can see "database is locked" here, past the busy timeout: retry a few times."""
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # sqlite3.OperationalError
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)
