"""Slow work as durable jobs: what kinds exist (`kinds/`) and the threads that run them (`runner.py`)."""

from .kinds import GIVE_UP, KINDS, PRIVATE_ARGS, QUEUES
from .runner import JobRunner, RetryLater

__all__ = ["GIVE_UP", "KINDS", "PRIVATE_ARGS", "QUEUES", "JobRunner", "RetryLater"]
