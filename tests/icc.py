"""RGB ICC profiles (Display P3 and others) built here from published primaries, for the
colour tests: LittleCMS converting with them is the reference the bot's conversions are
held to.

No package ships one, so this writes the ICC v2 matrix/TRC form by hand: a 128-byte header,
a tag table, and the tags a display profile needs (description, white point, the three
colorants adapted to the D50 connection space with the Bradford transform, curves: a gamma
or the sRGB curve sampled).
"""

from __future__ import annotations

import struct

import numpy as np

P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))  # red, green, blue (x, y)
ADOBE_RGB_PRIMARIES = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))  # Adobe RGB (1998) spec
ADOBE_RGB_GAMMA = 563 / 256
D65 = np.array([0.95047, 1.0, 1.08883])
D50 = np.array([0.96422, 1.0, 0.82521])
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def rgb_to_xyz(primaries: tuple[tuple[float, float], ...], white: np.ndarray) -> np.ndarray:
    xyz = np.array([xy_to_xyz(x, y) for x, y in primaries]).T  # columns: primaries
    scale = np.linalg.solve(xyz, white)
    return np.asarray(xyz * scale)


def xy_to_xyz(x: float, y: float) -> np.ndarray:
    """A chromaticity as XYZ with Y = 1."""
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _adapt(matrix: np.ndarray, source_white: np.ndarray, target_white: np.ndarray) -> np.ndarray:
    cone_source, cone_target = BRADFORD @ source_white, BRADFORD @ target_white
    return np.asarray(np.linalg.inv(BRADFORD) @ np.diag(cone_target / cone_source) @ BRADFORD @ matrix)


def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _xyz_tag(xyz: np.ndarray) -> bytes:
    return b"XYZ " + b"\0" * 4 + b"".join(_s15(float(v)) for v in xyz)


def gamma_curve_tag(gamma: float) -> bytes:
    return b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", int(round(gamma * 256))) + b"\0\0"


def _desc_tag(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    body = b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text
    body += struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67  # no Unicode, no ScriptCode
    return body


def _text_tag(text: str) -> bytes:
    return b"text" + b"\0" * 4 + text.encode("ascii") + b"\0"


def _srgb_curve_tag(entries: int = 4096) -> bytes:
    """The sRGB curve (IEC 61966-2-1) sampled, as an ICC v2 `curv` table."""
    v = np.arange(entries) / (entries - 1)
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    table = np.rint(linear * 65535).astype(">u2").tobytes()
    return b"curv" + b"\0" * 4 + struct.pack(">I", entries) + table


def display_p3_profile(gamma: float = 2.2) -> bytes:
    """Display P3 with gamma-2.2 curves (the profile the JPEG colour tests were built on)."""
    return rgb_profile(P3_PRIMARIES, D65, gamma_curve_tag(gamma), "Display P3")


def adobe_rgb_profile() -> bytes:
    return rgb_profile(ADOBE_RGB_PRIMARIES, D65, gamma_curve_tag(ADOBE_RGB_GAMMA), "Adobe RGB (1998)")


def rgb_profile(
    primaries: tuple[tuple[float, float], ...], white: np.ndarray, curve: bytes | None = None, name: str = "RGB"
) -> bytes:
    """A matrix/TRC display profile for `primaries` and `white` (XYZ, Y = 1), with the sRGB
    curve unless `curve` (a `curv` tag) is given; its colorants adapted to D50 by Bradford."""
    colorants = _adapt(rgb_to_xyz(primaries, white), white, D50)
    curve = curve if curve is not None else _srgb_curve_tag()
    tags = [
        (b"desc", _desc_tag(f"{name} (replica-bot tests)")),
        (b"cprt", _text_tag("No copyright; made for tests")),
        (b"wtpt", _xyz_tag(D50)),
        (b"rXYZ", _xyz_tag(colorants[:, 0])),
        (b"gXYZ", _xyz_tag(colorants[:, 1])),
        (b"bXYZ", _xyz_tag(colorants[:, 2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        padded = body + b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += padded
    size = 128 + table_size + len(data)
    header = struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
    header += struct.pack(">6H", 2026, 11, 26, 0, 0, 0) + b"acsp" + b"APPL" + b"\0" * 4
    header += b"\0" * 4 + b"\0" * 4 + b"\0" * 8 + struct.pack(">I", 0)
    header += b"".join(_s15(float(v)) for v in D50) + b"rbot" + b"\0" * 44
    assert len(header) == 128
    return header + table + data
