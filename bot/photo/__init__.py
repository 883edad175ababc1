"""Photo checks: bytes in, a report of findings out. Pure; used by Slack and the CLI alike."""

from .checks import DEFAULT_CHECKS, check_photo
from .decode import UnreadableImage, decode
from .findings import Finding, PhotoReport, Severity
from .normalize import normalize_for_rehost, normalize_with_version

__all__ = [
    "DEFAULT_CHECKS",
    "Finding",
    "PhotoReport",
    "Severity",
    "UnreadableImage",
    "check_photo",
    "decode",
    "normalize_for_rehost",
    "normalize_with_version",
]
