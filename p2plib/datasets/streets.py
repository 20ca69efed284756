"""Synthetic streets: Cityscapes-like label maps of a street seen from a car, and photos.

Introduced in notebook 01, beside the synthetic facades. This module renders a pair
(``render_street``) and writes the dataset (``generate``); the work is done in three steps,
each in a module of its own:

- ``streets_layout``: a layout is sampled from a seed in world units (metres): a camera at
  driver's height looking down a straight street, a road with lanes, curbs and sidewalks on
  both sides, blocks of buildings (with gaps behind walls, fences or hedges, and sometimes a
  junction), and things standing on the ground: parked and moving cars, vans and trucks,
  pedestrians, cyclists, trees, street lamps, signs and traffic lights.
- ``streets_shapes``: everything is projected with the same pinhole camera, in fractions of
  the image, so the same seed gives the same street at any size (a rectangular image is the
  square one stretched, as the 2:1 Cityscapes frames are squeezed into the pix2pix 256x256
  pairs), and drawn into the label map from far to near, so nearer things hide farther ones.
- ``streets_painting`` (with ``streets_lighting``): the photo has a seed of its own: time of
  day and weather (sun with cast shadows, overcast, dusk with lit windows and lamps), the
  colour of every car, the material of every building, the windows on the facades, the
  season of the trees, clothes, the state of the traffic lights, haze and sensor noise all
  change while the label map stays the same.

The class names and colours are ``palettes.STREET_CLASSES`` and ``palettes.STREET_PALETTE``.
"""

from __future__ import annotations

from pathlib import Path

from p2plib.datasets.palettes import STREET_CLASSES, STREET_PALETTE
from p2plib.datasets.storage import SPLIT_SEED_OFFSETS, generate_masked
from p2plib.datasets.streets_layout import sample_street_layout
from p2plib.datasets.streets_painting import render_street_photo
from p2plib.datasets.streets_shapes import rasterise
from p2plib.label_colours import labels_to_rgb

__all__ = ["GENERATOR_VERSION", "SPLIT_SIZES", "generate", "render_street"]

GENERATOR_VERSION = 1
"""The version of the street generator (notebook 01): bump it when a change alters a pixel,
so that datasets on disk are made again."""

SPLIT_SIZES = {"train": 400, "val": 100, "test": 100}
"""Pairs per split of synthetic-streets (notebook 01), as for the synthetic facades."""


def render_street(seed: int, image_size=256, photo_seed: int | None = None):
    """One synthetic street: ``(labels_rgb, photo, mask)`` at ``image_size`` (notebook 01).

    ``image_size`` is an int or (height, width). ``seed`` fixes the layout; ``photo_seed``
    (default: ``seed``) fixes the appearance, so the same labels can be rendered into many
    different photos.
    """
    layout = sample_street_layout(seed)
    scene = rasterise(layout, image_size)
    photo_seed = seed if photo_seed is None else photo_seed
    photo = render_street_photo(layout, image_size, photo_seed, scene=scene)
    return labels_to_rgb(scene.mask, STREET_PALETTE), photo, scene.mask


def generate(final_dir: Path, image_size, split_sizes=None) -> Path:
    """Generate every split of synthetic-streets into ``final_dir`` atomically (tool)."""
    return generate_masked(
        final_dir, image_size, name="synthetic-streets", render=render_street,
        split_sizes=SPLIT_SIZES if split_sizes is None else split_sizes,
        seed_offsets=SPLIT_SEED_OFFSETS, classes=STREET_CLASSES, palette=STREET_PALETTE,
        version=GENERATOR_VERSION,
    )
