"""Label maps: one class per pixel, drawn in a palette's colours, and read back (notebook 01).

A label map is drawn in a palette, one colour per class (each dataset's palette is in
``p2plib.datasets.palettes``). ``labels_to_rgb`` colours a class-id map; ``rgb_to_labels``
reads one back (a rendered label image, a JPEG-compressed Cityscapes label, a generator's
photo -> labels output, a drawing in the demo), giving each pixel the class of the nearest
palette colour. Colours listed as void (Cityscapes' unscored labels: ego vehicle, parking,
rail track, ...) become ``VOID_ID``, which the scores leave out (notebook 06), as
Cityscapes' own evaluation does.
"""

from __future__ import annotations

import numpy as np

from p2plib.errors import ArgumentError

__all__ = ["VOID_ID", "labels_to_rgb", "rgb_to_labels"]

VOID_ID = 255
"""The class id of pixels that belong to no scored class (Cityscapes' ``ignore`` id); notebook
06 (the FCN-score) leaves them out (notebook 06)."""


def rgb_to_labels(label_image, palette, void_colours=None) -> np.ndarray:
    """Class ids (uint8 ``[..., H, W]``) of a colour label image ``[..., H, W, 3]`` (notebook 01).

    Each pixel takes the class whose ``palette`` colour is nearest (squared RGB distance), or
    ``VOID_ID`` when one of ``void_colours`` is nearer still. Works on one image or a batch,
    uint8 or float in [0, 255].
    """
    image = np.asarray(label_image)
    if image.ndim < 3 or image.shape[-1] != 3:
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


def labels_to_rgb(mask, palette) -> np.ndarray:
    """The colour label image (uint8 ``[..., H, W, 3]``) of a class-id mask in ``palette``
    (notebook 01); ``VOID_ID`` is black."""
    mask = np.asarray(mask)
    palette = np.concatenate([np.asarray(palette, np.uint8).reshape(-1, 3),
                              np.zeros((1, 3), np.uint8)])
    return palette[np.where(mask == VOID_ID, len(palette) - 1, mask)]
