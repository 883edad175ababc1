"""A plain install is a working install: the wheel carries the models, and loading them is quiet."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests import photo_samples

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_every_model_and_its_licence(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("replica_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    models = {p.name for p in (ROOT / "bot" / "photo" / "models").glob("*.tflite")}
    assert len(models) == 5
    assert {f"bot/photo/models/{m}" for m in models} | {"bot/photo/models/LICENSE-mediapipe"} <= names


def test_checking_a_photo_prints_no_native_log_lines(tmp_path: Path) -> None:
    photo = tmp_path / "me.jpg"
    photo.write_bytes(photo_samples.headshot_jpeg())
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", str(photo)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS face" in done.stdout
    assert done.stderr == ""  # no "INFO: Created TensorFlow Lite XNNPACK delegate", no absl/glog
