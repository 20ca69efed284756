"""Measuring a translation: L1, PSNR, SSIM, and the scores of predicted class masks.

Introduced in notebook 06. Images are float tensors in [-1, 1], as
``p2plib.data.load_paired`` yields them. PSNR and SSIM are TensorFlow's own
``tf.image.psnr`` / ``tf.image.ssim``, computed on images mapped to [0, 1] (so
``max_val=1``); PSNR of identical images is ``inf`` (no cap). ``segmentation_scores`` gives
the paper's three FCN-score columns (per-pixel accuracy, per-class accuracy, class IoU) from
predicted and true class masks; this module knows nothing of the segmenter that predicts
them (``p2plib.segmentation.fcn_score`` runs it and calls these functions).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from p2plib.errors import ArgumentError

METRIC_NAMES = ("l1", "psnr", "ssim")


def _unit_range(images):
    return (tf.cast(images, tf.float32) + 1.0) / 2.0


def _check_same_shape(generated, target):
    if tuple(generated.shape) != tuple(target.shape):
        raise ArgumentError(
            f"generated images have shape {tuple(generated.shape)} but targets have "
            f"{tuple(target.shape)}; compare images of the same size and channel count."
        )


def l1_distance(generated, target):
    """Mean absolute difference per image, on the [-1, 1] scale: shape ``[batch]``."""
    _check_same_shape(generated, target)
    difference = tf.abs(tf.cast(generated, tf.float32) - tf.cast(target, tf.float32))
    return tf.reduce_mean(difference, axis=[1, 2, 3])


def psnr(generated, target):
    """Peak signal-to-noise ratio in dB per image (``tf.image.psnr`` on [0, 1] images)."""
    _check_same_shape(generated, target)
    return tf.image.psnr(_unit_range(generated), _unit_range(target), max_val=1.0)


def ssim(generated, target):
    """Structural similarity per image (``tf.image.ssim`` on [0, 1], 11x11 Gaussian window).

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
    """``{"l1", "psnr", "ssim"}`` per image, each of shape ``[batch]``."""
    return {"l1": l1_distance(generated, target), "psnr": psnr(generated, target),
            "ssim": ssim(generated, target)}


# ---------------------------------------------------------------------------- FCN-score

SEGMENTATION_SCORE_NAMES = ("pixel_accuracy", "class_accuracy", "class_iou")
"""The three columns of the paper's FCN-score tables."""


def _check_masks(masks, num_classes: int, what: str) -> np.ndarray:
    masks = np.asarray(masks)
    if not np.issubdtype(masks.dtype, np.integer):
        raise ArgumentError(f"{what} must hold integer class ids, got dtype {masks.dtype}")
    if masks.size and (masks.min() < 0 or masks.max() >= num_classes):
        bad = masks.min() if masks.min() < 0 else masks.max()
        raise ArgumentError(
            f"{what} hold the class id {bad}, outside 0..{num_classes - 1}; pass the right "
            "num_classes (e.g. len(datasets.FACADE_CLASSES))."
        )
    return masks


def confusion_matrix(predicted_masks, true_masks, num_classes: int) -> np.ndarray:
    """Pixel counts ``[num_classes, num_classes]``: row = true class, column = predicted."""
    predicted = _check_masks(predicted_masks, num_classes, "predicted masks")
    true = _check_masks(true_masks, num_classes, "true masks")
    if predicted.shape != true.shape:
        raise ArgumentError(
            f"predicted masks have shape {predicted.shape} but true masks {true.shape}; "
            "they must label the same pixels."
        )
    pairs = true.astype(np.int64).ravel() * num_classes + predicted.astype(np.int64).ravel()
    return np.bincount(pairs, minlength=num_classes**2).reshape(num_classes, num_classes)


def per_class_scores(confusion) -> dict:
    """Per-class accuracy (recall) and IoU from a confusion matrix; NaN where undefined.

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
    """The FCN-score's three numbers from a confusion matrix (see ``segmentation_scores``)."""
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
