"""Who may create replicas in a workspace, how many, and whether someone approves them."""

from .rules import APPROVAL_LAPSE, QUOTA_WINDOW, Policy, Refusal, Usage, refusal_for

__all__ = ["APPROVAL_LAPSE", "QUOTA_WINDOW", "Policy", "Refusal", "Usage", "refusal_for"]
