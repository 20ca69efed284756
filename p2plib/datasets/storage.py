"""Writing generated datasets to disk so that an interrupted run never looks complete.

Part of the named datasets of notebook 01; no notebook teaches these tools. A generated
dataset is written into a hidden temporary folder beside its final place and renamed into
place only when every file is there, so a folder with the final name is always whole.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from p2plib import checks, files
from p2plib.errors import ArgumentError, DatasetError

__all__ = [
    "METADATA_FILE", "SPLIT_SEED_OFFSETS", "build_atomically", "generate_masked", "is_complete",
    "parse_image_size", "read_metadata", "save_png", "side_by_side", "size_tag",
]

METADATA_FILE = "dataset.json"
"""The file, written last, that marks a generated dataset's folder as whole (tool)."""

SPLIT_SEED_OFFSETS = {"train": 0, "val": 1_000_000, "test": 2_000_000}
"""Pair ``i`` of a split of a generated dataset uses seed ``offset + i`` (notebook 01), so the
splits never share a building, a street or a photo crop."""


def parse_image_size(image_size) -> tuple[int, int]:
    """A generated image size as (height, width), each at least 8 pixels (tool).

    ``256`` -> ``(256, 256)``; ``(128, 256)`` -> ``(128, 256)``; checked by
    ``checks.image_size``, else a ``DatasetError``.
    """
    try:
        return checks.image_size(image_size, "image_size", minimum=8)
    except ArgumentError as error:
        raise DatasetError(str(error)) from None


def size_tag(image_size) -> str:
    """The folder suffix of a size (tool): ``64`` for 64x64, ``64x128`` for height 64, width
    128."""
    height, width = parse_image_size(image_size)
    return str(height) if height == width else f"{height}x{width}"


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Two HxWx3 uint8 images joined into one Hx2Wx3 pair, ``left`` on the left (A|B) (tool)."""
    if left.shape != right.shape:
        raise DatasetError(f"pair halves differ in shape: {left.shape} and {right.shape}")
    return np.concatenate([left, right], axis=1)


def save_png(array: np.ndarray, path: Path) -> None:
    """Save a uint8 array as PNG, fast: light compression, these files are regenerated (tool)."""
    Image.fromarray(array).save(path, format="PNG", compress_level=1)


def read_metadata(folder: Path) -> dict | None:
    """The ``dataset.json`` of a generated dataset's folder, or None if absent or unreadable
    (tool)."""
    try:
        return json.loads((Path(folder) / METADATA_FILE).read_text())
    except (OSError, ValueError):
        return None


def is_complete(folder: Path, version: int) -> bool:
    """True when ``folder`` holds a dataset written whole by generator ``version`` (tool)."""
    metadata = read_metadata(folder)
    return metadata is not None and metadata.get("generator_version") == version


def build_atomically(
    final_dir: Path, write: Callable[[Path], dict], version: int
) -> Path:
    """Run ``write(tmp_dir)`` into a temporary folder, then rename it to ``final_dir`` (tool).

    ``write`` returns the metadata to store in ``dataset.json`` (written last). A stale
    folder from another generator version is replaced; if another process finished the
    same dataset first, its copy is kept and ours is discarded.
    """
    final_dir = Path(final_dir)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    files.remove_leftovers(final_dir.parent)  # of generations that were killed
    tmp_dir = files.temporary_folder(final_dir)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir()
    try:
        metadata = dict(write(tmp_dir))
        metadata["generator_version"] = version
        (tmp_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True))
        _move_into_place(tmp_dir, final_dir, version)
    except OSError as error:
        if error.filename is None:  # e.g. a full disk while an image is written: say where
            raise OSError(error.errno, error.strerror, str(final_dir)) from error
        raise
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return final_dir


def generate_masked(final_dir: Path, image_size, *, name: str, render, split_sizes: dict,
                    seed_offsets: dict, classes, palette, version: int) -> Path:
    """Write a generated dataset with masks atomically (``build_atomically``) (tool).

    Each split gets ``NNNN.png`` (labels | photo) in ``<split>/`` and the class mask in
    ``<split>_masks/``; pair ``i`` of a split is ``render(seed_offsets[split] + i, size)``,
    which returns ``(labels_rgb, photo, mask)``. Used by the facades and the streets.
    """
    split_sizes = dict(split_sizes)
    height, width = parse_image_size(image_size)

    def write(tmp_dir: Path) -> dict:
        for split, count in split_sizes.items():
            pairs, masks = tmp_dir / split, tmp_dir / f"{split}_masks"
            pairs.mkdir(parents=True)
            masks.mkdir()
            for index in range(count):
                labels, photo, mask = render(seed_offsets[split] + index, (height, width))
                save_png(side_by_side(labels, photo), pairs / f"{index:04d}.png")
                save_png(mask, masks / f"{index:04d}.png")
        return {
            "name": name,
            "image_size": [height, width],
            "splits": split_sizes,
            "classes": list(classes),
            "palette": np.asarray(palette).tolist(),
            "layout": "labels left (A) | photo right (B); masks in <split>_masks/",
        }

    return build_atomically(final_dir, write, version)


def _move_into_place(tmp_dir: Path, final_dir: Path, version: int) -> None:
    if final_dir.exists() and not is_complete(final_dir, version):
        stale = final_dir.parent / f".{final_dir.name}.stale-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(final_dir, stale)
        except FileNotFoundError:
            pass  # another process moved it away first
        else:
            shutil.rmtree(stale, ignore_errors=True)
    try:
        os.rename(tmp_dir, final_dir)
    except OSError:
        if not is_complete(final_dir, version):
            raise
        # another process renamed its complete copy into place first; keep that one
