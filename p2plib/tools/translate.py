"""Translating images and folders with a saved generator: ``python -m p2plib translate`` (tool).

``translate_folder`` applies a generator to every image of a folder in batches with a
progress bar, ``translate_files`` to a list of files; each output is a PNG of the same name,
written whole or not at all, never over an input.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from p2plib import checks, data, export, models, testtime
from p2plib.errors import ArgumentError, DataError, ModelFileError
from p2plib.files import remove_leftovers, written_atomically

__all__ = ["check_outputs", "size_multiple", "translate_files", "translate_folder"]


def _read(path: Path, half: str | None, channels: int) -> tf.Tensor:
    """One image as uint8 [H, W, channels] (a half of it with ``half``); errors name it."""
    if path.suffix.lower() in data.IMAGE_SUFFIXES:
        # the size the header asks for first, then every pixel: a DataError naming a
        # corrupt file rather than a decoding error later
        checks.check_pixels(data.image_size_of(path, check="header"), str(path))
        data.image_size_of(path)
        image = data.read_image(path, channels)
    else:
        try:
            with Image.open(path) as opened:
                checks.check_pixels(opened.size[::-1], str(path))
                picture = np.asarray(opened.convert("L" if channels == 1 else "RGB"))
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
            raise DataError(f"{path} cannot be read as an image ({error}).") from None
        image = tf.constant(picture.reshape(*picture.shape[:2], channels))
    if half is not None:
        if image.shape[1] % 2:
            raise DataError(
                f"{path} is {image.shape[1]} pixels wide, an odd width, so it is not two "
                "halves of one width: crop it by a pixel, or translate it without --half.")
        left, right = data.split_side_by_side(image)
        image = left if half == "left" else right
    return image


def check_outputs(files, output_dir) -> list[Path]:
    """The output file of each input, refusing any that would overwrite an input or another
    output, or that the output folder cannot be (a file stands there)."""
    files, output_dir = [Path(path) for path in files], Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise ArgumentError(f"the output folder {output_dir} is a file; choose a folder "
                            "(it is created if missing).")
    inputs = {path.resolve() for path in files}
    folders = {path.resolve().parent for path in files}
    if output_dir.resolve() in folders:
        raise ArgumentError(
            f"the output folder {output_dir} is the folder of the input images: the "
            "translations would be written among (and over) the originals; choose another "
            "output folder.")
    targets, seen = [], {}
    for path in files:
        target = output_dir / f"{path.stem}.png"
        if target.resolve() in inputs:
            raise ArgumentError(f"writing {target} would overwrite the input {target}; choose "
                                "another output folder.")
        if target in seen:
            raise ArgumentError(f"{seen[target]} and {path} would both be written to {target}; "
                                "rename one of them or translate them separately.")
        seen[target] = path
        targets.append(target)
    return targets


def _save_png(target: Path, image) -> None:
    with written_atomically(target) as temporary:
        keras.utils.save_img(temporary, image, scale=False)


def size_multiple(generator) -> int:
    """What each side of a size-free generator's input must be a multiple of: 2 to the
    number of its stride-2 convolutions (``models.with_any_input_size``)."""
    halvings = sum(1 for layer in models.flat_layers(generator)
                   if isinstance(layer, keras.layers.Conv2D)
                   and not isinstance(layer, keras.layers.Conv2DTranspose)
                   and tuple(layer.strides) == (2, 2))
    return 2 ** halvings


def _working_size(generator, image) -> tuple[int, int]:
    """The size an image is translated at: the generator's, or for a size-free generator the
    image's own rounded to the nearest multiple it needs."""
    height, width, _ = export.input_shape(generator)
    if height is not None and width is not None:
        return height, width
    multiple = size_multiple(generator)
    return tuple(max(multiple, int(round(side / multiple)) * multiple)
                 for side in image.shape[:2])


def translate_folder(generator, input_dir, output_dir, batch_size: int = 8,
                     half: str | None = None, resize: bool = False,
                     test_mode: str = "inference", progress: bool = True) -> list[Path]:
    """Translate every image of ``input_dir`` into a PNG of the same name in ``output_dir``.

    ``generator``: a Keras model or the path of a ``.keras`` file. Images (any format Pillow
    reads) go through in batches of ``batch_size``, with a Keras progress bar unless
    ``progress=False``. ``half="left"``/``"right"`` takes one half of side-by-side pairs.
    Images of another size than the generator's raise ``InputSizeError``, or are resized to
    it with ``resize=True``; a size-free generator (``models.with_any_input_size``) takes
    each image at its own size, rounded to the multiple it needs. ``test_mode`` is the
    test-time policy (``p2plib.testtime``): ``"paper"`` keeps dropout on and normalises each
    image by its own statistics, as the paper does at test time, and leaves the model
    unchanged. Outputs are written atomically and never over an input. Returns them.
    """
    files = data.image_files(input_dir, any_format=True)
    if not files:
        raise DataError(f"{input_dir} holds no images to translate (PNG, JPEG, WebP, ...).")
    return translate_files(generator, files, output_dir,
                           batch_size, half,
                           resize, test_mode, progress)


def translate_files(generator, files, output_dir, batch_size: int = 8,
                    half: str | None = None, resize: bool = False,
                    test_mode: str = "inference", progress: bool = True) -> list[Path]:
    """``translate_folder`` for a list of image files (one file is a list of one)."""
    checks.choice(half, "half", (None, "left", "right"))
    testtime.check_test_mode(test_mode)
    batch_size = checks.integer(batch_size, "batch_size", minimum=1, example=8)
    if isinstance(generator, (str, Path)):
        generator = export.load_generator(generator)
    models.check_generator(generator, f"the generator {generator.name!r}", ModelFileError,
                           channels=(1, 3), out_channels=(1, 3, 4))
    channels = export.input_shape(generator)[2]
    size_free = None in export.input_shape(generator)[:2]
    files = [Path(path) for path in files]
    output_dir = Path(output_dir)
    targets = check_outputs(files, output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(output_dir)  # of an earlier translation that was killed
    bar = keras.utils.Progbar(len(files), unit_name="image") if progress else None
    step = 1 if size_free else batch_size  # images of their own sizes do not stack
    for start in range(0, len(files), step):
        batch_files = files[start:start + step]
        images = []
        for path in batch_files:
            image = _read(path, half, channels)
            size = _working_size(generator, image)
            if (resize or size_free) and size != tuple(image.shape[:2]):
                image = data.resize(image, size)
            export.check_input_size(generator, tuple(image.shape),
                                    images_name=f"images such as {path}")
            images.append(data.normalize(image))
        outputs = data.denormalize(testtime.translate(generator, tf.stack(images), test_mode))
        for target, output in zip(targets[start:start + step], outputs.numpy(), strict=True):
            _save_png(target, output)
        if bar is not None:
            bar.add(len(batch_files))
    return targets
