"""Jobs as rows and leases, on SQLite and on a real PostgreSQL: claim once, lease, take over."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest

from bot.jobs import GIVE_UP, KINDS, PRIVATE_ARGS, JobRunner
from storage import Database, Repository
from storage.engine import Wakeup
from storage.jobs import MAX_ROWS_PER_INSERT, Job, JobSpec, JobStore, insert_job
from storage.leases import Leases
from storage.notify import JobListener
from tests.e2e.harness import wait_for


def fresh(database_url: str) -> tuple[Database, JobStore, Leases]:
    db = Repository(database_url).db  # migrated
    return db, JobStore(db), Leases(db)


def test_a_job_is_claimed_by_one_worker_only(database_url: str) -> None:
    db, jobs, _ = fresh(database_url)
    for i in range(40):
        assert jobs.enqueue(JobSpec("k", {"n": i}))
    got: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        store = JobStore(Database(database_url))
        while True:
            claimed = store.claim(name, ["default"], 30)
            if not claimed:
                return
            with lock:
                got.extend(j.args["n"] for j in claimed)
            for job in claimed:
                assert store.complete(job, name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(40))  # every job once: none lost, none twice
    assert jobs.counts() == {"done": 40}


def test_a_dead_workers_job_is_taken_over_when_its_lease_lapses(database_url: str) -> None:
    _, jobs, _ = fresh(database_url)
    jobs.enqueue(JobSpec("k", {"n": 1}))
    (held,) = jobs.claim("dead", ["default"], lease_seconds=1)
    assert jobs.claim("alive", ["default"], 30) == []  # leased: nobody else gets it
    time.sleep(2.1)
    (again,) = jobs.claim("alive", ["default"], 30)
    assert again.id == held.id and again.attempt == 2
    assert not jobs.complete(held, "dead")  # the dead worker's late answer changes nothing
    assert jobs.complete(again, "alive")


def test_many_enqueued_at_once_all_go_in_and_repeated_keys_once(database_url: str) -> None:
    db, store, _ = fresh(database_url)
    assert store.enqueue(JobSpec("k", {"n": 0}, dedupe_key="waits"))
    specs = [
        JobSpec("k", {"n": 1}, dedupe_key="waits"),  # one with this key waits: skipped
        JobSpec("k", {"n": 2}, dedupe_key="twice", subject="s1", team_id="T1"),
        JobSpec("k", {"n": 3}, dedupe_key="twice"),  # repeats a key earlier in the batch
        JobSpec("other", {"n": 4}, queue="q2", delay_seconds=600, max_attempts=2),
        JobSpec("k", {"n": 5}),
    ]
    store.enqueue_all(specs)
    with db.read() as tx:
        rows = tx.rows("SELECT * FROM jobs ORDER BY id")
    assert [json.loads(r["args_json"])["n"] for r in rows] == [0, 2, 4, 5]
    two, four = rows[1], rows[2]
    assert (two["subject"], two["team_id"], two["dedupe_key"], two["queue"]) == ("s1", "T1", "twice", "default")
    assert (four["kind"], four["queue"], four["max_attempts"], four["state"]) == ("other", "q2", 2, "available")
    assert four["run_at"] > two["run_at"]  # delayed by ten minutes
    assert [j.args["n"] for j in store.claim("w", ["default"], 30, limit=10)] == [0, 2, 5]
    store.enqueue_all([])  # nothing to do, and no error
    with pytest.raises(ValueError, match="at most"):
        store.enqueue_all([JobSpec("k", {"n": i}) for i in range(MAX_ROWS_PER_INSERT + 1)])
    with db.read() as tx:
        assert tx.scalars("SELECT COUNT(*) FROM jobs") == [4]  # none of those went in


def test_keys_dedupe_waiting_and_running_jobs_only(database_url: str) -> None:
    _, jobs, _ = fresh(database_url)
    assert jobs.enqueue(JobSpec("k", dedupe_key="check:s1"))
    assert not jobs.enqueue(JobSpec("k", dedupe_key="check:s1"))  # one is waiting
    (job,) = jobs.claim("w", ["default"], 30)
    assert not jobs.enqueue(JobSpec("k", dedupe_key="check:s1"))  # one is running
    jobs.complete(job, "w")
    assert jobs.enqueue(JobSpec("k", dedupe_key="check:s1"))  # finished: a new one may start


def test_failures_back_off_then_fail_and_a_requested_delay_costs_no_attempt(database_url: str) -> None:
    _, jobs, _ = fresh(database_url)
    jobs.enqueue(JobSpec("k", max_attempts=2))
    (job,) = jobs.claim("w", ["default"], 30)
    assert jobs.fail(job, "w", "later please", retry_in=0) == "retry"
    (job,) = jobs.claim("w", ["default"], 30)
    assert job.attempt == 1  # the requested delay was not an attempt
    assert jobs.fail(job, "w", "boom") == "retry"
    assert jobs.claim("w", ["default"], 30) == []  # backing off
    time.sleep(2.2)
    (job,) = jobs.claim("w", ["default"], 30)
    assert jobs.fail(job, "w", "boom again") == "failed"
    (recent,) = jobs.recent()
    assert recent.state == "failed" and recent.last_error == "boom again"


def test_release_gives_jobs_back_at_once(database_url: str) -> None:
    _, jobs, _ = fresh(database_url)
    jobs.enqueue(JobSpec("k"))
    jobs.claim("stopping", ["default"], 300)
    assert jobs.release("stopping") == 1
    (job,) = jobs.claim("other", ["default"], 30)
    assert job.attempt == 1  # a graceful stop is not a failed attempt


def test_one_lease_holder_and_takeover_after_expiry(database_url: str) -> None:
    _, _, leases = fresh(database_url)
    assert leases.acquire("scheduler", "a", 1)
    assert not leases.acquire("scheduler", "b", 1)
    assert leases.acquire("scheduler", "a", 1)  # renewing
    time.sleep(2.1)
    assert leases.acquire("scheduler", "b", 1)  # a stopped renewing: b takes over
    assert leases.holder("scheduler") == "b"
    leases.release("scheduler", "b")
    assert leases.acquire("scheduler", "a", 1)


def test_a_dead_local_process_is_reaped(database_url: str) -> None:
    _, jobs, leases = fresh(database_url)
    leases.beat("ghost", "worker")
    jobs.enqueue(JobSpec("k"))
    jobs.claim("ghost", ["default"], 300)
    leases.acquire("scheduler", "ghost", 300)
    assert leases.reap_dead_local("me", pid_alive=lambda pid: True) == []
    assert leases.reap_dead_local("me", pid_alive=lambda pid: False) == ["ghost"]
    assert jobs.claim("me", ["default"], 30)  # its job is free now
    assert leases.acquire("scheduler", "me", 30)  # and so is its lease


def test_list_parameters_expand_on_both_engines(database_url: str) -> None:
    db, jobs, _ = fresh(database_url)
    for queue in ("a", "b", "c"):
        jobs.enqueue(JobSpec("k", queue=queue))
    with db.read() as tx:
        assert sorted(tx.scalars("SELECT queue FROM jobs WHERE queue IN :qs", {"qs": ["a", "c"]})) == ["a", "c"]
        assert tx.scalars("SELECT queue FROM jobs WHERE queue IN :qs", {"qs": []}) == []
        assert tx.first("SELECT COUNT(*) FROM jobs WHERE kind LIKE '%k%'") == (3,)  # a literal %


def test_every_job_kind_module_is_registered_with_the_runner() -> None:
    """A kind missing from KINDS is enqueued and then dropped as unknown by every worker."""
    import importlib
    import pkgutil

    import bot.jobs.kinds as kinds_package
    from bot.jobs import KINDS

    modules = [
        importlib.import_module(f"bot.jobs.kinds.{m.name}") for m in pkgutil.iter_modules(kinds_package.__path__)
    ]
    assert len(modules) >= 9
    for module in modules:
        assert KINDS.get(module.KIND) is module.perform, module.__name__
        assert GIVE_UP.get(module.KIND) is getattr(module, "give_up", None), module.__name__
    assert set(GIVE_UP) >= {"check_photo", "slack_request"}  # the person hears of these


def test_a_job_given_up_for_good_gets_its_kinds_last_word_once(database_url: str) -> None:
    """Given up: its last attempt raised, or the processes that held it died until its
    attempts ran out. A retry is not given up, and a last word that raises stops nothing."""
    db, jobs, _ = fresh(database_url)
    ran: list[int] = []
    last_words: list[tuple[int, str]] = []

    def perform(_: object, job: Job) -> None:
        ran.append(job.args["n"])
        if job.args["n"] in (1, 4) and job.attempt == 1:
            raise RuntimeError("boom")

    def last_word(_: object, job: Job, why: str) -> None:
        last_words.append((job.args["n"], why))
        raise RuntimeError("the last word failed too")

    jobs.enqueue(JobSpec("k", {"n": 2}, max_attempts=1))
    (held,) = jobs.claim("dead", ["default"], lease_seconds=1)  # its process dies holding it
    jobs.enqueue(JobSpec("k", {"n": 1}, max_attempts=1))  # raises on its only attempt
    jobs.enqueue(JobSpec("k", {"n": 3}, max_attempts=1))  # runs
    jobs.enqueue(JobSpec("k", {"n": 4}, max_attempts=2))  # raises, then runs on its retry
    time.sleep(2.1)  # the dead one's lease lapses
    runner = JobRunner(
        db,
        {"k": perform},
        None,
        lanes={"io": (("default",), 1)},
        role="worker",
        lease_seconds=2,
        poll_seconds=0.05,
        given_up={"k": last_word},
    ).start()
    try:
        wait_for(lambda: jobs.counts() == {"failed": 2, "done": 2}, timeout=15)
    finally:
        runner.stop(timeout=5)
    assert sorted(ran) == [1, 3, 4, 4]  # the dead process's job never ran again
    assert sorted(last_words) == [(1, "kept_failing"), (2, "workers_died")]
    assert held.args["n"] == 2 and not jobs.complete(held, "dead")


def test_an_ended_job_keeps_only_the_arguments_it_was_told_to_keep(database_url: str) -> None:
    """Done, failed for good or dropped: the row's arguments become `kept_args`; a failure that
    will be retried, and an end without `kept_args`, leave them whole."""
    _, jobs, _ = fresh(database_url)
    secret = {"n": 0, "body": "token=legacy&text=hi", "response_url": "http://slack.test/r"}

    def args_of(job_id: int) -> dict[str, Any]:
        (row,) = [j for j in jobs.recent() if j.id == job_id]
        return row.args

    for n, end in enumerate(("done", "failed", "dropped", "retried", "kept")):
        jobs.enqueue(JobSpec("k", {**secret, "n": n}, max_attempts=1 if end != "retried" else 2))
        (job,) = jobs.claim("w", ["default"], 30)
        kept = {"n": n}
        if end == "done":
            assert jobs.complete(job, "w", kept)
        elif end == "failed":
            assert jobs.fail(job, "w", "boom", kept_args=kept) == "failed"
        elif end == "dropped":
            assert jobs.abandon(job, "w", "unknown job kind", kept)
        elif end == "retried":
            assert jobs.fail(job, "w", "boom", kept_args=kept) == "retry"
        else:
            assert jobs.complete(job, "w")
        expected = {**secret, "n": n} if end in ("retried", "kept") else kept
        assert args_of(job.id) == expected, end
    # A worker whose lease lapsed writes nothing, arguments included.
    jobs.enqueue(JobSpec("k", secret))
    (job,) = jobs.claim("w", ["default"], 30)
    assert not jobs.complete(job, "someone else", {})
    assert args_of(job.id) == secret


def test_an_uninstall_cancels_a_workspaces_waiting_jobs_and_forgets_their_arguments(database_url: str) -> None:
    _, jobs, _ = fresh(database_url)
    jobs.enqueue(JobSpec("k", {"text": "gone"}, team_id="T1"))
    jobs.enqueue(JobSpec("k", {"text": "stays"}, team_id="T2"))
    assert jobs.cancel_waiting(team_id="T1") == 1
    assert sorted((j.state, j.team_id, json.dumps(j.args)) for j in jobs.recent()) == [
        ("available", "T2", '{"text": "stays"}'),
        ("cancelled", "T1", "{}"),
    ]


def test_a_kinds_private_arguments_leave_the_row_when_its_job_ends_after_its_last_word(database_url: str) -> None:
    """The runner drops a kind's private arguments from the row however its job ends; the
    kind's last word still reads them (a given-up command is answered at its response_url)."""
    db, jobs, _ = fresh(database_url)
    heard: list[dict[str, Any]] = []

    def perform(_: object, job: Job) -> None:
        if job.args["n"] == 1:
            raise RuntimeError("boom")

    jobs.enqueue(JobSpec("k", {"n": 0, "url": "http://slack.test/r0", "note": "kept"}, max_attempts=1))
    jobs.enqueue(JobSpec("k", {"n": 1, "url": "http://slack.test/r1"}, max_attempts=1))
    jobs.enqueue(JobSpec("plain", {"n": 2, "url": "http://slack.test/r2"}, max_attempts=1))
    runner = JobRunner(
        db,
        {"k": perform, "plain": perform},
        None,
        lanes={"io": (("default",), 1)},
        role="worker",
        lease_seconds=2,
        poll_seconds=0.05,
        given_up={"k": lambda _, job, why: heard.append(dict(job.args))},
        private_args={"k": frozenset({"url"})},
    ).start()
    try:
        wait_for(lambda: jobs.counts() == {"done": 2, "failed": 1}, timeout=15)
    finally:
        runner.stop(timeout=5)
    assert heard == [{"n": 1, "url": "http://slack.test/r1"}]
    assert sorted((j.args["n"], j.state, j.args) for j in jobs.recent()) == [
        (0, "done", {"n": 0, "note": "kept"}),
        (1, "failed", {"n": 1}),
        (2, "done", {"n": 2, "url": "http://slack.test/r2"}),  # another kind keeps all
    ]


