"""The geometry around the bundled models: anchors, rotated crops, decoding, suppression."""

from __future__ import annotations

import math
import threading

import numpy as np
from PIL import Image

from bot.photo import blaze
from tests import photo_samples


def test_anchor_grids_match_the_models_outputs() -> None:
    # The model files answer 2304 (face) and 2016 (palm) candidates; anchors must line up.
    assert blaze.anchors(blaze.FACE_FULL_RANGE).shape == (2304, 2)
    palm = blaze.anchors(blaze.PALM)
    assert palm.shape == (2016, 2)
    # 24×24 cells × 2 first, then 12×12 cells × 6; centres inside the tensor.
    assert np.allclose(palm[0], palm[1]) and np.allclose(palm[0], [0.5 / 24, 0.5 / 24])
    assert np.allclose(palm[1152], [0.5 / 12, 0.5 / 12]) and np.allclose(palm[1152], palm[1157])
    assert palm.min() > 0 and palm.max() < 1


def test_rect_maps_tensor_corners_onto_the_rotated_square() -> None:
    rect = blaze.Rect(cx=100, cy=50, side=40, angle=math.pi / 2)  # turned a quarter, clockwise
    corners = rect.to_image(np.array([[0.0, 0.0], [192.0, 0.0], [96.0, 96.0]]), 192)
    # tensor top-left → image (120, 30); tensor top-right → (120, 70); centre → centre
    assert np.allclose(corners, [[120, 30], [120, 70], [100, 50]], atol=1e-4)


def test_crop_tensor_reads_the_pixels_of_the_rect() -> None:
    img = Image.new("RGB", (200, 100), (0, 0, 0))
    img.paste((255, 255, 255), (100, 0, 200, 100))  # right half white
    left = blaze.crop_tensor(img, blaze.Rect(50, 50, 60), 32, (0.0, 1.0))
    right = blaze.crop_tensor(img, blaze.Rect(150, 50, 60), 32, (-1.0, 1.0))
    assert left.shape == (1, 32, 32, 3) and left.max() == 0.0
    assert np.allclose(right, 1.0)
    boxed = blaze.crop_tensor(img, blaze.letterbox_rect(200, 100), 32, (-1.0, 1.0))
    assert np.allclose(boxed[0, 0], -1.0)  # the letterbox padding is black


def test_weighted_nms_merges_overlaps_and_keeps_separate_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=np.float32)
    kps = np.zeros((3, 1, 2), dtype=np.float32)
    kps[1] = 2.0
    merged = blaze.weighted_nms(boxes, kps, np.array([0.9, 0.3, 0.8]), 0.3)
    assert len(merged) == 2
    box, points, score = merged[0]
    assert score == 0.9 and np.allclose(box, [0.25, 0.25, 10.25, 10.25]) and np.allclose(points, 0.5)
    assert np.allclose(merged[1][0], [50, 50, 60, 60])


def test_roi_levels_the_eye_line_and_points_a_hand_up() -> None:
    face = blaze.roi_from_points((0, 0, 20, 20), np.array([5.0, 10.0]), np.array([15.0, 15.0]), 0.0, 1.5)
    assert math.isclose(face.angle, math.atan2(5, 10)) and math.isclose(face.side, 30)
    hand = blaze.roi_from_points((0, 0, 10, 10), np.array([5.0, 10.0]), np.array([5.0, 0.0]), math.pi / 2, 2.6, -0.5)
    assert abs(hand.angle) < 1e-9 and math.isclose(hand.cy, 0.0) and math.isclose(hand.side, 26)


def test_the_bundled_models_find_a_real_face_its_mesh_and_the_person() -> None:
    from bot.photo.analysis import default_analyzer

    rgb = np.asarray(photo_samples.astronaut())
    analysis = default_analyzer().analyze(rgb)
    (face,) = analysis.faces
    assert 0.3 < face.box.cx < 0.6 and 0.1 < face.box.cy < 0.4 and face.score > 0.8
    assert analysis.landmarks is not None and analysis.landmarks.shape == (468, 3)
    # landmarks lie on the face the detector found
    xs, ys = analysis.landmarks[:, 0] / 512, analysis.landmarks[:, 1] / 512
    assert face.box.x - 0.05 < xs.mean() < face.box.x + face.box.w + 0.05
    assert face.box.y - 0.05 < ys.mean() < face.box.y + face.box.h + 0.05
    assert analysis.person_mask is not None and 0.2 < float((analysis.person_mask > 0.5).mean()) < 0.9
    # a photo without people has no face
    from skimage import data

    assert default_analyzer().analyze(data.chelsea()).faces == []


def test_a_batch_of_crops_finds_exactly_what_one_crop_at_a_time_finds() -> None:
    """The whole photo and its tiles go through the detector in batches: the faces (boxes,
    eyes, scores) must be the very numbers single runs give, in the rects' order."""
    from bot.photo.analysis import _tiles, default_analyzer

    an = default_analyzer()
    image = photo_samples.astronaut()
    w, h = image.size
    for rects in ([blaze.letterbox_rect(w, h), *_tiles(w, h)[:2]], _tiles(w, h)[2:]):
        one_by_one = [f for rect in rects for f in an.detect(image, rect, (w, h))]
        batched = an.detect_in(image, rects, (w, h))
        assert batched and [(f.box, f.score, f.eyes) for f in batched] == [(f.box, f.score, f.eyes) for f in one_by_one]
    # a batch size no interpreter was made for is refused, not silently mis-shaped
    try:
        an.detect_in(image, _tiles(w, h), (w, h))
    except ValueError as exc:
        assert "batch" in str(exc)
    else:
        raise AssertionError("a batch of 4 ran on an interpreter sized for another")


def test_analysis_of_an_image_equals_analysis_of_its_pixels() -> None:
    from bot.photo.analysis import default_analyzer

    image = photo_samples.astronaut()
    from_image, from_array = default_analyzer().analyze(image), default_analyzer().analyze(np.asarray(image))
    assert [(f.box, f.score) for f in from_image.faces] == [(f.box, f.score) for f in from_array.faces]
    assert from_image.landmarks is not None and np.array_equal(from_image.landmarks, from_array.landmarks)


def test_helper_steps_run_in_order_on_one_thread_and_hand_back_their_errors() -> None:
    from bot.photo.analysis import default_analyzer

    seen: list[tuple[str, str]] = []

    def step(name: str) -> str:
        seen.append((name, threading.current_thread().name))
        if name == "broken":
            raise ValueError("step failed")
        return name

    first, broken, last = default_analyzer()._in_turn(
        lambda: step("first"), lambda: step("broken"), lambda: step("last")
    )
    assert first.result(timeout=10) == "first" and last.result(timeout=10) == "last"
    try:
        broken.result(timeout=10)
    except ValueError as exc:
        assert str(exc) == "step failed"
    else:
        raise AssertionError("the step's error was lost")
    assert [n for n, _ in seen] == ["first", "broken", "last"]
    assert len({t for _, t in seen}) == 1 and seen[0][1] != threading.current_thread().name


def test_hands_still_being_found_are_waited_for_when_read() -> None:
    from concurrent.futures import Future

    from bot.photo.analysis import Analysis, Box

    pending: Future[list[Box]] = Future()
    analysis = Analysis(width=10, height=10, pending_hands=pending)
    threading.Timer(0.05, lambda: pending.set_result([Box(0.1, 0.2, 0.3, 0.4)])).start()
    assert analysis.hands == [Box(0.1, 0.2, 0.3, 0.4)]
    assert analysis.pending_hands is None and analysis.hands == [Box(0.1, 0.2, 0.3, 0.4)]
