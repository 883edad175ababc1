"""HDR stills (BT.2100's PQ or HLG, as some cameras write HEIF) brought to standard range.

Taken as sRGB, an HDR photo looks dim and flat (PQ puts reference white at code 148 of 255)
and the checks would judge that. Graded as ITU-R BT.2408 describes: reference white
(203 cd/m²; HLG's 75 % signal on its 1000 cd/m² reference display) becomes sRGB's white,
and what is brighter — highlights, speculars — rolls off smoothly towards white instead of
clipping. One scale per pixel, from its largest channel, so colours keep their hue.
"""

from __future__ import annotations

from functools import cache

import numpy as np

REFERENCE_WHITE_NITS = 203.0
HLG_DISPLAY_PEAK_NITS = 1000.0  # the display BT.2100's reference HLG OOTF assumes
HLG_SYSTEM_GAMMA = 1.2  # that OOTF's gamma at 1000 cd/m²
KNEE = 0.8  # relative to reference white: below it nothing changes
# SMPTE ST 2084 (PQ) constants.
_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
# BT.2100 HLG constants.
_A = 0.17883277
_B = 1 - 4 * _A
_C = 0.5 - _A * np.log(4 * _A)


@cache
def pq_table() -> np.ndarray:
    """8-bit PQ code → display light, relative to reference white (1.0 = 203 cd/m²)."""
    e = (np.arange(256) / 255.0) ** (1 / _M2)
    nits = 10000.0 * (np.maximum(e - _C1, 0.0) / (_C2 - _C3 * e)) ** (1 / _M1)
    return (nits / REFERENCE_WHITE_NITS).astype(np.float32)


@cache
def hlg_scene_table() -> np.ndarray:
    """8-bit HLG code → scene light, 0..1 (the inverse of BT.2100's HLG OETF)."""
    v = np.arange(256) / 255.0
    high = (np.exp((np.maximum(v, 0.5) - _C) / _A) + _B) / 12.0
    return np.where(v <= 0.5, v * v / 3.0, high).astype(np.float32)


def hlg_display_light(scene: np.ndarray, luminance: np.ndarray) -> np.ndarray:
    """Scene light (…, 3) → display light relative to reference white, by BT.2100's OOTF:
    each pixel scaled by its scene luminance (float32 weights `luminance`) to the power
    gamma − 1."""
    ys = np.maximum(scene @ luminance, 0.0)
    scale = (HLG_DISPLAY_PEAK_NITS / REFERENCE_WHITE_NITS) * ys ** np.float32(HLG_SYSTEM_GAMMA - 1)
    scene *= scale[..., None]
    return scene


def roll_off(rgb: np.ndarray) -> None:
    """Bring light above KNEE (relative to reference white) under 1.0, in place: the curve
    meets the identity at the knee with the same slope and nears 1.0 as light grows."""
    peak = np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    np.maximum(peak, KNEE, out=peak)  # at or under the knee: scaled by exactly 1 below
    t = peak - KNEE
    t /= 1 - KNEE
    # The rolled-off peak over the peak: KNEE + (1 − KNEE)·t/(1 + t), divided by peak.
    scale = t / (1 + t)
    scale *= 1 - KNEE
    scale += KNEE
    scale /= peak
    rgb *= scale[..., None]
