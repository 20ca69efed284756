"""Measuring a translation on held-out pairs: L1, PSNR, SSIM and the FCN-score.

Introduced in notebook 06. Images are float tensors in [-1, 1], as
``p2plib.data.load_paired`` yields them. PSNR and SSIM are TensorFlow's own
``tf.image.psnr`` / ``tf.image.ssim``, computed on images mapped to [0, 1] (so
``max_val=1``); PSNR of identical images is ``inf`` (no cap). The FCN-score (the paper's
per-pixel accuracy, per-class accuracy and class IoU) runs a segmenter from
``p2plib.segmentation`` on the photos and compares its labels with the true class masks.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

METRIC_NAMES = ("l1", "psnr", "ssim")


def _unit_range(images):
    return (tf.cast(images, tf.float32) + 1.0) / 2.0


def _check_same_shape(generated, target):
    if tuple(generated.shape) != tuple(target.shape):
        raise ValueError(
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
        raise ValueError(
            f"SSIM needs images of at least 11x11 pixels; got {generated.shape[1]}x"
            f"{generated.shape[2]}."
        )
    return tf.image.ssim(_unit_range(generated), _unit_range(target), max_val=1.0)


def image_metrics(generated, target) -> dict:
    """``{"l1", "psnr", "ssim"}`` per image, each of shape ``[batch]``."""
    return {"l1": l1_distance(generated, target), "psnr": psnr(generated, target),
            "ssim": ssim(generated, target)}


def evaluate_generator(generator, dataset, training: bool = False, segmenter=None,
                       masks=None) -> dict:
    """Mean L1, PSNR and SSIM of ``generator`` over a dataset of (input, target) batches.

    ``training=True`` runs the generator the paper's way at test time (dropout and batch
    statistics on); the default is Keras's inference mode. Returns floats and ``count``.
    With a ``segmenter`` and the targets' class ``masks`` (uint8 [N, H, W], in the
    dataset's order: load it with ``shuffle=False``), the generated photos' FCN-score
    (``pixel_accuracy``, ``class_accuracy``, ``class_iou``) is added.
    """
    if (segmenter is None) != (masks is None):
        raise ValueError("the FCN-score needs both segmenter= and masks= (the true class "
                         "masks of the dataset's targets, in order); pass both or neither.")
    totals = {name: 0.0 for name in METRIC_NAMES}
    count = 0
    confusion = None
    if segmenter is not None:
        masks = np.asarray(masks)
        num_classes = _num_classes_of(segmenter)
        confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    for input_batch, target_batch in dataset:
        generated = generator(input_batch, training=training)
        for name, values in image_metrics(generated, target_batch).items():
            totals[name] += float(tf.reduce_sum(values))
        batch_size = int(input_batch.shape[0])
        if confusion is not None:
            confusion += _batch_confusion(segmenter, generated, masks, count, batch_size)
        count += batch_size
    if count == 0:
        raise ValueError("The dataset is empty: there are no pairs to evaluate.")
    scores = {**{name: total / count for name, total in totals.items()}, "count": count}
    if confusion is not None:
        if count != len(masks):
            raise ValueError(f"the dataset holds {count} pairs but {len(masks)} masks were "
                             "given; pass the masks of the same split, one per pair.")
        scores.update(scores_from_confusion(confusion))
    return scores


def _batch_confusion(segmenter, photos, masks, start: int, count: int) -> np.ndarray:
    from p2plib import segmentation

    if start + count > len(masks):
        raise ValueError(f"the dataset holds more pairs than the {len(masks)} masks; pass the "
                         "masks of the same split, one per pair.")
    true = masks[start:start + count]
    predicted = segmentation.predict_masks(segmenter, photos, true.shape[1:3])
    return confusion_matrix(predicted, true, _num_classes_of(segmenter))


# ---------------------------------------------------------------------------- FCN-score

SEGMENTATION_SCORE_NAMES = ("pixel_accuracy", "class_accuracy", "class_iou")
"""The three columns of the paper's FCN-score tables."""


def _check_masks(masks, num_classes: int, what: str) -> np.ndarray:
    masks = np.asarray(masks)
    if not np.issubdtype(masks.dtype, np.integer):
        raise ValueError(f"{what} must hold integer class ids, got dtype {masks.dtype}")
    if masks.size and (masks.min() < 0 or masks.max() >= num_classes):
        bad = masks.min() if masks.min() < 0 else masks.max()
        raise ValueError(
            f"{what} hold the class id {bad}, outside 0..{num_classes - 1}; pass the right "
            "num_classes (e.g. len(datasets.FACADE_CLASSES))."
        )
    return masks


def confusion_matrix(predicted_masks, true_masks, num_classes: int) -> np.ndarray:
    """Pixel counts ``[num_classes, num_classes]``: row = true class, column = predicted."""
    predicted = _check_masks(predicted_masks, num_classes, "predicted masks")
    true = _check_masks(true_masks, num_classes, "true masks")
    if predicted.shape != true.shape:
        raise ValueError(
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
        raise ValueError("the confusion matrix is empty: there are no pixels to score.")
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


def _photo_batches(photos):
    """Batches of photos from an array/tensor [N, H, W, 3] or a tf.data.Dataset of batches."""
    if isinstance(photos, tf.data.Dataset):
        for batch in photos:
            if isinstance(batch, (tuple, list, dict)):
                raise ValueError(
                    "fcn_score takes a dataset of photo batches, not of (input, target) pairs; "
                    "pass dataset.map(lambda input, target: target) for the real photos, or "
                    "use evaluate_generator(..., segmenter=..., masks=...) for generated ones."
                )
            yield batch
        return
    yield photos


def _check_photo_range(batch) -> None:
    if batch.dtype == tf.uint8:
        raise ValueError("photos are uint8; pass float photos in [-1, 1] "
                         "(p2plib.data.normalize(photos)).")
    low, high = float(tf.reduce_min(batch)), float(tf.reduce_max(batch))
    if low < -1.01 or high > 1.01:
        raise ValueError(
            f"photos range over [{low:.3g}, {high:.3g}]; the segmenter expects [-1, 1] "
            "(p2plib.data.normalize turns [0, 255] pixels into that range)."
        )


def _num_classes_of(segmenter) -> int:
    return int(segmenter.outputs[0].shape[-1])


def fcn_score(photos, masks, segmenter, batch_size: int = 32) -> dict:
    """The FCN-score of photos: how well ``segmenter`` recovers their true class ``masks``.

    Introduced in notebook 06. ``photos``: float [N, H, W, 3] in [-1, 1] (array or tensor),
    or a ``tf.data.Dataset`` of such batches, in the same order as ``masks`` (uint8
    [N, H, W]). Scoring the real photos gives the "ground truth" row of the paper's tables.
    Returns ``segmentation_scores``' dict.
    """
    from p2plib import segmentation

    masks = np.asarray(masks)
    num_classes = _num_classes_of(segmenter)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    seen = 0
    for batch in _photo_batches(photos):
        batch = tf.convert_to_tensor(batch)
        _check_photo_range(batch)
        count = int(batch.shape[0])
        if seen + count > len(masks):
            raise ValueError(f"there are more photos than the {len(masks)} masks; pass one "
                             "mask per photo, in the same order.")
        true = masks[seen:seen + count]
        predicted = segmentation.predict_masks(segmenter, batch, true.shape[1:3], batch_size)
        confusion += confusion_matrix(predicted, true, num_classes)
        seen += count
    if seen != len(masks):
        raise ValueError(f"{seen} photos but {len(masks)} masks; pass one mask per photo.")
    return scores_from_confusion(confusion)
