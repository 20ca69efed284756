"""Reading paired images and preprocessing them the paper's way (introduced in notebook 01).

A paired dataset is a folder of side-by-side A|B images (A is the left half, the layout of
the standard pix2pix datasets) or a folder holding ``A/`` and ``B/`` with files of the same
names. :func:`load_paired` validates every file up front, so a bad file is reported by
name before training starts, then builds a ``tf.data`` pipeline from the small public steps
below: :func:`read_image`, :func:`split_side_by_side`, :func:`resize`,
:func:`random_crop_pair`, :func:`random_mirror_pair` and :func:`normalize`.

Augmentation follows the paper: resize to ``load_size`` (286 for 256), crop a random
``image_size`` window and mirror at random, with the same crop and mirror for input and
target. Random draws use stateless ops seeded per element, so a seed fixes every crop and
mirror even though elements are decoded in parallel.
"""

from __future__ import annotations

import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from p2plib import checks, paper
from p2plib.errors import ArgumentError, DataError

__all__ = [
    "CHECKS", "DIRECTIONS", "IMAGE_SUFFIXES", "LAYOUTS", "PairedFiles",
    "UNSUPPORTED_IMAGE_SUFFIXES", "default_load_size", "denormalize", "find_pairs", "image_files",
    "image_size_of", "load_paired", "normalize", "preprocess_pair", "random_crop_pair",
    "random_mirror_pair", "read_image", "readable_suffixes", "resize", "split_side_by_side",
    "validate_pairs",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
"""The file types the pipeline reads (notebook 01)."""
# Image files that PIL could open but the pipeline does not read: reported, never skipped.
UNSUPPORTED_IMAGE_SUFFIXES = (".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".heic")
"""Image types the pipeline refuses with a message to convert them (notebook 01)."""
DIRECTIONS = ("AtoB", "BtoA")
"""Which half of a pair is the input: A (left) to B, or B to A (notebook 01)."""
CHECKS = ("full", "header")
"""How thoroughly ``validate_pairs`` reads each file: every pixel, or the header only (tool)."""
LAYOUTS = ("side_by_side", "A_B")
"""How a folder holds its pairs: side by side, or in A/ and B/ (notebook 01)."""
_MAX_LISTED = 5




# --------------------------------------------------------------------------------------------
# Sizes



def default_load_size(image_size):
    """The paper's resize-before-crop size: 286 for 256, scaled alike
    (``round(s * 286/256)``) (notebook 01).

    Returns an int for an int ``image_size`` and ``(height, width)`` for a pair.
    """
    height, width = checks.image_size(image_size)
    load = (round(height * paper.LOAD_RATIO), round(width * paper.LOAD_RATIO))
    return load[0] if isinstance(image_size, (int, np.integer)) else load


def _format_size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]} (height x width)"


# --------------------------------------------------------------------------------------------
# The preprocessing steps, one small function each


def read_image(path, channels: int = 3) -> tf.Tensor:
    """Read and decode a PNG or JPEG file into a ``uint8`` tensor ``[height, width,
    channels]`` (notebook 01).

    With ``channels=3`` a grey image is repeated into three channels and an alpha channel is
    dropped; with ``channels=1`` colour becomes grey. Works eagerly and inside ``tf.data``.
    """
    data = tf.io.read_file(path if isinstance(path, tf.Tensor) else str(path))
    # Decoded as colour first: the JPEG decoder cannot turn a CMYK file into grey directly.
    image = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
    if channels == 1:
        image = tf.cast(tf.round(tf.image.rgb_to_grayscale(tf.cast(image, tf.float32))),
                        tf.uint8)
    image.set_shape([None, None, channels])
    return image


def split_side_by_side(image):
    """Split a side-by-side A|B image into ``(A, B)``: the left and the right half (notebook 01)."""
    width = tf.shape(image)[1]
    tf.debugging.assert_equal(
        width % 2, 0, message="side-by-side image has an odd width; it cannot be split in half"
    )
    half = width // 2
    return image[:, :half], image[:, half:]


