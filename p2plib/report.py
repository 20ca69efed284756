"""Reporting results: the machine they ran on, rows of images, JSON written atomically.

Used by ``python -m p2plib ablations`` (notebook 06), the benchmarks in ``benchmarks/`` and
the rendered notebooks: one home for what every report needs.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np


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
    import keras
    import tensorflow as tf

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return {"processor": cpu_name(), "cpu_count": os.cpu_count(), "usable_cpus": usable,
            "platform": platform.platform(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__, "gpus": gpus,
            "load_average_at_start": None if load is None else round(load, 2)}


def write_json_atomically(results, path) -> Path:
    """Write ``results`` as indented JSON to ``path`` via a temporary file and a rename, so a
    reader never sees half a file and a crash keeps the previous version."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def image_row(images, gap: int = 2) -> np.ndarray:
    """Images in [-1, 1] side by side, ``gap`` white pixels apart, as one uint8 picture."""
    images = np.round((np.clip(np.asarray(images, np.float32), -1, 1) + 1) * 127.5)
    count, height, width, _ = images.shape
    row = np.full((height, count * width + (count - 1) * gap, 3), 255, np.uint8)
    for index, image in enumerate(images.astype(np.uint8)):
        row[:, index * (width + gap):index * (width + gap) + width] = image
    return row


def save_image_row(images, path) -> Path:
    """Save ``image_row(images)`` as a PNG with a 256-colour palette (small files)."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(image_row(images))
    picture.quantize(256, method=Image.Quantize.MEDIANCUT,
                     dither=Image.Dither.NONE).save(path, optimize=True)
    return path


def load_image_row(path, count: int | None = None, gap: int = 2) -> list[np.ndarray]:
    """The images of a row saved by ``save_image_row``, as uint8 arrays (square tiles)."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run `python -m p2plib ablations` to "
                                "regenerate the sample images.")
    row = np.asarray(Image.open(path).convert("RGB"))
    side = row.shape[0]
    found = (row.shape[1] + gap) // (side + gap)
    return [row[:, i * (side + gap):i * (side + gap) + side] for i in range(found)][:count]


def load_results(path, command: str) -> dict:
    """Read a committed results JSON; a missing file names ``command``, which remakes it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; regenerate it with `{command}`.")
    return json.loads(path.read_text(encoding="utf-8"))
