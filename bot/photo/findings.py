"""What a photo check reports: findings with stable codes, and the report that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    FAIL = "fail"  # blocks the replica: training would fail or the request is invalid
    WARN = "warn"  # likely to hurt the replica; the person may go ahead
    INFO = "info"  # a reminder we cannot judge from pixels


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    advice: str = ""
    measured: str | None = None
    threshold: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "advice": self.advice,
            "measured": self.measured,
            "threshold": self.threshold,
        }


# Checks Tavus's AI Image Fixer can plausibly repair; it cannot invent a face or remove a person.
AUTOFIX_CODES = frozenset({"framing", "lighting", "exposure", "glasses", "headwear", "not_frontal", "blur"})


@dataclass
class PhotoReport:
    findings: list[Finding] = field(default_factory=list)
    image_format: str | None = None
    width: int | None = None  # after EXIF orientation
    height: int | None = None
    passed_checks: list[str] = field(default_factory=list)
    timing_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.FAIL for f in self.findings)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.FAIL]

    @property
    def autofix_helps(self) -> bool:
        """True when every problem found is one Tavus's AI Image Fixer can adjust."""
        problems = [f for f in self.findings if f.severity is not Severity.INFO]
        return bool(problems) and all(f.code in AUTOFIX_CODES for f in problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "format": self.image_format,
            "width": self.width,
            "height": self.height,
            "findings": [f.as_dict() for f in self.findings],
            "passed": list(self.passed_checks),
            "autofix_helps": self.autofix_helps,
            "timing_ms": round(self.timing_ms, 1),
        }
