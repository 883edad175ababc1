"""Slow work as durable jobs: what kinds exist (`kinds/`) and the threads that run them (`runner.py`)."""

from .kinds import KINDS, QUEUES
from .runner import JobRunner, RetryLater

__all__ = ["KINDS", "QUEUES", "JobRunner", "RetryLater"]
