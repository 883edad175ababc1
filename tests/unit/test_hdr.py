"""HDR curves (BT.2100 PQ and HLG) and the highlight roll-off, against the standards' own
reference points."""

from __future__ import annotations

import numpy as np
import pytest

from bot.photo import hdr

BT2020_LUMINANCE = np.array([0.2627, 0.6780, 0.0593])  # BT.2100's Y weights


def test_pq_puts_reference_white_at_its_published_signal() -> None:
    # BT.2408: 203 cd/m² is PQ signal 0.58 (code 148 of 255 at 8 bits).
    table = hdr.pq_table()
    assert table[148] == pytest.approx(1.0, rel=0.03)
    assert table[0] == 0.0 and table[255] == pytest.approx(10000 / 203, rel=1e-4)  # 10 000 cd/m²
    assert np.all(np.diff(table) > 0)


def test_hlg_puts_reference_white_at_75_percent_signal() -> None:
    # BT.2408: HLG's reference white is signal 0.75 on a 1000 cd/m² display (gamma 1.2).
    code = round(0.75 * 255)
    scene = np.full((1, 3), hdr.hlg_scene_table()[code], dtype=np.float32)
    display = hdr.hlg_display_light(scene, BT2020_LUMINANCE)
    assert display[0, 0] == pytest.approx(1.0, rel=0.02)
    peak = hdr.hlg_display_light(np.ones((1, 3), dtype=np.float32), BT2020_LUMINANCE)
    assert peak[0, 0] == pytest.approx(1000 / 203, rel=1e-3)  # full signal: the display's peak


def test_the_roll_off_keeps_standard_range_and_brings_highlights_under_white() -> None:
    light = np.linspace(0.0, 50.0, 20001, dtype=np.float32)
    rgb = np.stack([light, light * 0.5, light * 0.25], axis=1)
    hdr.roll_off(rgb)
    below = light <= hdr.KNEE
    assert np.array_equal(rgb[below, 0], light[below])  # nothing changes below the knee
    # Under white, and never darker for more light (to float32's rounding far up the curve).
    assert np.all(rgb[:, 0] < 1.0) and np.all(np.diff(rgb[:, 0]) >= -1e-6)
    assert rgb[-1, 0] > 0.99  # fifty times reference white is nearly white
    np.testing.assert_allclose(rgb[1:, 1] / rgb[1:, 0], 0.5, rtol=1e-5)  # one scale per pixel: hue kept
    just_above = np.array([[hdr.KNEE + 1e-3, 0.0, 0.0]])
    hdr.roll_off(just_above)
    assert (just_above[0, 0] - hdr.KNEE) / 1e-3 > 0.99  # no kink where it starts: its slope is still ~1
