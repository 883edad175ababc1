"""The policy's decisions (pure), and the usage they are decided on, counted under the
workspace's lock on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bot.policy import Policy, Usage, refusal_for
from storage import Repository, Submission
from storage.audit import AuditEvent

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_everyone_may_create_by_default() -> None:
    assert Policy().is_default
    assert refusal_for(Policy(), "U1", None, Usage(), NOW) is None


def test_who_may_create_listed_people_and_groups() -> None:
    listed = Policy(who="listed", people=("U1",))
    assert refusal_for(listed, "U1", None, Usage(), NOW) is None
    refusal = refusal_for(listed, "U2", None, Usage(), NOW)
    assert refusal is not None and refusal.code == "not_listed" and "not on this workspace's list" in refusal.text
    grouped = Policy(who="groups", groups=("S1",))
    assert refusal_for(grouped, "U2", True, Usage(), NOW) is None
    refusal = refusal_for(grouped, "U2", False, Usage(), NOW)
    assert refusal is not None and refusal.text == "you are not in the allowed group"


def test_quota_names_the_date_the_oldest_replica_frees_up() -> None:
    policy = Policy(quota_per_person=3)
    used = ["2026-11-04T09:00:00+00:00", "2026-11-20T10:00:00+00:00", "2026-11-25T10:00:00+00:00"]
    refusal = refusal_for(policy, "U1", None, Usage(used), NOW)
    assert refusal is not None and refusal.code == "quota"
    assert refusal.text == "3 of 3 used in the last 30 days; the next frees up on 2026-12-04"
    assert refusal_for(policy, "U1", None, Usage(used[1:]), NOW) is None
    zero = refusal_for(Policy(quota_per_person=0), "U1", None, Usage(), NOW)
    assert zero is not None and zero.code == "quota"


def test_workspace_training_limit() -> None:
    policy = Policy(max_training=2)
    assert refusal_for(policy, "U1", None, Usage(training_now=1), NOW) is None
    refusal = refusal_for(policy, "U1", None, Usage(training_now=2), NOW)
    assert refusal is not None and refusal.code == "busy" and "2 of 2" in refusal.text


def test_policy_round_trips_and_names_its_changes() -> None:
    policy = Policy("groups", (), ("S1", "S2"), 3, 1, True, "C9")
    assert Policy.from_json(policy.to_json()) == policy and Policy.from_json(None) == Policy()
    assert policy.changes_from(Policy())["quota_per_person"] == {"before": None, "after": 3}
    assert "people" not in policy.changes_from(Policy())


def _submission(sid: str, user: str, status: str, **extra: object) -> Submission:
    return Submission(sid, "T1", user, "D1", sid, sid, f"F{sid}", status, **extra)  # type: ignore[arg-type]


def test_usage_counts_recent_replicas_and_cleared_submissions(database_url: str) -> None:
    repo = Repository(database_url)
    repo.create_submission(
        _submission("old", "U1", "completed", replica_id="r0", submitted_at="2026-01-01T00:00:00+00:00")
    )
    repo.create_submission(
        _submission("a", "U1", "training", replica_id="r1", submitted_at="2026-11-20T00:00:00+00:00")
    )
    repo.create_submission(_submission("b", "U2", "deleted", replica_id="r2", submitted_at="2026-11-21T00:00:00+00:00"))
    repo.create_submission(_submission("c", "U1", "submitting"))
    repo.create_submission(_submission("d", "U1", "submitting"))
    seen: list[tuple[list[str], int]] = []

    def allow(used: list[str], training: int) -> bool:
        seen.append((used, training))
        return True

    assert repo.clear_for_creation("c", "T1", "U1", "2026-10-27T12:00:00+00:00", allow)
    assert seen[-1] == (["2026-11-20T00:00:00+00:00"], 1)
    # "c" is cleared now: it counts for "d" (the person's quota and the workspace's limit)
    assert not repo.clear_for_creation("d", "T1", "U1", "2026-10-27T12:00:00+00:00", lambda used, n: n < 2)
    assert len(seen[-1][0]) == 1 and len([u for u in [repo.get("c")] if u and u.cleared_at]) == 1
    assert repo.get("d").cleared_at is None  # type: ignore[union-attr]
    assert repo.usage_by_person("T1", "2026-10-27T12:00:00+00:00") == [("U1", 1), ("U2", 1)]


def test_two_workers_cannot_both_take_the_last_training_slot(database_url: str) -> None:
    repo = Repository(database_url)
    for i in range(6):
        repo.create_submission(_submission(f"s{i}", f"U{i}", "submitting"))
    cleared: list[str] = []
    gate = threading.Barrier(6)

    def clear(sid: str) -> None:
        mine = Repository(repo.db)
        gate.wait()
        if mine.clear_for_creation(sid, "T1", sid, "2026-10-27T12:00:00+00:00", lambda used, n: n < 2):
            cleared.append(sid)

    threads = [threading.Thread(target=clear, args=(f"s{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cleared) == 2


def test_policy_is_saved_with_its_audit_entry(database_url: str) -> None:
    repo = Repository(database_url)
    assert repo.policy_of("T1") is None
    policy = Policy(quota_per_person=2)
    repo.set_policy("T1", policy.to_json(), "UA", AuditEvent("T1", "policy_changed", "UA", None, {"quota": 2}))
    stored = repo.policy_of("T1")
    assert stored is not None and Policy.from_json(stored.text) == policy and stored.changed_by == "UA"
    assert [(e.action, e.actor) for e in repo.audit_entries(team_id="T1")] == [("policy_changed", "UA")]
