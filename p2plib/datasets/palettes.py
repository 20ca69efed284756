"""Label maps as colours, and back: one nearest-colour rule for every palette.

Introduced in notebook 01. A label map is drawn in a palette, one colour per class; reading
one back (a rendered label image, a JPEG-compressed Cityscapes label, a generator's
photo -> labels output, a drawing in the demo) gives each pixel the class of the nearest
palette colour. Cityscapes' own label images use the colours of all 34 of its labels, of
which the 19 training classes are scored and the others (ego vehicle, parking, rail track,
guard rail, ...) are "void": ``nearest_class_ids`` maps those to ``VOID_ID``, which the
scores leave out, as Cityscapes' evaluation does.
"""

from __future__ import annotations

import numpy as np

VOID_ID = 255
"""The class id of pixels that belong to no scored class (Cityscapes' ``ignore`` id)."""

CITYSCAPES_CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
    "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
    "motorcycle", "bicycle",
)
"""The 19 classes Cityscapes scores, in the order of its training ids."""

CITYSCAPES_PALETTE = np.array(
    [(128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
     (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
     (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100),
     (0, 80, 100), (0, 0, 230), (119, 11, 32)],
    dtype=np.uint8,
)
"""The label colour of each of ``CITYSCAPES_CLASSES`` (Cityscapes' ``labels.py``)."""

CITYSCAPES_VOID_COLOURS = np.array(
    [(0, 0, 0), (111, 74, 0), (81, 0, 81), (250, 170, 160), (230, 150, 140),
     (180, 165, 180), (150, 100, 100), (150, 120, 90), (0, 0, 90), (0, 0, 110)],
    dtype=np.uint8,
)
"""Colours of Cityscapes' labels that are not scored: unlabeled/ego vehicle/static (black),
dynamic, ground, parking, rail track, guard rail, bridge, tunnel, caravan, trailer."""


def nearest_class_ids(label_image, palette, void_colours=None) -> np.ndarray:
    """Class ids (uint8 ``[..., H, W]``) of a colour label image ``[..., H, W, 3]``.

    Each pixel takes the class whose ``palette`` colour is nearest (squared RGB distance), or
    ``VOID_ID`` when one of ``void_colours`` is nearer still. Works on one image or a batch,
    uint8 or float in [0, 255].
    """
    image = np.asarray(label_image)
    if image.ndim < 3 or image.shape[-1] != 3:
        from p2plib.errors import ArgumentError

        raise ArgumentError(f"a label image must be [..., H, W, 3] RGB; got shape {image.shape}.")
    palette = np.asarray(palette, np.int32).reshape(-1, 3)
    colours = palette if void_colours is None else np.concatenate(
        [palette, np.asarray(void_colours, np.int32).reshape(-1, 3)])
    pixels = image.reshape(-1, 3).astype(np.int32)
    nearest = np.empty(len(pixels), np.int64)
    for start in range(0, len(pixels), 1 << 16):  # bounded memory for large batches
        chunk = pixels[start:start + (1 << 16), None, :]
        nearest[start:start + len(chunk)] = ((chunk - colours[None]) ** 2).sum(-1).argmin(1)
    ids = np.where(nearest < len(palette), nearest, VOID_ID).astype(np.uint8)
    return ids.reshape(image.shape[:-1])


def colour_class_ids(mask, palette) -> np.ndarray:
    """The colour label image (uint8 ``[..., H, W, 3]``) of a class-id mask; void is black."""
    mask = np.asarray(mask)
    palette = np.concatenate([np.asarray(palette, np.uint8).reshape(-1, 3),
                              np.zeros((1, 3), np.uint8)])
    return palette[np.where(mask == VOID_ID, len(palette) - 1, mask)]
