"""Decode untrusted bytes once, at reduced size where the format allows.

We never need 12 megapixels to judge a headshot, so JPEGs are decoded with draft mode
(libjpeg scales by 1/2, 1/4 or 1/8 while decoding) and only one working copy is kept.
Pillow's decompression-bomb guard stays on, and its warning is treated as an error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from .sniff import PHOTO_KINDS, sniff
from .still import AnimatedPhoto, NotAPhotoFormat, decodable_kinds, open_still, upright_srgb

# Orientation values 5–8 swap width and height (EXIF spec, tag 0x0112).
_TRANSPOSED_ORIENTATIONS = {5, 6, 7, 8}
_EXIF_ORIENTATION_TAG = 0x0112
# Long edge of the working copy: plenty for face analysis, ~1/12 of a 12 MP decode.
WORKING_LONG_EDGE = 1024
DRAFT_SHARE = 0.6
EXPORT_JPEG_ADVICE = (
    "Export it as JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible, "
    "or share the photo to Files as JPEG) and upload that."
)


class UnreadableImage(Exception):
    """The bytes are not an image we can decode; the text says why, for the person."""


class UnsupportedPhoto(Exception):
    """A photo in a format we cannot take: the text names it and says what to send instead."""

    def __init__(self, kind: str, advice: str):
        self.kind = kind
        self.advice = advice
        super().__init__(kind)


@dataclass
class DecodedPhoto:
    image_format: str  # Pillow's name: JPEG, PNG, HEIF, AVIF, WEBP, ...
    width: int  # full size, after orientation
    height: int
    working: Image.Image  # RGB (sRGB), upright, long edge <= WORKING_LONG_EDGE
    notes: list[str] = field(default_factory=list)  # conversions made (HEIC → JPEG, …)


def _oriented_size(img: Image.Image) -> tuple[int, int]:
    try:
        orientation = img.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block is not a reason to reject the photo
        orientation = 1
    w, h = img.size
    return (h, w) if orientation in _TRANSPOSED_ORIENTATIONS else (w, h)


def to_rgb(img: Image.Image) -> Image.Image:
    """Flatten any mode (alpha on white, 16-bit scaled, palette, CMYK) to 8-bit RGB."""
    if img.mode == "RGB":
        return img
    if img.mode in {"I;16", "I;16B", "I;16L", "I"}:
        # convert() clips 16-bit samples to 255; scale them down instead.
        img = img.point(lambda v: v / 256).convert("L")
    if img.mode in {"RGBA", "LA", "PA"} or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def decode(data: bytes, long_edge: int = WORKING_LONG_EDGE) -> DecodedPhoto:
    """Identify, pick the one still image, orient and decode at reduced size.

    Raises UnreadableImage, or UnsupportedPhoto for animations and formats we do not take."""
    if not data:
        raise UnreadableImage("the file is empty")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            still = open_still(data)
            img = still.image
            width, height = _oriented_size(img)
            if still.image_format in ("JPEG", "MPO", "HEIF"):
                # draft() keeps both sides at or above the box it is given; a box of 60 % of
                # the working edge lets a 4000×3000 JPEG decode at 1/4 scale (1000×750), and a
                # HEIC use an embedded thumbnail that large, if it has one (HEVC cannot be
                # decoded at a reduced size; a 12 MP HEIC costs ~1 s in full).
                box = int(long_edge * DRAFT_SHARE)
                img.draft("RGB", (box, box))
            img.load()  # verify() misses truncated JPEGs; load() does not
            # Shrink in place first (reduce() by whole factors, then resample; EXIF stays in
            # info), then turn upright and convert: the full-size buffer is never copied.
            img.thumbnail((long_edge, long_edge), Image.Resampling.BILINEAR, reducing_gap=2.0)
            img = upright_srgb(img)
        except AnimatedPhoto as exc:
            raise UnsupportedPhoto(
                f"an animated {exc.kind} ({exc.frames} frames)",
                "Send one still photo: open the animation, save the frame you like as a photo, and upload that.",
            ) from exc
        except NotAPhotoFormat as exc:
            raise UnsupportedPhoto(
                f"a {exc.kind} image",
                "GIF keeps only 256 colours: upload the original photo (JPEG, PNG, HEIC, WebP…).",
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UnreadableImage(
                "the image declares more pixels than we will decode "
                f"(limit {Image.MAX_IMAGE_PIXELS:,}); it may be a decompression bomb"
            ) from exc
        except UnidentifiedImageError as exc:
            kind = sniff(data)
            if kind in PHOTO_KINDS and kind not in decodable_kinds():
                raise UnsupportedPhoto(kind, EXPORT_JPEG_ADVICE) from exc
            if kind in PHOTO_KINDS:
                raise UnreadableImage(f"it looks like {kind}, but its image data is damaged") from exc
            raise UnreadableImage(
                f"it is {kind}, not a photo" if kind else "the file is not an image we recognise"
            ) from exc
        except MemoryError as exc:
            raise UnreadableImage("the image is too large to decode") from exc
        except Exception as exc:
            # Strangers' bytes: Pillow's plugins raise OSError, ValueError, SyntaxError,
            # EOFError, struct.error and more on damaged data. Any of them means unreadable.
            raise UnreadableImage(f"the image data is damaged or truncated ({type(exc).__name__})") from exc
    return DecodedPhoto(image_format=still.image_format, width=width, height=height, working=img, notes=still.notes)
