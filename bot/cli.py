"""`replica-bot run|web|worker` (the bot, by role), `replica-bot check PHOTO…` (the checklist,
no credentials), `replica-bot jobs` (what the workers are doing) and `replica-bot new-key` /
`rotate-key` (the keys that encrypt stored secrets)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ConfigError, load_settings, read_dotenv
from .photo import PhotoReport, Severity, check_photo
from .photo.analysis import AnalysisUnavailable

if TYPE_CHECKING:
    from .health import WorkerStatus

_MARKS = {Severity.FAIL: "FAIL", Severity.WARN: "WARN", Severity.INFO: "NOTE"}


def format_report(path: str, report: PhotoReport) -> str:
    size = f"{report.width}×{report.height} {report.image_format}" if report.width else "unreadable"
    lines = [f"{path}: {'OK' if report.ok else 'NOT OK'} ({size}, {report.timing_ms:.0f} ms)"]
    for f in report.findings:
        detail = ""
        if f.measured or f.threshold:
            detail = f" [measured {f.measured or '-'}; aim for {f.threshold or '-'}]"
        lines.append(f"  {_MARKS[f.severity]} {f.code}: {f.message}{detail}")
        if f.advice:
            lines.append(f"       fix: {f.advice}")
    for name in report.passed_checks:
        lines.append(f"  PASS {name}")
    if report.findings and not report.ok:
        lines.append(f"  AI Image Fixer likely to help: {'yes' if report.autofix_helps else 'no'}")
    return "\n".join(lines)


def write_extras(data: bytes, report: PhotoReport, preview: str | None, fixed: str | None) -> list[str]:
    """`--preview` / `--fix`: the annotated image Slack would get, and the fixed photo when the
    bot can make one. Returns lines to print."""
    from .preview import annotated, offer_fix, rehost_copies

    said: list[str] = []
    offer = offer_fix(report)
    if preview:
        image = annotated(report, offer.image if offer else None)
        if image is None:
            said.append("  no preview: the file is not a photo I can read")
        else:
            image.save(preview)
            said.append(f"  preview written to {preview}")
    if fixed:
        if offer is None:
            said.append("  no fix: nothing here is one I can fix myself (framing, a sideways photo, mild exposure)")
        else:
            Path(fixed).write_bytes(rehost_copies(data, offer.fix)[1])
            said.append(f"  fixed photo ({', '.join(offer.fix.what)}) written to {fixed}")
    return said


def cmd_check(paths: Sequence[str], as_json: bool, preview: str | None = None, fixed: str | None = None) -> int:
    if (preview or fixed) and len(paths) != 1:
        print("replica-bot check: --preview and --fix take one photo", file=sys.stderr)
        return 2
    results: list[dict[str, Any]] = []
    all_ok = True
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            print(f"replica-bot check: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return 2
        try:
            report = check_photo(data)
        except AnalysisUnavailable as exc:
            print(f"replica-bot check: {exc}", file=sys.stderr)
            return 2
        all_ok = all_ok and report.ok
        if as_json:
            d = report.as_dict()
            results.append(
                {
                    "path": path,
                    "ok": d["ok"],
                    "findings": [
                        {k: f[k] for k in ("code", "severity", "message", "measured", "threshold")}
                        for f in d["findings"]
                    ],
                    "autofix_helps": d["autofix_helps"],
                    "timing_ms": d["timing_ms"],
                }
            )
        else:
            print(format_report(path, report))
        if preview or fixed:
            for line in write_extras(data, report, preview, fixed):
                print(line, file=sys.stderr if as_json else sys.stdout)
    if as_json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0 if all_ok else 1


def cmd_run(role: str) -> int:
    from . import logs

    read_dotenv()
    try:
        settings = load_settings()
    except ConfigError as exc:
        print("replica-bot cannot start; fix these settings (environment or .env):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("See README.md, section Configuration.", file=sys.stderr)
        return 2
    from .app import run

    logs.setup()  # only now: a usage error above leaves the caller's logging alone
    try:
        run(settings, role)
    except AnalysisUnavailable as exc:
        logs.flush()
        print(f"replica-bot cannot start: {exc}", file=sys.stderr)
        return 2
    logs.flush()
    return 0


PROCESS_LISTING_SECONDS = 120  # `jobs` lists processes that beat this recently


def workers_line(status: WorkerStatus) -> str:
    """`replica-bot jobs`'s line on workers and the work waiting for them (pure)."""
    waiting = f"{status.jobs_waiting} job(s) due and waiting"
    if status.oldest_waiting_seconds is not None:
        waiting += f", the oldest for {status.oldest_waiting_seconds:.0f} s"
    if status.healthy:
        return f"workers alive: {status.workers}; {waiting}"
    return f"no worker alive in the last {PROCESS_LISTING_SECONDS} s ({waiting}): start `python -m bot worker`"


