"""Measuring a translation on held-out pairs: L1, PSNR and SSIM (introduced in notebook 06).

Images are float tensors in [-1, 1], as ``p2plib.data.load_paired`` yields them. PSNR and
SSIM are TensorFlow's own ``tf.image.psnr`` / ``tf.image.ssim``, computed on images mapped
to [0, 1] (so ``max_val=1``).
"""

from __future__ import annotations

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


def evaluate_generator(generator, dataset, training: bool = False) -> dict:
    """Mean L1, PSNR and SSIM of ``generator`` over a dataset of (input, target) batches.

    ``training=True`` runs the generator the paper's way at test time (dropout and batch
    statistics on); the default is Keras's inference mode. Returns floats and ``count``.
    """
    totals = {name: 0.0 for name in METRIC_NAMES}
    count = 0
    for input_batch, target_batch in dataset:
        generated = generator(input_batch, training=training)
        for name, values in image_metrics(generated, target_batch).items():
            totals[name] += float(tf.reduce_sum(values))
        count += int(input_batch.shape[0])
    if count == 0:
        raise ValueError("The dataset is empty: there are no pairs to evaluate.")
    return {**{name: total / count for name, total in totals.items()}, "count": count}
