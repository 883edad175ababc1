"""Small shared helpers for the benchmarks: timing, medians, tables, real-photo inputs."""

from __future__ import annotations

import io
import os
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image


def median_ms(
    fn: Callable[[], object], repeat: int, warmup: int = 1, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Median milliseconds of `fn` (wall time; `clock=time.process_time` for CPU time)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = clock()
        fn()
        samples.append((clock() - started) * 1000)
    return statistics.median(samples)


def paired_ms(
    first: Callable[[], object], second: Callable[[], object], repeat: int, warmup: int = 1
) -> tuple[list[float], list[float]]:
    """Milliseconds of `first` and `second` run alternately `repeat` times (wall time): the
    i-th samples of both saw the machine in about the same state."""
    for _ in range(warmup):
        first()
        second()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for fn, samples in ((first, a), (second, b)):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
    return a, b


def cpu_ms(pids: Iterable[int]) -> float | None:
    """CPU time (user + system, ms) these processes have used so far, from Linux's /proc
    (10 ms resolution); None where there is no /proc. A process gone meanwhile counts 0."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for pid in pids:
        try:
            fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def with_children(pid: int) -> list[int]:
    """`pid` and the processes it started (a PostgreSQL server's backends and helpers)."""
    found = [pid]
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(entry.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *[line(r) for r in cells[1:]]])


def twelve_megapixel(fmt: str = "JPEG", seed: int = 1) -> bytes:
    """A 4000×3000 photo made from the astronaut portrait, with sensor-like grain so it
    compresses like a real camera photo (2.5 MB as JPEG q92) rather than a smooth upscale."""
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((4000, 3000), Image.Resampling.BICUBIC)
    grain = np.random.default_rng(seed).normal(0, 5, (3000, 4000, 3))
    img = Image.fromarray((np.asarray(img, dtype=np.float32) + grain).clip(0, 255).astype(np.uint8))
    out = io.BytesIO()
    img.save(out, format=fmt, **({"quality": 92} if fmt == "JPEG" else {"compress_level": 6}))
    return out.getvalue()
