"""Paired tasks made from the photographs that ship inside scikit-image (no download).

Introduced in notebook 01. Each pair is a random crop (with scale jitter) of one bundled
photo, resized to the asked size, and a degraded version of it: holes filled with a flat
colour (``inpainting``), the grey image (``colorization``) or a Canny edge map
(``edges``). The validation and test splits are cut from photos that the training split
never uses, so a test score measures generalisation to new pictures, not to new crops.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skdata
from skimage.feature import canny

from p2plib.datasets.painting import child_rng, pixel_centres, smooth_noise
from p2plib.datasets.storage import (
    SPLIT_SEED_OFFSETS,
    build_atomically,
    parse_image_size,
    save_png,
    side_by_side,
)
from p2plib.errors import DatasetError

__all__ = [
    "GENERATOR_VERSION", "HOLE_COLOUR", "PHOTO_FILES", "PHOTO_SPLITS", "PHOTO_TASKS",
    "SPLIT_SIZES", "crop_for", "degrade", "edge_map", "generate", "grey", "hole_mask",
    "load_photo", "make_pair", "random_box",
]

GENERATOR_VERSION = 2
"""The version of the bundled-photo tasks' generator (notebook 01): bump it when a change
alters a pixel, so that datasets on disk are made again."""

PHOTO_TASKS = ("inpainting", "colorization", "edges")
"""The bundled-photo tasks (notebook 01): dataset ``photos-<task>`` for each."""

PHOTO_SPLITS = {
    "train": (
        "astronaut",
        "rocket",
        "motorcycle_left",
        "motorcycle_right",
        "hubble_deep_field",
        "immunohistochemistry",
        "retina",
    ),
    "val": ("coffee",),
    "test": ("chelsea",),
}
"""Which bundled colour photos each split is cut from (notebook 01); no photo is in two
splits."""

PHOTO_FILES = {
    "astronaut": "astronaut.png",
    "rocket": "rocket.jpg",
    "motorcycle_left": "motorcycle_left.png",
    "motorcycle_right": "motorcycle_right.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
    "immunohistochemistry": "ihc.png",
    "retina": "retina.jpg",
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
}
"""The file in ``skimage/data/`` behind each photo (tool): all ship in the scikit-image
wheel."""

SPLIT_SIZES = {"train": 400, "val": 100, "test": 100}
"""Pairs per split of every bundled-photo task (notebook 01)."""

HOLE_COLOUR = (255, 0, 255)
"""The flat colour of inpainting holes (notebook 01): magenta, which none of the bundled photos
contains."""

_MIN_CROP_STD = 12.0  # grey levels; flatter crops (black borders of retina, empty sky) retried


@cache
def load_photo(name: str) -> np.ndarray:
    """One bundled colour photo as uint8 HxWx3, read from scikit-image's own files (notebook
    01)."""

    if name in ("motorcycle_left", "motorcycle_right"):
        left, right, _ = skdata.stereo_motorcycle()
        photo = left if name == "motorcycle_left" else right
    elif name in PHOTO_FILES:
        photo = getattr(skdata, name)()
    else:
        raise DatasetError(f"unknown bundled photo {name!r}; choose one of {list(PHOTO_FILES)}")
    photo = np.ascontiguousarray(photo[..., :3])
    photo.setflags(write=False)
    return photo


def random_box(photo_shape, rng: np.random.Generator, image_size):
    """A random crop box (left, top, right, bottom) with scale jitter and the asked aspect
    (tool)."""
    height, width = parse_image_size(image_size)
    photo_height, photo_width = photo_shape[:2]
    aspect = width / height
    largest = min(photo_height, photo_width / aspect)  # tallest crop of the right shape
    smallest = min(1.0, max(0.3, 0.75 * height / largest))  # at most ~1.3x upscaling
    crop_height = largest * rng.uniform(smallest, 1.0)
    crop_width = crop_height * aspect
    top = rng.uniform(0, photo_height - crop_height)
    left = rng.uniform(0, photo_width - crop_width)
    return left, top, left + crop_width, top + crop_height


@cache
def _pyramid(name: str) -> tuple[Image.Image, ...]:
    """The photo at full, half, quarter... size, so small crops resize from small images."""
    levels = [Image.fromarray(load_photo(name))]
    while min(levels[-1].size) >= 128:
        levels.append(levels[-1].reduce(2))
    return tuple(levels)


def _crop_from_pyramid(name: str, box, image_size) -> np.ndarray:
    height, width = parse_image_size(image_size)
    levels = _pyramid(name)
    level = 0  # the smallest level that still has twice the pixels the output needs
    while level + 1 < len(levels) and (box[3] - box[1]) / 2 ** (level + 1) >= 2 * height:
        level += 1
    scaled = tuple(coordinate / 2**level for coordinate in box)
    return np.asarray(levels[level].resize((width, height), Image.BICUBIC, box=scaled))


def grey(photo: np.ndarray) -> np.ndarray:
    """The luminance of an RGB photo, uint8 HxW (ITU-R 601, as PIL computes it) (notebook 01)."""
    return np.asarray(Image.fromarray(photo).convert("L"))


def hole_mask(rng: np.random.Generator, image_size) -> np.ndarray:
    """Random rectangular and blotchy holes, bool HxW, in fractions of the image (notebook 01)."""
    height, width = parse_image_size(image_size)
    ys = pixel_centres(height)[:, None]
    xs = pixel_centres(width)[None, :]
    holes = np.zeros((height, width), dtype=bool)
    for _ in range(int(rng.integers(1, 4))):
        hole_height, hole_width = rng.uniform(0.1, 0.35, size=2)
        top, left = rng.uniform(0, 1 - hole_height), rng.uniform(0, 1 - hole_width)
        holes |= (ys >= top) & (ys < top + hole_height) & (xs >= left) & (xs < left + hole_width)
    for _ in range(int(rng.integers(0, 3))):
        centre_y, centre_x = rng.uniform(0.15, 0.85, size=2)
        radius = rng.uniform(0.08, 0.2)
        wobble = smooth_noise(child_rng(rng), height, width, 8)
        distance = np.hypot(ys - centre_y, xs - centre_x) / radius
        holes |= distance + 0.35 * wobble < 1
    return holes


def degrade(task: str, photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The input image of ``task`` for a target ``photo``, uint8 HxWx3 in and out (notebook
    01)."""
    if task == "inpainting":
        holes = hole_mask(rng, photo.shape[:2])
        return np.where(holes[..., None], np.array(HOLE_COLOUR, np.uint8), photo)
    if task == "colorization":
        return np.repeat(grey(photo)[..., None], 3, axis=-1)
    if task == "edges":
        return np.repeat(edge_map(photo)[..., None], 3, axis=-1)
    raise DatasetError(f"unknown photo task {task!r}; choose one of {PHOTO_TASKS}")


