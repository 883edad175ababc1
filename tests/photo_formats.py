"""Real encoded files from phones and browsers, made here with pillow-heif and Pillow from a
real portrait: HEIC (rotated by its orientation), several-image HEIC, AVIF, WebP lossy and
lossless, animated WebP, 16-bit TIFF, multi-page TIFF, BMP; and wide gamuts: Display P3 as a
JPEG with an ICC profile and as a HEIC and an AVIF that say so only by their `nclx` code
points, and a camera's Adobe RGB JPEG that says so only in its EXIF."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageCms

from bot.photo import still  # noqa: F401  (registers pillow-heif's HEIF opener)
from tests.icc import D65, P3_PRIMARIES, adobe_rgb_profile, display_p3_profile, rgb_profile, rgb_to_xyz, xy_to_xyz
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


P3_COLOUR = (200, 100, 50)  # a warm skin-like tone, inside both gamuts (the patch's colour in any file)


def _with_p3_patch() -> Image.Image:
    img = portrait()
    img.paste(P3_COLOUR, (0, 0, 60, 60))
    return img


def jpeg_display_p3() -> bytes:
    """A portrait with a patch of P3_COLOUR in its corner, tagged Display P3: converted with
    the profile, the patch turns more saturated; with the profile merely dropped it would not."""
    return _save(_with_p3_patch(), "JPEG", quality=95, icc_profile=display_p3_profile())


def heic_display_p3_nclx() -> bytes:
    """Display P3 said only by the HEIF's `nclx` box (colour primaries 12), no ICC profile."""
    return _save(
        _with_p3_patch(),
        "HEIF",
        quality=95,
        color_primaries=12,
        transfer_characteristics=13,
        matrix_coefficients=6,
        full_range_flag=1,
    )


def avif_display_p3_nclx() -> bytes:
    """Display P3 said only by the AVIF's `nclx` box. Pillow's AVIF writer labels every file
    sRGB (primaries 1), so the box's primaries are rewritten to 12 (Display P3) here."""
    data = bytearray(_save(_with_p3_patch(), "AVIF", quality=95))
    at = data.index(b"colrnclx") + 8
    assert data[at : at + 2] == b"\x00\x01", "Pillow's AVIF writer no longer labels files BT.709"
    data[at : at + 2] = (12).to_bytes(2, "big")
    return bytes(data)


