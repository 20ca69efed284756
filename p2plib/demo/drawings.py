"""The drawing's image operations (notebook 09): numpy, Pillow and scikit-image, no Gradio.

What one draws for each task (``Task``, ``get_task``), how a stroke changes a drawing
(``stroke_mask``, ``stroke_inks``, ``apply_stroke``: brush, rectangle or fill), and how a
drawing becomes the generator's input (``generator_input``): resized to the generator's size
(nearest neighbour for labels and edges) and snapped to what the task can show, so every
pixel of a label map takes the nearest palette colour and the antialiased edge of a stroke
makes no colour that is no class. Drawings to start from (``random_drawing``,
``blank_drawing``) and uploads (``prepare_upload``) are made here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from skimage import measure, segmentation

from p2plib.datasets import facades, palettes, photos, streets_layout, streets_shapes
from p2plib.errors import ArgumentError, DataError
from p2plib.label_colours import labels_to_rgb, rgb_to_labels

__all__ = [
    "LABEL_TASKS", "MIN_CANVAS_SIDE", "STROKE_ALPHA", "TASKS", "TASK_NAMES", "TOOLS", "Task",
    "apply_stroke", "as_rgb", "blank_drawing", "canvas_size", "fit_photo", "generator_input",
    "get_task", "held_out_photo", "hex_colour", "label_map", "labels_to_drawing",
    "nearest_ink", "prepare_upload", "random_drawing", "read_image_file", "resize_nearest",
    "resize_smooth", "stroke_inks", "stroke_mask",
]

LABEL_TASKS = ("facades", "streets")
TASK_NAMES = (*LABEL_TASKS, "edges", "inpainting", "colorization")
TOOLS = ("brush", "rectangle", "fill")
MIN_CANVAS_SIDE = 256  # drawing surface: the generator's size, scaled up to at least this
STROKE_ALPHA = 128  # a layer pixel belongs to the stroke where it is at least half opaque


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """What one draws for a generator, with which inks and tools (notebook 09).

    ``kind`` is "labels", "edges" or "photo"; ``inks`` name the colours one draws with
    (class names for label maps) and ``ink_colours`` holds them (uint8 [K, 3]).
    """

    name: str
    kind: str
    inks: tuple[str, ...]
    ink_colours: np.ndarray
    tools: tuple[str, ...]
    blank_ink: str | None
    dataset: str
    hint: str


_LABEL_HINT = ("Pick a class, then draw: a brush, the rectangle a stroke spans, or a fill of "
               "the region a click lands in.")
TASKS = {
    "facades": Task("facades", "labels", palettes.FACADE_CLASSES, palettes.FACADE_PALETTE,
                    TOOLS, "wall", "synthetic-facades", _LABEL_HINT),
    "streets": Task("streets", "labels", palettes.STREET_CLASSES, palettes.STREET_PALETTE,
                    TOOLS, "road", "synthetic-streets", _LABEL_HINT),
    "edges": Task("edges", "edges", ("black", "white"),
                  np.array([(0, 0, 0), (255, 255, 255)], np.uint8), ("brush",), "white",
                  "photos-edges", "Draw black edges on white: the eraser takes strokes back, "
                  "white ink paints over anything."),
    "inpainting": Task("inpainting", "photo", ("hole",), np.array([photos.HOLE_COLOUR], np.uint8),
                       ("brush", "rectangle"), None, "photos-inpainting",
                       "Upload a photo (or take a random one), then erase holes into it."),
    "colorization": Task("colorization", "photo", (), np.zeros((0, 3), np.uint8), (), None,
                         "photos-colorization", "Upload a photo (or take a random one): it is "
                         "turned grey and coloured again."),
}
"""Every ``Task`` by name (notebook 09)."""


def get_task(task) -> Task:
    """The ``Task`` called ``task`` (a name of ``TASK_NAMES``), or ``task`` itself (notebook 09)."""
    if isinstance(task, Task):
        return task
    if task not in TASK_NAMES:
        raise ArgumentError(f"task must be one of {TASK_NAMES}; got {task!r}.")
    return TASKS[task]


def hex_colour(colour) -> str:
    """``(0, 117, 255)`` -> ``"#0075ff"``, as the editor and the legend take it (notebook 09)."""
    return "#" + "".join(f"{int(value):02x}" for value in colour)


# --------------------------------------------------------------------------- images


def as_rgb(image, name: str = "the drawing") -> np.ndarray:
    """``image`` as uint8 HxWx3: grey is repeated, alpha is laid over white (notebook 09)."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.ndim != 3 or array.shape[-1] not in (3, 4):
        raise ArgumentError(f"{name} must be an RGB image [H, W, 3]; got shape {array.shape}.")
    if array.dtype != np.uint8:
        array = np.clip(np.round(array.astype(np.float32)), 0, 255).astype(np.uint8)
    if array.shape[-1] == 4:
        alpha = array[..., 3:].astype(np.float32) / 255
        array = np.round(array[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return array


def _resize(image: np.ndarray, size, resample) -> np.ndarray:
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), resample))


