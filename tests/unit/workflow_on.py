"""A Workflow over a real repository, its other services stand-ins: for unit tests of the
workflow's own steps (what they write and what they send)."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

from bot.workflow import Services, Workflow
from storage import Repository
from storage.jobs import JobStore


def workflow_on(repo: Repository, **services: Any) -> Workflow:
    """`services` replace the stand-ins (e.g. `slack=…`, `workspaces=…`, `process_id=…`)."""
    parts: dict[str, Any] = {
        "settings": MagicMock(),
        "jobs": JobStore(repo.db),
        "slack": MagicMock(),
        "downloader": MagicMock(),
        "rehost": MagicMock(),
        "tavus": MagicMock(),
        "voices": MagicMock(),
    }
    return Workflow(Services(repo=repo, **{**parts, **services}))
