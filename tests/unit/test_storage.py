import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storage import Repository, Submission
from storage.clock import seconds_ago


def sub(sid: str, file_id: str = "F1", ts: str = "1.1") -> Submission:
    return Submission(
        id=sid,
        team_id="T",
        user_id="U",
        channel_id="D",
        message_ts=ts,
        thread_ts=ts,
        file_id=file_id,
        status="checking",
    )


def test_state_survives_reopen_and_one_submission_per_photo(database_url: str) -> None:
    path = database_url
    repo = Repository(path)
    assert repo.create_submission(sub("s1"))
    assert not repo.create_submission(sub("s2"))  # same photo
    assert repo.create_submission(sub("s3", file_id="F2"))
    assert repo.record_event("Ev1") and not repo.record_event("Ev1")
    repo.set_voice("T", "U", "anna")
    repo.close()
    again = Repository(path)  # migrations are not re-applied; data is there
    assert again.get("s1").status == "checking" and again.get("s2") is None
    assert not again.record_event("Ev1") and again.get_voice("T", "U") == "anna"


def test_transition_is_compare_and_set(database_url: str) -> None:
    repo = Repository(database_url)
    repo.create_submission(sub("s1"))
    assert repo.transition("s1", ["checking"], "ready", voice_name="anna")
    assert not repo.transition("s1", ["checking"], "ready")
    assert repo.transition("s1", ["ready"], "submitting")
    assert not repo.transition("s1", ["ready"], "submitting")  # a second click
    assert repo.get("s1").voice_name == "anna"


def test_notice_is_queued_with_the_transition_and_only_once(database_url: str) -> None:
    repo = Repository(database_url)
    repo.create_submission(sub("s1"))
    repo.transition("s1", ["checking"], "training")
    notice = {"dedupe_key": "completed:s1", "channel_id": "D", "text": "done"}
    assert repo.transition_with_notice("s1", ["training"], "completed", [notice])
    assert not repo.transition_with_notice("s1", ["training"], "completed", [notice])
    (pending,) = repo.pending_notices()
    repo.mark_notice_failed(pending.id, "ratelimited")
    assert repo.pending_notices()[0].attempts == 1
    repo.mark_notice_sent(pending.id)
    assert repo.pending_notices() == []


def test_photo_bytes_and_welcome_once(database_url: str) -> None:
    repo = Repository(database_url)
    repo.save_photo("s1", b"abc")
    assert repo.load_photo("s1") == b"abc"
    repo.delete_photo("s1")
    assert repo.load_photo("s1") is None
    assert repo.mark_welcomed("T", "U") and not repo.mark_welcomed("T", "U")


def test_concurrent_deliveries_post_each_notice_once(database_url: str) -> None:
    """Two processes' deliverers (a lease handover) and four threads: each notice once."""
    import threading
    import time
    from unittest.mock import MagicMock

    from bot.workflow import Workflow
    from tests.unit.workflow_on import workflow_on

    repo = Repository(database_url)
    for i in range(5):
        repo.queue_notice({"dedupe_key": f"n{i}", "channel_id": "D", "text": f"notice {i}"})
    posted: list[str] = []
    slack = MagicMock()

    def post(**kwargs: object) -> dict:
        time.sleep(0.01)  # a slow Slack call: the window in which a second delivery could race
        posted.append(str(kwargs["text"]))
        return {"ok": True}

    slack.chat_postMessage.side_effect = post

    def flow(process_id: str) -> Workflow:
        return workflow_on(Repository(database_url), slack=slack, process_id=process_id)

    from storage.leases import Leases

    for process in ("p1", "p2"):  # two live processes
        Leases(repo.db).beat(process, "worker")
    flows = [flow("p1"), flow("p2")]
    threads = [threading.Thread(target=flows[i % 2].deliver_notices) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for f in flows:  # whatever a lost claim left behind goes on the next round
        f.deliver_notices()
    assert sorted(posted) == [f"notice {i}" for i in range(5)]


_OPEN_AND_WRITE = """
import sys
from storage import Repository
repo = Repository(sys.argv[1])
repo.set_voice("T", sys.argv[2], "anna")
"""


def test_processes_starting_together_apply_each_migration_once(database_url: str) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_AND_WRITE, database_url, f"U{i}"], cwd=root, stderr=subprocess.PIPE
        )
        for i in range(6)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    repo = Repository(database_url)
    assert all(repo.get_voice("T", f"U{i}") == "anna" for i in range(6))
    with repo.db.read() as tx:
        names = tx.scalars("SELECT name FROM schema_migrations")
    assert sorted(names) == sorted(set(names)) and "m001_initial" in names