def resize(image, size) -> tf.Tensor:
    """Bilinear resize (antialiased when shrinking) to ``size``; returns ``float32``, same
    scale (notebook 01)."""
    height, width = checks.image_size(size, "size")
    resized = tf.image.resize(
        tf.cast(image, tf.float32), (height, width), method="bilinear", antialias=True
    )
    return resized


def random_crop_pair(input_image, target_image, size, seed):
    """Crop the SAME random ``size`` window out of input and target (stateless, from
    ``seed``) (notebook 01).

    Both images must have the same height and width (resize them first). ``seed`` is a
    shape-[2] integer tensor or pair; equal seeds give equal crops.
    """
    height, width = checks.image_size(size, "size")
    tf.debugging.assert_equal(
        tf.shape(input_image)[:2],
        tf.shape(target_image)[:2],
        message="random_crop_pair needs input and target of the same height and width",
    )
    channels = tf.shape(input_image)[2]
    stacked = tf.stack([input_image, target_image])
    cropped = tf.image.stateless_random_crop(stacked, [2, height, width, channels], seed=seed)
    return cropped[0], cropped[1]


def random_mirror_pair(input_image, target_image, seed):
    """Mirror input and target left-right together, with probability 1/2
    (stateless) (notebook 01)."""
    flip = tf.random.stateless_uniform([], seed=seed) < 0.5
    return (
        tf.where(flip, tf.reverse(input_image, axis=[1]), input_image),
        tf.where(flip, tf.reverse(target_image, axis=[1]), target_image),
    )


def normalize(image) -> tf.Tensor:
    """Pixel values in [0, 255] (``uint8`` or float) -> ``float32`` in [-1, 1] (notebook 01)."""
    return tf.cast(image, tf.float32) / 127.5 - 1.0


def denormalize(image) -> tf.Tensor:
    """Values in [-1, 1] -> ``uint8`` in [0, 255] (clipped and rounded): inverse of
    normalize (notebook 01)."""
    scaled = (tf.cast(image, tf.float32) + 1.0) * 127.5
    return tf.cast(tf.round(tf.clip_by_value(scaled, 0.0, 255.0)), tf.uint8)


def preprocess_pair(input_image, target_image, image_size=256, load_size=None, augment=False,
                    seed=(0, 0)):
    """The whole preprocessing of one pair, returning two ``float32`` images in
    [-1, 1] (notebook 01).

    With ``augment``: resize both to ``load_size`` (default :func:`default_load_size`), crop
    the same random ``image_size`` window from both and mirror both together, the random
    draws taken from ``seed`` (shape [2]). Without: a plain resize to ``image_size``.
    """
    size = checks.image_size(image_size)
    if augment:
        load = checks.image_size(default_load_size(size) if load_size is None else load_size,
                                 "load_size")
        input_image, target_image = resize(input_image, load), resize(target_image, load)
        crop_seed, mirror_seed = tf.unstack(
            tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=2)
        )
        input_image, target_image = random_crop_pair(input_image, target_image, size, crop_seed)
        input_image, target_image = random_mirror_pair(input_image, target_image, mirror_seed)
    else:
        input_image, target_image = resize(input_image, size), resize(target_image, size)
    return normalize(input_image), normalize(target_image)


# --------------------------------------------------------------------------------------------
# Finding the pairs in a folder


@dataclass(frozen=True)
class PairedFiles:
    """The files of a paired folder: ``layout`` is "side_by_side" (``b`` is None) or
    "A_B" (notebook 01)."""

    folder: Path
    layout: str
    a: list[Path]
    b: list[Path] | None

    def __len__(self) -> int:
        return len(self.a)


def readable_suffixes() -> set[str]:
    """File suffixes of every image format Pillow reads (PNG, JPEG, WebP, BMP, TIFF, ...) (tool)."""
    return {suffix for suffix, kind in Image.registered_extensions().items()
            if kind in Image.OPEN}


