"""The scheduler's periodic work: poll training replicas, and maintenance.

Polling uses Tavus's list endpoint with the `replica_ids` filter, up to 100 ids a call,
so a cycle costs ceil(N/100) requests; ids the list does not return are asked for one by one.
Only the process holding the scheduler lease runs these (bot/jobs/schedule.py).
"""

from __future__ import annotations

import logging
from functools import partial

from storage import Submission
from storage.leases import Leases

from .tavus import LIST_PAGE_LIMIT, TavusClient, TavusError, TavusNotFound
from .workflow import Workflow
from .workspaces.directory import Workspaces

log = logging.getLogger(__name__)

KEY_REFUSED = (401, 403)
FINISHED_JOBS_KEPT_SECONDS = 7 * 86_400  # a job's history stays readable for a week
# Slack retries an event three times, the last after ~5 minutes (within an hour at most);
# a day covers that with room for a backlog of stored events.
EVENT_IDS_KEPT_SECONDS = 86_400
# Processes silent this long are gone for good (`replica-bot jobs` lists the live ones).
SILENT_PROCESSES_KEPT_SECONDS = 7 * 86_400


def poll_training(workflow: Workflow) -> int:
    """One poll cycle over every submission in training. Returns how many were polled."""
    training = workflow.s.repo.with_status("training")
    # Each workspace's replicas are asked of its own Tavus account (one list call per page
    # per key; in single-token mode that is every replica with the one key).
    by_key: dict[str, list[Submission]] = {}
    keys: dict[str, str | None] = {}  # per team, looked up (and decrypted) once a cycle
    for sub in training:
        if sub.team_id not in keys:
            keys[sub.team_id] = workflow.s.workspaces.tavus_key(sub.team_id)
        key = keys[sub.team_id]
        if key is None:
            log.warning("event=poll_skipped submission=%s reason=no_tavus_key", sub.id)
            workflow.note_unfollowable(sub, "this workspace's Tavus key was removed")
            continue
        by_key.setdefault(key, []).append(sub)
    for key, subs in by_key.items():
        _poll_account(workflow, workflow.s.workspaces.tavus_with(key), subs)
    workflow.deliver_notices()
    return len(training)


def _poll_account(workflow: Workflow, tavus: TavusClient, training: list[Submission]) -> None:
    for start in range(0, len(training), LIST_PAGE_LIMIT):
        batch = training[start : start + LIST_PAGE_LIMIT]
        ids = [sub.replica_id for sub in batch if sub.replica_id]
        try:
            found = {r.replica_id: r for r in tavus.list_replicas(replica_ids=ids, limit=len(ids))}
        except TavusError as exc:
            log.warning("event=poll_failed batch=%d error=%s", len(ids), exc)
            if exc.status in KEY_REFUSED:  # not a passing outage: it lasts until someone acts
                for sub in batch:
                    workflow.note_unfollowable(sub, f"Tavus refuses this workspace's API key ({exc.status})")
            continue
        for sub in batch:
            try:
                replica = found.get(sub.replica_id or "")
                if replica is None and sub.replica_id:
                    replica = tavus.get_replica(sub.replica_id)
                if replica is not None:
                    workflow.apply_replica_status(sub, replica)
            except TavusNotFound:
                log.warning("event=replica_missing submission=%s replica=%s", sub.id, sub.replica_id)
                workflow.apply_missing_replica(sub)
            except Exception:  # one replica's trouble never stops the others
                log.exception("event=poll_item_failed submission=%s", sub.id)


def maintenance(workflow: Workflow) -> None:
    """Reconcile interrupted submissions, lapse unanswered approval requests, deliver queued
    notices, clean up storage."""
    purge_jobs = partial(workflow.s.jobs.purge_finished, FINISHED_JOBS_KEPT_SECONDS)
    purge_audit = partial(workflow.s.repo.purge_audit, workflow.s.settings.audit_retention_days)
    purge_events = partial(workflow.s.repo.purge_events, EVENT_IDS_KEPT_SECONDS)
    purge_processes = partial(Leases(workflow.s.repo.db).purge_processes, SILENT_PROCESSES_KEPT_SECONDS)
    steps = (workflow.reconcile_submitting, workflow.lapse_requests, workflow.deliver_notices, workflow.sweep)
    for step in (*steps, purge_jobs, purge_audit, purge_events, purge_processes):
        workflow.guarded(step)


def refresh_voice_catalogs(workspaces: Workspaces) -> bool:
    """Refresh every Tavus account's voice list that is due (one catalog per key)."""
    refreshed = False
    for catalog in workspaces.all_voice_catalogs():
        refreshed = catalog.refresh_if_stale() or refreshed
    return refreshed