def resize_nearest(image: np.ndarray, size) -> np.ndarray:
    """Nearest-neighbour resize to ``size`` ((height, width)): no new colours (notebook 09)."""
    return _resize(image, size, Image.NEAREST)


def resize_smooth(image: np.ndarray, size) -> np.ndarray:
    """Bicubic resize of a photo to ``size`` ((height, width)), antialiased (notebook 09)."""
    return _resize(image, size, Image.BICUBIC)


def fit_photo(photo: np.ndarray, size) -> np.ndarray:
    """The largest centred crop of ``photo`` with the aspect of ``size``, resized to it
    (notebook 09)."""
    height, width = size
    photo_height, photo_width = photo.shape[:2]
    crop_height = min(photo_height, round(photo_width * height / width))
    crop_width = min(photo_width, round(photo_height * width / height))
    top, left = (photo_height - crop_height) // 2, (photo_width - crop_width) // 2
    return resize_smooth(photo[top:top + crop_height, left:left + crop_width], size)


def _distinct_colours(image) -> tuple[np.ndarray, np.ndarray]:
    """``(colours, index)``: the distinct colours of ``image`` [..., 3] (uint8 [U, 3]) and,
    per pixel, which one it is, so a colour rule runs once per colour, not per pixel."""
    codes = np.asarray(image, np.uint8).reshape(-1, 3).astype(np.int32) @ np.array(
        [65536, 256, 1], np.int32)
    unique, index = np.unique(codes, return_inverse=True)
    colours = np.stack([unique >> 16, (unique >> 8) & 255, unique & 255], -1)
    return colours.astype(np.uint8), index.reshape(np.shape(image)[:-1])


def nearest_ink(pixels, colours) -> np.ndarray:
    """Per pixel of ``pixels`` [..., 3], the index (uint8) of the nearest of ``colours``
    [K, 3], by the palettes' one rule, ``label_colours.rgb_to_labels`` (notebook 09)."""
    unique, index = _distinct_colours(pixels)  # a drawing has few: snap each once
    return rgb_to_labels(unique[None], colours)[0][index]


def label_map(drawing, task, size=None) -> np.ndarray:
    """Class ids (uint8 HxW) of a label drawing, nearest-neighbour resized to ``size``, each
    pixel the class of the nearest palette colour (notebook 09)."""
    task = get_task(task)
    if task.kind != "labels":
        raise ArgumentError(f"label_map needs a label task {LABEL_TASKS}; got {task.name!r}.")
    drawing = as_rgb(drawing)
    if size is not None:
        drawing = resize_nearest(drawing, size)
    return nearest_ink(drawing, task.ink_colours)


def labels_to_drawing(labels: np.ndarray, task) -> np.ndarray:
    """The colour image (uint8 HxWx3) of a class-id map in the task's palette (notebook 09)."""
    return labels_to_rgb(labels, get_task(task).ink_colours)


def _hole_mask(image: np.ndarray) -> np.ndarray:
    return np.all(image == np.array(photos.HOLE_COLOUR, np.uint8), axis=-1)


def generator_input(drawing, task, size) -> np.ndarray:
    """The drawing as the generator's input image, uint8 ``size`` ((height, width)) x 3
    (notebook 09).

    Labels: nearest-neighbour resize, then every pixel the nearest palette colour. Edges:
    nearest-neighbour resize, then black or white. Inpainting: the photo resized smoothly
    and the holes (exactly ``HOLE_COLOUR``) resized by nearest neighbour, so a hole keeps
    its colour. Colourisation: the photo resized and turned grey (3 equal channels).
    """
    task = get_task(task)
    drawing = as_rgb(drawing)
    size = tuple(size)
    if task.kind == "labels":
        return labels_to_drawing(label_map(drawing, task, size), task)
    if task.kind == "edges":
        grey = photos.grey(resize_nearest(drawing, size))
        return np.repeat(np.where(grey < 128, 0, 255).astype(np.uint8)[..., None], 3, axis=-1)
    if task.name == "colorization":
        return np.repeat(photos.grey(resize_smooth(drawing, size))[..., None], 3, axis=-1)
    holes = resize_nearest(_hole_mask(drawing).astype(np.uint8), size).astype(bool)
    photo = resize_smooth(drawing, size)
    return np.where(holes[..., None], np.array(photos.HOLE_COLOUR, np.uint8), photo)


# --------------------------------------------------------------------------- drawings


def canvas_size(size) -> tuple[int, int]:
    """The drawing surface for a generator of ``size`` (notebook 09): a whole multiple of it,
    the shorter side at least ``MIN_CANVAS_SIDE`` pixels, so resizing back is exact."""
    height, width = size
    scale = max(1, math.ceil(MIN_CANVAS_SIDE / min(height, width)))
    return height * scale, width * scale


