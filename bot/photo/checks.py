"""The photo checks: pure functions from a decoded photo to findings.

Each check returns the findings it raises (empty when it passes). New checks slot into
`DEFAULT_CHECKS`; `check_photo` runs them in order on one decoded working copy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from PIL import Image

from .analysis import Analysis, Analyzer, Box, default_analyzer
from .decode import DecodedPhoto, UnreadableImage, UnsupportedPhoto, decode
from .face_checks import FACE_CHECKS, FaceContext
from .findings import Finding, Marks, PhotoReport, Region, Severity
from .thresholds import MIN_ANALYSIS_SIDE_PX, MIN_SIDE_PX, SMALL_FACE_DECODE_EDGE

Check = Callable[[DecodedPhoto], list[Finding]]


def check_format(photo: DecodedPhoto) -> list[Finding]:
    """Any still photo format we can convert passes; what was converted is said, as news."""
    if not photo.notes:
        return []
    text = "; ".join(photo.notes)
    return [Finding(code="converted", severity=Severity.INFO, message=text[0].upper() + text[1:] + ".")]


def check_resolution(photo: DecodedPhoto) -> list[Finding]:
    if min(photo.width, photo.height) >= MIN_SIDE_PX:
        return []
    return [
        Finding(
            code="resolution",
            severity=Severity.FAIL,
            message=(f"The photo is {photo.width}×{photo.height} px; {MIN_SIDE_PX}×{MIN_SIDE_PX} is the minimum."),
            advice="Send the original photo, not a screenshot or a thumbnail.",
            measured=f"{photo.width}×{photo.height} px",
            threshold=f"≥ {MIN_SIDE_PX}×{MIN_SIDE_PX} px",
        )
    ]


REMINDERS = Finding(
    code="reminders",
    severity=Severity.INFO,
    message=(
        "Please also check: no visible jewelry, hair behind the shoulders, an adult (18+), "
        "and that you have the rights to this likeness."
    ),
)

DEFAULT_CHECKS: Sequence[tuple[str, Check]] = (
    ("format", check_format),
    ("resolution", check_resolution),
)


def check_photo(
    data: bytes,
    checks: Sequence[tuple[str, Check]] = DEFAULT_CHECKS,
    analyzer: Analyzer | None = None,
    face_checks: Sequence[tuple[str, Callable[[FaceContext], list[Finding]]]] = FACE_CHECKS,
) -> PhotoReport:
    """Run every check on the bytes of one photo; never raises for bad input.

    Raises AnalysisUnavailable only when the face-analysis package cannot load at all.
    """
    started = time.perf_counter()
    report = PhotoReport()
    try:
        photo = decode(data)
    except UnsupportedPhoto as exc:
        return _only(
            report,
            started,
            Finding(
                code="format",
                severity=Severity.FAIL,
                message=f"The file is {exc.kind}, not a still photo I can use.",
                advice=exc.advice,
                measured=exc.kind,
                threshold="one still photo: JPEG, PNG, HEIC, AVIF, WebP, TIFF or BMP",
            ),
        )
    except UnreadableImage as exc:
        return _only(
            report,
            started,
            Finding(
                code="unreadable",
                severity=Severity.FAIL,
                message=f"We could not read this file as a photo: {exc}.",
                advice="Upload the photo itself (JPEG, PNG, HEIC, AVIF, WebP, TIFF or BMP).",
            ),
        )
    report.image_format, report.width, report.height = photo.image_format, photo.width, photo.height
    report.working = photo.working
    for name, check in checks:
        _record(report, name, check(photo))
    if face_checks and min(photo.working.size) >= MIN_ANALYSIS_SIDE_PX:
        larger = _larger_decode(data, photo) if max(photo.width, photo.height) > photo.working.width * 1.5 else None
        analysis = (analyzer or default_analyzer()).analyze(photo.working, larger)
        context = FaceContext(photo.working, analysis)
        for name, face_check in face_checks:
            _record(report, name, face_check(context))
            if name == "face" and not analysis.faces:
                break  # nothing else can be judged without a face
        report.marks = marks_of(analysis)  # (after the checks: the hands may still be on their way)
    report.findings.sort(key=lambda f: _SEVERITY_ORDER[f.severity])
    report.findings.append(REMINDERS)
    report.timing_ms = (time.perf_counter() - started) * 1000
    return report


def recheck_photo(data: bytes) -> PhotoReport:
    """The checks again on a fixed version made from the reduced decode: all but the
    resolution check (judged on the fixed photo's full size instead)."""
    return check_photo(data, checks=(("format", check_format),))


def _region(box: Box) -> Region:
    return Region(box.x, box.y, box.w, box.h)


def marks_of(analysis: Analysis) -> Marks:
    absence, roll = analysis.absence, 0.0
    main = analysis.main_face
    if main is not None and main.eyes is not None:
        (lx, ly), (rx, ry) = main.eyes
        roll = math.degrees(math.atan2((ry - ly) * analysis.height, (rx - lx) * analysis.width))
    return Marks(
        face=_region(analysis.faces[0].box) if analysis.faces else None,
        other_faces=[_region(f.box) for f in analysis.faces[1:]],
        hands=[_region(h) for h in analysis.hands],
        turned=int(getattr(absence, "turned", 0) or 0),
        roll=roll,
    )


def _larger_decode(data: bytes, photo: DecodedPhoto) -> Callable[[], Image.Image | None]:
    """A larger decode of the same photo, made only if a face must be searched for in it."""

    def larger() -> Image.Image | None:
        try:
            return decode(data, long_edge=SMALL_FACE_DECODE_EDGE).working
        except (UnreadableImage, UnsupportedPhoto):
            return None

    return larger


_SEVERITY_ORDER = {Severity.FAIL: 0, Severity.WARN: 1, Severity.INFO: 2}


def _only(report: PhotoReport, started: float, finding: Finding) -> PhotoReport:
    """A report with the one finding that ends the checks (nothing else can be judged)."""
    report.findings.append(finding)
    report.timing_ms = (time.perf_counter() - started) * 1000
    return report


def _record(report: PhotoReport, name: str, found: list[Finding]) -> None:
    """Add a check's findings; a check that only informs (a conversion) has passed."""
    report.findings.extend(found)
    if all(f.severity is Severity.INFO for f in found):
        report.passed_checks.append(name)
