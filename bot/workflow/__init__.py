"""The lifecycle of one submission, and the only writer of its state.

received → checking → needs_fix | ready → submitting → training → completed | failed, plus
cancelled. Every transition is one compare-and-set in storage (with the job it starts, in
the same transaction), so a duplicate event, a double click, a second worker or a second
poller can never move a submission twice.
"""

from .account import AccountSteps
from .base import Services
from .creation import CreationSteps
from .ids import name_problem, new_submission_id, replica_name_for
from .intake import IntakeSteps
from .training import TrainingSteps
from .workspace import WorkspaceSteps


class Workflow(IntakeSteps, CreationSteps, TrainingSteps, AccountSteps, WorkspaceSteps):
    """All the steps, sharing one set of services and in-flight claims."""


__all__ = ["Services", "Workflow", "name_problem", "new_submission_id", "replica_name_for"]
