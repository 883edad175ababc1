"""Re-encode a photo for rehosting: upright, RGB, and with every byte of metadata dropped.

Re-saving drops EXIF, GPS, XMP and ICC when they are not passed to save(), but Pillow
writes a JPEG COM segment from `info["comment"]`; clearing `info` drops that too. The photo
is decoded at reduced size (JPEG draft) and changed in place: one decoded copy at a time.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from .decode import DRAFT_SHARE
from .still import open_still, upright_srgb

# Long edge of the rehosted copy: four times Tavus's 512 px minimum, and small enough that a
# burst of 12 MP uploads does not multiply 36 MB decodes (2048 px is 12 MB as RGB).
REHOST_LONG_EDGE = 2048
JPEG_QUALITY = 95  # Tavus gets at least 92; the photo is re-encoded only once


def normalize_for_rehost(data: bytes) -> bytes:
    """Return a metadata-free sRGB JPEG of the photo's one still image, upright.

    Any format the checks accept (HEIC, AVIF, WebP, TIFF, BMP, PNG, JPEG) becomes JPEG."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = open_still(data).image
        if img.format in ("JPEG", "MPO"):
            # draft() keeps both sides at or above its box: 60 % of the edge lets a 4000×3000
            # photo decode at half scale (2000×1500, 9 MB) instead of in full (36 MB).
            box = int(REHOST_LONG_EDGE * DRAFT_SHARE)
            img.draft("RGB", (box, box))
        img.load()
    img.thumbnail((REHOST_LONG_EDGE, REHOST_LONG_EDGE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    img = upright_srgb(img)
    img.info = {}  # no comment, ICC, EXIF or XMP can ride along
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
