"""`replica-bot run` (the bot) and `replica-bot check PHOTO…` (the checklist, no credentials)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import ConfigError, load_settings, read_dotenv
from .photo import PhotoReport, Severity, check_photo
from .photo.analysis import AnalysisUnavailable

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


def cmd_check(paths: Sequence[str], as_json: bool) -> int:
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
    if as_json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0 if all_ok else 1


def cmd_run() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    for noisy in ("apscheduler", "waitress", "httpx"):  # httpx logs full URLs
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)  # "skipped: already running"
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N" on every burst
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

    try:
        run(settings)
    except AnalysisUnavailable as exc:
        print(f"replica-bot cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="replica-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Slack bot (HTTP mode, or Socket Mode with SLACK_APP_TOKEN)")
    check = sub.add_parser("check", help="check photos against Tavus's image requirements")
    check.add_argument("photos", nargs="+", metavar="PHOTO")
    check.add_argument("--json", action="store_true", help="one JSON array, one object per photo")
    args = parser.parse_args(argv)
    if args.command == "check":
        return cmd_check(args.photos, args.json)
    if args.command in (None, "run"):
        return cmd_run()
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
