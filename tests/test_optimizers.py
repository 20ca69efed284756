"""paper_optimizer and FusedAdam (the same update in one fused kernel), on real small models."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from p2plib.optimizers import FusedAdam, paper_optimizer


def dense_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh"),
                             keras.layers.Dense(2)])


def regression_data(seed=0):
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(16, 6)).astype("float32")
    return inputs, np.stack([inputs[:, 0] * inputs[:, 1], inputs[:, 2]], axis=1)


def trained_weights(model, optimizer, inputs, targets, steps=6, jit_compile=False):
    @tf.function(jit_compile=jit_compile)
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(inputs) - targets))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))

    for _ in range(steps):
        step()
    return [np.array(weight) for weight in model.weights]


def schedule():
    return keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=2, decay_rate=0.5)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fused_adam_makes_keras_adams_updates(jit_compile):
    inputs, targets = regression_data()
    start = [np.array(weight) for weight in dense_model().weights]
    expected = trained_weights(dense_model(), keras.optimizers.Adam(schedule(), beta_1=0.5),
                               inputs, targets)
    fused = trained_weights(dense_model(), FusedAdam(schedule(), beta_1=0.5), inputs, targets,
                            jit_compile=jit_compile)
    for before, want, got in zip(start, expected, fused, strict=True):
        assert np.abs(want - before).max() > 1e-3  # the weights moved
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sparse_gradients_are_refused_with_a_pointer_to_keras_adam():
    table = keras.Variable(np.arange(12, dtype="float32").reshape(4, 3))
    optimizer = FusedAdam(1e-2)
    optimizer.build([table])
    sparse = tf.IndexedSlices(tf.ones((2, 3)), indices=tf.constant([0, 2]),
                              dense_shape=tf.constant([4, 3]))
    with pytest.raises(NotImplementedError, match="keras.optimizers.Adam"):
        optimizer.apply_gradients([(sparse, table)])


def test_paper_optimizer_is_keras_adam_with_the_papers_settings():
    optimizer = paper_optimizer()
    assert type(optimizer) is keras.optimizers.Adam
    assert np.isclose(float(optimizer.learning_rate), 2e-4) and optimizer.beta_1 == 0.5
    assert type(paper_optimizer(fused=True)) is FusedAdam


def test_fused_adam_round_trips_through_keras_serialization():
    optimizer = FusedAdam(3e-4, beta_1=0.5, epsilon=1e-6)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is FusedAdam
    assert restored.get_config() == optimizer.get_config()
