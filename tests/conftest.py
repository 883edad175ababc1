"""Fixtures for every test: the two database engines the bot runs on.

`database_url` is parametrized: each test that asks for it runs once on a SQLite file and
once on a real PostgreSQL server that this session starts from the machine's binaries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PostgresServer

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file path, or a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "bot.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()