def test_old_event_ids_and_long_silent_processes_are_forgotten(database_url: str) -> None:
    """Maintenance's purges: event ids past their day (a forgotten id is new again, which
    Slack never sends that late) and process rows silent for a week; recent ones stay."""
    from storage.leases import Leases

    repo = Repository(database_url)
    leases = Leases(repo.db)
    assert repo.record_event("Ev-old") and repo.record_event("Ev-new")
    leases.beat("worker-old", "worker")
    leases.beat("worker-stopped-long-ago", "worker")
    leases.stopped("worker-stopped-long-ago")
    leases.beat("worker-live", "worker")
    leases.beat("web-stopped-now", "web")
    leases.stopped("web-stopped-now")
    with repo.db.write() as tx:  # as if from two days and two weeks ago
        two_days_ago = seconds_ago(2 * 86_400)
        tx.execute("UPDATE processed_events SET received_at = :t WHERE event_id = 'Ev-old'", {"t": two_days_ago})
        tx.execute(
            "UPDATE processes SET heartbeat_at = :t WHERE id IN ('worker-old', 'worker-stopped-long-ago')",
            {"t": seconds_ago(14 * 86_400)},
        )
    assert repo.purge_events(86_400) == 1 and repo.purge_events(86_400) == 0
    assert not repo.record_event("Ev-new")  # still remembered: a retry is still refused
    assert repo.record_event("Ev-old")  # forgotten
    assert leases.purge_processes(7 * 86_400) == 2
    with repo.db.read() as tx:
        assert sorted(tx.scalars("SELECT id FROM processes")) == ["web-stopped-now", "worker-live"]


def test_an_upgrade_forgets_the_stored_slack_requests_of_jobs_that_had_ended(database_url: str) -> None:
    """m010: rows that ended before jobs dropped their stored request lose it on upgrade;
    requests still to run, and other kinds, keep their arguments."""
    from storage import migrations
    from storage.jobs import JobSpec, JobStore

    repo = Repository(database_url)
    jobs = JobStore(repo.db)
    for n in range(3):
        jobs.enqueue(JobSpec("slack_request", {"body": f"token=legacy&n={n}", "content_type": "form"}, "requests"))
    jobs.enqueue(JobSpec("check_photo", {"file_id": "F1"}))
    first, second = jobs.claim("old-worker", ["requests"], 30, limit=2)
    assert jobs.complete(first, "old-worker") and jobs.fail(second, "old-worker", "boom") == "retry"
    (photo,) = jobs.claim("old-worker", ["default"], 30)
    assert jobs.complete(photo, "old-worker")
    with repo.db.write() as tx:  # as a database of the version before
        tx.execute("DELETE FROM schema_migrations WHERE name = 'm010_forget_ended_slack_requests'")
    assert migrations.apply(repo.db) == ["m010_forget_ended_slack_requests"]
    with repo.db.read() as tx:
        rows = tx.execute("SELECT kind, state, args_json FROM jobs ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [
        ("slack_request", "done", "{}"),
        ("slack_request", "available", '{"body": "token=legacy&n=1", "content_type": "form"}'),  # to run again
        ("slack_request", "available", '{"body": "token=legacy&n=2", "content_type": "form"}'),
        ("check_photo", "done", '{"file_id": "F1"}'),
    ]


def test_a_database_from_the_sqlite_utils_era_is_adopted(tmp_path: Path) -> None:
    import sqlite3

    from storage.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0][1]:  # the same schema the old m001–m004 built
        conn.execute(statement.format(serial="INTEGER PRIMARY KEY", blob="BLOB"))
    conn.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)")
    for name in ("m001_initial", "m002_resumable_intake_and_notices", "m003_names_and_deletion", "m004_home_seen"):
        conn.execute("INSERT INTO _sqlite_migrations VALUES ('replica-bot', ?, '2026-11-01')", [name])
    conn.execute("INSERT INTO user_prefs (team_id, user_id, voice_name) VALUES ('T', 'U', 'ivy')")
    conn.commit()
    conn.close()
    repo = Repository(str(path))  # no "table submissions already exists"
    assert repo.get_voice("T", "U") == "ivy"
    assert repo.create_submission(sub("s1"))


def test_a_persons_latest_rows_come_newest_first_without_a_sort(database_url: str, tmp_path: Path) -> None:
    repo = Repository(database_url)
    for i in range(25):
        assert repo.create_submission(sub(f"s{i:02d}", file_id=f"F{i}", ts=f"{i}.1"))
        with repo.db.write() as tx:  # a second apart, as photos sent one after another
            tx.execute(
                "UPDATE submissions SET created_at = :at WHERE id = :id",
                {"at": f"2026-01-01T00:00:{i:02d}", "id": f"s{i:02d}"},
            )
    repo.create_submission(Submission(**{**vars(sub("other", "F99")), "user_id": "U2"}))
    latest = repo.for_user("T", "U")
    assert [s.id for s in latest] == [f"s{i:02d}" for i in range(24, 4, -1)]
    if not repo.db.is_postgres:  # SQLite's plan is fixed by the schema; PostgreSQL's by statistics
        import sqlite3

        with sqlite3.connect(database_url) as raw:
            plan = " ".join(
                str(row[-1])
                for row in raw.execute(
                    "EXPLAIN QUERY PLAN SELECT id FROM submissions WHERE team_id = 'T' AND user_id = 'U' "
                    "ORDER BY created_at DESC, message_ts DESC, id DESC LIMIT 20"
                )
            )
        assert "idx_submissions_user_newest" in plan and "TEMP B-TREE" not in plan, plan


