"""The web role's watch on workers (bot/health/), on SQLite and on a real PostgreSQL, and what
the door says of a command or a photo stored while no worker runs."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest

from bot.health import WorkerWatch, alive_window, status_of
from bot.inbox import STORED, Door
from bot.inbox.door import STORED_NO_WORKER
from bot.inbox.uploads import Upload
from handlers import STORED_ACTIONS, STORED_EVENTS
from storage import Repository
from storage.jobs import JobSpec, JobStore, Waiting
from storage.leases import Leases, ProcessRow
from tests.unit.test_inbox import FORM, JSON, SECRET, command_body, event_body, headers


def row(role: str, pid: int = 1) -> ProcessRow:
    return ProcessRow(
        f"{role}-{pid}", role, "host", pid, "2026-11-27T10:00:00+00:00", "2026-11-27T10:00:00+00:00", None
    )


def test_the_status_counts_processes_that_run_jobs_and_ages_the_oldest_waiting_job() -> None:
    now = datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC)
    status = status_of([row("worker"), row("all", 2), row("web", 3)], Waiting(4, "2026-11-27T10:00:00+00:00"), now)
    assert (status.workers, status.jobs_waiting, status.oldest_waiting_seconds) == (2, 4, 30.0)
    assert status.healthy
    none = status_of([row("web")], Waiting(1, "2026-11-27T10:00:20"), now)  # a naive time is UTC
    assert not none.healthy and none.oldest_waiting_seconds == 10.0
    assert none.as_dict() == {"workers": 0, "jobs_waiting": 1, "oldest_waiting_seconds": 10.0}
    assert status_of([], Waiting(0, None), now).oldest_waiting_seconds is None
    assert status_of([], Waiting(2, "not a time"), now).oldest_waiting_seconds is None
    # three heartbeats, and never less than 5 s (heartbeats are stored to the second)
    assert alive_window(60) == 45.0 and alive_window(3) == 5.0


def test_the_watch_sees_workers_come_and_go_and_logs_each_change(
    database_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Repository(database_url).db
    jobs, leases = JobStore(db), Leases(db)
    watch = WorkerWatch(leases, jobs, lease_seconds=60, quiet_start_seconds=0)
    jobs.enqueue(JobSpec("k", {}))
    jobs.enqueue(JobSpec("later", {}, delay_seconds=600))  # not due: not waiting yet
    caplog.set_level(logging.INFO, logger="bot.health.workers")
    first = watch.check()
    assert (first.workers, first.jobs_waiting) == (0, 1) and first.oldest_waiting_seconds is not None
    assert "event=no_worker_alive jobs_waiting=1" in caplog.text
    leases.beat("web-1", "web")  # a web role's row (if it had one) is not a worker
    assert not watch.alive()  # looked again (the last look said none), still none
    leases.beat("worker-1", "worker")
    assert watch.alive()
    assert "event=workers_back workers=1" in caplog.text
    calls = []
    monkeypatch.setattr(leases, "processes", lambda **kw: calls.append(kw) or [])
    assert watch.alive() and calls == []  # a live worker is believed without a read
    monkeypatch.undo()
    leases.stopped("worker-1")
    assert not watch.check().healthy
    assert caplog.text.count("event=no_worker_alive") == 2
    # A job whose worker died holding it waits again once the lease lapses.
    (held,) = jobs.claim("dead", ["default"], lease_seconds=1)
    assert watch.check().jobs_waiting == 0
    time.sleep(2.1)  # lease times are whole seconds
    assert watch.check().jobs_waiting == 1


def test_a_web_role_just_started_waits_one_window_before_saying_no_worker(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A deploy starts web roles and workers together: a web role's first looks, before its
    workers' first beats, are not an outage to log (and then "back")."""
    db = Repository(database_url).db
    leases = Leases(db)
    watch = WorkerWatch(leases, JobStore(db), lease_seconds=60, quiet_start_seconds=0.5)
    caplog.set_level(logging.INFO, logger="bot.health.workers")
    assert not watch.check().healthy  # true, and /healthz/workers says so at once
    leases.beat("worker-1", "worker")
    assert watch.check().healthy
    assert "no_worker_alive" not in caplog.text and "workers_back" not in caplog.text
    leases.stopped("worker-1")
    assert not watch.check().healthy
    assert "no_worker_alive" not in caplog.text  # still within the quiet start
    time.sleep(0.6)
    watch.check()
    assert caplog.text.count("event=no_worker_alive") == 1
    watch.check()
    assert caplog.text.count("event=no_worker_alive") == 1  # once per absence (again each minute while work waits)


