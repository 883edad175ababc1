"""Many processes on one database: 2 web and 2 worker processes started as the Procfile does.

30 photos from 10 people arrive in bursts, each event delivered twice to different web
processes; everyone consents; one worker is killed with SIGKILL while it holds jobs. Every
photo must get exactly one checklist, every consent exactly one Tavus replica, every
replica exactly one ready notice, and the dead worker's jobs must finish on the other.
Runs on PostgreSQL and on SQLite (all processes on this machine).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from storage import Database
from tests import photo_samples
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import block_of, checklist_ts, ready_notices, ready_update, thread_messages, updates_of
from .harness import BotProcess, bot_env, command_form, database_env, file_share_event, free_port, wait_for

PEOPLE = [f"U0P{i:02d}" for i in range(10)]
LEASE = 3  # seconds: JOB_LEASE_SECONDS for these tests
CLOCK_AHEAD = Path(__file__).parent / "clock_ahead"  # sitecustomize.py: a wall clock ahead


class Cluster:
    """web and worker processes sharing one database, plus a view into that database."""

    def __init__(self, env: dict[str, str], tmp: Path, database_url: str):
        self.env = env
        self.tmp = tmp
        self.db = Database(database_url)
        self.procs: list[BotProcess] = []

    def launch(self, role: str, name: str, **extra: str) -> BotProcess:
        env = {**self.env, "PORT": str(free_port()), **extra}
        bot = BotProcess(env, self.tmp / f"{name}.log", role=role).launch()
        self.procs.append(bot)
        return bot

    def query(self, sql: str, **params: object) -> list[tuple]:
        with self.db.read() as tx:
            return [tuple(r) for r in tx.execute(sql, params).fetchall()]

    def process_id(self, bot: BotProcess) -> str:
        assert bot.proc is not None
        rows = wait_for(lambda: self.query("SELECT id FROM processes WHERE pid = :pid", pid=bot.proc.pid))  # type: ignore[union-attr]
        return str(rows[0][0])

    def stop(self) -> None:
        for bot in self.procs:
            bot.kill()
        self.db.close()


@pytest.fixture
def cluster(
    tmp_path: Path, fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_server: str, bucket: str, database_url: str
) -> Iterator[Cluster]:
    env = bot_env(
        tmp_path,
        fake_slack.api_url,
        fake_tavus.url,
        s3_server,
        bucket,
        JOB_LEASE_SECONDS=str(LEASE),
        WORKER_PHOTO_THREADS="2",
        **database_env(database_url),
    )
    made = Cluster(env, tmp_path, database_url)
    yield made
    made.stop()


def test_two_web_two_worker_processes_one_killed(
    cluster: Cluster, fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:  # type: ignore[no-untyped-def]
    webs = [cluster.launch("web", f"web{i}") for i in range(2)]
    workers = [cluster.launch("worker", f"worker{i}") for i in range(2)]
    for bot in webs + workers:
        bot.wait_ready()
    for n, person in enumerate(PEOPLE):
        assert webs[n % 2].send_command("voice anna", user=person).status_code == 200

    # 30 photos, 3 per person, in bursts of 10; every event reaches both web processes.
    photo = photo_samples.headshot_jpeg(640)
    uploads = []
    for n in range(30):
        person = PEOPLE[n % 10]
        file_obj = fake_slack.add_file(f"F0S{n:03d}", "me.jpg", photo)
        ts = f"17100{n:05d}.000100"
        uploads.append((person, ts, file_share_event(file_obj, ts=ts, user=person), f"EvS{n:03d}"))
    victim = workers[0]
    victim_id = cluster.process_id(victim)
    held: list[int] = []
    with ThreadPoolExecutor(max_workers=20) as pool:
        for burst in range(3):
            batch = uploads[burst * 10 : (burst + 1) * 10]
            answers = pool.map(
                lambda item: [web.send_event(item[2], item[3]).status_code for web in webs],
                batch,
            )
            assert all(codes == [200, 200] for codes in answers)
            if burst == 0:  # kill one worker while it is checking photos
                held = [
                    r[0]
                    for r in wait_for(
                        lambda: cluster.query(
                            "SELECT id FROM jobs WHERE locked_by = :w AND state = 'running'", w=victim_id
                        ),
                        timeout=20,
                        interval=0.005,
                    )
                ]
                victim.kill()
    assert held, "the victim held no job when it was killed"

    # every photo: one checklist message, which becomes the offer
    offers = {}
    for person, ts, _, _ in uploads:
        checklist = checklist_ts(fake_slack, ts, timeout=60)
        create = block_of(ready_update(fake_slack, checklist, timeout=60), "draft_actions")["elements"][0]  # type: ignore[index]
        offers[ts] = (person, checklist, create["value"])
    for _, ts, _, _ in uploads:
        assert len(thread_messages(fake_slack, ts)) == 1, ts  # exactly one checklist

    # the dead worker's jobs finish on the other one, once their leases lapse (a held job
    # whose effects were already posted is not on the way to any checklist: it can still be
    # waiting for its lease when the last checklist appears)
    placeholders = ", ".join(str(j) for j in held)

    def held_jobs() -> list[tuple[object, ...]]:
        return cluster.query(f"SELECT id, state, locked_by FROM jobs WHERE id IN ({placeholders})")

    wait_for(lambda: all(state == "done" for _, state, _ in held_jobs()), timeout=LEASE * 10)
    finished = held_jobs()
    assert all(state == "done" for _, state, _ in finished), finished

    # consent on each, every click twice (both web processes)
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(
            pool.map(
                lambda item: [web.click("create_replica", item[1][2], item[1][1], user=item[1][0]) for web in webs],
                offers.items(),
            )
        )
    wait_for(lambda: len(fake_tavus.replicas) == 30, timeout=60)
    wait_for(
        lambda: all(
            any("Training started" in u["text"] for u in updates_of(fake_slack, c)) for _, c, _ in offers.values()
        ),
        timeout=60,
    )
    assert fake_tavus.requests["POST /v2/replicas"] == 30  # one create call per consent
    names = sorted(r.replica_name for r in fake_tavus.replicas.values())
    assert len(set(names)) == 30 and all(sid in " ".join(names) for _, _, sid in offers.values())

    for replica_id in list(fake_tavus.replicas):
        fake_tavus.finish(replica_id, "completed")
    wait_for(lambda: all(ready_notices(fake_slack, ts) for ts in offers), timeout=60)
    time.sleep(2.5)  # more poll and maintenance cycles on the surviving worker: nothing doubles
    for ts in offers:
        assert len(ready_notices(fake_slack, ts)) == 1, ts
        assert len(thread_messages(fake_slack, ts)) == 2, ts  # the checklist and the ready notice
    wait_for(lambda: s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0, timeout=30)


def test_poller_takeover_when_its_holder_dies(cluster: Cluster, fake_slack: FakeSlack, fake_tavus: FakeTavus) -> None:  # type: ignore[no-untyped-def]
    web = cluster.launch("web", "web")
    workers = [cluster.launch("worker", f"worker{i}") for i in range(2)]
    for bot in [web, *workers]:
        bot.wait_ready()
    holder_id = wait_for(lambda: cluster.query("SELECT holder FROM leases WHERE name = 'scheduler'"))[0][0]
    by_id = {cluster.process_id(w): w for w in workers}
    holder = by_id[holder_id]
    survivor_id = next(i for i in by_id if i != holder_id)

    web.send_command("voice anna")
    file_obj = fake_slack.add_file("F0TAKE", "me.jpg", photo_samples.headshot_jpeg())
    web.send_event(file_share_event(file_obj, ts="1720000000.000100"), "EvTake")
    checklist = checklist_ts(fake_slack, "1720000000.000100")
    create = block_of(ready_update(fake_slack, checklist), "draft_actions")["elements"][0]  # type: ignore[index]
    web.click("create_replica", create["value"], checklist)
    replica_id = wait_for(lambda: next(iter(fake_tavus.replicas), None))
    wait_for(lambda: fake_tavus.requests["GET /v2/replicas"] > 0)  # the holder polls

    holder.kill()
    killed = time.monotonic()
    polls_before = fake_tavus.requests["GET /v2/replicas"]
    fake_tavus.finish(replica_id, "completed")
    wait_for(lambda: fake_tavus.requests["GET /v2/replicas"] > polls_before, timeout=LEASE + 5)
    resumed = time.monotonic() - killed
    assert resumed <= LEASE + 1.5, f"polling resumed {resumed:.1f} s after the holder died"
    wait_for(lambda: ready_notices(fake_slack, "1720000000.000100"))
    assert cluster.query("SELECT holder FROM leases WHERE name = 'scheduler'")[0][0] == survivor_id
    print(f"\npoller takeover: polling resumed {resumed:.2f} s after SIGKILL (lease {LEASE} s)")


def consent_while_a_worker_stalls_in_create(
    cluster: Cluster, fake_slack: FakeSlack, seconds: int, photo_ts: str
) -> tuple[BotProcess, str]:
    """A web role, and a worker that stalls `seconds` in the create job after the S3 upload;
    a photo is shared and consented to. Returns once that worker holds the job: the worker
    and the checklist's ts."""
    web = cluster.launch("web", "web")
    worker = cluster.launch("worker", "stalling", REPLICA_BOT_FAILPOINTS=f"after_s3_upload:sleep={seconds}")
    for bot in (web, worker):
        bot.wait_ready()
    worker_id = cluster.process_id(worker)
    web.send_command("voice anna")
    file_obj = fake_slack.add_file(f"F0{photo_ts[:6]}", "me.jpg", photo_samples.headshot_jpeg())
    web.send_event(file_share_event(file_obj, ts=photo_ts), f"Ev{photo_ts}")
    checklist = checklist_ts(fake_slack, photo_ts)
    create = block_of(ready_update(fake_slack, checklist), "draft_actions")["elements"][0]  # type: ignore[index]
    web.click("create_replica", create["value"], checklist)
    wait_for(
        lambda: cluster.query("SELECT id FROM jobs WHERE kind = 'create_replica' AND locked_by = :w", w=worker_id),
        timeout=20,
    )
    return worker, checklist


