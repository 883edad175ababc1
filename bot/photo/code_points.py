"""Convert a wide-gamut photo described by H.273 code points (an `nclx` box) to sRGB.

A Display P3 HEIC or AVIF without an ICC profile says "P3" only as a number; taken as sRGB
its colours look washed out, as with a dropped profile. The primaries' chromaticities
(ITU-T H.273, table 2) give the 3×3 matrix to sRGB (through CIE XYZ; a white other than
D65 is adapted with the Bradford transform, as ICC does). Only the wide gamuts photos use
are converted — BT.2020, DCI-P3 and Display P3 — and only with a standard-range transfer,
which is read as the sRGB curve, the way photo viewers show it. HDR transfers (PQ, HLG) and
unknown code points are left as they are: tone mapping is not a colour conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
from PIL import Image

Chromaticity = tuple[float, float]
D65: Chromaticity = (0.3127, 0.3290)
DCI_WHITE: Chromaticity = (0.314, 0.351)
SRGB_PRIMARIES = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
# Code point → (red, green, blue) and white: the gamuts wider than sRGB that photos carry.
WIDE_GAMUTS: dict[int, tuple[tuple[Chromaticity, ...], Chromaticity]] = {
    9: (((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), D65),  # BT.2020 / BT.2100
    11: (P3_PRIMARIES, DCI_WHITE),  # SMPTE RP 431-2 (DCI-P3)
    12: (P3_PRIMARIES, D65),  # SMPTE EG 432-1 (Display P3)
}
# Transfer code points read as the sRGB curve: BT.709 and its 10/12-bit and BT.601 twins,
# unspecified, and sRGB itself.
STANDARD_RANGE_TRANSFERS = {1, 2, 6, 13, 14, 15}
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
_ROWS_AT_ONCE = 256  # float work in strips: a 2048 px photo never needs 100 MB at once


def converts(nclx: Mapping[str, int]) -> bool:
    """Whether `nclx` describes a wide gamut this module converts (else: already sRGB, or HDR)."""
    return (
        nclx.get("color_primaries") in WIDE_GAMUTS and nclx.get("transfer_characteristics") in STANDARD_RANGE_TRANSFERS
    )


def to_srgb(img: Image.Image, nclx: Mapping[str, int]) -> Image.Image | None:
    """`img` (8-bit RGB) in sRGB, or None when `nclx` asks for no conversion."""
    if img.mode != "RGB" or not converts(nclx):
        return None
    matrix = to_srgb_matrix(int(nclx["color_primaries"])).astype(np.float32)
    pixels = np.asarray(img)
    out = np.empty_like(pixels)
    decode, encode = _srgb_decode_table(), _srgb_encode_table()
    for top in range(0, pixels.shape[0], _ROWS_AT_ONCE):
        linear = decode[pixels[top : top + _ROWS_AT_ONCE]] @ matrix.T
        np.clip(linear, 0.0, 1.0, out=linear)  # out of sRGB's gamut: the nearest it has
        linear *= len(encode) - 1
        linear += 0.5  # (rounds, as the cast truncates)
        out[top : top + _ROWS_AT_ONCE] = encode[linear.astype(np.uint16)]
    return Image.fromarray(out, "RGB")


@cache
def to_srgb_matrix(primaries: int) -> np.ndarray:
    """Linear RGB in the code point's gamut → linear sRGB."""
    source, white = WIDE_GAMUTS[primaries]
    to_xyz = _rgb_to_xyz(source, white)
    if white != D65:
        to_xyz = _bradford(_xyz(white), _xyz(D65)) @ to_xyz
    return np.asarray(np.linalg.inv(_rgb_to_xyz(SRGB_PRIMARIES, D65)) @ to_xyz)


def _xyz(white: Chromaticity) -> np.ndarray:
    x, y = white
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def _rgb_to_xyz(primaries: tuple[Chromaticity, ...], white: Chromaticity) -> np.ndarray:
    columns = np.array([[x / y, 1.0, (1.0 - x - y) / y] for x, y in primaries]).T
    return np.asarray(columns * np.linalg.solve(columns, _xyz(white)))  # white (1,1,1) → white


def _bradford(source_white: np.ndarray, target_white: np.ndarray) -> np.ndarray:
    cones = (BRADFORD @ target_white) / (BRADFORD @ source_white)
    return np.asarray(np.linalg.inv(BRADFORD) @ np.diag(cones) @ BRADFORD)


@cache
def _srgb_decode_table() -> np.ndarray:
    """8-bit sRGB value → linear light (IEC 61966-2-1)."""
    v = np.arange(256) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


@cache
def _srgb_encode_table() -> np.ndarray:
    """Linear light in 1/65535 steps → 8-bit sRGB (fine enough that no dark shade is lost)."""
    v = np.arange(65536) / 65535.0
    encoded = np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.rint(encoded * 255.0).astype(np.uint8)