def edge_map(photo: np.ndarray) -> np.ndarray:
    """Canny edges drawn black on white (like edges2shoes), uint8 HxW (notebook 01)."""

    sigma = max(1.0, 2.0 * min(photo.shape[:2]) / 256)
    edges = canny(grey(photo) / 255.0, sigma=sigma, low_threshold=0.05, high_threshold=0.12)
    return np.where(edges, 0, 255).astype(np.uint8)


def crop_for(split: str, index: int, image_size) -> tuple[str, np.ndarray]:
    """The photo that pair ``index`` of ``split`` is cut from, and the crop, uint8 HxWx3
    (notebook 01).

    Depends on (split, index) only, so every task uses the same crops, and the crop covers
    the same part of the photo at every size.
    """
    if split not in PHOTO_SPLITS:
        raise DatasetError(f"unknown split {split!r}; choose one of {list(PHOTO_SPLITS)}")
    rng = np.random.default_rng([SPLIT_SEED_OFFSETS[split] + index, 10])
    names = PHOTO_SPLITS[split]
    for _ in range(20):
        name = names[int(rng.integers(len(names)))]
        crop = _crop_from_pyramid(name, random_box(load_photo(name).shape, rng, image_size),
                                  image_size)
        if grey(crop).std() >= _MIN_CROP_STD:
            break
    return name, crop


def make_pair(task: str, split: str, index: int, image_size):
    """Pair ``index`` of a split: ``(input, photo)`` uint8 HxWx3, deterministic (notebook 01)."""
    _, target = crop_for(split, index, image_size)
    seed = SPLIT_SEED_OFFSETS[split] + index
    return degrade(task, target, np.random.default_rng([seed, 11])), target


def generate(final_dir: Path, task: str, image_size, split_sizes=None) -> Path:
    """Generate every split of ``photos-<task>`` into ``final_dir`` atomically (tool)."""
    if task not in PHOTO_TASKS:
        raise DatasetError(f"unknown photo task {task!r}; choose one of {PHOTO_TASKS}")
    split_sizes = dict(SPLIT_SIZES if split_sizes is None else split_sizes)
    height, width = parse_image_size(image_size)

    def write(tmp_dir: Path) -> dict:
        for split, count in split_sizes.items():
            (tmp_dir / split).mkdir()
            for index in range(count):
                degraded, target = make_pair(task, split, index, (height, width))
                save_png(side_by_side(degraded, target), tmp_dir / split / f"{index:04d}.png")
        return {
            "name": f"photos-{task}",
            "image_size": [height, width],
            "splits": split_sizes,
            "photos": {split: list(PHOTO_SPLITS[split]) for split in split_sizes},
            "layout": f"{task} input left (A) | photo right (B)",
        }

    return build_atomically(final_dir, write, GENERATOR_VERSION)
