"""Benchmarks of the split roles: web acks under bursts, worker throughput, event → checklist.

Everything runs on 127.0.0.1 with the real `python -m bot web` / `worker` processes, the
fake Slack and Tavus from tests/, moto's S3 server, and (for PostgreSQL) a server started
from this machine's binaries, as the tests do.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from bench.common import table, twelve_megapixel
from bench.live import ACK_ROUNDS, Rig, ack_latency, rig
from storage import Repository, Submission
from storage.leases import Leases
from tests.e2e.flow import checklist_ts, ready_update
from tests.e2e.harness import (
    TEAM,
    USER,
    BotProcess,
    bot_env,
    command_form,
    database_env,
    file_share_event,
    free_port,
    wait_for,
)
from tests.pg import PostgresServer

STATUS_ROWS = 20  # what `/replica status` lists


@contextmanager
def databases(quick: bool) -> Iterator[dict[str, object]]:
    """The engines to measure: a SQLite file, and a PostgreSQL server of our own."""
    server = PostgresServer().start()
    try:
        yield {"SQLite": None, "PostgreSQL": server}
    finally:
        server.stop()


def database_for(r: Rig, engine: object, name: str) -> str:
    if isinstance(engine, PostgresServer):
        return engine.new_database()
    return str(r.tmp / f"{name}.db")


def launch(r: Rig, database: str, role: str, name: str, **extra: str) -> BotProcess:
    env = bot_env(
        r.tmp,
        r.slack.api_url,
        r.tavus.url,
        r.s3_url,
        r.bucket,
        POLL_INTERVAL_SECONDS="300",
        DOWNLOAD_MAX_BYTES=str(50 * 2**20),
        PORT=str(free_port()),
        **database_env(database),
        **extra,
    )
    return BotProcess(env, r.tmp / f"{name}.log", role=role).launch()


def stop_all(bots: list[BotProcess]) -> None:
    for bot in bots:
        bot.kill()


def send_photos(r: Rig, web: BotProcess, photo: bytes, count: int, prefix: str) -> list[str]:
    threads = []
    for i in range(count):
        obj = r.slack.add_file(f"F0{prefix}{i}", "big.jpg", photo)
        thread = f"19{prefix}{i:06d}.0001"
        web.send_event(file_share_event(obj, ts=thread), f"Ev{prefix}{i}")
        threads.append(thread)
    return threads


def wait_offers(r: Rig, threads: list[str], timeout: float) -> None:
    for thread in threads:
        ready_update(r.slack, checklist_ts(r.slack, thread, timeout), timeout)


def throughput(r: Rig, database: str, photo: bytes, workers: int, count: int, tag: str) -> float:
    """Photos checked per minute: `count` 12 MP photos arrive at once, until the last offer."""
    web = launch(r, database, "web", f"tp-web-{tag}")
    bots = [web, *[launch(r, database, "worker", f"tp-worker-{tag}-{i}") for i in range(workers)]]
    try:
        for bot in bots:
            bot.wait_ready()
        started = time.perf_counter()
        threads = send_photos(r, web, photo, count, f"T{tag}")
        wait_offers(r, threads, 300)
        return count / ((time.perf_counter() - started) / 60)
    finally:
        stop_all(bots)


def status_reply_ms(r: Rig, web: BotProcess, key: str) -> float:
    """ms from sending `/replica status` to its reply arriving at the command's response_url
    (the fake Slack notes when it came): the web role acks it empty, a worker answers."""
    body = urlencode(command_form("status", response_url=r.slack.response_url(key))).encode()
    started = time.monotonic()
    ack = web.post_signed(body, "application/x-www-form-urlencoded")
    assert ack.status_code == 200 and not ack.content.strip(), ack.text
    arrived = wait_for(lambda: r.slack.responses.get(key), 30, interval=0.002)[0][0]
    return (arrived - started) * 1000


def event_to_checklist(
    r: Rig, database: str, photo: bytes, repeat: int, tag: str, split: bool
) -> tuple[list[float], list[float]]:
    """ms from sending a file_share event to the checklist with its offer, one photo at a time;
    then ms from `/replica status` to its reply (listing STATUS_ROWS photos and more)."""
    seed_status_rows(database)
    if split:
        bots = [launch(r, database, "web", f"ec-web-{tag}"), launch(r, database, "worker", f"ec-worker-{tag}")]
    else:
        bots = [launch(r, database, "run", f"ec-all-{tag}")]
    web = bots[0]
    try:
        for bot in bots:
            bot.wait_ready()
        times = []
        for i in range(repeat + 1):
            started = time.perf_counter()
            wait_offers(r, send_photos(r, web, photo, 1, f"E{tag}{i}x"), 60)
            if i:  # the first one warms the process up
                times.append((time.perf_counter() - started) * 1000)
        replies = [status_reply_ms(r, web, f"st-{tag}-{i}") for i in range(repeat + 1)][1:]
        return times, replies
    finally:
        stop_all(bots)


def seed_status_rows(database: str, count: int = STATUS_ROWS) -> None:
    """Give the bursts' person `count` photos and replicas, so that their `/replica status`
    reads and lists real rows (the web role runs no jobs: without this it would list none)."""
    repo = Repository(database)
    states = ("training", "completed", "ready", "needs_fix", "failed")
    try:
        for i in range(count):
            status = states[i % len(states)]
            ts = f"1700{i:06d}.0001"
            sub = Submission(
                id=f"seed{i}",
                team_id=TEAM,
                user_id=USER,
                channel_id="D1",
                message_ts=ts,
                thread_ts=ts,
                file_id=f"FSEED{i}",
                status=status,
                file_name=f"photo {i}.jpg",
                display_name=f"Twin {i}" if i % 2 else None,
                replica_id=f"r{i:09d}" if status in ("training", "completed") else None,
                training_progress="40/100" if status == "training" else None,
                findings_json='{"findings": [], "passed": ["format", "resolution", "face"]}',
            )
            assert repo.create_submission(sub)
    finally:
        repo.close()


@contextmanager
def worker_elsewhere(database: str) -> Iterator[None]:
    """A worker's heartbeat, kept fresh as a worker on another machine keeps it: the web
    role measured alone then acks commands as it does in a deployment (with no worker alive
    it would tell each command so, bot/health/). The worker itself never runs here."""
    repo = Repository(database)
    leases, stop = Leases(repo.db), threading.Event()

    def beat() -> None:
        while True:
            leases.beat("worker-elsewhere", "worker")
            if stop.wait(2.0):
                return

    thread = threading.Thread(target=beat, name="worker-elsewhere", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)
        repo.close()


def web_acks(r: Rig, engine: object, n: int, rounds: int, tag: str) -> list[list[object]]:
    database = database_for(r, engine, f"ack-{tag}")
    seed_status_rows(database)
    web = launch(r, database, "web", f"ack-web-{tag}")
    server = engine.pid if isinstance(engine, PostgresServer) else None  # its CPU is counted too
    try:
        with worker_elsewhere(database):
            web.wait_ready()
            rows = ack_latency(r, web, n, rounds, name=f"web role ({tag})", database_pid=server)
    finally:
        web.kill()
    return rows


def run(quick: bool) -> str:
    n, rounds = (30, 1) if quick else (100, ACK_ROUNDS)
    count, repeat = (4, 3) if quick else (20, 10)
    photo = twelve_megapixel()
    ack_rows: list[list[object]] = []
    rows: list[list[object]] = []
    with rig() as r, databases(quick) as engines:
        for tag, engine in engines.items():
            ack_rows += web_acks(r, engine, n, rounds, tag)
            per_minute = {
                w: throughput(r, database_for(r, engine, f"tp{w}-{tag}"), photo, w, count, f"{tag}{w}") for w in (1, 2)
            }
            split, split_status = event_to_checklist(
                r, database_for(r, engine, f"ec-{tag}"), photo, repeat, tag, split=True
            )
            alone, alone_status = event_to_checklist(
                r, database_for(r, engine, f"ea-{tag}"), photo, repeat, f"{tag}a", split=False
            )
            rows.append(
                [
                    tag,
                    f"{per_minute[1]:.0f}",
                    f"{per_minute[2]:.0f} ({per_minute[2] / per_minute[1]:.2f}×)",
                    f"{statistics.median(split):.0f} ms (max {max(split):.0f})",
                    f"{statistics.median(alone):.0f} ms",
                    f"{statistics.median(split_status):.0f} ms (max {max(split_status):.0f})",
                    f"{statistics.median(alone_status):.0f} ms",
                ]
            )
    acks = table(["benchmark", "size", "median / p50", "p99 / peak", "ratio / target"], ack_rows)
    work = table(
        [
            "database",
            f"photos/min, 1 worker ({count} × 12 MP)",
            "photos/min, 2 workers",
            f"event → checklist p50, web + worker ({repeat})",
            "same, one process",
            f"`/replica status` → reply p50, web + worker ({repeat})",
            "same, one process",
        ],
        rows,
    )
    return f"{acks}\n\n{work}"


if __name__ == "__main__":
    print(run("--quick" in sys.argv))
