"""Measuring a translation: L1, PSNR, SSIM, and the scores of predicted class masks.

Introduced in notebook 06. Images are float tensors in [-1, 1], as
``p2plib.data.load_paired`` yields them. PSNR and SSIM are TensorFlow's own
``tf.image.psnr`` / ``tf.image.ssim``, computed on images mapped to [0, 1] (so
``max_val=1``); PSNR of identical images is ``inf`` (no cap). ``segmentation_scores`` gives
the paper's three FCN-score columns (per-pixel accuracy, per-class accuracy, class IoU) from
predicted and true class masks; this module knows nothing of the segmenter that predicts
them (``p2plib.experiments.segmentation.fcn_score`` runs it and calls these functions).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from scipy import ndimage

from p2plib import checks
from p2plib.errors import ArgumentError
from p2plib.label_colours import VOID_ID

__all__ = [
    "METRIC_NAMES", "SEGMENTATION_SCORE_NAMES", "class_colour_spread", "confusion_matrix",
    "fcn_score", "image_metrics", "l1_distance", "num_classes_of", "per_class_scores",
    "predict_masks", "psnr", "scores_from_confusion", "segmentation_scores", "ssim",
]

METRIC_NAMES = ("l1", "psnr", "ssim")
"""The image scores ``image_metrics`` returns: mean L1, PSNR and SSIM (notebook 06)."""


def _unit_range(images):
    return (tf.cast(images, tf.float32) + 1.0) / 2.0


def _check_same_shape(generated, target):
    if tuple(generated.shape) != tuple(target.shape):
        raise ArgumentError(
            f"generated images have shape {tuple(generated.shape)} but targets have "
            f"{tuple(target.shape)}; compare images of the same size and channel count."
        )


def l1_distance(generated, target):
    """Mean absolute difference per image, on the [-1, 1] scale: shape ``[batch]`` (notebook 06)."""
    _check_same_shape(generated, target)
    difference = tf.abs(tf.cast(generated, tf.float32) - tf.cast(target, tf.float32))
    return tf.reduce_mean(difference, axis=[1, 2, 3])


def psnr(generated, target):
    """Peak signal-to-noise ratio in dB per image (``tf.image.psnr`` on [0, 1]
    images) (notebook 06)."""
    _check_same_shape(generated, target)
    return tf.image.psnr(_unit_range(generated), _unit_range(target), max_val=1.0)


def ssim(generated, target):
    """Structural similarity per image (``tf.image.ssim`` on [0, 1], 11x11 Gaussian
    window) (notebook 06).

    Images must be at least 11 pixels on each side.
    """
    _check_same_shape(generated, target)
    if min(generated.shape[1], generated.shape[2]) < 11:
        raise ArgumentError(
            f"SSIM needs images of at least 11x11 pixels; got {generated.shape[1]}x"
            f"{generated.shape[2]}."
        )
    return tf.image.ssim(_unit_range(generated), _unit_range(target), max_val=1.0)


def image_metrics(generated, target) -> dict:
    """``{"l1", "psnr", "ssim"}`` per image, each of shape ``[batch]`` (notebook 06)."""
    return {"l1": l1_distance(generated, target), "psnr": psnr(generated, target),
            "ssim": ssim(generated, target)}


# ---------------------------------------------------------------------------- FCN-score

SEGMENTATION_SCORE_NAMES = ("pixel_accuracy", "class_accuracy", "class_iou")
"""The three columns of the paper's FCN-score tables (notebook 06)."""


def _check_masks(masks, num_classes: int, what: str, void_allowed: bool = False) -> np.ndarray:
    masks = np.asarray(masks)
    if not np.issubdtype(masks.dtype, np.integer):
        raise ArgumentError(f"{what} must hold integer class ids, got dtype {masks.dtype}")
    ids = masks[masks != VOID_ID] if void_allowed else masks
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise ArgumentError(
            f"{what} hold the class id {bad}, outside 0..{num_classes - 1}; pass the right "
            "num_classes (e.g. len(palettes.FACADE_CLASSES))."
        )
    return masks