def jpeg_with_colour_exif(color_space: int | None, interop: str | None, **params: object) -> bytes:
    """A portrait JPEG with the P3_COLOUR patch and a camera's colour-space EXIF: ColorSpace
    (0xA001) in the Exif IFD and InteroperabilityIndex in the Interop IFD, as given."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    camera = exif.get_ifd(ExifTags.IFD.Exif)
    if color_space is not None:
        camera[0xA001] = color_space
    if interop is not None:
        camera[ExifTags.IFD.Interop] = {0x0001: interop}
    return _save(_with_p3_patch(), "JPEG", quality=95, exif=exif.tobytes(), **params)


def jpeg_adobe_rgb_by_exif() -> bytes:
    """A camera's Adobe RGB JPEG (DCF's option colour space), no ICC profile embedded."""
    return jpeg_with_colour_exif(0xFFFF, "R03")


BT709_PRIMARIES = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
BT2020_PRIMARIES = ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))
HIGHLIGHT_NITS = 1000.0  # a highlight patch beside the P3_COLOUR one: five times reference white


def _hdr_signal(curve: str) -> tuple[np.ndarray, int]:
    """The portrait graded as BT.2408 says, as a BT.2020 HDR signal (0..1) for `curve` ("pq"
    or "hlg"), and the nclx transfer code point that names it: the portrait's sRGB colours at
    reference white (203 cd/m²), the P3_COLOUR patch among them, and a white highlight patch
    at HIGHLIGHT_NITS. Brought back to standard range, the portrait and the patch are what
    they were; the highlight is near white, not clipped from far above."""
    v = np.asarray(_with_p3_patch(), dtype=np.float64) / 255.0
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)  # sRGB's curve
    to_2020 = np.linalg.inv(rgb_to_xyz(BT2020_PRIMARIES, D65)) @ rgb_to_xyz(BT709_PRIMARIES, D65)
    nits = (linear @ to_2020.T) * 203.0
    nits[0:60, 80:140] = HIGHLIGHT_NITS
    if curve == "pq":  # SMPTE ST 2084's inverse EOTF
        m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
        y = (np.clip(nits, 0, 10000) / 10000.0) ** m1
        return ((c1 + c2 * y) / (1 + c3 * y)) ** m2, 16
    # BT.2100 HLG: the inverse OOTF (1000 cd/m² display, gamma 1.2), then the OETF
    display_y = np.maximum(nits @ rgb_to_xyz(BT2020_PRIMARIES, D65)[1], 1e-9)
    scene_y = (display_y / 1000.0) ** (1 / 1.2)
    scene = np.clip(nits / (1000.0 * scene_y[..., None] ** 0.2), 0, 1)
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    return np.where(scene <= 1 / 12, np.sqrt(3 * scene), a * np.log(np.maximum(12 * scene - b, 1e-9)) + c), 18


def heic_hdr(curve: str) -> bytes:
    """A 10-bit BT.2020 HDR HEIC of the graded portrait (_hdr_signal)."""
    signal, transfer = _hdr_signal(curve)
    samples = np.rint(np.clip(signal, 0, 1) * 65535).astype("<u2")
    heif = pillow_heif.from_bytes(mode="RGB;16", size=SIZE, data=samples.tobytes())
    out = io.BytesIO()
    heif.save(out, quality=95, color_primaries=9, transfer_characteristics=transfer, matrix_coefficients=9)
    return out.getvalue()


def avif_hdr_pq() -> bytes:
    """An 8-bit BT.2020 PQ AVIF of the graded portrait. Pillow's AVIF writer labels every file
    sRGB, so its `nclx` box is rewritten to primaries 9 (BT.2020) and transfer 16 (PQ)."""
    signal, transfer = _hdr_signal("pq")
    img = Image.fromarray(np.rint(np.clip(signal, 0, 1) * 255).astype(np.uint8))
    data = bytearray(_save(img, "AVIF", quality=95))
    at = data.index(b"colrnclx") + 8
    assert data[at : at + 4] == b"\x00\x01\x00\x0d", "Pillow's AVIF writer no longer labels files sRGB"
    data[at : at + 4] = (9).to_bytes(2, "big") + transfer.to_bytes(2, "big")
    return bytes(data)


def heic_hdr_pq() -> bytes:
    return heic_hdr("pq")


def heic_hdr_hlg() -> bytes:
    return heic_hdr("hlg")


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
    "HEIC, Display P3 by code points": heic_display_p3_nclx,
    "AVIF, Display P3 by code points": avif_display_p3_nclx,
    "JPEG, Adobe RGB by EXIF": jpeg_adobe_rgb_by_exif,
    "HEIC, HDR PQ": heic_hdr_pq,
    "HEIC, HDR HLG": heic_hdr_hlg,
    "AVIF, HDR PQ": avif_hdr_pq,
}
HDR = ("HEIC, HDR PQ", "HEIC, HDR HLG", "AVIF, HDR PQ")


def _p3_with_srgb_curves() -> bytes:
    return rgb_profile(P3_PRIMARIES, xy_to_xyz(0.3127, 0.3290), name="Display P3")


# The wide-gamut files, and the profile LittleCMS converts their patch with for reference:
# the JPEG's own (gamma 2.2 curves); Display P3 as SMPTE EG 432-1 with transfer 13 means
# (sRGB's curves); Adobe RGB (1998) as its specification gives it.
WIDE_GAMUT: dict[str, Callable[[], bytes]] = {
    "JPEG, Display P3": display_p3_profile,
    "HEIC, Display P3 by code points": _p3_with_srgb_curves,
    "AVIF, Display P3 by code points": _p3_with_srgb_curves,
    "JPEG, Adobe RGB by EXIF": adobe_rgb_profile,
}


def patch_in_srgb(name: str) -> tuple[int, int, int]:
    """P3_COLOUR of the file `name` (in WIDE_GAMUT or HDR) in sRGB: as LittleCMS converts it,
    or for HDR the colour itself (graded at reference white, it comes back as it was)."""
    if name in HDR:
        return P3_COLOUR
    source = ImageCms.ImageCmsProfile(io.BytesIO(WIDE_GAMUT[name]()))
    patch = Image.new("RGB", (1, 1), P3_COLOUR)
    converted = ImageCms.profileToProfile(patch, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    assert isinstance(converted, Image.Image)
    r, g, b = converted.getpixel((0, 0))  # type: ignore[misc]
    return r, g, b


REFUSED: dict[str, Callable[[], bytes]] = {"WebP, animated": webp_animated}
