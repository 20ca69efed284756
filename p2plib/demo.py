"""The drawing demo: draw a label map, edges or holes, and see the translation (notebook 09).

A Gradio app shows a drawing surface beside what the generator makes of it, updated after
every stroke. What happens between a stroke and the picture is a chain of small public
functions, which notebook 09 runs one at a time:

1. ``apply_stroke``: the stroke just drawn (the editor's layer: where it is opaque, and in
   which ink) changes the drawing, by the tool chosen: a brush, the filled rectangle of the
   stroke's bounding box, or a flood fill of the region the stroke starts in;
2. ``generator_input``: the drawing, resized to the generator's input size (nearest
   neighbour for labels and edges) and snapped to what the task can show: every pixel of a
   label map takes the nearest palette colour (``rgb_to_labels``), so the antialiased edge of
   a stroke makes no colour that is no class; edges become black or white; a photo is grey
   for colourisation;
3. ``translate_drawing``: that image normalised to [-1, 1] (``data.normalize``), translated
   once by ``testtime.translate`` in the chosen test-time mode ("paper" or "inference"),
   and turned back into 8-bit pixels (``data.denormalize``).

Tasks (``TASK_NAMES``, ``get_task``): "facades" and "streets" (label maps in the datasets'
palettes; brush, rectangle and fill), "edges" (a black pen and an eraser on white),
"inpainting" (holes in a photo, in the dataset's ``HOLE_COLOUR``) and "colorization" (a
photo turned grey).
``DrawingDemo(generator, task)`` builds the app; ``launch()`` serves it on 127.0.0.1 with
nothing fetched from elsewhere: system fonts, analytics and version checks off, no share
link, no server-side rendering. ``python -m p2plib demo`` serves it from a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import signal
import socket
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from p2plib.errors import ArgumentError, CommandError, DataError, ModelFileError

LABEL_TASKS = ("facades", "streets")
TASK_NAMES = (*LABEL_TASKS, "edges", "inpainting", "colorization")
TOOLS = ("brush", "rectangle", "fill")
MIN_CANVAS_SIDE = 256  # drawing surface: the generator's size, scaled up to at least this
STROKE_ALPHA = 128  # a layer pixel belongs to the stroke where it is at least half opaque
HISTORY_LENGTH = 30  # undo steps kept per browser session
DEFAULT_PORT = 7860
CLOSE_SECONDS = 10  # how long Ctrl+C waits for the server to shut down
OFFLINE_ENVIRONMENT = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                       "HF_HUB_DISABLE_TELEMETRY": "1"}
PICTURE_HEIGHT = 300  # pixels on the page for each picture


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


@cache
def _tasks() -> dict[str, Task]:
    from p2plib import datasets

    black_white = np.array([(0, 0, 0), (255, 255, 255)], np.uint8)
    hole = np.array([datasets.HOLE_COLOUR], np.uint8)
    return {
        "facades": Task("facades", "labels", datasets.FACADE_CLASSES, datasets.FACADE_PALETTE,
                        TOOLS, "wall", "synthetic-facades",
                        "Pick a class, then draw: a brush, the rectangle a stroke spans, or a "
                        "fill of the region a click lands in."),
        "streets": Task("streets", "labels", datasets.STREET_CLASSES, datasets.STREET_PALETTE,
                        TOOLS, "road", "synthetic-streets",
                        "Pick a class, then draw: a brush, the rectangle a stroke spans, or a "
                        "fill of the region a click lands in."),
        "edges": Task("edges", "edges", ("black", "white"), black_white, ("brush",), "white",
                      "photos-edges", "Draw black edges on white: the eraser takes strokes "
                      "back, white ink paints over anything."),
        "inpainting": Task("inpainting", "photo", ("hole",), hole, ("brush", "rectangle"),
                           None, "photos-inpainting",
                           "Upload a photo (or take a random one), then erase holes into it."),
        "colorization": Task("colorization", "photo", (), np.zeros((0, 3), np.uint8), (),
                             None, "photos-colorization",
                             "Upload a photo (or take a random one): it is turned grey and "
                             "coloured again."),
    }


def get_task(task) -> Task:
    """The ``Task`` called ``task`` (a name of ``TASK_NAMES``), or ``task`` itself."""
    if isinstance(task, Task):
        return task
    if task not in TASK_NAMES:
        raise ArgumentError(f"task must be one of {TASK_NAMES}; got {task!r}.")
    return _tasks()[task]


def hex_colour(colour) -> str:
    """``(0, 117, 255)`` -> ``"#0075ff"``: how the editor and the legend take a colour."""
    return "#" + "".join(f"{int(value):02x}" for value in colour)


# --------------------------------------------------------------------------- images


def as_rgb(image, name: str = "the drawing") -> np.ndarray:
    """``image`` as uint8 HxWx3: grey is repeated, alpha is laid over white."""
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


def resize_nearest(image: np.ndarray, size) -> np.ndarray:
    """Nearest-neighbour resize to ``size`` ((height, width)): no new colours appear."""
    from PIL import Image

    height, width = size
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.NEAREST))


def resize_smooth(image: np.ndarray, size) -> np.ndarray:
    """Bicubic resize of a photo to ``size`` ((height, width)), antialiased when shrinking."""
    from PIL import Image

    height, width = size
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BICUBIC))


def fit_photo(photo: np.ndarray, size) -> np.ndarray:
    """The largest centred crop of ``photo`` with the aspect of ``size``, resized to it."""
    height, width = size
    photo_height, photo_width = photo.shape[:2]
    crop_height = min(photo_height, round(photo_width * height / width))
    crop_width = min(photo_width, round(photo_height * width / height))
    top, left = (photo_height - crop_height) // 2, (photo_width - crop_width) // 2
    return resize_smooth(photo[top:top + crop_height, left:left + crop_width], size)


def _label_module(task: Task):
    from p2plib.datasets import facades, streets

    return {"facades": facades, "streets": streets}[task.name]


def distinct_colours(image) -> tuple[np.ndarray, np.ndarray]:
    """``(colours, index)``: the distinct colours of ``image`` [..., 3] (uint8 [U, 3]) and,
    per pixel, which one it is, so a colour rule runs once per colour, not per pixel."""
    codes = np.asarray(image, np.uint8).reshape(-1, 3).astype(np.int32) @ np.array(
        [65536, 256, 1], np.int32)
    unique, index = np.unique(codes, return_inverse=True)
    colours = np.stack([unique >> 16, (unique >> 8) & 255, unique & 255], -1)
    return colours.astype(np.uint8), index.reshape(np.shape(image)[:-1])


def nearest_ink(pixels, colours) -> np.ndarray:
    """Per pixel of ``pixels`` [..., 3], the index of the nearest of ``colours`` [K, 3]
    (``datasets.nearest_class_ids``, the palettes' one rule)."""
    from p2plib.datasets import nearest_class_ids

    unique, index = distinct_colours(pixels)
    return nearest_class_ids(unique[None], colours)[0][index]


def label_map(drawing, task, size=None) -> np.ndarray:
    """Class ids (uint8 HxW) of a label drawing: nearest-neighbour resized to ``size``, each
    pixel the class of the nearest palette colour (``rgb_to_labels``)."""
    task = get_task(task)
    if task.kind != "labels":
        raise ArgumentError(f"label_map needs a label task {LABEL_TASKS}; got {task.name!r}.")
    drawing = as_rgb(drawing)
    if size is not None:
        drawing = resize_nearest(drawing, size)
    colours, index = distinct_colours(drawing)  # a drawing has few: snap each once
    return _label_module(task).rgb_to_labels(colours[None])[0][index]


def labels_to_drawing(labels: np.ndarray, task) -> np.ndarray:
    """The colour image (uint8 HxWx3) of a class-id map in the task's palette."""
    return _label_module(get_task(task)).labels_to_rgb(labels)


def _hole_mask(image: np.ndarray) -> np.ndarray:
    from p2plib.datasets import HOLE_COLOUR

    return np.all(image == np.array(HOLE_COLOUR, np.uint8), axis=-1)


def generator_input(drawing, task, size) -> np.ndarray:
    """The drawing as the generator's input image: uint8, ``size`` ((height, width)) x 3.

    Labels: nearest-neighbour resize, then every pixel the nearest palette colour. Edges:
    nearest-neighbour resize, then black or white. Inpainting: the photo resized smoothly
    and the holes (exactly ``HOLE_COLOUR``) resized by nearest neighbour, so a hole keeps
    its colour. Colourisation: the photo resized and turned grey (3 equal channels).
    """
    from p2plib.datasets import HOLE_COLOUR, photos

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
    return np.where(holes[..., None], np.array(HOLE_COLOUR, np.uint8), photo)


# --------------------------------------------------------------------------- translating


def normalise(image) -> np.ndarray:
    """A uint8 image -> a batch of one in [-1, 1], float32 [1, H, W, C] (``data.normalize``)."""
    from p2plib import data

    return data.normalize(np.asarray(image)[None]).numpy()


def picture(output) -> np.ndarray:
    """A generator's output batch in [-1, 1] -> its first image as uint8 HxWxC
    (``data.denormalize``: clipped and rounded)."""
    from p2plib import data

    return data.denormalize(output).numpy()[0]


class Translator:
    """A generator and ``testtime.translate`` traced once per test-time mode.

    Calling it is ``testtime.translate(generator, batch, test_mode)`` inside a
    ``tf.function``: the same arithmetic without Python's per-layer overhead, which is a
    good part of a 256x256 forward pass on a CPU (benchmarks/demo_latency.py measures it).
    It holds the generator weakly, so a translator never keeps a model alive.
    """

    def __init__(self, generator):
        self._generator = weakref.ref(generator)
        self._functions = {}
        self._lock = threading.Lock()

    @property
    def generator(self):
        return self._generator()

    def function(self, test_mode: str):
        from p2plib import testtime

        testtime.check_test_mode(test_mode)
        with self._lock:
            if test_mode not in self._functions:
                import tensorflow as tf

                reference = self._generator

                def run(batch):
                    return testtime.translate(reference(), batch, test_mode)

                self._functions[test_mode] = tf.function(run)
            return self._functions[test_mode]

    def __call__(self, batch, test_mode: str = "inference"):
        return self.function(test_mode)(batch)


_TRANSLATORS: dict[int, Translator] = {}


def translator_for(generator) -> Translator:
    """The ``Translator`` of ``generator``: one per model, dropped with the model."""
    key = id(generator)
    found = _TRANSLATORS.get(key)
    if found is None or found.generator is not generator:
        found = _TRANSLATORS[key] = Translator(generator)
        weakref.finalize(generator, _TRANSLATORS.pop, key, None)
    return found


def input_size(generator) -> tuple[int, int]:
    """The ``(height, width)`` a generator takes."""
    height, width = generator.inputs[0].shape[1:3]
    return int(height), int(width)


def translate_drawing(generator, drawing, task, test_mode: str = "inference") -> np.ndarray:
    """A drawing -> the generator's picture, uint8 HxWx3: ``generator_input``, ``normalise``,
    ``testtime.translate`` once (in ``test_mode``), ``picture``."""
    prepared = generator_input(drawing, task, input_size(generator))
    return picture(translator_for(generator)(normalise(prepared), test_mode))


# --------------------------------------------------------------------------- drawings


def canvas_size(size) -> tuple[int, int]:
    """The drawing surface for a generator of ``size``: an integer multiple of it, the
    shorter side at least ``MIN_CANVAS_SIDE`` pixels, so resizing back is exact."""
    height, width = size
    scale = max(1, math.ceil(MIN_CANVAS_SIDE / min(height, width)))
    return height * scale, width * scale


def held_out_photo(index: int, size) -> np.ndarray:
    """A crop of one of the photos that the photo tasks hold out for testing (uint8)."""
    from p2plib.datasets import photos

    return photos.crop_for("test", index % 100, size)[1]


def random_drawing(task, seed: int, size) -> np.ndarray:
    """A drawing to start from (uint8, ``size`` x 3): a generated label map (facades:
    ``sample_facade_layout``; streets: ``sample_street_layout``), the edge map of a held-out
    photo, a held-out photo with holes, or a grey one."""
    from p2plib.datasets import facades, photos, streets

    task = get_task(task)
    if task.name == "facades":
        return facades.labels_to_rgb(facades.facade_mask(facades.sample_facade_layout(seed),
                                                         size))
    if task.name == "streets":
        return streets.labels_to_rgb(streets.street_mask(streets.sample_street_layout(seed),
                                                         size))
    photo = held_out_photo(seed, size)
    if task.name == "edges":
        return np.repeat(photos.edge_map(photo)[..., None], 3, axis=-1)
    return photos.degrade(task.dataset.removeprefix("photos-"), photo,
                          np.random.default_rng(seed))


def blank_drawing(task, size, photo=None) -> np.ndarray:
    """What Clear leaves: the task's background ink (wall, road, white) everywhere, or the
    photo without holes (inpainting) or in grey (colourisation)."""
    task = get_task(task)
    if task.kind == "photo":
        if photo is None:
            raise ArgumentError(f"blank_drawing for {task.name!r} needs the photo.")
        return prepare_upload(photo, task, size)
    colour = task.ink_colours[task.inks.index(task.blank_ink)]
    return np.broadcast_to(colour, (*size, 3)).copy()


def prepare_upload(image, task, size) -> np.ndarray:
    """An uploaded drawing or photo as a drawing of ``size``: label maps and edges resized
    by nearest neighbour and snapped (``generator_input``); photos cropped to the aspect and
    resized; colourisation's photo in grey."""
    task = get_task(task)
    image = as_rgb(image, "the uploaded image")
    if task.kind == "photo":
        fitted = fit_photo(image, size)
        return generator_input(fitted, task, size) if task.name == "colorization" else fitted
    return generator_input(image, task, size)


def read_image_file(path) -> np.ndarray:
    """An image file as uint8 RGB; a file that is not an image gets a one-line error."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"{path.name} is not an image that can be read ({error}); upload a "
                        "PNG or JPEG file.") from None


# --------------------------------------------------------------------------- strokes


def stroke_mask(layers, shape) -> np.ndarray | None:
    """Where the editor's layers (RGBA) are at least half opaque: bool of ``shape``, or None
    when nothing was drawn."""
    masks = []
    for layer in layers or []:
        layer = np.asarray(layer)
        if layer.ndim == 3 and layer.shape[-1] == 4:
            masks.append(resize_nearest(layer[..., 3], shape) >= STROKE_ALPHA)
    if not masks:
        return None
    mask = np.logical_or.reduce(masks)
    return mask if mask.any() else None


def stroke_inks(layers, shape, task) -> np.ndarray:
    """The ink index of every pixel of the layers (int HxW, the nearest ink colour): the last
    layer drawn wins, so strokes of several inks in one update each keep theirs."""
    task = get_task(task)
    inks = np.zeros(shape, np.int64)
    for layer in layers or []:
        layer = np.asarray(layer)
        opaque = resize_nearest(layer[..., 3], shape) >= STROKE_ALPHA
        rgb = resize_nearest(np.ascontiguousarray(layer[..., :3]), shape)
        inks[opaque] = nearest_ink(rgb[opaque], task.ink_colours)
    return inks


def apply_stroke(drawing, mask, inks, task, tool: str = "brush") -> np.ndarray:
    """The drawing after a stroke: ``mask`` (bool HxW) says where it went, ``inks`` (int HxW)
    in which ink. ``tool``: "brush" paints the stroke; "rectangle" fills the bounding box of
    each connected stroke with its ink; "fill" floods, in each stroke's ink, the region of
    equal colour that the stroke's first pixel (top-most, then left-most) lies in."""
    from skimage import measure, segmentation

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


# --------------------------------------------------------------------------- the generator


def check_generator(generator, task, name: str = "the generator") -> None:
    """Refuse a model that cannot translate drawings of ``task``: one image input and one
    image output with 3 channels each, and a fixed input size."""
    task = get_task(task)
    inputs, outputs = list(generator.inputs), list(generator.outputs)
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        raise ModelFileError(
            f"{name} takes inputs {[tuple(i.shape) for i in inputs]}; a generator takes one "
            "batch of images [N, H, W, 3] (is this the discriminator?). Give a Pix2Pix "
            "generator, e.g. a run's generator.keras.")
    if len(outputs) != 1 or len(outputs[0].shape) != 4:
        raise ModelFileError(
            f"{name} outputs {[tuple(o.shape) for o in outputs]}, not one batch of images "
            "[N, H, W, 3]; give a Pix2Pix generator, e.g. a run's generator.keras.")
    _, height, width, channels = inputs[0].shape
    out_channels = outputs[0].shape[-1]
    if channels != 3 or out_channels != 3:
        raise ModelFileError(
            f"{name} maps {channels}-channel images to {out_channels}-channel ones; the "
            f"{task.name} demo draws RGB images and shows RGB pictures, so it needs a generator "
            "with 3 input and 3 output channels (models.unet_generator(channels=3, "
            "out_channels=3), the default).")
    if height is None or width is None:
        raise ModelFileError(
            f"{name} takes images of any size; the demo needs a fixed input size to draw at. "
            "Build the generator for one size, e.g. models.unet_generator(256).")


def load_pretrained(name: str):
    """A shipped generator by name, through ``p2plib.pretrained.load`` (imported only now)."""
    try:
        from p2plib import pretrained
    except ModuleNotFoundError as error:
        if error.name != "p2plib.pretrained":
            raise
        raise ModelFileError(f"no pretrained generator {name!r}: this installation ships none "
                             "(p2plib.pretrained is missing); give a .keras file.") from None
    if name not in pretrained.names():
        raise ModelFileError(f"no pretrained generator called {name!r}; choose one of "
                             f"{list(pretrained.names())}, or give a .keras file.")
    return pretrained.load(name)


def resolve_generator(generator):
    """A ``keras.Model`` from a model, a ``.keras`` path or a pretrained name."""
    import keras

    if isinstance(generator, keras.Model):
        return generator
    if isinstance(generator, (str, os.PathLike)):
        path = Path(generator)
        if path.suffix == ".keras" or path.exists() or len(path.parts) > 1:
            from p2plib import export

            return export.load_generator(path)
        return load_pretrained(str(generator))
    raise ArgumentError("generator must be a keras.Model, a .keras path or a pretrained name "
                        f"such as 'facades'; got {type(generator).__name__}.")


def default_task(generator) -> str:
    """The task of a pretrained name (it is the name), else "facades"."""
    return generator if isinstance(generator, str) and generator in LABEL_TASKS else "facades"


# --------------------------------------------------------------------------- the app


def gradio():
    """The ``gradio`` module, imported offline and quietly.

    Offline: ``OFFLINE_ENVIRONMENT`` is set first (unless already set), because
    ``huggingface_hub``, which gradio and gradio_client import, reads it once on import:
    without it gradio_client fetches a registry from huggingface.co and sends usage
    telemetry. Quietly: the progress bars import ``tqdm.auto``, which warns in a notebook
    without ipywidgets (it falls back to text bars, which is fine).
    """
    import warnings

    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import gradio as gr
    return gr


def request_translation(url: str, image_path, test_mode: str = "inference"):
    """Ask the app at ``url`` for a translation through its ``/translate`` endpoint with
    ``gradio_client``: ``(what the generator saw, the picture)``, uint8 arrays."""
    from PIL import Image

    gradio()  # the offline environment, before gradio_client loads huggingface_hub
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    seen, result = client.predict(handle_file(str(image_path)), test_mode,
                                  api_name="/translate")
    return tuple(np.asarray(Image.open(path).convert("RGB")) for path in (seen, result))


def offline_theme():
    """Gradio's default look with the system's fonts, so no font is fetched from anywhere."""
    gr = gradio()

    return gr.themes.Default(font=["system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def check_port(host: str, port: int) -> None:
    """Refuse, before anything loads, a host or port the server could not listen on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise CommandError(f"--host {host}: not an address of this machine; use "
                               "127.0.0.1 (this machine only) or 0.0.0.0 (every "
                               "network).") from None
        except OSError as error:
            raise CommandError(f"--host {host} --port {port}: cannot listen there "
                               f"({error.strerror}); choose another --port, or --port 0 for "
                               "any free one.") from None


class DrawingDemo:
    """The drawing app for one generator and task (notebook 09).

    ``generator``: a ``keras.Model``, a ``.keras`` path or a pretrained name ("facades",
    "streets"; loaded with ``p2plib.pretrained.load`` on first use). ``task``: one of
    ``TASK_NAMES`` (default: the pretrained name, else "facades"). ``test_mode`` is the
    mode selected at start. ``blocks`` is the ``gradio.Blocks``; ``launch`` serves it and
    ``close`` stops it (also as a context manager).
    """

    def __init__(self, generator, task=None, test_mode: str = "inference"):
        from p2plib import testtime

        self.task = get_task(task if task is not None else default_task(generator))
        self.test_mode = testtime.check_test_mode(test_mode)
        name = f"{generator}" if isinstance(generator, (str, os.PathLike)) else "the generator"
        self.generator = resolve_generator(generator)
        check_generator(self.generator, self.task, name)
        self.size = input_size(self.generator)
        self.canvas = canvas_size(self.size)
        self.translator = translator_for(self.generator)
        self.url = None
        self.blocks = self._build()

    # ---- what the handlers compute (plain functions of numpy images)

    def translate(self, drawing, test_mode: str):
        """``(generator input, picture)`` of a drawing, both uint8 at the generator's size."""
        prepared = generator_input(drawing, self.task, self.size)
        return prepared, picture(self.translator(normalise(prepared), test_mode))

    def start_state(self, seed: int = 0) -> dict:
        """A session's state: the ``drawing``; the ``background`` the editor holds, under the
        strokes of its layer (brush strokes stay there, so the editor's eraser and undo work
        on them); the ``photo`` of a photo task; the ``history`` that Undo goes back through;
        the ``seed`` of the last random drawing."""
        drawing = random_drawing(self.task, seed, self.canvas)
        photo = held_out_photo(seed, self.canvas) if self.task.kind == "photo" else None
        return {"drawing": drawing, "background": drawing, "photo": photo, "history": [],
                "seed": seed}

    def _editor_value(self, drawing):
        return {"background": drawing, "layers": [], "composite": drawing}

    def _shown(self, state, test_mode, editor=None):
        """The outputs of a handler: the picture, the generator's input, the editor (a new
        background, or left alone) and the state."""
        gr = gradio()

        prepared, result = self.translate(state["drawing"], test_mode)
        return result, prepared, (gr.skip() if editor is None else editor), state

    def _new_drawing(self, state, drawing, test_mode, **changes):
        """Show ``drawing`` as the editor's new background (its layer emptied), keeping the
        previous drawing for Undo."""
        history = [*state["history"], state["drawing"]][-HISTORY_LENGTH:]
        state = {**state, **changes, "drawing": drawing, "background": drawing,
                 "history": history}
        return self._shown(state, test_mode, self._editor_value(drawing))

    def on_stroke(self, value, state, tool, test_mode):
        """After a stroke: brush strokes are laid over the background (they stay in the
        editor's layer); a rectangle or fill becomes part of a new background."""
        gr = gradio()

        layers = (value or {}).get("layers") or []
        shape = state["background"].shape[:2]
        mask = stroke_mask(layers, shape)
        if not self.task.tools:
            return gr.skip(), gr.skip(), gr.skip(), state
        if mask is None:  # everything erased, or undone in the editor
            mask, inks = np.zeros(shape, bool), np.zeros(shape, np.int64)
        else:
            inks = stroke_inks(layers, shape, self.task)
        drawing = apply_stroke(state["background"], mask, inks, self.task, tool)
        if np.array_equal(drawing, state["drawing"]):
            return gr.skip(), gr.skip(), gr.skip(), state
        if tool != "brush":
            return self._new_drawing(state, drawing, test_mode)
        history = [*state["history"], state["drawing"]][-HISTORY_LENGTH:]
        return self._shown({**state, "drawing": drawing, "history": history}, test_mode)

    def on_random(self, state, test_mode):
        seed = state["seed"] + 1
        photo = held_out_photo(seed, self.canvas) if self.task.kind == "photo" else None
        return self._new_drawing(state, random_drawing(self.task, seed, self.canvas),
                                 test_mode, seed=seed, photo=photo)

    def on_clear(self, state, test_mode):
        return self._new_drawing(state, blank_drawing(self.task, self.canvas, state["photo"]),
                                 test_mode)

    def on_undo(self, state, test_mode):
        if not state["history"]:
            return self._shown(state, test_mode)
        *history, previous = state["history"]
        state = {**state, "drawing": previous, "background": previous, "history": history}
        return self._shown(state, test_mode, self._editor_value(previous))

    def on_upload(self, path, state, test_mode):
        image = read_image_file(path)
        photo = fit_photo(as_rgb(image), self.canvas) if self.task.kind == "photo" else None
        drawing = prepare_upload(image, self.task, self.canvas)
        return self._new_drawing(state, drawing, test_mode,
                                 photo=photo if photo is not None else state["photo"])

    def on_mode(self, state, test_mode):
        return self._shown(state, test_mode)

    def on_ink_or_tool(self, ink, state):
        """A new ink or tool: the strokes so far join the background (so a rectangle is read
        from its own stroke alone), and the brush takes the ink's colour."""
        gr = gradio()

        editor = gr.update(value=self._editor_value(state["drawing"]), brush=self._brush(ink))
        return editor, {**state, "background": state["drawing"]}

    def api_translate(self, drawing, test_mode):
        """The ``/translate`` endpoint: a drawing (any size) -> (generator input, picture)."""
        if drawing is None:
            raise DataError("send a drawing: an image file of the task's kind.")
        return self.translate(prepare_upload(drawing, self.task, self.canvas), test_mode)

    # ---- layout

    def _brush(self, ink=None):
        gr = gradio()

        if not self.task.inks:
            return False
        colours = [hex_colour(colour) for colour in self.task.ink_colours]
        chosen = colours[self.task.inks.index(ink)] if ink in self.task.inks else colours[0]
        return gr.Brush(colors=colours, default_color=chosen, color_mode="fixed",
                        default_size=max(2, self.canvas[0] // 48))

    def _build(self):
        from p2plib import testtime

        gr = gradio()

        task, state0 = self.task, self.start_state()
        first = state0["drawing"]
        # a label map starts with its third class (window, building), else the first ink
        start_ink = (task.inks[2] if task.kind == "labels" else task.inks[0]) if task.inks \
            else None
        with gr.Blocks(analytics_enabled=False, title=f"p2plib · {task.name}") as blocks:
            follows = " The picture follows every stroke." if task.tools else ""
            gr.Markdown(f"### Pix2Pix · {task.name}\n{task.hint}{follows}")
            state = gr.State(state0)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    editor = gr.ImageEditor(
                        value=self._editor_value(first),
                        type="numpy", image_mode="RGBA", format="png", label="Drawing",
                        canvas_size=(self.canvas[1], self.canvas[0]), fixed_canvas=True,
                        sources=(), transforms=(), layers=False,
                        eraser=gr.Eraser(default_size=max(4, self.canvas[0] // 24)),
                        brush=self._brush(start_ink), buttons=["download"],
                        interactive=bool(task.tools), elem_id="drawing")
                with gr.Column(scale=2):
                    prepared0, picture0 = self.translate(first, self.test_mode)
                    result = gr.Image(picture0, type="numpy", format="png", label="Translation",
                                      interactive=False, buttons=["download", "fullscreen"],
                                      height=PICTURE_HEIGHT, elem_id="picture")
                    prepared = gr.Image(prepared0, type="numpy", format="png",
                                        label="What the generator sees "
                                        f"({self.size[0]}x{self.size[1]})",
                                        interactive=False, buttons=["download"],
                                        height=PICTURE_HEIGHT, elem_id="generator-input")
            with gr.Row():
                ink = gr.Radio(list(task.inks), value=start_ink, label="Ink (class)",
                               visible=bool(task.inks), elem_id="ink")
                tool = gr.Radio(list(task.tools), value=task.tools[0] if task.tools else None,
                                label="Tool", visible=bool(task.tools), elem_id="tool")
                mode = gr.Radio(list(testtime.TEST_MODES), value=self.test_mode,
                                label="Test-time mode (notebook 05)", elem_id="test-mode")
            if task.kind == "labels":
                gr.HighlightedText([(name, name) for name in task.inks], label="Palette",
                                   color_map={name: hex_colour(colour) for name, colour
                                              in zip(task.inks, task.ink_colours, strict=True)},
                                   show_legend=False, show_inline_category=False,
                                   elem_id="palette")
            with gr.Row():
                random_button = gr.Button("Random", elem_id="random")
                undo_button = gr.Button("Undo", elem_id="undo")
                clear_button = gr.Button("Clear", elem_id="clear")
                upload_button = gr.UploadButton(
                    "Upload a photo" if task.kind == "photo" else "Upload a drawing",
                    file_types=["image"], elem_id="upload")
            # the picture first: the editor's new background takes the browser longer
            shown = [result, prepared, editor, state]
            quiet = {"show_progress": "hidden"}
            # .input, not .change: Gradio 6.31's editor drops its first change event, which
            # would swallow the first stroke; input fires for every stroke (and once after
            # each new background, which on_stroke ignores).
            editor.input(self.on_stroke, [editor, state, tool, mode], shown,
                         trigger_mode="multiple", api_visibility="private", **quiet)
            random_button.click(self.on_random, [state, mode], shown,
                                api_visibility="private", **quiet)
            undo_button.click(self.on_undo, [state, mode], shown, api_visibility="private",
                              **quiet)
            clear_button.click(self.on_clear, [state, mode], shown, api_visibility="private",
                               **quiet)
            upload_button.upload(self.on_upload, [upload_button, state, mode], shown,
                                 api_visibility="private", **quiet)
            mode.change(self.on_mode, [state, mode], shown, api_visibility="private", **quiet)
            gr.on([ink.change, tool.change], self.on_ink_or_tool, [ink, state], [editor, state],
                  api_visibility="private", **quiet)
            api_drawing = gr.Image(type="numpy", image_mode="RGB", visible=False)
            api_prepared = gr.Image(type="numpy", format="png", visible=False)
            api_picture = gr.Image(type="numpy", format="png", visible=False)
            gr.Button(visible=False).click(self.api_translate, [api_drawing, mode],
                                           [api_prepared, api_picture], api_name="translate")
        return blocks

    # ---- serving

    def launch(self, host: str = "127.0.0.1", port: int | None = None, inline: bool | None = None,
               height: int = 900) -> str:
        """Serve the app on ``host``:``port`` (default: a free port) without blocking; returns
        its address. Nothing is fetched from outside: no share link, analytics, version check,
        server-side rendering or web fonts. ``inline``: show it in the notebook (default: when
        running in one)."""
        port = free_port(host) if port is None or port == 0 else port
        self.blocks.launch(
            server_name=host, server_port=port, share=False, inline=inline, height=height,
            prevent_thread_lock=True, quiet=True, ssr_mode=False, show_error=True,
            theme=offline_theme(), footer_links=["api"], run_history=False,
            enable_monitoring=False, mcp_server=False, pwa=False, inbrowser=False)
        self.url = f"http://{host}:{port}/"
        return self.url

    def close(self) -> None:
        """Stop the server (nothing happens when it is not running)."""
        if self.url is not None:
            with contextlib.redirect_stdout(io.StringIO()):  # "Closing server running on..."
                self.blocks.close()
            self.url = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


# --------------------------------------------------------------------------- command line


def _port(text: str) -> int:
    from p2plib import checks

    try:
        return checks.integer(int(text), "--port", minimum=0, maximum=65535, example=7860)
    except (ValueError, ArgumentError):
        raise argparse.ArgumentTypeError(
            f"expected a port from 0 to 65535 (0: any free port), got {text!r}") from None


def add_parser(commands) -> argparse.ArgumentParser:
    """Add ``demo`` to the ``python -m p2plib`` sub-commands."""
    from p2plib.testtime import TEST_MODES

    parser = commands.add_parser(
        "demo",
        help="draw and see the translation, live, in the browser",
        description="Serve the drawing demo: a drawing surface beside the generator's "
        "translation, updated after every stroke. Without --model it uses the shipped "
        "generator of --pretrained (default: facades). Nothing is fetched from the internet.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path,
                        help="a generator saved as .keras (e.g. a run's generator.keras)")
    source.add_argument("--pretrained", metavar="NAME",
                        help="a shipped generator: facades or streets (default facades)")
    parser.add_argument("--task", choices=TASK_NAMES,
                        help="what one draws: label maps (facades, streets), edges, holes in a "
                        "photo (inpainting) or a grey photo (colorization); default: the "
                        "--pretrained name, else facades")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 serves every network)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--test-mode", choices=TEST_MODES, default="inference",
                        help="test-time mode selected at start: 'inference' (default: dropout "
                        "off, moving averages) or 'paper' (dropout on and each image's own "
                        "statistics, as the paper tests); switchable in the app")
    parser.set_defaults(handler=demo_command)
    return parser


def _task_for(args) -> str:
    if args.pretrained and args.task and args.task != args.pretrained:
        raise CommandError(f"--pretrained {args.pretrained} is a {args.pretrained} generator; "
                           f"drop --task {args.task}, or give a --model trained for it.")
    return args.task or default_task(args.pretrained or "facades")


def demo_command(args) -> int:
    task = _task_for(args)
    port = free_port(args.host) if args.port == 0 else args.port
    check_port(args.host, port)  # before the model loads
    source = args.model if args.model is not None else (args.pretrained or "facades")
    app = DrawingDemo(source, task=task, test_mode=args.test_mode)
    url = app.launch(host=args.host, port=port, inline=False)
    with contextlib.suppress(KeyboardInterrupt):
        print(f"The {task} demo is running at {url} (Ctrl+C stops it)", flush=True)
        while True:
            time.sleep(0.5)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C waits for the close
    # The server's shutdown is bounded: once, on a loaded machine, the command did not end
    # within a minute of Ctrl+C. Gradio's close waits for its worker threads, which the
    # interpreter would wait for again at exit; past the bound the process ends without them.
    closer = threading.Thread(target=app.close, daemon=True)
    closer.start()
    closer.join(CLOSE_SECONDS)
    if closer.is_alive():
        print(f"Stopped (without waiting more than {CLOSE_SECONDS} s for the server's threads).",
              flush=True)
        sys.stderr.flush()
        os._exit(0)
    print("Stopped.", flush=True)
    return 0