def confusion_matrix(predicted_masks, true_masks, num_classes: int) -> np.ndarray:
    """Pixel counts ``[num_classes, num_classes]``: row = true class, column =
    predicted (notebook 06).

    True pixels of ``VOID_ID`` (255: no scored class, as in Cityscapes) are left out.
    """
    true = _check_masks(true_masks, num_classes, "true masks", void_allowed=True)
    predicted = np.asarray(predicted_masks)
    if predicted.shape != true.shape:
        raise ArgumentError(
            f"predicted masks have shape {predicted.shape} but true masks {true.shape}; "
            "they must label the same pixels."
        )
    scored = true != VOID_ID
    true, predicted = true[scored], predicted[scored]
    predicted = _check_masks(predicted, num_classes, "predicted masks")
    pairs = true.astype(np.int64).ravel() * num_classes + predicted.astype(np.int64).ravel()
    return np.bincount(pairs, minlength=num_classes**2).reshape(num_classes, num_classes)


def per_class_scores(confusion) -> dict:
    """Per-class accuracy (recall) and IoU from a confusion matrix; NaN where
    undefined (notebook 06).

    A class's accuracy is undefined when no pixel truly has it; its IoU when no pixel has it
    or is predicted as it.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    correct = np.diag(confusion)
    true_counts = confusion.sum(axis=1)
    union = true_counts + confusion.sum(axis=0) - correct
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(true_counts > 0, correct / true_counts, np.nan)
        iou = np.where(union > 0, correct / union, np.nan)
    return {"accuracy": accuracy, "iou": iou}


def scores_from_confusion(confusion) -> dict:
    """The FCN-score's three numbers from a confusion matrix (see
    ``segmentation_scores``) (notebook 06)."""
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum()
    if total == 0:
        raise ArgumentError("the confusion matrix is empty: there are no pixels to score.")
    per_class = per_class_scores(confusion)
    return {
        "pixel_accuracy": float(np.trace(confusion) / total),
        "class_accuracy": float(np.nanmean(per_class["accuracy"])),
        "class_iou": float(np.nanmean(per_class["iou"])),
    }


def segmentation_scores(predicted_masks, true_masks, num_classes: int) -> dict:
    """Per-pixel accuracy, mean per-class accuracy and mean class IoU of predicted masks.

    Introduced in notebook 06; the three columns of the paper's FCN-score tables. Classes
    absent from ``true_masks`` are left out of the class accuracy; classes neither present
    nor predicted are left out of the IoU (a class predicted but absent counts with IoU 0).
    """
    return scores_from_confusion(confusion_matrix(predicted_masks, true_masks, num_classes))


# ---------------------------------------------------------------------------- colour spread


def class_colour_spread(images, masks, class_id: int, min_pixels: int = 20) -> dict:
    """How much the colour of one class varies between its instances, on a [0, 1] scale.

    Each connected region of ``class_id`` in ``masks`` (uint8 [N, H, W]) of at least
    ``min_pixels`` pixels is an instance (cars that touch count as one); its colour is the
    mean RGB of ``images`` ([-1, 1] floats, same order) over it. Returns ``spread`` (the
    standard deviation of the instances' colours, averaged over R, G and B), ``saturation``
    (the mean HSV saturation of those colours) and ``instances``. An L1 regressor that
    cannot tell a car's colour from its labels paints every car the average, grey: its
    spread and saturation fall far below the real photos'. Introduced in notebook 06.
    """
    images = _unit_range(images).numpy()
    masks = np.asarray(masks)
    if images.shape[:3] != masks.shape:
        raise ArgumentError(f"images {images.shape[:3]} and masks {masks.shape} must cover "
                            "the same pixels, in the same order.")
    colours = []
    for image, mask in zip(images, masks, strict=True):
        regions, count = ndimage.label(mask == class_id)
        for region in range(1, count + 1):
            inside = regions == region
            if inside.sum() >= min_pixels:
                colours.append(image[inside].mean(axis=0))
    if len(colours) < 2:
        return {"spread": float("nan"), "saturation": float("nan"), "instances": len(colours)}
    colours = np.stack(colours)
    brightest, darkest = colours.max(axis=1), colours.min(axis=1)
    saturation = np.where(brightest > 0, (brightest - darkest) / np.maximum(brightest, 1e-6), 0)
    return {"spread": float(colours.std(axis=0).mean()), "saturation": float(saturation.mean()),
            "instances": len(colours)}


# --------------------------------------------------------------------------- the FCN-score


def predict_masks(segmenter, photos, output_size=None, batch_size: int = 32) -> np.ndarray:
    """Class ids ``uint8 [N, H, W]`` that ``segmenter`` sees in ``photos`` ([-1, 1] floats).

    Photos of another size than the segmenter's input are resized to it first (bilinear, with
    antialiasing), and the logits are resized to ``output_size`` (default: the photos' size)
    before the arg-max. Introduced in notebook 06.
    """
    photos = tf.convert_to_tensor(photos, tf.float32)
    if photos.shape.rank != 4 or photos.shape[-1] != 3:
        raise ArgumentError(f"photos must be a batch [N, H, W, 3], got shape {tuple(photos.shape)}")
    output_size = (tuple(photos.shape[1:3]) if output_size is None
                   else checks.image_size(output_size, "output_size"))
    input_size = tuple(segmenter.inputs[0].shape[1:3])
    predicted = []
    for start in range(0, int(photos.shape[0]), batch_size):
        batch = photos[start:start + batch_size]
        if tuple(batch.shape[1:3]) != input_size:
            batch = tf.image.resize(batch, input_size, antialias=True)
        logits = segmenter(batch, training=False)
        if tuple(logits.shape[1:3]) != output_size:
            logits = tf.image.resize(logits, output_size)
        predicted.append(tf.argmax(logits, axis=-1, output_type=tf.int32).numpy())
    return np.concatenate(predicted).astype(np.uint8)




def _photo_batches(photos):
    """Batches of photos from an array/tensor [N, H, W, 3] or a tf.data.Dataset of batches."""
    if isinstance(photos, tf.data.Dataset):
        for batch in photos:
            if isinstance(batch, (tuple, list, dict)):
                raise ArgumentError(
                    "fcn_score takes a dataset of photo batches, not of (input, target) pairs; "
                    "pass dataset.map(lambda input, target: target) for the real photos, or "
                    "use evaluation.score_generator(..., masks=..., segmenter=...) for "
                    "generated ones."
                )
            yield batch
        return
    yield photos


def _check_photo_range(batch) -> None:
    if batch.dtype == tf.uint8:
        raise ArgumentError("photos are uint8; pass float photos in [-1, 1] "
                         "(p2plib.data.normalize(photos)).")
    low, high = float(tf.reduce_min(batch)), float(tf.reduce_max(batch))
    if low < -1.01 or high > 1.01:
        raise ArgumentError(
            f"photos range over [{low:.3g}, {high:.3g}]; the segmenter expects [-1, 1] "
            "(p2plib.data.normalize turns [0, 255] pixels into that range)."
        )


def num_classes_of(segmenter) -> int:
    """How many classes ``segmenter`` tells apart (its logits' last axis) (notebook 06)."""
    return int(segmenter.outputs[0].shape[-1])


def fcn_score(photos, masks, segmenter, batch_size: int = 32) -> dict:
    """The FCN-score of photos: how well ``segmenter`` recovers their true class ``masks``.

    Introduced in notebook 06. ``photos``: float [N, H, W, 3] in [-1, 1] (array or tensor),
    or a ``tf.data.Dataset`` of such batches, in the same order as ``masks`` (uint8
    [N, H, W]). Scoring the real photos gives the "ground truth" row of the paper's tables.
    Returns ``segmentation_scores``' dict.
    """
    masks = np.asarray(masks)
    num_classes = num_classes_of(segmenter)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    seen = 0
    for batch in _photo_batches(photos):
        batch = tf.convert_to_tensor(batch)
        _check_photo_range(batch)
        count = int(batch.shape[0])
        if seen + count > len(masks):
            raise ArgumentError(f"there are more photos than the {len(masks)} masks; pass one "
                             "mask per photo, in the same order.")
        true = masks[seen:seen + count]
        predicted = predict_masks(segmenter, batch, true.shape[1:3], batch_size)
        confusion += confusion_matrix(predicted, true, num_classes)
        seen += count
    if seen != len(masks):
        raise ArgumentError(f"{seen} photos but {len(masks)} masks; pass one mask per photo.")
    return scores_from_confusion(confusion)
