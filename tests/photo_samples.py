"""Real photographs (shipped offline by scikit-image) and variants derived from them."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image


@lru_cache(maxsize=1)
def astronaut() -> Image.Image:
    """Eileen Collins' NASA portrait: 512×512, one frontal face, public domain."""
    from skimage import data

    return Image.fromarray(data.astronaut())


def encode(img: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def headshot_jpeg(size: int = 768) -> bytes:
    """The astronaut upscaled past the minimum, as a phone would send it."""
    return encode(astronaut().resize((size, size), Image.Resampling.LANCZOS), "JPEG", quality=92)


def with_gps_exif(img: Image.Image, orientation: int = 1) -> bytes:
    """A JPEG carrying GPS, a camera model, a comment and an orientation tag."""
    exif = Image.Exif()
    exif[0x0110] = "Secret Phone 12"  # Model
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.0), "E", (13.0, 24.0, 36.0)
    return encode(img, "JPEG", quality=92, exif=exif, comment=b"home address: 1 Secret Lane")


def tiny_png() -> bytes:
    return encode(astronaut().resize((300, 300)), "PNG")