def image_files(folder, any_format: bool = False) -> list[Path]:
    """The image files of a folder, sorted by name (notebook 01).

    The pipeline reads PNG and JPEG: other image formats in the folder raise a ``DataError``
    naming them. ``any_format=True`` lists every format Pillow reads instead (for
    translating a folder of one's own images).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder; give a folder of images.")
    entries = sorted(folder.iterdir())
    if any_format:
        suffixes = readable_suffixes()
        return [e for e in entries if e.is_file() and e.suffix.lower() in suffixes]
    unsupported = [e for e in entries if e.suffix.lower() in UNSUPPORTED_IMAGE_SUFFIXES]
    if unsupported:
        raise DataError(
            f"{folder}: {len(unsupported)} image(s) in a format the pipeline does not read "
            f"({_listing(p.name for p in unsupported)}); convert them to PNG or JPEG "
            "(e.g. PIL.Image.open(f).save(f.with_suffix('.png'))) or move them out of the folder."
        )
    return [e for e in entries if e.is_file() and e.suffix.lower() in IMAGE_SUFFIXES]


def _listing(names, limit: int = _MAX_LISTED) -> str:
    names = list(names)
    shown = ", ".join(str(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _no_images_error(folder: Path) -> DataError:
    entries = sorted(folder.iterdir())
    if not entries:
        return DataError(
            f"{folder} is empty; put paired images in it: side-by-side A|B PNG/JPEG files, "
            "or A/ and B/ subfolders holding files of the same names."
        )
    found = _listing(e.name + ("/" if e.is_dir() else "") for e in entries)
    hint = ""
    split_dirs = [e.name for e in entries if e.is_dir() and e.name in ("train", "val", "test")]
    if split_dirs:
        hint = f" It looks like a dataset root: pass one split, e.g. {folder / split_dirs[0]}."
    return DataError(
        f"{folder} holds no PNG or JPEG images (found: {found}). Expected side-by-side A|B "
        f"images ({', '.join(IMAGE_SUFFIXES)}) or A/ and B/ subfolders.{hint}"
    )


def _matched_a_b(folder: Path) -> PairedFiles:
    sides = {}
    for side in ("A", "B"):
        files = image_files(folder / side)
        if not files:
            raise _no_images_error(folder / side)
        by_stem: dict[str, Path] = {}
        for file in files:
            if file.stem in by_stem:
                raise DataError(
                    f"{folder / side}: {by_stem[file.stem].name} and {file.name} share the name "
                    f"{file.stem!r}; keep one file per name so that A and B pair up."
                )
            by_stem[file.stem] = file
        sides[side] = by_stem
    only_a = sorted(set(sides["A"]) - set(sides["B"]))
    only_b = sorted(set(sides["B"]) - set(sides["A"]))
    if only_a or only_b:
        raise DataError(
            f"{folder}: the file names in A/ and B/ do not match. "
            f"{len(only_a)} only in A/ ({_listing(sides['A'][s].name for s in only_a) or '-'}); "
            f"{len(only_b)} only in B/ ({_listing(sides['B'][s].name for s in only_b) or '-'}). "
            "Each A/ file needs a B/ file of the same name (the extension may differ)."
        )
    stems = sorted(sides["A"])
    return PairedFiles(folder, "A_B", [sides["A"][s] for s in stems],
                       [sides["B"][s] for s in stems])


def find_pairs(path) -> PairedFiles:
    """Find the pairs in ``path``: ``A/`` and ``B/`` subfolders if present, else side by
    side (notebook 01)."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise DataError(f"folder {folder} does not exist; check the path (or prepare the dataset).")
    if not folder.is_dir():
        raise DataError(f"{folder} is a file, not a folder; pass the folder that holds the pairs.")
    has_a, has_b = (folder / "A").is_dir(), (folder / "B").is_dir()
    if has_a and has_b:
        return _matched_a_b(folder)
    if has_a != has_b:
        present, missing = ("A", "B") if has_a else ("B", "A")
        raise DataError(
            f"{folder} has a {present}/ subfolder but no {missing}/; an A/+B/ dataset needs both."
        )
    files = image_files(folder)
    if not files:
        raise _no_images_error(folder)
    return PairedFiles(folder, "side_by_side", files, None)


# --------------------------------------------------------------------------------------------
# Validation: every file is opened in Python first, so an error can name it

_validated: dict[tuple, tuple[int, int]] = {}
_validated_lock = threading.Lock()


