"""Scoring a generator on held-out pairs: one function for every table (notebook 06).

``translate_pairs`` runs the generator on a held-out split by the test-time policy
(``p2plib.testtime``), ``score_outputs`` scores translations against their targets (mean L1,
PSNR and SSIM; with the true class masks, the FCN-score of generated photos or the accuracy
and IoU of generated label maps), and
``score_generator`` does both. The ablations, the applications, the fast-recipe benchmark and
``python -m p2plib evaluate`` all score with these.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from p2plib import data, label_colours, metrics, testtime
from p2plib.errors import ArgumentError

__all__ = [
    "label_map_scores", "score_generator", "score_outputs", "translate_images", "translate_pairs",
]


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
    """The generator's outputs for an array of inputs, as one float32 array (notebook 06).

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
    """``(inputs, outputs, targets)`` float32 arrays for a held-out split (notebook 06).

    ``pairs``: a dataset of (input, target) batches in a fixed order, or ``(inputs,
    targets)``; the outputs come from ``translate_images``.
    """
    inputs, targets = _as_arrays(pairs)
    return inputs, translate_images(generator, inputs, test_mode, seed, batch_size), targets


def score_outputs(outputs, targets, masks=None, segmenter=None, palette=None) -> dict:
    """Mean ``l1`` (on [-1, 1]), ``psnr`` (dB), ``ssim`` of ``outputs`` against
    ``targets`` (notebook 06).

    With the true class ``masks`` (uint8 [N, H, W], same order), two more scores, the paper's
    three columns ``pixel_accuracy``, ``class_accuracy``, ``class_iou``:

    - labels -> photo, with a ``segmenter`` (``segmentation.load_or_train_segmenter``): the
      FCN-score of the generated photos (scoring the real photos gives the "ground truth"
      row);
    - photo -> labels, with the dataset's ``palette`` (``datasets.palette_of``): the
      generated label maps read back to classes by the nearest palette colour and compared
      with the masks directly, as the paper scores Cityscapes photo -> labels.
    """
    if masks is not None and (segmenter is None) == (palette is None):
        raise ArgumentError("masks= need segmenter= (labels -> photo: the FCN-score) or "
                            "palette= (photo -> labels: the label maps themselves), one of them.")
    if masks is None and (segmenter is not None or palette is not None):
        raise ArgumentError("segmenter= and palette= score against the true class masks; "
                            "pass masks= too.")
    outputs = tf.convert_to_tensor(outputs, tf.float32)
    targets = tf.convert_to_tensor(targets, tf.float32)
    per_image = metrics.image_metrics(outputs, targets)
    scores = {name: float(tf.reduce_mean(values)) for name, values in per_image.items()}
    if segmenter is not None:
        scores.update(metrics.fcn_score(outputs, masks, segmenter))
    if palette is not None:
        scores.update(label_map_scores(outputs, masks, palette))
    return scores


def label_map_scores(label_maps, masks, palette) -> dict:
    """Per-pixel accuracy, per-class accuracy and class IoU of label maps drawn in
    ``palette`` (float [N, H, W, 3] in [-1, 1], e.g. a photo -> labels generator's outputs)
    against the true class ``masks``. Introduced in notebook 07."""
    predicted = label_colours.rgb_to_labels(np.asarray(data.denormalize(label_maps)), palette)
    return metrics.segmentation_scores(predicted, np.asarray(masks), len(palette))


def score_generator(generator, pairs, masks=None, segmenter=None, test_mode: str = "paper",
                    seed: int | None = 0, palette=None) -> dict:
    """``score_outputs`` of the generator's translations of held-out ``pairs``, plus
    ``count``. Introduced in notebook 06; see ``translate_pairs`` for the arguments."""
    _, outputs, targets = translate_pairs(generator, pairs, test_mode, seed)
    return {**score_outputs(outputs, targets, masks, segmenter, palette),
            "count": len(outputs)}