def test_the_stored_slack_request_is_private_to_its_job() -> None:
    assert PRIVATE_ARGS["slack_request"] == frozenset({"body", "response_url"})
    assert set(PRIVATE_ARGS) <= set(KINDS)


def test_a_job_thread_outlives_a_database_that_cannot_record_outcomes(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Recording an outcome fails (the database is away): the thread tries again until it is
    recorded, then takes the next job. It used to end there, its job left "running" under a
    lease its process's heartbeat kept renewing: never taken over, while the worker looked alive."""
    db, jobs, _ = fresh(database_url)
    ran: list[int] = []

    def perform(_: object, job: Job) -> None:
        ran.append(job.args["n"])
        if job.args["n"] == 2:
            raise RuntimeError("boom")

    runner = JobRunner(
        db, {"k": perform}, None, lanes={"io": (("default",), 1)}, role="worker", lease_seconds=2, poll_seconds=0.05
    )
    away = {"complete": 2, "fail": 1}  # calls that meet the outage

    def flaky(name: str) -> Any:
        real = getattr(runner.store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if away[name] > 0:
                away[name] -= 1
                raise OSError("the database went away")
            return real(*args, **kwargs)

        return call

    runner.store.complete = flaky("complete")  # type: ignore[method-assign]
    runner.store.fail = flaky("fail")  # type: ignore[method-assign]
    for n in (1, 2, 3):
        jobs.enqueue(JobSpec("k", {"n": n}, max_attempts=1))
    with caplog.at_level(logging.WARNING, logger="bot.jobs.runner"):
        runner.start()
        try:
            wait_for(lambda: jobs.counts() == {"done": 2, "failed": 1}, timeout=20)
        finally:
            runner.stop(timeout=5)
    assert ran == [1, 2, 3]  # each once, in order, on the one thread
    retried = [r.getMessage() for r in caplog.records if "event=job_record_failed" in r.getMessage()]
    assert len(retried) == 3 and all("error=OSError" in m for m in retried)
    assert not [r for r in caplog.records if "job_thread_error" in r.getMessage()]


def test_a_failure_after_the_lease_was_lost_is_not_recorded_as_the_end(database_url: str) -> None:
    _, jobs, _ = fresh(database_url)
    jobs.enqueue(JobSpec("k", max_attempts=1))
    (slow,) = jobs.claim("slow", ["default"], lease_seconds=1)
    time.sleep(2.1)
    (taken,) = jobs.claim("other", ["default"], 30)
    assert jobs.fail(slow, "slow", "late") == "lost"  # not "failed": it is another's job now
    assert jobs.fail(slow, "slow", "later", retry_in=1) == "lost"  # nor put back for later
    assert jobs.counts() == {"running": 1} and taken.attempt == 2


def test_a_create_that_meets_another_step_of_its_submission_comes_back_later(database_url: str) -> None:
    """The check job still uploading its preview holds the submission in this process when
    the person presses create: the create job must be deferred, not dropped as done."""
    from bot.jobs import RetryLater
    from tests.unit.workflow_on import workflow_on

    flow = workflow_on(Repository(database_url))
    assert flow.claim("s1")  # (as process_submission does while it works)
    with pytest.raises(RetryLater):
        flow.submit("s1")
    flow.release("s1")
    flow.submit("s1")  # no such submission: nothing to do, and no error


def test_on_postgresql_another_process_hears_a_new_job_at_commit_and_not_a_duplicate(database_url: str) -> None:
    if "://" not in database_url:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite workers poll")
    db, _, _ = fresh(database_url)
    heard = Wakeup()
    listener = JobListener(database_url, heard).start()
    try:
        connected = heard.wait(0, 10)  # the listener says so once it listens
        assert connected > 0
        other = JobStore(Database(database_url))  # as another process would
        assert other.enqueue(JobSpec("k", {"n": 1}, dedupe_key="once"))
        after_first = heard.wait(connected, 10)
        assert after_first > connected
        assert not other.enqueue(JobSpec("k", {"n": 2}, dedupe_key="once"))  # one waits already
        with pytest.raises(Exception, match="division by zero"), db.write() as tx:
            assert insert_job(tx, JobSpec("k", {"n": 3}), True)
            tx.execute("SELECT 1/0")  # the transaction rolls back: its job was never there
        assert heard.wait(after_first, 1.5) == after_first  # neither is heard
        # Many at once (the web role's recorder): one statement, heard once it is in.
        other.enqueue_all([JobSpec("k", {"n": 4}, dedupe_key="once"), JobSpec("k", {"n": 5}, dedupe_key="new")])
        after_batch = heard.wait(after_first, 10)
        assert after_batch > after_first
        other.enqueue_all([JobSpec("k", {"n": 6}, dedupe_key="new")])  # all of it waits already
        assert heard.wait(after_batch, 1.5) == after_batch
        with db.read() as tx:
            assert tx.scalars("SELECT args_json FROM jobs ORDER BY id") == ['{"n": 1}', '{"n": 5}']
    finally:
        listener.stop()
