"""The lifecycle of one submission, and the only writer of its state.

received → checking → needs_fix | ready → submitting → training → completed | failed, plus
cancelled; with a policy, submitting may go back to ready (refused) or wait in
awaiting_approval (→ submitting when approved, denied, or ready again when it lapses).
Every transition is one compare-and-set in storage (with the job it starts, in
the same transaction), so a duplicate event, a double click, a second worker or a second
poller can never move a submission twice.
"""

from .account import AccountSteps
from .base import Services
from .creation import CreationSteps
from .ids import name_problem, new_submission_id, replica_name_for
from .intake import IntakeSteps
from .policy import PolicySteps
from .training import TrainingSteps


class Workflow(IntakeSteps, CreationSteps, TrainingSteps, AccountSteps, PolicySteps):
    """All the steps, sharing one set of services and in-flight claims."""


__all__ = ["Services", "Workflow", "name_problem", "new_submission_id", "replica_name_for"]
