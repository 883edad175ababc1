"""Every kind of job, one module each: `KIND`, `QUEUE`, `spec(…)` to enqueue, `perform(flow, job)`,
and where the person must hear of a job given up for good, `give_up(flow, job, why)`."""

from __future__ import annotations

from ..runner import GiveUp, Perform
from . import (
    approve_request,
    check_photo,
    confirm_replica,
    create_replica,
    delete_replica,
    explain_no_key,
    export_audit,
    forget_workspace,
    post_approval,
    refresh_home,
    show_message,
    slack_call,
    slack_request,
)

_BY_KIND = {
    m.KIND: m
    for m in (
        approve_request,
        check_photo,
        confirm_replica,
        create_replica,
        delete_replica,
        explain_no_key,
        export_audit,
        forget_workspace,
        post_approval,
        refresh_home,
        show_message,
        slack_call,
        slack_request,
    )
}
KINDS: dict[str, Perform] = {kind: m.perform for kind, m in _BY_KIND.items()}
GIVE_UP: dict[str, GiveUp] = {kind: m.give_up for kind, m in _BY_KIND.items() if hasattr(m, "give_up")}
# Arguments a kind's row drops once the job has ended (see JobRunner).
PRIVATE_ARGS: dict[str, frozenset[str]] = {
    kind: m.PRIVATE_ARGS for kind, m in _BY_KIND.items() if hasattr(m, "PRIVATE_ARGS")
}
QUEUES = ("photos", "default", slack_request.QUEUE)

__all__ = [
    "GIVE_UP",
    "KINDS",
    "PRIVATE_ARGS",
    "QUEUES",
    "approve_request",
    "check_photo",
    "create_replica",
    "delete_replica",
    "explain_no_key",
    "export_audit",
    "forget_workspace",
    "post_approval",
    "refresh_home",
    "show_message",
    "slack_call",
    "slack_request",
]
