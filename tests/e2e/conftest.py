"""Fixtures: a fake Slack, a fake Tavus and moto's S3 server, all on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.blockkit import problems_in_call
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .harness import AWS_KEY, AWS_SECRET, BOT_TOKEN, TAVUS_KEY, BotProcess, bot_env, database_env, free_port


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_server: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=AWS_KEY,
        aws_secret_access_key=AWS_SECRET,
        config=Config(signature_version="s3v4"),
    )


@pytest.fixture
def bucket(s3_client, request: pytest.FixtureRequest) -> str:  # type: ignore[no-untyped-def]
    import re
    import secrets

    name = "replicas-" + re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:30] + "-" + secrets.token_hex(3)
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack(BOT_TOKEN).start()
    yield server
    server.stop()
    # Every message and view the bot sent in the test must be one Slack would accept.
    bad = [(c.method, p) for c in server.calls for p in problems_in_call(c.method, c.args)]
    assert bad == [], bad


@pytest.fixture
def fake_tavus() -> Iterator[FakeTavus]:
    server = FakeTavus(TAVUS_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def start_bot(
    tmp_path: Path, fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_server: str, bucket: str, database_url: str
) -> Iterator[Callable[..., BotProcess]]:
    """Start (or restart) the real bot process; every process is killed at the end.
    Runs once on SQLite and once on PostgreSQL (the `database_url` fixture)."""
    started: list[BotProcess] = []
    env = bot_env(tmp_path, fake_slack.api_url, fake_tavus.url, s3_server, bucket, **database_env(database_url))

    def start(**extra: str) -> BotProcess:
        bot = BotProcess({**env, **extra}, tmp_path / "bot.log").start()
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.kill()
