"""What operators and people are told about the service's own health: whether workers are
alive to do the work web roles store (`workers.py`)."""

from .workers import WorkerStatus, WorkerWatch, alive_window, status_of

__all__ = ["WorkerStatus", "WorkerWatch", "alive_window", "status_of"]