def test_photos_sent_within_one_second_are_listed_newest_message_first(database_url: str) -> None:
    repo = Repository(database_url)
    # Inserted out of order; created_at has whole seconds, so all four share one.
    for sid, ts, file_id in [
        ("b", "1700000002.000100", "F2"),
        ("a", "1700000001.000100", "F1"),
        ("d", "1700000003.000100", "F3b"),
        ("c", "1700000003.000100", "F3a"),
    ]:
        assert repo.create_submission(sub(sid, file_id=file_id, ts=ts))
    with repo.db.write() as tx:
        tx.execute("UPDATE submissions SET created_at = :at", {"at": "2026-01-01T00:00:00+00:00"})
    expected = ["d", "c", "b", "a"]  # newest message first; one message's photos by id, last first
    assert [s.id for s in repo.for_user("T", "U")] == expected
    columns = ("id", "message_ts")
    assert [r["id"] for r in repo.latest_for_user("T", "U", columns, limit=3)] == expected[:3]
    batched = repo._latest_many([("T", "U", columns, 3), ("T", "U2", columns, 3)])  # the windowed query
    assert batched[("T", "U", columns, 3)] == repo.latest_for_user("T", "U", columns, limit=3)


def test_a_persons_latest_rows_can_be_read_as_a_few_columns(database_url: str) -> None:
    repo = Repository(database_url)
    for i in range(3):
        assert repo.create_submission(sub(f"s{i}", file_id=f"F{i}", ts=f"{i}.1"))
        with repo.db.write() as tx:
            at = {"at": f"2026-01-0{i + 1}", "id": f"s{i}"}
            tx.execute("UPDATE submissions SET created_at = :at WHERE id = :id", at)
    repo.create_submission(Submission(**{**vars(sub("other", "F99")), "user_id": "U2"}))
    rows = repo.latest_for_user("T", "U", ("file_id", "status"), limit=2)
    assert rows == [{"file_id": "F2", "status": "checking"}, {"file_id": "F1", "status": "checking"}]
    assert repo.latest_for_user("T", "nobody", ("status",)) == []
    with pytest.raises(ValueError, match="secret"):
        repo.latest_for_user("T", "U", ("status", "secret FROM x; --"))
    with pytest.raises(ValueError):
        repo.latest_for_user("T", "U", ())


def test_latest_rows_of_several_people_in_one_query_match_each_persons_own(database_url: str) -> None:
    repo = Repository(database_url)
    people = {("T", "U"): 3, ("T", "U2"): 2, ("T2", "U"): 1, ("T2", "U9"): 0}  # U in two teams
    n = 0
    for (team, user), count in people.items():
        for _ in range(count):
            n += 1
            s = Submission(**{**vars(sub(f"s{n}", file_id=f"F{n}", ts=f"{n}.1")), "team_id": team, "user_id": user})
            assert repo.create_submission(s)
            with repo.db.write() as tx:
                at = {"at": f"2026-01-{n:02d}", "id": s.id}
                tx.execute("UPDATE submissions SET created_at = :at WHERE id = :id", at)
    columns = ("file_id", "team_id", "user_id")
    alone = {p: repo.latest_for_user(p[0], p[1], columns, limit=2) for p in people}
    assert alone[("T", "U")] == [
        {"file_id": "F3", "team_id": "T", "user_id": "U"},
        {"file_id": "F2", "team_id": "T", "user_id": "U"},
    ]
    assert alone[("T2", "U")] == [{"file_id": "F6", "team_id": "T2", "user_id": "U"}] and alone[("T2", "U9")] == []
    keys = [(team, user, columns, 2) for team, user in people]
    together = repo._latest_many(keys + [("T", "U", ("status",), 1)])  # two shapes: two queries
    assert {(k[0], k[1]): together[k] for k in keys} == alone
    assert together[("T", "U", ("status",), 1)] == [{"status": "checking"}]

    repo.batch_latest_reads()  # as the web role does: threads at once share queries
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda p: repo.latest_for_user(p[0], p[1], columns, limit=2), list(people) * 6))
    assert answers == [alone[p] for p in list(people) * 6]
    assert repo.create_submission(Submission(**{**vars(sub("new", file_id="F99", ts="99.1")), "user_id": "U9"}))
    assert [r["file_id"] for r in repo.latest_for_user("T", "U9", columns)] == ["F99"]  # what was just written
    with pytest.raises(ValueError):
        repo.latest_for_user("T", "U", ("status", "secret FROM x; --"))


def test_rows_are_named_by_their_columns_with_interned_names(database_url: str) -> None:
    db = Repository(database_url).db
    with db.read() as tx:
        rows = tx.rows("SELECT 1 AS first_col, 'x' AS second_col UNION ALL SELECT 2, 'y'")
        assert rows == [{"first_col": 1, "second_col": "x"}, {"first_col": 2, "second_col": "y"}]
        name = next(iter(rows[0]))
        assert name is sys.intern("first_col")  # keyword arguments then match by identity
        assert tx.rows("SELECT 1 AS first_col WHERE 1 = 0") == []