def image_size_of(path, check: str = "full") -> tuple[int, int]:
    """``(height, width)`` of a PNG/JPEG file; DataError naming the file if it is
    unreadable (notebook 01).

    ``check="full"`` decodes every pixel (finds truncated and corrupt files); ``"header"``
    only reads the header and PNG checksums (faster for big datasets, catches less).
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, check)
    with _validated_lock:
        if key in _validated:
            return _validated[key]
    try:
        with Image.open(path) as image:
            if image.format not in ("PNG", "JPEG"):
                raise DataError(
                    f"{path}: is a {image.format} image, not PNG or JPEG; convert it to PNG."
                )
            width, height = image.size
            if check == "full":
                image.load()
            else:
                image.verify()
    except DataError:
        raise
    except Image.DecompressionBombError as error:
        raise DataError(
            f"{path}: {error} Pillow refuses images this large as a guard against "
            "decompression bombs; if you trust the file, shrink it, or lift the limit with "
            "PIL.Image.MAX_IMAGE_PIXELS = None before loading."
        ) from None
    except Exception as error:  # PIL raises several types for broken files
        raise DataError(
            f"{path}: cannot be read as an image ({type(error).__name__}: {error}). The file is "
            "corrupt or truncated; re-download or re-export it, or delete it."
        ) from error
    with _validated_lock:
        _validated[key] = (height, width)
    return height, width


def _pair_sizes(files: PairedFiles, check: str) -> list[tuple[Path, tuple[int, int], tuple]]:
    """For each pair: (file to name, smaller half's (height, width), problem or None)."""
    paths = files.a + (files.b or [])
    workers = min(32, 4 * (os.cpu_count() or 1), len(paths))
    errors: list[str] = []

    def measure(p):
        try:
            return image_size_of(p, check)
        except DataError as error:
            errors.append(str(error))
            return None

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        sizes = list(pool.map(measure, paths))
    if errors:
        raise DataError(
            f"{len(errors)} unreadable image(s) in {files.folder}:\n  "
            + "\n  ".join(sorted(errors)[:_MAX_LISTED])
            + (f"\n  ... and {len(errors) - _MAX_LISTED} more" if len(errors) > _MAX_LISTED else "")
        )
    result = []
    if files.layout == "side_by_side":
        for path, (height, width) in zip(files.a, sizes, strict=True):
            odd = width % 2 == 1
            result.append((path, (height, width // 2), "odd" if odd else None))
    else:
        count = len(files.a)
        for index, path in enumerate(files.a):
            (ha, wa), (hb, wb) = sizes[index], sizes[count + index]
            smaller_path = path if ha * wa <= hb * wb else files.b[index]
            mismatch = f"{ha}x{wa} against {hb}x{wb}" if (ha, wa) != (hb, wb) else None
            result.append((smaller_path, (min(ha, hb), min(wa, wb)), mismatch))
    return result


def validate_pairs(files: PairedFiles, image_size=256, check: str = "full",
                   allow_upscale: bool = False) -> None:
    """Open every file of ``files`` and raise DataError naming the files that cannot be
    used (notebook 01).

    Checks: readable PNG/JPEG (fully decoded with ``check="full"``), even width for a
    side-by-side image, and each half at least ``image_size`` unless ``allow_upscale``.
    """
    if check not in CHECKS:
        raise ArgumentError(f"check must be one of {CHECKS}, got {check!r}")
    size = checks.image_size(image_size)
    measured = _pair_sizes(files, check)
    odd = [(p, s) for p, s, problem in measured if problem == "odd"]
    if odd:
        raise DataError(
            f"{len(odd)} side-by-side image(s) of odd width in {files.folder}, which cannot be "
            f"split into equal A|B halves: {_listing(p.name for p, _ in odd)}. Crop or pad them "
            "to an even width (A left, B right), or store them as A/ and B/ folders."
        )
    mismatched = [(p, problem) for p, _, problem in measured
                  if problem not in (None, "odd")]
    if mismatched:
        raise DataError(
            f"{len(mismatched)} pair(s) in {files.folder} whose A and B images differ in size "
            f"(height x width), so resizing each on its own would misalign them: "
            f"{_listing(f'{p.name} ({problem})' for p, problem in mismatched)}. Make both "
            "images of a pair the same size."
        )
    if allow_upscale:
        return
    small = [(p, s) for p, s, _ in measured if s[0] < size[0] or s[1] < size[1]]
    if small:
        fits = (min(s[0] for _, s, _ in measured), min(s[1] for _, s, _ in measured))
        power_of_two = 2 ** int(np.log2(min(fits)))
        examples = _listing(f"{p.name} ({s[0]}x{s[1]})" for p, s in small)
        raise DataError(
            f"{len(small)} image(s) in {files.folder} are smaller than image_size "
            f"{size[0]}x{size[1]} (height x width, per A or B half): {examples}. Sizes that "
            f"work for every pair: height <= {fits[0]} and width <= {fits[1]}, e.g. "
            f"image_size={power_of_two}; or pass allow_upscale=True to enlarge small images "
            "(they will look blurry)."
        )


# --------------------------------------------------------------------------------------------
# The tf.data pipeline


def _resolve_seed(seed) -> int:
    if seed is None:
        return random.SystemRandom().randrange(2**31)
    return checks.integer(seed, "seed", example="0 (or None for a fresh one)")


def _check_arguments(direction, batch_size, channels, check):
    if direction not in DIRECTIONS:
        raise ArgumentError(
            f"direction must be 'AtoB' (A is the input) or 'BtoA' (B is the input), "
            f"got {direction!r}"
        )
    checks.integer(batch_size, "batch_size", minimum=1, example=1)
    if channels not in (1, 3):
        raise ArgumentError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")
    if check not in CHECKS:
        raise ArgumentError(f"check must be one of {CHECKS}, got {check!r}")


_SHUFFLE_STREAM, _AUGMENT_STREAM = 0, 1  # two independent streams of seeds from one seed
_ENDLESS = 2**62  # passes: more than any run takes


def _position_keyed_stream(a_paths, b_paths, shuffle: bool, seed: int, start: int):
    """Endless ``(a_path, b_path, element_seed)`` elements from element ``start`` on.

    Pass ``p`` visits the pairs in the order of a permutation drawn from ``(seed, p)`` (or
    in file order); element ``i`` of the whole stream gets the stateless seed
    ``fold_in((seed, 1), i)``. Nothing depends on how many elements were read before, so
    starting at ``start`` gives the same elements as reading ``start`` and dropping them.
    """
    count = len(a_paths)
    a_table, b_table = tf.constant(a_paths), tf.constant(b_paths)
    first_pass, offset = divmod(start, count)
    shuffle_key = tf.constant([seed, _SHUFFLE_STREAM], tf.int64)
    augment_key = tf.constant([seed, _AUGMENT_STREAM], tf.int64)

    def one_pass(pass_index):
        positions = pass_index * count + tf.range(count, dtype=tf.int64)
        order = tf.range(count, dtype=tf.int64)
        if shuffle:
            pass_seed = tf.random.experimental.stateless_fold_in(shuffle_key, pass_index)
            order = tf.random.experimental.stateless_shuffle(order, pass_seed)
        return tf.data.Dataset.from_tensor_slices((order, positions))

    def paths_and_seed(index, position):
        element_seed = tf.random.experimental.stateless_fold_in(augment_key, position)
        return tf.gather(a_table, index), tf.gather(b_table, index), element_seed

    passes = tf.data.Dataset.range(first_pass, _ENDLESS)
    return passes.flat_map(one_pass).skip(offset).map(paths_and_seed)


def load_paired(path, direction: str = "AtoB", image_size=256, load_size=None,
                augment: bool = False, batch_size: int = 1, shuffle: bool = False, seed=None,
                channels: int = 3, allow_upscale: bool = False, check: str = "full",
                cache: bool = False, drop_remainder: bool = False, repeat: bool = False,
                start_batch: int = 0) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(input, target)`` ``float32`` NHWC batches in [-1, 1].

    ``path``: a folder of side-by-side A|B images (A left) or one holding ``A/`` and ``B/``
    with files of the same names; PNG or JPEG. ``direction="BtoA"`` makes B the input.
    ``image_size``: int or ``(height, width)``. ``augment``: the paper's resize to
    ``load_size`` (default 286/256 of ``image_size``), random crop and mirror, the same for
    input and target; without it a plain resize. ``shuffle`` reshuffles every epoch. A given
    ``seed`` fixes shuffling and augmentation (each epoch still differs from the last).
    Every file is validated first (``check="full"`` decodes it; ``"header"`` is quicker);
    bad files raise :class:`DataError` naming them. ``cache`` keeps decoded images in memory.

    ``repeat=True`` gives an endless stream, pass after pass over the pairs, in which the
    order of each pass and the augmentation of each element depend on ``seed`` and the
    element's position alone (``start_batch`` starts the stream at that batch, as if that
    many had been read): a run resumed at step N on ``start_batch=N`` sees exactly the
    batches an uninterrupted run sees (``python -m p2plib train --resume`` relies on it).
    Introduced in notebook 01.
    """
    _check_arguments(direction, batch_size, channels, check)
    start_batch = checks.integer(start_batch, "start_batch", minimum=0, example=0)
    if start_batch and not repeat:
        raise ArgumentError(f"start_batch={start_batch} needs repeat=True: only the endless "
                         "stream can start at any batch.")
    if cache and repeat:
        raise ArgumentError("cache=True and repeat=True do not combine: the endless stream "
                         "decodes each pair when it needs it; pass one of them.")
    size = checks.image_size(image_size)
    load = checks.image_size(default_load_size(size) if load_size is None else load_size,
                             "load_size")
    if load[0] < size[0] or load[1] < size[1]:
        raise ArgumentError(
            f"load_size {_format_size(load)} is smaller than image_size {_format_size(size)}; "
            "the random crop needs load_size >= image_size (the paper uses 286 for 256)."
        )
    seed = _resolve_seed(seed)
    files = find_pairs(path)
    validate_pairs(files, size, check=check, allow_upscale=allow_upscale)

    a_paths = [str(p) for p in files.a]
    b_paths = [str(p) for p in files.b] if files.b is not None else [""] * len(a_paths)
    side_by_side = files.layout == "side_by_side"

    def decode(a_path, b_path):
        if side_by_side:
            image_a, image_b = split_side_by_side(read_image(a_path, channels))
        else:
            image_a, image_b = read_image(a_path, channels), read_image(b_path, channels)
        return (image_a, image_b) if direction == "AtoB" else (image_b, image_a)

    def finish(input_image, target_image):
        input_image.set_shape([size[0], size[1], channels])
        target_image.set_shape([size[0], size[1], channels])
        return input_image, target_image

    if repeat:
        def load_pair(a_path, b_path, element_seed):
            pair = decode(a_path, b_path)
            if augment:
                return finish(*preprocess_pair(*pair, size, load, True, element_seed))
            return finish(*preprocess_pair(*pair, size))

        stream = _position_keyed_stream(a_paths, b_paths, shuffle, seed,
                                        start_batch * batch_size)
        stream = stream.map(load_pair, num_parallel_calls=tf.data.AUTOTUNE).batch(
            batch_size, drop_remainder=True)
        endless = tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY)
        return stream.apply(endless).prefetch(tf.data.AUTOTUNE)

    dataset = tf.data.Dataset.from_tensor_slices((a_paths, b_paths))
    # Shuffling file names before decoding is cheap; a cache must come before the shuffle,
    # or every epoch would replay the first epoch's order. Shuffle orders do not depend on
    # the elements, so both give the same batches for a seed.
    if shuffle and not cache:
        dataset = dataset.shuffle(len(a_paths), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        dataset = dataset.cache()
        if shuffle:
            dataset = dataset.shuffle(len(a_paths), seed=seed, reshuffle_each_iteration=True)

    if augment:
        # One fresh random number per element and epoch, reproducible from the seed; with the
        # element index it seeds the stateless crop and mirror of that element.
        randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip(dataset.enumerate(), randoms)

        def augment_pair(indexed, random_value):
            index, (input_image, target_image) = indexed
            element_seed = tf.stack([random_value, index])
            return finish(*preprocess_pair(input_image, target_image, size, load, True,
                                           element_seed))

        dataset = dataset.map(augment_pair, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        dataset = dataset.map(
            lambda i, t: finish(*preprocess_pair(i, t, size)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
