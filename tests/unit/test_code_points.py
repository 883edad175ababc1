"""Wide-gamut HEIF/AVIF photos described by `nclx` code points instead of an ICC profile:
the colour box is read from real encoded files, and the conversion to sRGB agrees with
LittleCMS converting with an ICC profile of the same primaries."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageCms

from bot.photo import code_points
from bot.photo.colour_box import primary_nclx
from tests import icc
from tests import photo_formats as pf

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _label(primaries: int, transfer: int = 13) -> dict[str, int]:
    return {
        "color_primaries": primaries,
        "transfer_characteristics": transfer,
        "matrix_coefficients": 6,
        "full_range_flag": 1,
    }


def _colourful() -> Image.Image:
    """The portrait with saturated patches, where gamuts differ most."""
    img = pf.portrait()
    for n, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 100, 50), (250, 220, 30)]):
        img.paste(colour, (n * 40, 0, n * 40 + 40, 40))
    return img


@pytest.mark.parametrize(("code", "name"), [(9, "BT.2020"), (11, "DCI-P3"), (12, "Display P3")])
def test_each_wide_gamut_converts_as_littlecms_does_with_its_profile(code: int, name: str) -> None:
    primaries, white = code_points.WIDE_GAMUTS[code]
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc.rgb_profile(primaries, icc.white_xyz(*white), name=name)))
    img = _colourful()
    reference = np.asarray(ImageCms.profileToProfile(img, profile, SRGB, outputMode="RGB"), dtype=int)
    converted = code_points.to_srgb(img, _label(code))
    assert converted is not None
    ours = np.asarray(converted, dtype=int)
    assert np.abs(ours - reference).max() <= 1, name
    assert np.abs(ours - np.asarray(img, dtype=int)).max() > 40, name  # it did change the colours


@pytest.mark.parametrize(
    "label",
    [_label(1), _label(2), _label(12, transfer=16), _label(9, transfer=18), _label(22), {"color_primaries": 12}],
    ids=["BT.709", "unspecified", "P3 with PQ", "BT.2020 with HLG", "EBU 3213", "no transfer"],
)
def test_srgb_gamuts_hdr_and_unknown_code_points_are_left_as_they_are(label: dict[str, int]) -> None:
    assert code_points.to_srgb(_colourful(), label) is None


def test_only_rgb_images_are_converted() -> None:
    assert code_points.to_srgb(_colourful().convert("L"), _label(12)) is None


def test_the_colour_box_is_read_from_heic_and_avif_as_pillow_heif_reads_it() -> None:
    heic = pf.heic_display_p3_nclx()
    with Image.open(io.BytesIO(heic)) as img:
        assert img.info["nclx_profile"]["color_primaries"] == 12  # pillow-heif's own reading
    assert primary_nclx(heic) == _label(12)
    assert primary_nclx(pf.avif_display_p3_nclx()) == _label(12)
    pillows_own = primary_nclx(pf.avif())
    assert pillows_own is not None and pillows_own["color_primaries"] == 1  # Pillow's writer: sRGB
    assert primary_nclx(pf.webp_lossy()) is None and primary_nclx(b"") is None


@pytest.mark.parametrize("primary", [0, 1])
def test_the_primary_image_s_box_is_the_one_read(primary: int) -> None:
    first, second = pf.portrait(), pf.portrait().rotate(90)
    first.info["nclx_profile"], second.info["nclx_profile"] = _label(12), _label(9)
    out = io.BytesIO()
    first.save(out, format="HEIF", save_all=True, append_images=[second], primary_index=primary, quality=80)
    assert primary_nclx(out.getvalue()) == _label((12, 9)[primary])


def test_damaged_files_give_no_answer_rather_than_an_error() -> None:
    data = pf.avif_display_p3_nclx()
    for cut in range(0, len(data), 97):  # truncated anywhere
        assert primary_nclx(data[:cut]) in (None, _label(12))
    rng = random.Random(7)
    header = data[:1024]  # the boxes that are read all sit in the first few hundred bytes
    for _ in range(300):  # bytes flipped at random: any answer, but never an exception
        damaged = bytearray(header)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        answer = primary_nclx(bytes(damaged))
        assert answer is None or set(answer) == set(_label(12))


def test_a_p3_heic_and_avif_without_an_icc_profile_are_checked_in_srgb() -> None:
    from bot.photo.decode import decode

    for make in (pf.heic_display_p3_nclx, pf.avif_display_p3_nclx):
        working = decode(make()).working
        expected = pf.p3_patch_in_srgb(by_code_points=True)
        r, g, b = working.getpixel((15, 15))  # type: ignore[misc]
        assert max(abs(r - expected[0]), abs(g - expected[1]), abs(b - expected[2])) <= 3, make.__name__
