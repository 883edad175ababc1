"""Re-encode a photo for rehosting: upright, RGB, and with every byte of metadata dropped.

Re-saving drops EXIF, GPS, XMP and ICC when they are not passed on, but Pillow keeps a
JPEG COM segment if `comment` is in `info`; we build a fresh image so nothing carries over.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from .decode import to_rgb

# Long edge cap for the rehosted copy: well above Tavus's 512 px minimum, bounded in size.
REHOST_LONG_EDGE = 4096
JPEG_QUALITY = 95


def normalize_for_rehost(data: bytes) -> bytes:
    """Return a metadata-free JPEG of the photo with EXIF orientation applied."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as src:
            if src.format == "JPEG":
                src.draft("RGB", (REHOST_LONG_EDGE, REHOST_LONG_EDGE))
            src.load()
            rgb = to_rgb(ImageOps.exif_transpose(src) or src)
    rgb.thumbnail((REHOST_LONG_EDGE, REHOST_LONG_EDGE), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)  # a fresh image has an empty info dict: no comment, icc, exif, xmp
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
