"""What a photo check reports: findings with stable codes, and the report that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image


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


@dataclass(frozen=True)
class Region:
    """A rectangle in relative coordinates (0..1 of the upright photo's width and height)."""

    x: float
    y: float
    w: float
    h: float


@dataclass
class Marks:
    """Where the checks saw things, for the annotated preview and the fixes."""

    face: Region | None = None  # the main face
    other_faces: list[Region] = field(default_factory=list)  # more people
    hands: list[Region] = field(default_factory=list)
    turned: int = 0  # degrees counter-clockwise the photo needed for a face to show
    roll: float = 0.0  # of the main face's eye line, degrees (image y down): ~±90 on a sideways photo


@dataclass
class PhotoReport:
    findings: list[Finding] = field(default_factory=list)
    image_format: str | None = None
    width: int | None = None  # after EXIF orientation
    height: int | None = None
    passed_checks: list[str] = field(default_factory=list)
    timing_ms: float = 0.0
    marks: Marks = field(default_factory=Marks)
    # The reduced decode the checks ran on (upright sRGB, long edge ≤ 1024 px): the preview
    # and the proposed fix are made from it, never from a second full decode.
    working: Image.Image | None = field(default=None, repr=False)

    def codes(self, *severities: Severity) -> set[str]:
        wanted = severities or (Severity.FAIL, Severity.WARN)
        return {f.code for f in self.findings if f.severity in wanted}

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
