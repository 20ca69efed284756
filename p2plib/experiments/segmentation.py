"""The FCN-score's segmenter: a small fully-convolutional network that labels generated photos.

Introduced in notebook 06. The paper scores generated photos by running an off-the-shelf
semantic segmentation network (FCN-8s) on them and checking how well it recovers the label
map they were generated from. Offline, there is no such network for the generated datasets,
so this module trains one per dataset with masks (``datasets.MASKED_DATASETS``: synthetic
facades and streets), once, on the REAL photos of its train split against their class masks,
and caches it in the data folder as ``fcn-segmenter-<size>.keras`` for the facades and
``fcn-segmenter-streets-<size>.keras`` for the streets (with a ``.json`` describing how it
was trained and how well it does on the val split). ``load_or_train_segmenter`` loads the
cached file, or trains it when it is missing, unreadable or out of date.

The network is a small encoder-decoder with skip connections in the spirit of FCN-8s: strided
3x3 convolutions down to 1/16 of the image, bilinear upsampling back, and at each scale the
encoder's features joined to the decoder's. It is a plain functional model of stock Keras
layers. Photos are float32 in [-1, 1] (as ``p2plib.data.load_paired`` yields them); the model
returns per-pixel class logits.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from p2plib import checks, config, data, datasets, files, metrics
from p2plib.datasets.storage import size_tag
from p2plib.errors import ArgumentError
from p2plib.label_colours import VOID_ID

__all__ = [
    "DATASET", "DEFAULT_BASE_FILTERS", "MAX_SEGMENTER_PIXELS", "SEGMENTER_VERSION",
    "default_depth", "default_epochs", "facade_photos_and_masks", "fcn_segmenter",
    "load_or_train_segmenter", "photos_and_masks", "segmenter_input_size", "segmenter_path",
    "segmenter_record", "train_segmenter",
]

DATASET = "synthetic-facades"
SEGMENTER_VERSION = 1
"""Bump when the architecture or the training recipe changes: cached segmenters retrain."""

DEFAULT_BASE_FILTERS = 16


def _num_classes(dataset: str = DATASET) -> int:
    return len(datasets.classes_of(dataset))



def default_depth(image_size) -> int:
    """Downsampling steps: 4 (features at 1/16 of the image), 3 below 64 pixels."""
    return 4 if min(checks.image_size(image_size)) >= 64 else 3


def _conv_block(x, filters: int, strides: int, name: str):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False,
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def fcn_segmenter(image_size=64, num_classes: int | None = None,
                  base_filters: int = DEFAULT_BASE_FILTERS, depth: int | None = None,
                  name: str = "fcn_segmenter") -> keras.Model:
    """A small fully-convolutional segmenter: photo ``[H, W, 3]`` -> class logits ``[H, W, K]``.

    Introduced in notebook 06. ``depth`` strided 3x3 convolutions (default
    ``default_depth``) halve the image each time, filters doubling from ``base_filters`` up
    to 8 times that; the decoder upsamples bilinearly and joins the encoder's features of
    the same scale, back to half the image size, where a 1x1 convolution gives the
    ``num_classes`` logits (default: the 11 synthetic-facade classes), upsampled bilinearly
    to the full size (FCN-8s likewise predicts coarsely and upsamples).
    """
    height, width = checks.image_size(image_size)
    num_classes = _num_classes() if num_classes is None else int(num_classes)
    depth = default_depth((height, width)) if depth is None else int(depth)
    if num_classes < 2:
        raise ArgumentError(f"num_classes must be at least 2, got {num_classes}")
    if depth < 2 or height % 2**depth or width % 2**depth:
        raise ArgumentError(
            f"a {height}x{width} image cannot be halved {depth} times evenly (depth >= 2); "
            f"use a size that is a multiple of {2**max(depth, 2)} or another depth."
        )
    photo = keras.Input((height, width, 3), name="photo")
    x = photo
    skips = []
    for level in range(depth):
        filters = base_filters * min(2**level, 8)
        x = _conv_block(x, filters, 2, f"down{level + 1}")
        x = _conv_block(x, filters, 1, f"down{level + 1}_refine")
        skips.append(x)
    for level in reversed(range(depth - 1)):  # back up to skips[0], at half the image size
        x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level + 1}_resize")(x)
        x = layers.Concatenate(name=f"up{level + 1}_skip")([x, skips[level]])
        x = _conv_block(x, base_filters * min(2**level, 8), 1, f"up{level + 1}")
    half_logits = layers.Conv2D(num_classes, 1, name="half_logits")(x)
    logits = layers.UpSampling2D(2, interpolation="bilinear", name="class_logits")(half_logits)
    return keras.Model(photo, logits, name=name)


# ---------------------------------------------------------------------------- data


def facade_photos_and_masks(split: str = "train", image_size=None, data_dir=None):
    """``photos_and_masks`` of the synthetic facades."""
    return photos_and_masks(split, image_size, data_dir, DATASET)


def photos_and_masks(split: str = "train", image_size=None, data_dir=None,
                     dataset: str = DATASET):
    """The real photos of a split of a dataset with masks (the targets of its labels -> photo
    direction), and its class masks.

    Returns ``(photos float32 [N, H, W, 3] in [-1, 1], masks uint8 [N, H, W])``, both in the
    sorted file-name order of the split (``datasets.load_masks``' order), generating the
    dataset first if needed. Introduced in notebook 06.
    """
    image_size = _image_size_or_default(image_size)
    folder = datasets.path(dataset, split, image_size, data_dir)
    masks = datasets.load_masks(split, image_size, data_dir, dataset=dataset)
    pairs = data.load_paired(folder, direction=datasets.info(dataset).direction,
                             image_size=image_size, batch_size=64, check="header")
    photos = np.concatenate([target.numpy() for _, target in pairs])
    if len(photos) != len(masks) or photos.shape[1:3] != masks.shape[1:3]:
        raise ArgumentError(
            f"{folder} holds {len(photos)} photos of {photos.shape[1:3]} but "
            f"{len(masks)} masks of {masks.shape[1:3]}; delete {folder.parent} to regenerate it."
        )
    return photos, masks


def _image_size_or_default(image_size):
    if image_size is None:
        return config.settings().image_size
    return image_size


def _training_batches(photos, masks, batch_size: int, seed: int):
    """Shuffled batches with random left-right mirroring of photo and mask together.

    Each batch is ``(photos, class ids, pixel weights)``: void pixels (``VOID_ID``, e.g.
    Cityscapes' unlabelled ones) weigh 0, so the segmenter is not taught a class for them.
    """
    scored = masks != VOID_ID
    dataset = tf.data.Dataset.from_tensor_slices(
        (photos, np.where(scored, masks, 0).astype(np.int32), scored.astype(np.float32)))
    dataset = dataset.shuffle(len(photos), seed=seed, reshuffle_each_iteration=True)

    def mirror(photo, mask, weight):
        flip = tf.random.uniform((), seed=None) < 0.5
        return tuple(tf.where(flip, tf.reverse(part, [1]), part)
                     for part in (photo, mask, weight))

    return dataset.map(mirror).batch(batch_size).prefetch(tf.data.AUTOTUNE)


MAX_SEGMENTER_PIXELS = 128 * 128
"""Larger photos are halved for the segmenter until they fit: training stays in minutes."""


def segmenter_input_size(image_size) -> tuple[int, int]:
    """The size the segmenter for ``image_size`` photos works at: halved until at most 128x128.

    At 256x256 it sees 128x128 photos (its labels are upsampled back to 256x256 to score).
    """
    height, width = checks.image_size(image_size)
    while height * width > MAX_SEGMENTER_PIXELS and height % 2 == 0 and width % 2 == 0:
        height, width = height // 2, width // 2
    return height, width


def default_epochs(quick: bool | None = None) -> int:
    """Passes over the 400 train photos: 15, or 4 in quick mode (rougher, still far above blur)."""
    quick = config.is_quick() if quick is None else quick
    return 4 if quick else 15


def _shrink(photos, masks, size):
    if tuple(photos.shape[1:3]) == tuple(size):
        return photos, masks
    photos = tf.image.resize(photos, size, antialias=True).numpy()
    masks = tf.image.resize(masks[..., None], size, method="nearest").numpy()[..., 0]
    return photos, masks


def train_segmenter(image_size=None, data_dir=None, epochs: int | None = None,
                    batch_size: int = 8, learning_rate: float = 2e-3,
                    base_filters: int = DEFAULT_BASE_FILTERS, seed: int = 0,
                    verbose: int = 0, dataset: str = DATASET) -> keras.Model:
    """Train ``fcn_segmenter`` on the real photos of a dataset's train split (default: the
    synthetic facades).

    Introduced in notebook 06. The photos (and masks) of ``image_size`` are shrunk to
    ``segmenter_input_size(image_size)`` first. Cross-entropy per pixel, Adam, random
    mirroring; ``epochs`` defaults to ``default_epochs()``. Nothing is cached: see
    ``load_or_train_segmenter``.
    """
    image_size = _image_size_or_default(image_size)
    input_size = segmenter_input_size(image_size)
    photos, masks = _shrink(*photos_and_masks("train", image_size, data_dir, dataset),
                            input_size)
    keras.utils.set_random_seed(seed)
    model = fcn_segmenter(input_size, num_classes=_num_classes(dataset),
                          base_filters=base_filters)
    epochs = default_epochs() if epochs is None else epochs
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy")],
    )
    model.fit(_training_batches(photos, masks, batch_size, seed), epochs=epochs, shuffle=False,
              verbose=verbose)  # the dataset shuffles itself
    return model


# ---------------------------------------------------------------------------- cache


def segmenter_path(image_size=None, data_dir=None, dataset: str = DATASET) -> Path:
    """The cached segmenter's file: ``<data_dir>/fcn-segmenter-<size>.keras`` for the
    facades, ``fcn-segmenter-<short name>-<size>.keras`` for another dataset."""
    folder = Path(data_dir) if data_dir is not None else config.data_dir()
    short = "" if dataset == DATASET else dataset.removeprefix("synthetic-") + "-"
    return folder / f"fcn-segmenter-{short}{size_tag(_image_size_or_default(image_size))}.keras"


def _expected_record(image_size, dataset: str = DATASET) -> dict:
    record = {"segmenter_version": SEGMENTER_VERSION,
              "dataset_version": datasets.mask_version(dataset),
              "image_size": list(checks.image_size(image_size)),
              "input_size": list(segmenter_input_size(image_size)),
              "num_classes": _num_classes(dataset)}
    if dataset != DATASET:  # records of facade segmenters predate the field
        record["dataset"] = dataset
    return record


def segmenter_record(image_size=None, data_dir=None, dataset: str = DATASET) -> dict | None:
    """The JSON written next to the cached segmenter (training details, val scores), or None."""
    path = segmenter_path(image_size, data_dir, dataset).with_suffix(".json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _why_not_usable(path: Path, image_size, dataset: str = DATASET) -> str | None:
    """None if the cached segmenter at ``path`` can be used, else the reason to retrain."""
    if not path.is_file():
        return "not trained yet"
    record = segmenter_record(image_size, path.parent, dataset)
    if record is None:
        return f"{path.with_suffix('.json').name} is missing or unreadable"
    stale = [key for key, value in _expected_record(image_size, dataset).items()
             if record.get(key) != value]
    if stale:
        return f"it was trained for other settings ({', '.join(stale)} differ)"
    if record.get("quick") and not config.is_quick():
        return "it was trained briefly in quick mode"
    return None


def _load(path: Path, image_size, num_classes: int):
    """The model at ``path``, or a warning and None when it cannot be loaded or does not fit."""
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any failure means the file is unusable
        first_line = str(error).splitlines()[0] if str(error) else ""
        warnings.warn(
            f"the cached FCN-score segmenter {path} could not be loaded "
            f"({type(error).__name__}: {first_line}); training a new one to replace it.",
            stacklevel=3,
        )
        return None
    expected = (*segmenter_input_size(image_size), 3)
    found = tuple(model.inputs[0].shape[1:])
    if found != expected or model.outputs[0].shape[-1] != num_classes:
        warnings.warn(
            f"the cached FCN-score segmenter {path} takes {found} photos and "
            f"{model.outputs[0].shape[-1]} classes, not {expected} and "
            f"{num_classes}; training a new one to replace it.", stacklevel=3,
        )
        return None
    return model


def _save_atomically(model, record: dict, path: Path) -> None:
    # The model first: a new model with an old record is caught as stale or unfit.
    with files.written_atomically(path) as temporary:
        model.save(temporary)
    files.write_json(record, path.with_suffix(".json"))


def load_or_train_segmenter(image_size=None, data_dir=None, verbose: int = 1,
                            dataset: str = DATASET, **train_kwargs) -> keras.Model:
    """The FCN-score segmenter for ``image_size`` photos: cached, or trained now and cached.

    Introduced in notebook 06. The cache is ``segmenter_path(image_size, data_dir)`` (default
    data folder: ``config.data_dir()``) plus a JSON record. A missing, unreadable or stale
    file (or, in full mode, one trained in quick mode) is replaced by training a new
    segmenter (``train_segmenter(**train_kwargs)``), which is then scored on the val split
    and written atomically. ``train_kwargs`` only matter when it trains: a usable cache is
    loaded whatever they say (delete the file to retrain). ``verbose=1`` prints a line when
    training starts and ends.
    """
    image_size = _image_size_or_default(image_size)
    path = segmenter_path(image_size, data_dir, dataset)
    reason = _why_not_usable(path, image_size, dataset)
    if reason is None:
        model = _load(path, image_size, _num_classes(dataset))
        if model is not None:
            return model
        reason = "unreadable"
    height, width = segmenter_input_size(image_size)
    if verbose:
        print(f"Training the FCN-score segmenter ({path.name}: {reason}) on real "
              f"{dataset} photos at {height}x{width}; it is cached for later runs.")
    started = time.perf_counter()
    model = train_segmenter(image_size, data_dir, dataset=dataset, **train_kwargs)
    seconds = time.perf_counter() - started
    photos, masks = photos_and_masks("val", image_size, data_dir, dataset)
    scores = metrics.segmentation_scores(metrics.predict_masks(model, photos), masks,
                                         _num_classes(dataset))
    record = {**_expected_record(image_size, dataset), "quick": config.is_quick(),
              "epochs": train_kwargs.get("epochs", default_epochs()),
              "train_seconds": round(seconds, 1),
              "train_options": {k: v for k, v in train_kwargs.items()
                                if isinstance(v, (int, float, str))},
              "val_scores": {k: round(float(v), 4) for k, v in scores.items()}}
    _save_atomically(model, record, path)
    if verbose:
        print(f"Trained in {seconds:.0f} s; on the val photos: "
              + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()) + f". Saved {path}.")
    return model
