"""Wide-gamut photos that name their colours instead of embedding an ICC profile (a HEIF or
AVIF `nclx` box, a camera's Adobe RGB EXIF): the names are read from real encoded files, and
the conversion to sRGB agrees with LittleCMS converting with an ICC profile of the same
primaries and curve."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageCms

from bot.photo import colour_spaces
from bot.photo.colour_box import primary_nclx
from bot.photo.colour_spaces import space_of_nclx
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


@pytest.mark.parametrize(
    "space", [*colour_spaces.NCLX_WIDE_GAMUTS.values(), colour_spaces.ADOBE_RGB], ids=lambda space: space.name
)
def test_each_wide_gamut_converts_as_littlecms_does_with_its_profile(space: colour_spaces.RgbSpace) -> None:
    curve = None if space.gamma is None else icc.gamma_curve_tag(space.gamma)  # (u8.8: 563/256 exactly)
    source = icc.rgb_profile(space.primaries, icc.xy_to_xyz(*space.white), curve, space.name)
    img = _colourful()
    reference = ImageCms.profileToProfile(img, ImageCms.ImageCmsProfile(io.BytesIO(source)), SRGB, outputMode="RGB")
    converted = colour_spaces.to_srgb(img, space)
    assert converted is not None and reference is not None
    ours = np.asarray(converted, dtype=int)
    assert np.abs(ours - np.asarray(reference, dtype=int)).max() <= 1, space.name
    assert np.abs(ours - np.asarray(img, dtype=int)).max() > 25, space.name  # it did change the colours


@pytest.mark.parametrize(
    "label",
    [_label(1), _label(2), _label(22), _label(22, transfer=16), _label(12, transfer=17), {"color_primaries": 12}],
    ids=["BT.709", "unspecified", "EBU 3213", "EBU 3213 with PQ", "P3 with ST 428", "no transfer"],
)
def test_srgb_gamuts_and_unknown_code_points_name_no_space(label: dict[str, int]) -> None:
    assert space_of_nclx(label) is None


def test_nclx_code_points_name_their_gamut_and_hdr() -> None:
    assert space_of_nclx(_label(12)) == colour_spaces.NCLX_WIDE_GAMUTS[12]
    assert space_of_nclx(_label(9, transfer=1)) == colour_spaces.NCLX_WIDE_GAMUTS[9]
    named = {(p, t): space_of_nclx(_label(p, transfer=t)) for p, t in [(9, 16), (12, 16), (1, 18), (2, 16)]}
    assert {key: (space.name, space.hdr) for key, space in named.items() if space} == {
        (9, 16): ("BT.2020 PQ", "pq"),
        (12, 16): ("Display P3 PQ", "pq"),
        (1, 18): ("BT.709 HLG", "hlg"),  # sRGB's gamut, but HDR light still needs mapping
        (2, 16): ("BT.709 PQ", "pq"),
    }


def test_only_rgb_images_are_converted() -> None:
    assert colour_spaces.to_srgb(_colourful().convert("L"), colour_spaces.ADOBE_RGB) is None


@pytest.mark.parametrize(
    ("color_space", "interop", "named"),
    [
        (0xFFFF, "R03", True),  # DCF's option colour space: Adobe RGB
        (2, None, True),  # the non-standard value some cameras write
        (1, "R98", False),  # sRGB
        (0xFFFF, "R98", False),  # uncalibrated, but not the Adobe RGB option
        (0xFFFF, None, False),
        (None, "R03", False),
    ],
)
def test_adobe_rgb_is_read_from_a_camera_s_exif(color_space: int | None, interop: str | None, named: bool) -> None:
    data = pf.jpeg_with_colour_exif(color_space, interop)
    with Image.open(io.BytesIO(data)) as img:
        assert (colour_spaces.named_space(img) == colour_spaces.ADOBE_RGB) is named


def test_an_icc_profile_outranks_a_name() -> None:
    from tests.icc import display_p3_profile

    data = pf.jpeg_with_colour_exif(0xFFFF, "R03", icc_profile=display_p3_profile())
    with Image.open(io.BytesIO(data)) as img:
        assert colour_spaces.named_space(img) is None


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


def test_photos_that_name_a_wide_gamut_or_hdr_are_checked_in_srgb() -> None:
    from bot.photo.decode import decode

    for name in [name for name in [*pf.WIDE_GAMUT, *pf.HDR] if "JPEG, Display P3" not in name]:
        working = decode(pf.ACCEPTED[name]()).working
        expected = pf.patch_in_srgb(name)
        r, g, b = working.getpixel((15, 15))  # type: ignore[misc]
        assert max(abs(r - expected[0]), abs(g - expected[1]), abs(b - expected[2])) <= 3, name