def held_out_photo(index: int, size) -> np.ndarray:
    """A crop (uint8) of a photo that the photo tasks hold out for testing (notebook 09)."""
    return photos.crop_for("test", index % 100, size)[1]


def random_drawing(task, seed: int, size) -> np.ndarray:
    """A drawing to start from, uint8 ``size`` x 3 (notebook 09): a generated label map
    (facades: ``sample_facade_layout``; streets: ``sample_street_layout``), the edge map of a
    held-out photo, a held-out photo with holes, or a grey one."""
    task = get_task(task)
    if task.name == "facades":
        return labels_to_drawing(facades.facade_mask(facades.sample_facade_layout(seed), size),
                                 task)
    if task.name == "streets":
        return labels_to_drawing(
            streets_shapes.street_mask(streets_layout.sample_street_layout(seed), size), task)
    return photos.degrade(task.dataset.removeprefix("photos-"), held_out_photo(seed, size),
                          np.random.default_rng(seed))


def blank_drawing(task, size, photo=None) -> np.ndarray:
    """What Clear leaves (notebook 09): the task's background ink (wall, road, white)
    everywhere, or the photo without holes (inpainting) or in grey (colourisation)."""
    task = get_task(task)
    if task.kind == "photo":
        if photo is None:
            raise ArgumentError(f"blank_drawing for {task.name!r} needs the photo.")
        return prepare_upload(photo, task, size)
    colour = task.ink_colours[task.inks.index(task.blank_ink)]
    return np.broadcast_to(colour, (*size, 3)).copy()


def prepare_upload(image, task, size) -> np.ndarray:
    """An uploaded drawing or photo as a drawing of ``size`` (notebook 09): label maps and
    edges resized by nearest neighbour and snapped (``generator_input``); photos cropped to
    the aspect and resized; colourisation's photo in grey."""
    task = get_task(task)
    image = as_rgb(image, "the uploaded image")
    if task.kind == "photo":
        fitted = fit_photo(image, size)
        return generator_input(fitted, task, size) if task.name == "colorization" else fitted
    return generator_input(image, task, size)


def read_image_file(path) -> np.ndarray:
    """An image file as uint8 RGB or RGBA; one that is not an image gets a one-line error
    (notebook 09)."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"{path.name} is not an image that can be read ({error}); upload a "
                        "PNG or JPEG file.") from None


# --------------------------------------------------------------------------- strokes


def _opaque(layer: np.ndarray, shape) -> np.ndarray:
    return resize_nearest(layer[..., 3], shape) >= STROKE_ALPHA


def stroke_mask(layers, shape) -> np.ndarray | None:
    """Where the editor's layers (RGBA) are at least half opaque (notebook 09): bool of
    ``shape``, or None when nothing was drawn."""
    masks = [_opaque(layer, shape) for layer in map(np.asarray, layers or [])
             if layer.ndim == 3 and layer.shape[-1] == 4]
    if not masks:
        return None
    mask = np.logical_or.reduce(masks)
    return mask if mask.any() else None


def stroke_inks(layers, shape, task) -> np.ndarray:
    """The ink index of every pixel of the layers, int HxW, the nearest ink colour
    (notebook 09): the last layer drawn wins, so strokes of several inks each keep theirs."""
    task = get_task(task)
    inks = np.zeros(shape, np.int64)
    for layer in map(np.asarray, layers or []):
        opaque = _opaque(layer, shape)
        rgb = resize_nearest(np.ascontiguousarray(layer[..., :3]), shape)
        inks[opaque] = nearest_ink(rgb[opaque], task.ink_colours)
    return inks


def apply_stroke(drawing, mask, inks, task, tool: str = "brush") -> np.ndarray:
    """The drawing after a stroke (notebook 09).

    ``mask`` (bool HxW) says where the stroke went, ``inks`` (int HxW) in which ink.
    ``tool``: "brush" paints the stroke; "rectangle" fills the bounding box of each connected
    stroke with its ink; "fill" floods, in each stroke's ink, the region of equal colour that
    the stroke's first pixel (top-most, then left-most) lies in.
    """
    task = get_task(task)
    if tool not in task.tools:
        raise ArgumentError(f"the {task.name} task has the tools {task.tools}; got {tool!r}.")
    result = as_rgb(drawing).copy()
    colours = task.ink_colours
    if tool == "brush":
        result[mask] = colours[inks[mask]]
        return result
    components = measure.label(mask, connectivity=2)
    for region in measure.regionprops(components):
        pixels = components == region.label
        ink = np.bincount(inks[pixels], minlength=len(colours)).argmax()
        if tool == "rectangle":
            top, left, bottom, right = region.bbox
            result[top:bottom, left:right] = colours[ink]
        else:
            seed = tuple(region.coords[0])
            flat = result.astype(np.int32) @ np.array([65536, 256, 1], np.int32)
            result[segmentation.flood(flat, seed, connectivity=1)] = colours[ink]
    return result
