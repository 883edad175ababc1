"""Show the photo, not only words: an annotated preview of what the checks saw, and the fixes
the bot can make itself (crop, rotate, levels) — never retouching a face, never upscaling,
never adding a pixel that was not in the photo. Pure functions of the checks' report."""

from .annotate import PREVIEW_LONG_EDGE, annotated, preview_image, preview_jpeg
from .fixes import Fix, FixOffer, apply_fix, offer_fix, propose_fix, rehost_copies
from .frame import head_and_shoulders

__all__ = [
    "PREVIEW_LONG_EDGE",
    "Fix",
    "FixOffer",
    "annotated",
    "apply_fix",
    "head_and_shoulders",
    "offer_fix",
    "preview_image",
    "preview_jpeg",
    "propose_fix",
    "rehost_copies",
]
