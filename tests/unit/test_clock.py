"""Machines whose clocks disagree share one PostgreSQL: locks, leases and heartbeats are
judged on the database's clock, so a clock minutes ahead takes nothing that is still held."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.health import WorkerWatch
from storage import Database, Repository, clock
from storage.jobs import JobSpec, JobStore
from storage.leases import Leases
from tests.pg import PostgresServer

AHEAD = timedelta(minutes=5)  # a machine whose time sync has failed


@pytest.fixture(autouse=True)
def own_clock() -> Iterator[None]:
    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    return postgres.new_database()


def machine_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on this process's machine clock runs five minutes ahead."""
    monkeypatch.setattr(clock, "system_now", lambda: datetime.now(UTC) + AHEAD)


def within_a_second(stamp: str, of: datetime) -> bool:
    return abs((datetime.fromisoformat(stamp) - of).total_seconds()) <= 1.5


def test_on_postgresql_time_is_the_servers_whatever_this_machines_clock_says(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(postgres_url)
    machine_ahead(monkeypatch)
    assert within_a_second(clock.utc_now(), datetime.now(UTC) + AHEAD)  # not synced: the machine's
    with caplog.at_level(logging.WARNING, logger="storage.clock"):
        offset = clock.sync(db)
        assert offset is not None and abs(offset - AHEAD.total_seconds()) < 1
        assert within_a_second(clock.utc_now(), datetime.now(UTC))
        assert within_a_second(clock.seconds_from_now(60), datetime.now(UTC) + timedelta(seconds=60))
        clock.sync(db)  # a heartbeat later: the same skew is not logged again
    skew_lines = [r.getMessage() for r in caplog.records if "event=clock_skew" in r.getMessage()]
    assert len(skew_lines) == 1 and "offset_s=300" in skew_lines[0]
    db.close()


def test_on_sqlite_time_is_this_machines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(str(tmp_path / "one-machine.db"))
    machine_ahead(monkeypatch)
    assert clock.sync(db) is None
    assert within_a_second(clock.utc_now(), datetime.now(UTC) + AHEAD)
    db.close()


def test_a_worker_whose_clock_is_ahead_takes_no_job_that_is_still_running(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Repository(postgres_url).db  # migrated (and synced, as every process is)
    jobs, leases = JobStore(db), Leases(db)
    jobs.enqueue(JobSpec("create_replica", {"n": 1}))
    (held,) = jobs.claim("worker-a", ["default"], lease_seconds=60)  # a Tavus create under way
    assert leases.acquire("scheduler", "worker-a", 60)

    # Worker B starts on a machine five minutes ahead: as every process, it follows the
    # database's clock from its first connection (Repository), and again at each heartbeat.
    machine_ahead(monkeypatch)
    clock.sync(db)
    assert jobs.claim("worker-b", ["default"], lease_seconds=60) == []  # still A's: no second create
    assert not leases.acquire("scheduler", "worker-b", 60)
    assert jobs.complete(held, "worker-a")
    db.close()


def test_a_web_role_whose_clock_is_ahead_still_sees_the_live_worker(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Repository(postgres_url).db
    leases = Leases(db)
    leases.beat("worker-a", "worker")  # a worker beating on a machine with the right time
    machine_ahead(monkeypatch)
    clock.sync(db)  # (the web role's watch loop does this before each look)
    watch = WorkerWatch(leases, JobStore(db), lease_seconds=60)
    assert watch.check().healthy
    db.close()
