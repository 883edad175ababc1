"""Open one still photo from any format phones and browsers send, upright and in sRGB.

JPEG and PNG go to Tavus as they are meant to; HEIC/HEIF (pillow-heif), AVIF, WebP, TIFF
and BMP are converted, since the bot re-encodes every photo as JPEG before rehosting
anyway. A file holding several images is narrowed to one: a HEIF's primary image, a TIFF's
first page, an MPO's main JPEG; an animation is refused (which frame would be "the photo"?).
Colours are converted to sRGB with the photo's own ICC profile (a Display P3 photo would
look washed out if the profile were merely dropped), or, without one, with the wide gamut
a HEIF/AVIF's `nclx` box or a camera's EXIF names (colour_spaces.py). Used by the checks
(a reduced decode) and by the rehost (the full one).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageOps

from . import colour_spaces
from .colour_box import primary_nclx

# Decoders that may run on strangers' bytes (Pillow's names; JPEG also opens MPO, the
# multi-picture JPEG phones write); everything else is refused unopened. HEIF is
# registered by pillow-heif. GIF opens only to say what it is.
STILL_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "HEIF", "AVIF")
TAVUS_FORMATS = ("JPEG", "MPO", "PNG")  # sent without conversion (MPO: the JPEG inside)
FORMAT_NAMES = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "GIF": "GIF",
    "WEBP": "WebP",
    "BMP": "BMP",
    "TIFF": "TIFF",
    "HEIF": "HEIC",
    "AVIF": "AVIF",
}

try:  # registers the HEIF opener with Pillow; without it HEIC is refused with advice
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - the package is a dependency
    pass
Image.init()
OPENABLE = tuple(f for f in (*STILL_FORMATS, "GIF") if f in Image.OPEN)


def decodable_kinds() -> set[str]:
    """The sniffed kinds (bot/photo/sniff.py) this installation can decode."""
    kinds = set()
    if "HEIF" in OPENABLE:
        kinds |= {"a HEIC photo", "a HEIF photo"}
    if "AVIF" in OPENABLE:
        kinds.add("an AVIF photo")
    return kinds


class AnimatedPhoto(Exception):
    def __init__(self, kind: str, frames: int):
        self.kind, self.frames = kind, frames
        super().__init__(f"an animated {kind} with {frames} frames")


class NotAPhotoFormat(Exception):
    """Opened, but not a format we take as a photo (GIF)."""

    def __init__(self, kind: str):
        self.kind = kind
        super().__init__(kind)


@dataclass
class Still:
    image: Image.Image
    image_format: str  # Pillow's name of the file's format
    notes: list[str] = field(default_factory=list)  # what was done to it, for the checklist

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES.get(self.image_format, self.image_format)

    @property
    def converted(self) -> bool:
        return self.image_format not in TAVUS_FORMATS


def open_still(data: bytes) -> Still:
    """Open the photo (lazily: pixels are decoded by `load()`) and pick its one image.

    Raises what Pillow raises for undecodable bytes, AnimatedPhoto and NotAPhotoFormat."""
    img: Image.Image = Image.open(io.BytesIO(data), formats=OPENABLE)
    fmt = img.format or "unknown"
    if fmt == "GIF":
        raise NotAPhotoFormat("GIF")
    still = Still(img, fmt)
    if fmt == "AVIF" and "icc_profile" not in img.info:  # (pillow-heif reports HEIF's box itself)
        nclx = primary_nclx(data)
        if nclx is not None:
            img.info["nclx_profile"] = nclx
    named = colour_spaces.named_space(img) if "nclx_profile" in img.info else None
    if named is not None and named.hdr:  # the photo will look different from its HDR self: say why
        still.notes.append(f"its HDR brightness ({named.hdr.upper()}) was mapped to standard range")
    frames = int(getattr(img, "n_frames", 1) or 1)
    if frames > 1:
        if fmt == "HEIF":  # several images: Pillow sits on the primary one already
            still.notes.append(f"the file holds {frames} images; its primary image was used")
        elif fmt == "TIFF":
            img.seek(0)
            still.notes.append(f"the TIFF has {frames} pages; the first page was used")
        elif fmt != "MPO":  # MPO: a JPEG with depth or extra views; the first is the photo
            raise AnimatedPhoto(FORMAT_NAMES.get(fmt, fmt), frames)
    if still.converted:
        still.notes.insert(0, f"converted from {still.format_name} to JPEG")
    return still


def upright_srgb(img: Image.Image) -> Image.Image:
    """Turn upright by its EXIF orientation (in place) and convert to 8-bit sRGB."""
    from .decode import to_rgb

    icc, named = img.info.get("icc_profile"), colour_spaces.named_space(img)  # (before the EXIF is changed)
    ImageOps.exif_transpose(img, in_place=True)  # HEIF's own rotation was applied on decode
    if icc and img.mode in ("RGB", "CMYK") and not _is_srgb(icc):
        converted = _to_srgb(img, icc)
        if converted is not None:
            return converted
    rgb = to_rgb(img)
    if named is not None:  # no profile, but a wide gamut or HDR named by code points or EXIF
        converted = colour_spaces.to_srgb(rgb, named)
        if converted is not None:
            return converted
    return rgb


def _is_srgb(icc: bytes) -> bool:
    return b"sRGB" in icc[:512] or b"s\x00R\x00G\x00B" in icc[:1024]


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image | None:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None  # a broken profile: the pixels as they are beat no photo at all
    return out if isinstance(out, Image.Image) else None


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
