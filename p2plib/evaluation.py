"""Scoring a generator on held-out pairs: one function for every table (notebook 06).

``translate_pairs`` runs the generator on a held-out split by the test-time policy
(``p2plib.testtime``), ``score_outputs`` scores translations against their targets (mean L1,
PSNR and SSIM, and with the true class masks and a segmenter the FCN-score), and
``score_generator`` does both. The ablations, the applications, the fast-recipe benchmark and
``python -m p2plib evaluate`` all score with these.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from p2plib import metrics, segmentation, testtime
from p2plib.errors import ArgumentError


def _as_arrays(pairs) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)`` float32 arrays from a dataset of pairs or a pair of arrays."""
    if isinstance(pairs, tf.data.Dataset):
        inputs, targets = [], []
        for input_batch, target_batch in pairs:
            inputs.append(np.asarray(input_batch, np.float32))
            targets.append(np.asarray(target_batch, np.float32))
        if not inputs:
            raise ArgumentError("The held-out dataset is empty: there are no pairs to score.")
        return np.concatenate(inputs), np.concatenate(targets)
    if isinstance(pairs, (tuple, list)) and len(pairs) == 2:
        inputs, targets = (np.asarray(part, np.float32) for part in pairs)
        if len(inputs) != len(targets) or len(inputs) == 0:
            raise ArgumentError(f"pairs must hold as many inputs as targets, at least one; got "
                                f"{len(inputs)} inputs and {len(targets)} targets.")
        return inputs, targets
    raise ArgumentError("pairs must be a tf.data.Dataset of (input, target) batches or an "
                        f"(inputs, targets) pair of arrays; got {type(pairs).__name__}.")


def translate_images(generator, inputs, test_mode: str = "paper", seed: int | None = 0,
                     batch_size: int = 16) -> np.ndarray:
    """The generator's outputs for an array of inputs, as one float32 array.

    The generator runs by ``testtime.translate`` in ``test_mode``, ``batch_size`` images per
    call (in the paper's mode each image is still normalised on its own). With a ``seed``,
    dropout's random state is set from it first (``testtime.seed_random_states``), so the
    paper's mode (dropout on) gives the same outputs on every call.
    """
    inputs = np.asarray(inputs, np.float32)
    if seed is not None:
        testtime.seed_random_states(generator, seed)
    return np.concatenate([np.asarray(testtime.translate(
        generator, inputs[start:start + batch_size], test_mode))
        for start in range(0, len(inputs), batch_size)])


def translate_pairs(generator, pairs, test_mode: str = "paper", seed: int | None = 0,
                    batch_size: int = 16):
    """``(inputs, outputs, targets)`` float32 arrays for a held-out split.

    ``pairs``: a dataset of (input, target) batches in a fixed order, or ``(inputs,
    targets)``; the outputs come from ``translate_images``.
    """
    inputs, targets = _as_arrays(pairs)
    return inputs, translate_images(generator, inputs, test_mode, seed, batch_size), targets


def score_outputs(outputs, targets, masks=None, segmenter=None) -> dict:
    """Mean ``l1`` (on [-1, 1]), ``psnr`` (dB), ``ssim`` of ``outputs`` against ``targets``.

    With the targets' class ``masks`` (uint8 [N, H, W], same order) and a ``segmenter``
    (``segmentation.load_or_train_segmenter``), the outputs' FCN-score is added:
    ``pixel_accuracy``, ``class_accuracy``, ``class_iou``. Scoring the real photos as
    outputs gives the FCN-score's "ground truth" row.
    """
    if (masks is None) != (segmenter is None):
        raise ArgumentError("the FCN-score needs both masks= (the true class masks of the "
                            "targets, in order) and segmenter=; pass both or neither.")
    outputs = tf.convert_to_tensor(outputs, tf.float32)
    targets = tf.convert_to_tensor(targets, tf.float32)
    per_image = metrics.image_metrics(outputs, targets)
    scores = {name: float(tf.reduce_mean(values)) for name, values in per_image.items()}
    if segmenter is not None:
        scores.update(segmentation.fcn_score(outputs, masks, segmenter))
    return scores


def score_generator(generator, pairs, masks=None, segmenter=None, test_mode: str = "paper",
                    seed: int | None = 0) -> dict:
    """``score_outputs`` of the generator's translations of held-out ``pairs``, plus
    ``count``. Introduced in notebook 06; see ``translate_pairs`` for the arguments."""
    _, outputs, targets = translate_pairs(generator, pairs, test_mode, seed)
    return {**score_outputs(outputs, targets, masks, segmenter), "count": len(outputs)}