def test_sigterm_gives_back_a_running_job_and_exits_within_30_s(
    cluster: Cluster, fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:  # type: ignore[no-untyped-def]
    # A worker stalls inside the create job (after the S3 upload, before Tavus) ...
    stuck, checklist = consent_while_a_worker_stalls_in_create(cluster, fake_slack, 60, "1730000000.000100")
    # ... and is told to stop: it waits for the job, gives it back, and exits in time.
    stuck.proc.terminate()  # type: ignore[union-attr]
    stopped = time.monotonic()
    assert stuck.proc.wait(35) == 0  # type: ignore[union-attr]
    took = time.monotonic() - stopped
    assert took < 30, took
    (state,) = cluster.query("SELECT state FROM jobs WHERE kind = 'create_replica'")[0]
    assert state == "available"  # given back, for the next worker
    # Another worker finishes it: one replica, announced.
    cluster.launch("worker", "other").wait_ready()
    wait_for(lambda: any("Training started" in u["text"] for u in updates_of(fake_slack, checklist)), timeout=30)
    assert len(fake_tavus.replicas) == 1 and fake_tavus.requests["POST /v2/replicas"] == 1
    print(f"\nSIGTERM with a job running: exited after {took:.1f} s")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # machines share a server
def test_a_worker_whose_machine_clock_is_ahead_does_not_create_a_replica_twice(
    cluster: Cluster, fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    # A worker takes its time inside the create job (after the S3 upload, before Tavus) ...
    stall = 12
    _, checklist = consent_while_a_worker_stalls_in_create(cluster, fake_slack, stall, "1740000000.000100")
    stalled = time.monotonic()
    # ... while a worker starts on a machine whose clock is five minutes ahead. By its own
    # clock the job's lock ran out long ago: it would take the job as a dead worker's, find
    # no replica at Tavus yet (grace over, by that clock too) and create one, then the slow
    # worker would create another. On the database's clock the lock is live.
    ahead = cluster.launch("worker", "ahead", PYTHONPATH=str(CLOCK_AHEAD), TEST_CLOCK_AHEAD_SECONDS="300")
    ahead.wait_ready()
    wait_for(lambda: any("Training started" in u["text"] for u in updates_of(fake_slack, checklist)), timeout=30)
    # The slow worker goes on to Tavus once its stall ends: wait for that, and for more claims.
    time.sleep(max(0.0, stalled + stall + LEASE + 1 - time.monotonic()))
    assert fake_tavus.requests["POST /v2/replicas"] == 1 and len(fake_tavus.replicas) == 1
    (attempts,) = cluster.query("SELECT attempt FROM jobs WHERE kind = 'create_replica'")[0]
    assert attempts == 1  # nobody took it over
    assert "event=clock_skew offset_s=300" in ahead.logs()


def test_healthz_answers_200_only_while_the_database_answers(cluster: Cluster, database_url: str, postgres) -> None:  # type: ignore[no-untyped-def]
    web = cluster.launch("web", "web").wait_ready()
    assert web.http.get("/healthz").status_code == 200
    if "://" not in database_url:
        return  # a SQLite file cannot go away under a running process the way a server can
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    cluster.db.close()
    with psycopg.connect(postgres.url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # the server drops every connection
    wait_for(lambda: web.http.get("/healthz").status_code == 503, timeout=15)


def test_a_web_role_without_workers_says_so_and_its_command_is_answered_when_one_starts(
    cluster: Cluster, fake_slack: FakeSlack
) -> None:
    web = cluster.launch("web", "web").wait_ready()
    assert web.http.get("/healthz").status_code == 200  # the web role itself is fine
    alone = web.http.get("/healthz/workers")
    assert alone.status_code == 503 and alone.json()["workers"] == 0
    body = urlencode(command_form("status", response_url=fake_slack.response_url("while-alone"))).encode()
    ack = web.post_signed(body, "application/x-www-form-urlencoded")
    assert ack.status_code == 200 and ack.json()["response_type"] == "ephemeral"
    assert "not running right now" in ack.json()["text"]  # said at once, not a silence
    # A photo: the event's ack shows nothing, so the web role says in its thread that it waits.
    photo_ts = "1710088888.000100"
    file_obj = fake_slack.add_file("F0ALONE", "me.jpg", photo_samples.headshot_jpeg(640))
    assert web.send_event(file_share_event(file_obj, ts=photo_ts), "EvAlone").status_code == 200
    (note,) = wait_for(lambda: thread_messages(fake_slack, photo_ts), timeout=10)
    assert "Got your photo" in note["text"] and "not running right now" in note["text"]
    waiting = web.http.get("/healthz/workers").json()
    assert waiting["jobs_waiting"] == 2 and waiting["oldest_waiting_seconds"] is not None
    wait_for(lambda: "event=no_worker_alive" in web.logs(), timeout=15)  # after its quiet start (5 s here)
    # A worker starts: the stored command is answered, once, at its response_url.
    worker = cluster.launch("worker", "worker").wait_ready()
    (reply,) = wait_for(lambda: fake_slack.replies_to("while-alone"), timeout=15)
    assert reply["response_type"] == "ephemeral" and "not running" not in reply["text"]
    # and the photo is checked: its checklist follows the note in the thread
    checklist = wait_for(lambda: thread_messages(fake_slack, photo_ts)[1:], timeout=30)[0]
    assert "Got your photo" not in checklist["text"]
    healthy = web.http.get("/healthz/workers")  # read fresh: the worker has beaten
    assert healthy.status_code == 200 and healthy.json()["workers"] == 1
    assert healthy.json()["backlogged"] is False and healthy.json()["backlog_alert_seconds"] == 300
    assert "not running" not in web.send_command("help").json()["text"]  # an empty ack again; the reply posted
    # Ended, the stored requests keep no copy of what Slack sent (text, ids, response_url).
    assert_stored_requests_forgotten(cluster, count=3)
    # Killed (no goodbye): once its heartbeat is older than the window, the web role says so.
    worker.kill()
    wait_for(lambda: web.http.get("/healthz/workers").status_code == 503, timeout=20)
    time.sleep(0.5)
    assert fake_slack.replies_to("while-alone") == [reply]  # nothing twice
    assert sum("Got your photo" in m["text"] for m in thread_messages(fake_slack, photo_ts)) == 1


def upload_to_dying_workers(cluster: Cluster, fake_slack: FakeSlack, ts: str, failpoint: str) -> BotProcess:
    """A web role, and a photo uploaded once a first worker is alive (so no "waits for a
    worker" note is posted); then workers started one after another, each dying (SIGKILL)
    at `failpoint`, three in all; then a fourth, without the failpoint, returned ready."""
    web = cluster.launch("web", "web").wait_ready()
    file_obj = fake_slack.add_file(f"F{ts[-9:-7]}", "me.jpg", photo_samples.headshot_jpeg(640))
    for n in range(3):
        victim = cluster.launch("worker", f"victim{n}", REPLICA_BOT_FAILPOINTS=failpoint)
        if n == 0:
            victim.wait_ready()
            assert web.send_event(file_share_event(file_obj, ts=ts), f"Ev-{failpoint}").status_code == 200
        wait_for(lambda v=victim: v.proc.poll() is not None, timeout=30)  # type: ignore[union-attr]  # reaped
        assert victim.proc.returncode == -9, victim.logs()[-2000:]  # type: ignore[union-attr]
    return cluster.launch("worker", "survivor").wait_ready()


def test_a_photo_that_kills_its_checker_is_set_aside_after_three_tries_and_the_person_told(
    cluster: Cluster, fake_slack: FakeSlack
) -> None:
    ts = "1710099999.000100"
    # Every new process dies at its first photo check, as it would on a poison photo.
    survivor = upload_to_dying_workers(cluster, fake_slack, ts, "during_photo_check")
    checklist = checklist_ts(fake_slack, ts, timeout=30)  # "Checking…", posted by the first victim

    def told() -> list[dict]:
        return [u for u in updates_of(fake_slack, checklist) if "stopped my photo checker 3 times" in u["text"]]

    wait_for(told, timeout=30)
    wait_for(lambda: "event=job_given_up" in survivor.logs() and "event=photo_set_aside" in survivor.logs())
    assert cluster.query("SELECT status FROM submissions") == [("failed",)]
    assert cluster.query("SELECT state, attempt FROM jobs WHERE kind = 'check_photo'") == [("failed", 4)]
    # Set aside: a worker's start no longer checks it again (it would die with it).
    survivor.kill()
    again = cluster.launch("worker", "again").wait_ready()
    time.sleep(1.5)  # its start-up look for unchecked photos has run
    assert cluster.query("SELECT COUNT(*) FROM jobs WHERE kind = 'check_photo'") == [(1,)]
    assert "event=photo_checked" not in again.logs() and len(told()) == 1
    assert len(thread_messages(fake_slack, ts)) == 1  # the checklist only, edited


def test_a_command_whose_worker_died_running_it_is_answered_with_try_again(
    cluster: Cluster, fake_slack: FakeSlack
) -> None:
    web = cluster.launch("web", "web").wait_ready()
    victim = cluster.launch("worker", "victim", REPLICA_BOT_FAILPOINTS="during_stored_request").wait_ready()
    body = urlencode(command_form("status", response_url=fake_slack.response_url("doomed"))).encode()
    assert web.post_signed(body, "application/x-www-form-urlencoded").status_code == 200
    wait_for(lambda: victim.proc.poll() is not None, timeout=30)  # type: ignore[union-attr]
    assert fake_slack.replies_to("doomed") == []  # it died before answering
    survivor = cluster.launch("worker", "survivor").wait_ready()
    (reply,) = wait_for(lambda: fake_slack.replies_to("doomed"), timeout=15)
    assert reply["response_type"] == "ephemeral" and "restarted" in reply["text"] and "send it again" in reply["text"]
    wait_for(lambda: "event=job_given_up" in survivor.logs())  # log lines are written a moment later
    assert "no photos or replicas yet" in web.send_command("status").json()["text"]  # the next one runs
    time.sleep(0.5)
    assert fake_slack.replies_to("doomed") == [reply]  # told once; the command was not run twice
    assert_stored_requests_forgotten(cluster, count=2, states={"failed", "done"})  # given up, too


def assert_stored_requests_forgotten(cluster: Cluster, count: int, states: set[str] | None = None) -> None:
    """Every stored Slack request has ended and its row dropped the request's body and
    `response_url`, keeping the content type."""
    rows = wait_for(
        lambda: (
            found
            if len(found := cluster.query("SELECT state, args_json FROM jobs WHERE kind = 'slack_request'")) == count
            and all(state in ("done", "failed") for state, _ in found)
            else None
        ),
        timeout=15,
    )
    assert {state for state, _ in rows} == (states or {"done"}), rows
    for _, args in rows:
        kept = json.loads(str(args))
        assert "body" not in kept and "response_url" not in kept, kept
        assert kept["content_type"] in ("application/json", "application/x-www-form-urlencoded"), kept


def test_a_photo_upload_whose_event_kills_its_workers_is_answered_with_upload_again(
    cluster: Cluster, fake_slack: FakeSlack
) -> None:
    ts = "1710077777.000100"
    # The stored event kills every worker that runs it, three times (as many tries as Slack gives).
    survivor = upload_to_dying_workers(cluster, fake_slack, ts, "during_stored_request")
    (note,) = wait_for(lambda: thread_messages(fake_slack, ts), timeout=15)
    assert "may have missed this photo" in note["text"] and "upload it again" in note["text"]
    wait_for(lambda: "event=job_given_up" in survivor.logs())
    assert cluster.query("SELECT COUNT(*) FROM submissions") == [(0,)]  # never taken in: said so
    time.sleep(0.5)
    assert len(thread_messages(fake_slack, ts)) == 1
