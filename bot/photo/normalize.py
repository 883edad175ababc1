"""Re-encode a photo for rehosting: upright, RGB, and with every byte of metadata dropped.

Re-saving drops EXIF, GPS, XMP and ICC when they are not passed to save(), but Pillow
writes a JPEG COM segment from `info["comment"]`; clearing `info` drops that too. The photo
is decoded at reduced size (JPEG draft) and changed in place: one decoded copy at a time.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable

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
    return _encode(_rehost_image(data))


def normalize_with_version(
    data: bytes, transform: Callable[[Image.Image], Image.Image], full_resolution: bool = False
) -> tuple[bytes, bytes]:
    """The person's photo and a version of it made by `transform` (the bot's fix), both as
    rehost JPEGs. `full_resolution`: the version comes from a full decode (a crop must use
    every pixel there is, never a reduced copy); otherwise one reduced decode serves both."""
    if not full_resolution:
        img = _rehost_image(data)
        return _encode(img), _encode(transform(img))
    # The person's copy from the usual reduced decode; the crop from a full one (resampling
    # the whole 12 MP photo down would cost more than decoding it twice).
    fixed = transform(upright_srgb(_decoded(data, draft=False)))
    _fit(fixed)  # (thumbnail only ever shrinks: a small crop stays as it is, never upscaled)
    return _encode(_rehost_image(data)), _encode(fixed)


def _decoded(data: bytes, draft: bool = True) -> Image.Image:
    """The still image as decoded (reduced with `draft`), not yet upright or sRGB."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = open_still(data).image
        if draft and img.format in ("JPEG", "MPO"):
            # draft() keeps both sides at or above its box: 60 % of the edge lets a 4000×3000
            # photo decode at half scale (2000×1500, 9 MB) instead of in full (36 MB).
            box = int(REHOST_LONG_EDGE * DRAFT_SHARE)
            img.draft("RGB", (box, box))
        img.load()
    return img


def _fit(img: Image.Image) -> None:
    img.thumbnail((REHOST_LONG_EDGE, REHOST_LONG_EDGE), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _rehost_image(data: bytes) -> Image.Image:
    img = _decoded(data)
    _fit(img)
    return upright_srgb(img)


def _encode(img: Image.Image) -> bytes:
    img.info = {}  # no comment, ICC, EXIF or XMP can ride along
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
