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


class _Copy:
    """One interpreter of a model, and the lock that keeps it to one thread at a time."""

    def __init__(self, content: bytes, threads: int, batch: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.lock = threading.Lock()
        self.interpreter = Interpreter(model_content=content, num_threads=threads)
        if batch != 1:
            declared = self.interpreter.get_input_details()[0]
            self.interpreter.resize_tensor_input(declared["index"], [batch, *declared["shape"][1:]])
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]  # (its shape as resized)
        self.outputs = [(d["name"], d["index"]) for d in self.interpreter.get_output_details()]
        self.interpreter.invoke()  # the first run sets up the delegate (and logs)

    def run(self, tensor: np.ndarray) -> dict[str, np.ndarray]:
        self.interpreter.set_tensor(self.input["index"], tensor.astype(np.float32, copy=False))
        self.interpreter.invoke()
        return {name: self.interpreter.get_tensor(index).copy() for name, index in self.outputs}


class TFLiteModel:
    """One model: named float32 outputs for one float32 input tensor. `copies` interpreters
    let that many threads run it at once (each copy costs the model's memory again).
    `batches`: further batch sizes it takes, one interpreter each. Several crops in one
    run cost ~20 % less per crop than one at a time (the weights are read once), with
    bit-identical results; a batch's outputs are the single outputs one after another."""

    def __init__(self, filename: str, threads: int = 1, copies: int = 1, batches: tuple[int, ...] = ()):
        try:
            import ai_edge_litert.interpreter  # noqa: F401

            content = (resources.files(MODELS_PACKAGE) / filename).read_bytes()
        except (ImportError, OSError) as exc:
            raise ModelUnavailable(f"cannot load {filename}: {exc}") from exc
        with native_stderr_silenced():
            self._copies = {1: [_Copy(content, threads) for _ in range(copies)]}
            for batch in batches:
                self._copies.setdefault(batch, []).append(_Copy(content, threads, batch))
        self.input_shape = tuple(int(v) for v in self._copies[1][0].input["shape"])

    def run(self, tensor: np.ndarray) -> dict[str, np.ndarray]:
        copies = self._copies.get(tensor.shape[0]) if tensor.shape[1:] == self.input_shape[1:] else None
        if not copies:
            raise ValueError(f"expected {self.input_shape} in a batch of {sorted(self._copies)}, got {tensor.shape}")
        for copy in copies:  # a free copy if there is one
            if copy.lock.acquire(blocking=False):
                try:
                    return copy.run(tensor)
                finally:
                    copy.lock.release()
        first = copies[0]
        with first.lock:
            return first.run(tensor)
