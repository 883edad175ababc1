"""Convert a photo whose colour space is named rather than profiled to sRGB.

Two ways a photo names a wide gamut or HDR without an ICC profile; taken as sRGB, a wide
gamut looks washed out (as with a dropped profile) and HDR dim and flat:
- a HEIF/AVIF `nclx` box: H.273 code points (colour_box.py reads it for AVIF; pillow-heif
  reports it for HEIF). BT.2020, DCI-P3 and Display P3 are converted, when their transfer is
  a standard-range one, read as the sRGB curve the way photo viewers show it; with an HDR
  transfer (PQ, HLG) they are brought to standard range first (hdr.py), BT.709 ones too.
  Other code points are left as they are.
- a camera's EXIF: Adobe RGB by DCF's option colour space (ColorSpace "uncalibrated" with the
  interoperability index "R03"; some cameras write ColorSpace 2 instead), no profile embedded.
The primaries' chromaticities give the 3×3 matrix to sRGB (through CIE XYZ; a white other
than D65 is adapted with the Bradford transform, as ICC does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
from PIL import ExifTags, Image

from . import hdr

Chromaticity = tuple[float, float]
D65: Chromaticity = (0.3127, 0.3290)
DCI_WHITE: Chromaticity = (0.314, 0.351)
SRGB_PRIMARIES = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
_ROWS_AT_ONCE = 256  # float work in strips: a 2048 px photo never needs 100 MB at once


@dataclass(frozen=True)
class RgbSpace:
    name: str
    primaries: tuple[Chromaticity, Chromaticity, Chromaticity]  # red, green, blue (x, y)
    white: Chromaticity
    gamma: float | None = None  # a pure power curve; None: the sRGB curve
    hdr: str | None = None  # "pq" or "hlg": BT.2100's curves instead of either


# nclx colour primaries (ITU-T H.273, table 2) → the gamuts wider than sRGB that photos carry.
NCLX_WIDE_GAMUTS = {
    9: RgbSpace("BT.2020", ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), D65),
    11: RgbSpace("DCI-P3", P3_PRIMARIES, DCI_WHITE),  # SMPTE RP 431-2
    12: RgbSpace("Display P3", P3_PRIMARIES, D65),  # SMPTE EG 432-1
}
BT709 = RgbSpace("BT.709", SRGB_PRIMARIES, D65)  # sRGB's gamut: only HDR needs converting
# nclx transfers read as the sRGB curve: BT.709 and its 10/12-bit and BT.601 twins,
# unspecified, and sRGB itself.
STANDARD_RANGE_TRANSFERS = {1, 2, 6, 13, 14, 15}
HDR_TRANSFERS = {16: "pq", 18: "hlg"}  # SMPTE ST 2084, ARIB STD-B67 (both in BT.2100)
ADOBE_RGB = RgbSpace("Adobe RGB (1998)", ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06)), D65, gamma=563 / 256)
_EXIF_COLOR_SPACE, _UNCALIBRATED, _ADOBE_RGB_NONSTANDARD = 0xA001, 0xFFFF, 2
_INTEROP_INDEX, _DCF_OPTION_FILE = 0x0001, "R03"


def space_of_nclx(nclx: Mapping[str, Any]) -> RgbSpace | None:
    """The wide gamut or HDR an `nclx` box names, or None (sRGB already, or unknown)."""
    primaries, transfer = nclx.get("color_primaries"), nclx.get("transfer_characteristics")
    gamut = NCLX_WIDE_GAMUTS.get(primaries) if isinstance(primaries, int) else None
    if transfer in STANDARD_RANGE_TRANSFERS:
        return gamut
    if transfer in HDR_TRANSFERS:
        gamut = gamut or (BT709 if primaries in (1, 2) else None)
        curve = HDR_TRANSFERS[transfer]
        return replace(gamut, name=f"{gamut.name} {curve.upper()}", hdr=curve) if gamut else None
    return None


def space_of_exif(exif: Image.Exif) -> RgbSpace | None:
    """Adobe RGB when the camera's EXIF says so (no ICC profile), else None."""
    try:
        color_space = exif.get_ifd(ExifTags.IFD.Exif).get(_EXIF_COLOR_SPACE)
        if color_space == _ADOBE_RGB_NONSTANDARD:
            return ADOBE_RGB
        index = exif.get_ifd(ExifTags.IFD.Interop).get(_INTEROP_INDEX) if color_space == _UNCALIBRATED else None
    except Exception:  # a broken EXIF block names nothing
        return None
    return ADOBE_RGB if isinstance(index, str) and index.strip("\0 ") == _DCF_OPTION_FILE else None


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB values (0..1) in linear light (IEC 61966-2-1); the face checks' colour maths too."""
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def named_space(img: Image.Image) -> RgbSpace | None:
    """The wide gamut or HDR a photo without an ICC profile names in its `nclx` box or EXIF."""
    if img.info.get("icc_profile"):
        return None  # a profile, when there is one, is the fuller description
    nclx = img.info.get("nclx_profile")
    if nclx:
        return space_of_nclx(nclx)
    return space_of_exif(img.getexif()) if "exif" in img.info else None