def cmd_jobs(state: str | None, limit: int) -> int:
    """Print the latest jobs and the live processes, for an operator."""
    import os

    from storage import Database, clock, describe
    from storage.jobs import JobStore
    from storage.leases import Leases

    from .health import status_of

    read_dotenv()
    target = os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_PATH") or "replica-bot.db"
    db = Database(target)
    clock.sync(db)  # heartbeats and due times are the database's
    store, leases = JobStore(db), Leases(db)
    print(f"database: {describe(target)}")
    print("jobs by state: " + ", ".join(f"{k} {v}" for k, v in sorted(store.counts().items())))
    print(f"scheduler lease: {leases.holder('scheduler') or 'nobody'}")
    alive = leases.processes(alive_within_seconds=PROCESS_LISTING_SECONDS)
    for p in alive:
        print(f"process {p.id} ({p.role}) on {p.host} pid {p.pid}, since {p.started_at}, heartbeat {p.heartbeat_at}")
    print(workers_line(status_of(alive, store.waiting(), clock.now())))
    for job in store.recent(limit, state):
        error = f"  last error: {job.last_error[:120]}" if job.last_error else ""
        print(f"#{job.id} {job.kind} [{job.state}] attempt {job.attempt}/{job.max_attempts} {job.subject or ''}{error}")
    db.close()
    return 0


def cmd_audit(team: str | None, since: str | None, until: str | None, fmt: str) -> int:
    """Print the audit trail (oldest first) as CSV or JSON."""
    import os

    from storage import Repository

    from .audit.export import to_csv, to_json

    read_dotenv()
    target = os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_PATH") or "replica-bot.db"
    for name, value in (("--since", since), ("--until", until)):
        if value and not _is_iso(value):
            print(
                f"replica-bot audit: {name} must be a date like 2026-12-04 (or an ISO time), got {value!r}",
                file=sys.stderr,
            )
            return 2
    repo = Repository(target)
    entries = repo.audit_entries(team_id=team, since=since, until=until)
    repo.close()
    sys.stdout.write(to_csv(entries) if fmt == "csv" else to_json(entries) + "\n")
    return 0


def _is_iso(value: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def cmd_rotate_key() -> int:
    """Re-encrypt every stored secret with the newest key in ENCRYPTION_KEY."""
    import os

    from storage import Repository, describe

    from .workspaces.secrets import Keyring, KeyringError

    read_dotenv()
    target = os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_PATH") or "replica-bot.db"
    try:
        keyring = Keyring.from_setting(os.environ.get("ENCRYPTION_KEY", ""))
        repo = Repository(target)
        count = repo.reseal_all(keyring.rotate)
    except KeyringError as exc:
        print(f"replica-bot rotate-key: {exc}", file=sys.stderr)
        return 2
    repo.close()
    print(f"{describe(target)}: {count} secrets re-encrypted with the newest of {keyring.size} keys.")
    if keyring.size > 1:
        print("Every secret now opens with the first key alone: the others can be dropped from ENCRYPTION_KEY.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="replica-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the whole bot in one process (HTTP, or Socket Mode with SLACK_APP_TOKEN)")
    sub.add_parser("web", help="answer Slack only: verify, record, ack, enqueue (run any number)")
    sub.add_parser("worker", help="do the slow work: photos, S3, Tavus, Slack posts, polling (run any number)")
    jobs = sub.add_parser("jobs", help="list recent jobs and live processes (needs only the database settings)")
    jobs.add_argument("--state", choices=["available", "running", "done", "failed", "cancelled"])
    jobs.add_argument("--limit", type=int, default=30)
    audit = sub.add_parser("audit", help="print the audit trail: consents, approvals, replicas, key changes")
    audit.add_argument("--team", help="one workspace (team id)")
    audit.add_argument("--since", help="from this date or time (ISO, UTC)")
    audit.add_argument("--until", help="before this date or time (ISO, UTC)")
    audit.add_argument("--format", choices=["csv", "json"], default="csv")
    sub.add_parser("new-key", help="print a new ENCRYPTION_KEY (a Fernet key)")
    sub.add_parser(
        "rotate-key",
        help="re-encrypt every stored token and Tavus key with the first key of ENCRYPTION_KEY (newest first)",
    )
    check = sub.add_parser("check", help="check photos against Tavus's image requirements")
    check.add_argument("photos", nargs="+", metavar="PHOTO")
    check.add_argument("--json", action="store_true", help="one JSON array, one object per photo")
    check.add_argument("--preview", metavar="OUT", help="write the annotated preview (PNG or JPEG by extension)")
    check.add_argument("--fix", metavar="OUT", help="write the fixed photo (JPEG) when the bot can make one")
    args = parser.parse_args(argv)
    if args.command == "check":
        return cmd_check(args.photos, args.json, args.preview, args.fix)
    if args.command in (None, "run"):
        return cmd_run("all")
    if args.command in ("web", "worker"):
        return cmd_run(args.command)
    if args.command == "jobs":
        return cmd_jobs(args.state, args.limit)
    if args.command == "audit":
        return cmd_audit(args.team, args.since, args.until, args.format)
    if args.command == "new-key":
        from .workspaces.secrets import Keyring

        print(Keyring.new_key())
        return 0
    if args.command == "rotate-key":
        return cmd_rotate_key()
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
