"""Group commit for SQLite: the write transactions of a burst share one BEGIN … COMMIT.

SQLite takes one writer at a time, and this process already runs one statement at a time
(the gate in engine.py). Under a burst of Slack requests every transaction paid for its own
BEGIN IMMEDIATE, COMMIT and pool checkout, and the sqlite3 driver lets go of the GIL around
each of those calls, so the thread holding the gate waited for the GIL again after each one
while every other request queued behind it. Here, while more writers of this process are
in line, the transaction stays open: each writer's block runs in its own savepoint (an error
undoes only that block's changes), and the last writer in line commits for all. No writer
returns before the commit that holds its changes, so "recorded before acknowledged" still
holds; a failed commit fails every writer of the group.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

GROUP_MAX = 32  # writers per commit: bounds how long the first one waits under a long burst


class CommitFailed(Exception):
    """The group's COMMIT failed: nothing of this writer's block was stored."""


class _Group:
    """One open transaction and how many writers have put their changes in it."""

    def __init__(self, pooled: Any):
        self.pooled = pooled  # the pool's connection record, given back after the commit
        self.conn = pooled.driver_connection
        self.writers = 0
        self.error: BaseException | None = None
        self.committed = threading.Event()


class GroupCommit:
    """Write transactions for one SQLite database, grouped while writers queue for them."""

    def __init__(
        self,
        gate: Callable[[], contextlib.AbstractContextManager[None]],
        checkout: Callable[[], Any],
        new_tx: Callable[[Any], Any],
    ):
        self._gate = gate  # the process's database gate: one statement at a time
        self._checkout = checkout  # a pooled connection
        self._new_tx = new_tx
        self._lock = threading.Lock()
        self._in_line = 0  # writers that have asked for the gate and not finished their block
        self._group: _Group | None = None  # changed only with the gate held
        self._inside = threading.local()  # the group this thread's block is running in
        self.commits = 0  # groups committed (for tests and curiosity)

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        """Yields a Tx; returns once the transaction holding the block's changes commits.
        Raises what the block raised (its changes undone), or CommitFailed."""
        running: _Group | None = getattr(self._inside, "group", None)
        if running is not None:
            # A write inside a write on the same thread: a savepoint in the open transaction.
            with self._savepoint(running) as tx:
                yield tx
            return
        with self._lock:
            self._in_line += 1
        group: _Group | None = None
        with self._gate():
            try:
                group = self._join()
                self._inside.group = group
                with self._savepoint(group) as tx:
                    yield tx
            finally:
                self._inside.group = None
                self._leave()
        assert group is not None
        group.committed.wait()
        if group.error is not None:
            raise CommitFailed(f"the transaction was not committed: {group.error}") from group.error

    @contextlib.contextmanager
    def single_statement(self) -> Iterator[Any]:
        """Yields a Tx for a block that runs ONE statement. With no group open in this process
        it runs alone in autocommit, the gate held (one driver call instead of BEGIN,
        SAVEPOINT, RELEASE and COMMIT); otherwise it joins the open group, as `write()` does
        (an open group holds SQLite's write lock: a statement beside it would wait for it)."""
        if getattr(self._inside, "group", None) is None:
            with self._gate():
                if self._group is None:
                    pooled = self._checkout()
                    try:
                        yield self._new_tx(pooled.driver_connection)
                    finally:
                        pooled.close()
                    return
        with self.write() as tx:
            yield tx

    def _join(self) -> _Group:
        """The open group, or a new one; the gate is held."""
        if self._group is None:
            pooled = self._checkout()
            try:
                pooled.driver_connection.cursor().execute("BEGIN IMMEDIATE")
            except BaseException:
                pooled.close()
                raise
            self._group = _Group(pooled)
        self._group.writers += 1
        return self._group

    def _leave(self) -> None:
        """A writer is done with its block (or never got to run it); the gate is held. The
        last writer in line commits the open group, and so does one that fills it."""
        with self._lock:
            self._in_line -= 1
            group = self._group
            if group is None or (self._in_line > 0 and group.writers < GROUP_MAX):
                return
        self._group = None
        try:
            group.conn.cursor().execute("COMMIT")
            self.commits += 1
        except BaseException as exc:
            group.error = exc
            with contextlib.suppress(Exception):
                group.conn.cursor().execute("ROLLBACK")
        finally:
            group.pooled.close()
            group.committed.set()

    @contextlib.contextmanager
    def _savepoint(self, group: _Group) -> Iterator[Any]:
        cursor = group.conn.cursor()
        cursor.execute("SAVEPOINT writer")
        try:
            yield self._new_tx(group.conn)
        except BaseException:
            with contextlib.suppress(Exception):
                cursor.execute("ROLLBACK TO SAVEPOINT writer")
                cursor.execute("RELEASE SAVEPOINT writer")
            raise
        cursor.execute("RELEASE SAVEPOINT writer")
