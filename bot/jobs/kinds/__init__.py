"""Every kind of job, one module each: `KIND`, `QUEUE`, `spec(…)` to enqueue, `perform(flow, job)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage.jobs import Job

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

KINDS: dict[str, Callable[[Any, Job], None]] = {
    m.KIND: m.perform
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
QUEUES = ("photos", "default", slack_request.QUEUE)

__all__ = [
    "KINDS",
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