def test_when_the_database_cannot_say_a_worker_is_assumed(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = Repository(database_url).db
    leases = Leases(db)
    watch = WorkerWatch(leases, JobStore(db), lease_seconds=60)

    def away(**_: object) -> None:
        raise ConnectionError("database away")

    monkeypatch.setattr(leases, "processes", away)
    with pytest.raises(ConnectionError):
        watch.check()
    assert watch.alive()  # the door then acks as always; /healthz reports the database
    (record,) = [r for r in caplog.records if "worker_watch_failed" in r.getMessage()]
    assert record.getMessage() == "event=worker_watch_failed error=ConnectionError" and record.exc_info is None


def test_a_command_stored_while_no_worker_runs_is_acked_with_why_it_waits(database_url: str) -> None:
    jobs = JobStore(Repository(database_url).db)
    alive = {"now": False}
    door = Door(
        jobs,
        SECRET,
        STORED_EVENTS,
        STORED_ACTIONS,
        commands=frozenset({"/replica"}),
        workers_alive=lambda: alive["now"],
    )
    body = command_body("status")
    answer = door.answer(body.encode(), headers(body, FORM))
    assert answer == STORED_NO_WORKER and answer is not None
    reply = json.loads(answer.body)
    assert reply["response_type"] == "ephemeral" and "not running right now" in reply["text"]
    event = event_body("Ev9", subtype="file_share")
    assert door.answer(event.encode(), headers(event, JSON)) == STORED  # Slack shows nothing for events
    alive["now"] = True
    again = command_body("help")
    assert door.answer(again.encode(), headers(again, FORM)) == STORED
    assert jobs.counts() == {"available": 3}  # all stored: a worker answers them when it starts


def test_a_photo_stored_while_no_worker_runs_is_noted_in_its_thread_once(database_url: str) -> None:
    jobs = JobStore(Repository(database_url).db)
    alive = {"now": False}
    waiting: list[Upload] = []
    door = Door(
        jobs, SECRET, STORED_EVENTS, STORED_ACTIONS, workers_alive=lambda: alive["now"], upload_waits=waiting.append
    )
    photo = {"user": "U1", "channel": "D1", "channel_type": "im", "ts": "1710.000100", "files": [{"id": "F1"}]}

    def send(body: str, **extra: str) -> None:
        assert door.answer(body.encode(), {**headers(body, JSON), **extra}) == STORED

    send(event_body("Ev1", subtype="file_share", **photo))
    send(event_body("Ev1", subtype="file_share", **photo), **{"x-slack-retry-num": "1"})  # its first copy was told
    send(event_body("Ev2", user="U1", channel="D1", channel_type="im", text="hi"))  # not a photo
    alive["now"] = True
    send(event_body("Ev3", subtype="file_share", **photo))  # a worker will answer it at once
    assert waiting == [Upload("T1", "D1", "1710.000100", "Ev1")]
    assert jobs.counts() == {"available": 3}  # every one stored all the same (Ev1 once)


def test_workers_that_leave_due_work_waiting_past_the_limit_are_reported(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime(2026, 11, 27, 10, 10, 0, tzinfo=UTC)
    late = status_of([row("worker")], Waiting(3, "2026-11-27T10:00:00+00:00"), now)
    assert late.healthy and late.backlogged(300) and not late.backlogged(600)
    assert not status_of([row("worker")], Waiting(0, None), now).backlogged(0)
    db = Repository(database_url).db
    jobs, leases = JobStore(db), Leases(db)
    leases.beat("worker-1", "worker")
    watch = WorkerWatch(leases, jobs, lease_seconds=60, backlog_alert_seconds=5)
    caplog.set_level(logging.INFO, logger="bot.health.workers")
    jobs.enqueue(JobSpec("k", {}))
    assert not watch.check().backlogged(5) and "event=jobs_backlog" not in caplog.text
    time.sleep(6.1)  # due and untaken past the limit (timestamps are whole seconds)
    assert watch.check().backlogged(5)
    assert "event=jobs_backlog workers=1 jobs_waiting=1" in caplog.text
    watch.check()
    assert caplog.text.count("event=jobs_backlog") == 1  # once a minute, not on every look
