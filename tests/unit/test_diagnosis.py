"""Why no face was found: the diagnosis on real photographs and their derived variants,
and the pure rules on hand-made signals."""

import numpy as np
import pytest
from PIL import Image

from bot.photo import Severity, check_photo
from bot.photo.absence import Absence, Candidate, head_ratio
from bot.photo.analysis import Box, Face
from bot.photo.diagnosis import diagnose
from tests.photos.build import load_cases, source


def fails(data: bytes) -> dict[str, str]:
    """code → message of every fail (and "warn:"-prefixed codes for warns)."""
    found = {}
    for f in check_photo(data).findings:
        if f.severity is Severity.FAIL:
            found[f.code] = f.message
        elif f.severity is Severity.WARN:
            found[f"warn:{f.code}"] = f.message
    return found


@pytest.fixture(scope="module")
def cases() -> dict[str, bytes]:
    names = {
        "t1_ross_dark0.02",
        "t1_phoebe_bright6",
        "t1_ross_sheet",
        "t1_joey_cloth_black",
        "astro_mask_white",
        "astro_cloth_blue",
        "t1_chandler_rot90",
        "astro_rot180",
        "t1_monica_tiny0.016",
    }
    return {c.name: c.data for c in load_cases(names)}


def test_a_face_hidden_by_exposure_is_an_exposure_fail_not_no_face(cases) -> None:  # type: ignore[no-untyped-def]
    for name, what in (("t1_ross_dark0.02", "too dark"), ("t1_phoebe_bright6", "too bright")):
        found = fails(cases[name])
        assert set(found) == {"exposure"}, (name, found)
        assert what in found["exposure"]


def test_a_covered_head_and_a_covered_face_are_face_covered_fails(cases) -> None:  # type: ignore[no-untyped-def]
    for name in ("t1_ross_sheet", "t1_joey_cloth_black", "astro_mask_white", "astro_cloth_blue"):
        found = fails(cases[name])
        assert "face_covered" in found and "no_face" not in found, (name, found)


def test_a_sideways_photo_says_which_way_to_turn_it(cases) -> None:  # type: ignore[no-untyped-def]
    sideways = fails(cases["t1_chandler_rot90"])
    assert set(sideways) == {"not_frontal"} and "on its side" in sideways["not_frontal"]
    upside_down = fails(cases["astro_rot180"])
    assert "upside down" in upside_down["not_frontal"]


def test_a_tiny_face_is_a_framing_fail_with_its_size(cases) -> None:  # type: ignore[no-untyped-def]
    report = check_photo(cases["t1_monica_tiny0.016"])
    framing = next(f for f in report.findings if f.code == "framing")
    assert framing.severity is Severity.FAIL and "tiny" in framing.message
    assert framing.measured.startswith("face 1 %") or framing.measured.startswith("face 2 %")


def test_nothing_person_like_stays_no_face_alone() -> None:
    from tests.photo_samples import encode

    assert set(fails(encode(source("coffee").resize((1200, 800)), "JPEG"))) == {"no_face"}


# --- the pure rules --------------------------------------------------------------------


def _face(w: float, score: float = 0.6) -> Face:
    return Face(box=Box(0.5 - w / 2, 0.2, w, w * 1.2), score=score, eye_line=None)


def _portrait() -> Image.Image:
    return source("astro").resize((256, 256))


def test_the_first_fitting_reason_wins() -> None:
    image = _portrait()
    assert [f.code for f in diagnose(image, Absence(small=[_face(0.02)]))] == ["framing"]
    turned = diagnose(image, Absence(turned=90))
    assert turned[0].code == "not_frontal" and "quarter turn to the left" in turned[0].message
    corrected = diagnose(image, Absence(corrected=[_face(0.3)], correction="brightened"))
    assert corrected[0].code == "exposure" and corrected[0].severity is Severity.FAIL


def test_a_person_without_a_head_shape_gets_no_face_and_an_unsure_warning() -> None:
    image = _portrait()
    nobody = diagnose(image, Absence(person_share=0.02))
    assert [(f.code, f.severity) for f in nobody] == [("no_face", Severity.FAIL)]
    someone = diagnose(image, Absence(person_share=0.5, head_ratio=None))
    assert [(f.code, f.severity) for f in someone] == [("no_face", Severity.FAIL), ("face_covered", Severity.WARN)]
    head = diagnose(image, Absence(person_share=0.5, head_ratio=0.4))
    assert [(f.code, f.severity) for f in head] == [("face_covered", Severity.FAIL)]


def test_a_half_seen_face_under_a_hand_says_hand() -> None:
    image = _portrait()
    face = _face(0.3, score=0.6)
    hand = Box(face.box.x, face.box.y + 0.1, face.box.w, face.box.h)
    found = diagnose(image, Absence(weak=[Candidate(face, None, 0.1)], person_share=0.5, hands=[hand]))
    assert found[0].code == "face_covered" and "hand" in found[0].message


def test_head_ratio_of_a_drawn_mask() -> None:
    mask = np.zeros((100, 100), dtype=bool)
    mask[10:40, 40:60] = True  # a head 20 % wide
    mask[40:, 10:90] = True  # shoulders 80 % wide
    assert head_ratio(mask) == pytest.approx(0.25)
    assert head_ratio(np.zeros((100, 100), dtype=bool)) is None
