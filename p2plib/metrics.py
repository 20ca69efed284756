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

from p2plib.datasets.palettes import VOID_ID
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


def _check_masks(masks, num_classes: int, what: str, void_allowed: bool = False) -> np.ndarray:
    masks = np.asarray(masks)
    if not np.issubdtype(masks.dtype, np.integer):
        raise ArgumentError(f"{what} must hold integer class ids, got dtype {masks.dtype}")
    ids = masks[masks != VOID_ID] if void_allowed else masks
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise ArgumentError(
            f"{what} hold the class id {bad}, outside 0..{num_classes - 1}; pass the right "
            "num_classes (e.g. len(datasets.FACADE_CLASSES))."
        )
    return masks


def confusion_matrix(predicted_masks, true_masks, num_classes: int) -> np.ndarray:
    """Pixel counts ``[num_classes, num_classes]``: row = true class, column = predicted.

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
    from scipy import ndimage

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
