"""Run the bundled TensorFlow Lite models with LiteRT (`ai-edge-litert`), quietly and safely.

The model files ship inside this package (`bot/photo/models/`, see NOTICE.md there):
nothing is downloaded at run time. An interpreter is not thread-safe, so each model runs
under its own lock. LiteRT's native logger prints one INFO line per interpreter to the
process's stderr when its CPU delegate starts; it is silenced while models load.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from importlib import resources

import numpy as np

MODELS_PACKAGE = "bot.photo.models"


class ModelUnavailable(Exception):
    """The LiteRT runtime or a model file could not be loaded."""


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a moment: native libraries write there
    directly, past Python's logging. Only used while models load, before traffic."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class TFLiteModel:
    """One model: named float32 outputs for one float32 input tensor."""

    def __init__(self, filename: str, threads: int = 1):
        try:
            from ai_edge_litert.interpreter import Interpreter

            content = (resources.files(MODELS_PACKAGE) / filename).read_bytes()
        except (ImportError, OSError) as exc:
            raise ModelUnavailable(f"cannot load {filename}: {exc}") from exc
        with native_stderr_silenced():
            self._interpreter = Interpreter(model_content=content, num_threads=threads)
            self._interpreter.allocate_tensors()
            self._input = self._interpreter.get_input_details()[0]
            self._outputs = [(d["name"], d["index"]) for d in self._interpreter.get_output_details()]
            self._interpreter.invoke()  # the first run sets up the delegate (and logs)
        self.input_shape = tuple(int(v) for v in self._input["shape"])
        self._lock = threading.Lock()

    def run(self, tensor: np.ndarray) -> dict[str, np.ndarray]:
        if tensor.shape != self.input_shape:
            raise ValueError(f"expected a tensor of shape {self.input_shape}, got {tensor.shape}")
        with self._lock:
            self._interpreter.set_tensor(self._input["index"], tensor.astype(np.float32, copy=False))
            self._interpreter.invoke()
            return {name: self._interpreter.get_tensor(index).copy() for name, index in self._outputs}
