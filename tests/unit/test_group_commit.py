"""Group commit on a SQLite file: writers in line share one transaction, each in a savepoint."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from storage import Database
from storage.group_commit import CommitFailed


def _database(tmp_path: Path) -> Database:
    db = Database(str(tmp_path / "group.db"))
    db.group_writes()
    with db.write() as tx:
        tx.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)")
        tx.execute(
            "CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    return db


def _names(db: Database) -> set[str]:
    with db.read() as tx:
        return set(tx.scalars("SELECT id FROM parent"))


def _wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_writers_in_line_share_one_commit_and_a_failing_block_undoes_only_its_own(tmp_path: Path) -> None:
    db = _database(tmp_path)
    grouped = db._grouped
    assert grouped is not None
    commits_before = grouped.commits
    first_inside, let_first_finish = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        with db.write() as tx:
            tx.execute("INSERT INTO parent (id) VALUES ('a')")
            first_inside.set()
            let_first_finish.wait(10)
        outcome["a"] = _names(db)  # what the first writer sees once its write returned

    def writer(name: str, fail: bool) -> None:
        try:
            with db.write() as tx:
                tx.execute("INSERT INTO parent (id) VALUES (:id)", {"id": name})
                if fail:
                    raise ValueError("this block fails")
            outcome[name] = "ok"
        except ValueError:
            outcome[name] = "failed"

    threads = [threading.Thread(target=first)]
    threads[0].start()
    first_inside.wait(10)
    threads += [threading.Thread(target=writer, args=("b", False)), threading.Thread(target=writer, args=("c", True))]
    for t in threads[1:]:
        t.start()
    _wait_for(lambda: grouped._in_line == 3)  # both are in line behind the first
    let_first_finish.set()
    for t in threads:
        t.join(10)
    assert outcome["b"] == "ok" and outcome["c"] == "failed"
    assert _names(db) == {"a", "b"}  # c's insert was undone, a's and b's kept
    assert "a" in outcome["a"] and "b" in outcome["a"]  # the first returned only after the commit
    assert grouped.commits == commits_before + 1  # three writers, one commit


def test_a_failed_commit_fails_its_writers_and_stores_nothing(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with pytest.raises(CommitFailed), db.write() as tx:
        tx.execute("INSERT INTO parent (id) VALUES ('kept?')")
        # A deferred foreign key is checked at COMMIT: the commit itself fails.
        tx.execute("INSERT INTO child (id, parent) VALUES ('orphan', 'nobody')")
    assert _names(db) == set()
    with db.write() as tx:  # and the next transaction starts clean
        tx.execute("INSERT INTO parent (id) VALUES ('next')")
    assert _names(db) == {"next"}


def test_a_write_inside_a_write_joins_its_transaction(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with db.write() as outer:
        outer.execute("INSERT INTO parent (id) VALUES ('outer')")
        with pytest.raises(ValueError), db.write() as inner:
            inner.execute("INSERT INTO parent (id) VALUES ('inner')")
            raise ValueError("inner block fails")
        with db.write() as inner:
            inner.execute("INSERT INTO parent (id) VALUES ('inner2')")
    assert _names(db) == {"outer", "inner2"}


def test_many_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    db = _database(tmp_path)
    grouped = db._grouped
    assert grouped is not None
    commits_before = grouped.commits

    def write(i: int) -> None:
        for k in range(20):
            with db.write() as tx:
                tx.execute("INSERT INTO parent (id) VALUES (:id)", {"id": f"{i}-{k}"})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(_names(db)) == 160
    assert grouped.commits - commits_before <= 160


def test_only_a_sqlite_file_asked_for_it_groups_its_writes(tmp_path: Path) -> None:
    file_db = Database(str(tmp_path / "plain.db"))
    assert file_db._grouped is None  # a worker's database: one transaction per write
    file_db.group_writes()
    assert file_db._grouped is not None
    memory = Database(":memory:")
    memory.group_writes()
    assert memory._grouped is None  # one shared connection: nothing to group


def test_with_grouped_writes_the_wal_is_checkpointed_in_the_background_not_in_a_commit(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with db.read() as tx:
        assert tx.first("PRAGMA wal_autocheckpoint") == (0,)  # no commit copies the log
    main_file = tmp_path / "group.db"
    before = main_file.stat().st_size
    with db.write() as tx:  # ~150 pages: under SQLite's own 1000-page threshold
        for i in range(300):
            tx.execute("INSERT INTO parent (id) VALUES (:id)", {"id": f"{i:04d}" + "x" * 2000})
    assert main_file.stat().st_size == before  # the rows are in the log only
    _wait_for(lambda: main_file.stat().st_size > before + 300 * 2000, timeout=5)  # copied in
    assert len(_names(db)) == 300
    db.close()


def test_a_single_statement_runs_alone_or_joins_an_open_group(tmp_path: Path) -> None:
    db = _database(tmp_path)
    grouped = db._grouped
    assert grouped is not None
    commits_before = grouped.commits
    with db.single_statement() as tx:  # nothing else writing: autocommit, no group of its own
        tx.execute("INSERT INTO parent (id) VALUES ('alone'), ('alone2')")
    assert grouped.commits == commits_before and _names(db) == {"alone", "alone2"}
    with pytest.raises(Exception, match="UNIQUE"), db.single_statement() as tx:
        tx.execute("INSERT INTO parent (id) VALUES ('new'), ('alone')")  # all of it or nothing
    assert _names(db) == {"alone", "alone2"}

    # A group is open between two writers (one more is in line): the statement must join
    # it, not wait beside it for SQLite's write lock (held by the group) until the busy timeout.
    done: list[str] = []

    def first() -> None:
        with db.write() as tx:
            tx.execute("INSERT INTO parent (id) VALUES ('first')")
            with grouped._lock:
                grouped._in_line += 1  # a writer about to ask for the gate: the group stays open
        done.append("first")

    def statement() -> None:
        with db.single_statement() as tx:
            tx.execute("INSERT INTO parent (id) VALUES ('statement')")
        done.append("statement")

    started = time.monotonic()
    threads = [threading.Thread(target=first), threading.Thread(target=statement)]
    threads[0].start()
    _wait_for(lambda: grouped._in_line == 1 and grouped._group is not None)  # first is done, its group open
    threads[1].start()
    _wait_for(lambda: grouped._group is not None and grouped._group.writers == 2)  # the statement joined
    with grouped._lock:
        grouped._in_line -= 1  # the writer in line arrives, and is the last: it commits for all
    with db.write() as tx:
        tx.execute("INSERT INTO parent (id) VALUES ('last')")
    for t in threads:
        t.join(30)
    assert sorted(done) == ["first", "statement"] and time.monotonic() - started < 3
    assert _names(db) == {"alone", "alone2", "first", "statement", "last"}