def to_srgb(img: Image.Image, space: RgbSpace) -> Image.Image | None:
    """`img` (8-bit RGB) converted from `space` to sRGB; None for any other mode."""
    if img.mode != "RGB":
        return None
    matrix = to_srgb_matrix(space).astype(np.float32)
    pixels = np.asarray(img)
    out = np.empty_like(pixels)
    decode, encode = _decode_table(space), _srgb_encode_table()
    # HLG decodes to scene light: the display's depends on each pixel's luminance (Y weights).
    luminance = _rgb_to_xyz(space.primaries, space.white)[1].astype(np.float32) if space.hdr == "hlg" else None
    for top in range(0, pixels.shape[0], _ROWS_AT_ONCE):
        linear = decode[pixels[top : top + _ROWS_AT_ONCE]]
        if luminance is not None:
            linear = hdr.hlg_display_light(linear, luminance)
        linear = linear @ matrix.T
        if space.hdr:
            hdr.roll_off(linear)
        np.clip(linear, 0.0, 1.0, out=linear)  # out of sRGB's gamut: the nearest it has
        linear *= len(encode) - 1
        linear += 0.5  # (rounds, as the cast truncates)
        out[top : top + _ROWS_AT_ONCE] = encode[linear.astype(np.uint16)]
    return Image.fromarray(out, "RGB")


@cache
def to_srgb_matrix(space: RgbSpace) -> np.ndarray:
    """Linear RGB in `space` → linear sRGB."""
    to_xyz = _rgb_to_xyz(space.primaries, space.white)
    if space.white != D65:
        to_xyz = _bradford(_xyz(space.white), _xyz(D65)) @ to_xyz
    return np.asarray(np.linalg.inv(_rgb_to_xyz(SRGB_PRIMARIES, D65)) @ to_xyz)


def _xyz(white: Chromaticity) -> np.ndarray:
    x, y = white
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def _rgb_to_xyz(primaries: tuple[Chromaticity, ...], white: Chromaticity) -> np.ndarray:
    columns = np.array([_xyz(primary) for primary in primaries]).T
    return np.asarray(columns * np.linalg.solve(columns, _xyz(white)))  # white (1,1,1) → white


def _bradford(source_white: np.ndarray, target_white: np.ndarray) -> np.ndarray:
    cones = (BRADFORD @ target_white) / (BRADFORD @ source_white)
    return np.asarray(np.linalg.inv(BRADFORD) @ np.diag(cones) @ BRADFORD)


def _decode_table(space: RgbSpace) -> np.ndarray:
    """8-bit value → linear light: BT.2100's (HLG: scene light), a power curve, or sRGB's."""
    if space.hdr:
        return hdr.pq_table() if space.hdr == "pq" else hdr.hlg_scene_table()
    return _power_or_srgb_table(space.gamma)


@cache
def _power_or_srgb_table(gamma: float | None) -> np.ndarray:
    """8-bit value → linear light: a power curve, or sRGB's."""
    v = np.arange(256) / 255.0
    return (srgb_to_linear(v) if gamma is None else v**gamma).astype(np.float32)


@cache
def _srgb_encode_table() -> np.ndarray:
    """Linear light in 1/65535 steps → 8-bit sRGB (fine enough that no dark shade is lost)."""
    v = np.arange(65536) / 65535.0
    encoded = np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.rint(encoded * 255.0).astype(np.uint8)
