"""Figures for the notebooks (introduced in notebook 01; later notebooks add their own below).

Every ``show_*`` function draws one figure, calls ``plt.show()`` and returns None, so a
notebook cell shows the picture and no object repr. Images may be tensors or arrays,
``uint8`` in [0, 255] or float in [-1, 1] (the model's range), grey or RGB.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from p2plib.errors import ArgumentError

__all__ = [
    "as_display_image", "show_examples", "show_grid", "show_images", "show_pairs",
    "show_triplets",
]


def as_display_image(image, value_range=None) -> np.ndarray:
    """An image as a numpy array matplotlib can draw: ``float`` in [0, 1], grey squeezed to
    2-D (notebook 01).

    ``value_range`` is ``(low, high)`` of the input; by default ``uint8`` is (0, 255) and a
    float image is (-1, 1), or (0, 255) when its values go above 1 (e.g. right after a
    resize, before normalising).
    """
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ArgumentError(
            f"expected one image [height, width], [height, width, 1|3|4], got shape {array.shape}"
        )
    if value_range is None:
        if array.dtype == np.uint8 or array.dtype == bool:
            value_range = (0, 255) if array.dtype == np.uint8 else (0, 1)
        else:
            value_range = (0, 255) if float(np.max(array)) > 1.0 + 1e-3 else (-1, 1)
    low, high = value_range
    scaled = (array.astype(np.float32) - low) / float(high - low)
    return np.clip(scaled, 0.0, 1.0)


def _images_of(images) -> list:
    """A list of single images from a list, or from one batch tensor [N, H, W, C]."""
    if isinstance(images, (list, tuple)):
        return list(images)
    array = np.asarray(images)
    return list(array) if array.ndim == 4 else [array]


def _aspect(image) -> float:
    """Width over height of an image, so that figures are not letterboxed."""
    shape = np.shape(image)
    return shape[1] / shape[0]


def _draw(axis, image, title=None, value_range=None) -> None:
    picture = as_display_image(image, value_range)
    axis.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0.0, vmax=1.0,
                interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])
    if title is not None:
        axis.set_title(str(title), fontsize=10)


def show_grid(rows, column_titles=None, row_titles=None, size: float = 2.5, value_range=None,
              title=None) -> None:
    """Draw ``rows`` (a list of lists of images) as a grid; titles over columns and
    rows (notebook 01)."""
    rows = [_images_of(row) for row in rows]
    columns = max(len(row) for row in rows)
    aspect = _aspect(rows[0][0])
    figure, axes = plt.subplots(
        len(rows), columns, figsize=(size * aspect * columns, size * len(rows)), squeeze=False
    )
    for r, row in enumerate(rows):
        for c in range(columns):
            axis = axes[r][c]
            if c >= len(row):
                axis.axis("off")
                continue
            heading = column_titles[c] if (r == 0 and column_titles is not None) else None
            _draw(axis, row[c], heading, value_range)
            if c == 0 and row_titles is not None:
                axis.set_ylabel(str(row_titles[r]), fontsize=10)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    plt.show()
    plt.close(figure)


def show_images(images, titles=None, columns: int | None = None, size: float = 2.5,
                value_range=None, title=None) -> None:
    """Show images in a row (or in rows of ``columns``), each with its title (notebook 01)."""
    images = _images_of(images)
    if titles is not None and len(titles) != len(images):
        raise ArgumentError(f"got {len(images)} images but {len(titles)} titles")
    columns = columns or len(images)
    rows = -(-len(images) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(size * _aspect(images[0]) * columns, size * rows), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        if index < len(images):
            _draw(axis, images[index], titles[index] if titles else None, value_range)
        else:
            axis.axis("off")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    plt.show()
    plt.close(figure)


def show_pairs(inputs, targets, titles=("input", "target"), count: int | None = None,
               size: float = 2.5, value_range=None, title=None) -> None:
    """Show input/target pairs, one pair per row (batches [N, H, W, C] or lists) (notebook 01)."""
    show_examples([inputs, targets], titles, count, size, value_range, title)


def show_triplets(inputs, targets, outputs, titles=("input", "target", "output"),
                  count: int | None = None, size: float = 2.5, value_range=None,
                  title=None) -> None:
    """Show input/target/output triplets, one per row: what the generator made next to
    truth (notebook 01)."""
    show_examples([inputs, targets, outputs], titles, count, size, value_range, title)


def show_examples(columns, titles=None, count: int | None = None, size: float = 2.5,
                  value_range=None, title=None) -> None:
    """Show parallel batches side by side: row i holds example i of every batch in
    ``columns`` (notebook 01)."""
    columns = [_images_of(column) for column in columns]
    lengths = {len(column) for column in columns}
    if len(lengths) != 1:
        raise ArgumentError(f"the batches hold different numbers of images: {sorted(lengths)}")
    total = lengths.pop()
    count = total if count is None else min(count, total)
    rows = [[column[i] for column in columns] for i in range(count)]
    show_grid(rows, column_titles=titles, size=size, value_range=value_range, title=title)
