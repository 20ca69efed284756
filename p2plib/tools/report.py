"""Reporting results: the machine they ran on, and rows of images (tool).

Used by ``python -m p2plib ablations``, the benchmarks in ``benchmarks/`` and the rendered
notebooks: one home for what every report needs. Results JSON is written by
``p2plib.files.write_json``.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from p2plib import data, files

__all__ = ["cpu_name", "image_row", "load_image_row", "machine", "save_image_row"]


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> dict:
    """What a measurement ran on: CPU, cores, load, operating system and library versions."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return {"processor": cpu_name(), "cpu_count": os.cpu_count(), "usable_cpus": usable,
            "platform": platform.platform(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__, "gpus": gpus,
            "load_average_at_start": None if load is None else round(load, 2)}


def image_row(images, gap: int = 2) -> np.ndarray:
    """Images in [-1, 1] side by side, ``gap`` white pixels apart, as one uint8 picture."""
    images = np.asarray(data.denormalize(images))
    count, height, width, _ = images.shape
    row = np.full((height, count * width + (count - 1) * gap, 3), 255, np.uint8)
    for index, image in enumerate(images):
        row[:, index * (width + gap):index * (width + gap) + width] = image
    return row


def save_image_row(images, path) -> Path:
    """Save ``image_row(images)`` as a PNG with a 256-colour palette (small files), whole
    or not at all."""
    path = Path(path)
    picture = Image.fromarray(image_row(images))
    with files.written_atomically(path) as temporary:
        picture.quantize(256, method=Image.Quantize.MEDIANCUT,
                         dither=Image.Dither.NONE).save(temporary, optimize=True)
    return path


def load_image_row(path, count: int | None = None, gap: int = 2) -> list[np.ndarray]:
    """The images of a row saved by ``save_image_row``, as uint8 arrays (square tiles)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run `python -m p2plib ablations` to "
                                "regenerate the sample images.")
    row = np.asarray(Image.open(path).convert("RGB"))
    side = row.shape[0]
    found = (row.shape[1] + gap) // (side + gap)
    return [row[:, i * (side + gap):i * (side + gap) + side] for i in range(found)][:count]
