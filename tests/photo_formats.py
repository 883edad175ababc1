"""Real encoded files from phones and browsers, made here with pillow-heif and Pillow from a
real portrait: HEIC (rotated by its orientation), several-image HEIC, AVIF, WebP lossy and
lossless, animated WebP, 16-bit TIFF, multi-page TIFF, BMP and a Display P3 JPEG."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image

from bot.photo import still  # noqa: F401  (registers pillow-heif's HEIF opener)
from tests.icc import display_p3_profile
from tests.photo_samples import astronaut

SIZE = (700, 560)  # wide: a wrong or missing rotation shows in the dimensions


def portrait() -> Image.Image:
    return astronaut().resize(SIZE, Image.Resampling.LANCZOS)


def _save(img: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def heic_rotated() -> bytes:
    """Stored sideways with orientation 6, as phones do: upright it is 560×700."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(portrait().transpose(Image.Transpose.ROTATE_90), "HEIF", quality=90, exif=exif.tobytes())


def heic_several() -> bytes:
    """Two images; the primary (second) is the portrait, the first a mirror image."""
    return _save(
        portrait().transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "HEIF",
        save_all=True,
        append_images=[portrait()],
        primary_index=1,
        quality=90,
    )


def avif() -> bytes:
    return _save(portrait(), "AVIF", quality=85)


def webp_lossy() -> bytes:
    return _save(portrait(), "WEBP", quality=85)


def webp_lossless() -> bytes:
    return _save(portrait(), "WEBP", lossless=True)


def webp_animated() -> bytes:
    frames = [portrait(), portrait().rotate(5)]
    return _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=200, loop=0)


def tiff_16bit() -> bytes:
    gray = np.asarray(portrait().convert("L"), dtype=np.uint16) * 257
    return _save(Image.fromarray(gray), "TIFF")


def tiff_pages() -> bytes:
    return _save(portrait(), "TIFF", save_all=True, append_images=[portrait().rotate(90)])


def bmp() -> bytes:
    return _save(portrait(), "BMP")


P3_COLOUR = (200, 100, 50)  # a warm skin-like tone, inside both gamuts
P3_COLOUR_IN_SRGB = (216, 93, 24)  # LittleCMS's conversion of it with the profile below


def jpeg_display_p3() -> bytes:
    """A portrait with a patch of P3_COLOUR in its corner, tagged Display P3: converted with
    the profile, the patch turns more saturated; with the profile merely dropped it would not."""
    img = portrait()
    img.paste(P3_COLOUR, (0, 0, 60, 60))
    return _save(img, "JPEG", quality=95, icc_profile=display_p3_profile())


ACCEPTED: dict[str, Callable[[], bytes]] = {
    "HEIC": heic_rotated,
    "AVIF": avif,
    "WebP lossy": webp_lossy,
    "WebP lossless": webp_lossless,
    "TIFF 16-bit": tiff_16bit,
    "BMP": bmp,
    "HEIC, several images": heic_several,
    "TIFF, two pages": tiff_pages,
    "JPEG, Display P3": jpeg_display_p3,
}
REFUSED: dict[str, Callable[[], bytes]] = {"WebP, animated": webp_animated}
