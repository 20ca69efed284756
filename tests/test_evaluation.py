"""Scoring a generator on held-out pairs (p2plib.evaluation): one scorer, the paper's mode."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from p2plib import evaluation, models


def ramp_images(batch=3, size=16):
    values = np.linspace(-1.0, 0.8, batch * size * size * 3, dtype=np.float32)
    return values.reshape(batch, size, size, 3)


def offset_model(size, offset):
    """A real Keras model that adds ``offset`` to its input."""
    image = keras.Input((size, size, 3))
    return keras.Model(image, keras.layers.Rescaling(1.0, offset=offset)(image))


def test_score_generator_averages_over_a_dataset():
    targets = ramp_images()
    pairs = tf.data.Dataset.from_tensor_slices((targets, targets)).batch(2)
    scores = evaluation.score_generator(offset_model(16, 0.0), pairs)
    assert scores["count"] == 3 and scores["l1"] == 0.0
    assert math.isinf(scores["psnr"]) and scores["ssim"] == pytest.approx(1.0, abs=1e-5)
    shifted = evaluation.score_generator(offset_model(16, 0.2), (targets, targets))
    # 0.2 on [-1, 1] is 0.1 on [0, 1]: MSE 0.01, so PSNR 20 dB.
    assert shifted["l1"] == pytest.approx(0.2, abs=1e-5)
    assert shifted["psnr"] == pytest.approx(20.0, abs=1e-3)


def test_the_paper_mode_scores_each_image_alone_and_changes_nothing():
    keras.utils.set_random_seed(0)
    generator = models.unet_generator(32, base_filters=4, dropout=False)
    inputs = np.random.default_rng(1).uniform(-1, 1, (4, 32, 32, 3)).astype(np.float32)
    before = [np.array(variable) for variable in generator.weights]
    together = evaluation.translate_images(generator, inputs, batch_size=4)
    alone = np.concatenate([evaluation.translate_images(generator, inputs[i:i + 1])
                            for i in range(4)])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    for old, variable in zip(before, generator.weights, strict=True):
        np.testing.assert_array_equal(old, np.array(variable))
    inference = evaluation.translate_images(generator, inputs, test_mode="inference")
    assert np.abs(inference - together).max() > 1e-3  # moving averages differ from the batch's


def test_the_paper_mode_with_dropout_repeats_with_the_seed():
    keras.utils.set_random_seed(0)
    generator = models.unet_generator(32, base_filters=4)
    inputs = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    first = evaluation.translate_images(generator, inputs, seed=5)
    np.testing.assert_array_equal(first, evaluation.translate_images(generator, inputs, seed=5))
    assert np.abs(first - evaluation.translate_images(generator, inputs, seed=6)).max() > 0


def test_bad_pairs_and_modes_are_refused_by_name():
    generator = offset_model(16, 0.0)
    with pytest.raises(ValueError, match="as many inputs as targets"):
        evaluation.score_generator(generator, (ramp_images(3), ramp_images(2)))
    with pytest.raises(ValueError, match="test_mode must be one of"):
        evaluation.score_generator(generator, (ramp_images(), ramp_images()), test_mode="eval")
    empty = tf.data.Dataset.from_tensor_slices((ramp_images(), ramp_images())).take(0)
    with pytest.raises(ValueError, match="empty"):
        evaluation.score_generator(generator, empty)
    with pytest.raises(ValueError, match="masks= need segmenter=.*or palette="):
        evaluation.score_outputs(ramp_images(), ramp_images(), masks=np.zeros((3, 16, 16)))
    with pytest.raises(ValueError, match="pass masks= too"):
        evaluation.score_outputs(ramp_images(), ramp_images(), palette=np.zeros((2, 3)))
