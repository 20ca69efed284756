"""Mixed precision (float16 arithmetic, float32 weights), the option for GPUs (notebook 05).

A CPU computes float16 slowly, so these tests check correctness, not speed: networks built
under the ``mixed_float16`` policy train through Pix2Pix with dynamic loss scaling.
"""

import keras
import numpy as np
import pytest

from p2plib import models, step, training

SIZE = 32


@pytest.fixture
def mixed_float16():
    with models.dtype_policy("mixed_float16"):
        yield


def tiny_networks():
    keras.utils.set_random_seed(0)
    generator = models.unet_generator(SIZE, base_filters=8)
    discriminator = models.patchgan_discriminator(SIZE, base_filters=8, n_layers=1)
    return generator, discriminator


def pairs(count, seed):
    rng = np.random.default_rng(seed)
    inputs = np.repeat(np.repeat(rng.uniform(-1, 1, (count, 4, 4, 3)), 8, 1), 8, 2)
    return inputs.astype("float32"), -inputs[..., ::-1].astype("float32")


def train_and_score(epochs=10):
    """Held-out L1 before and after ``epochs`` of fit, and the trained model."""
    model = training.Pix2Pix(*tiny_networks())
    model.compile()
    held_out = pairs(4, seed=1)
    before = model.evaluate(*held_out, verbose=0, return_dict=True)["gen_l1"]
    history = model.fit(*pairs(16, seed=0), batch_size=1, epochs=epochs, verbose=0).history
    assert all(np.isfinite(history[name]).all() for name in step.LOSS_NAMES)
    after = model.evaluate(*held_out, verbose=0, return_dict=True)["gen_l1"]
    return before, after, model


def test_mixed_networks_get_loss_scaled_optimizers_and_learn_as_float32_ones(mixed_float16):
    generator, _ = tiny_networks()
    assert generator.compute_dtype == "float16"
    assert all(weight.dtype == "float32" for weight in generator.trainable_weights)
    before, after, model = train_and_score()
    for optimizer in (model.generator_optimizer, model.discriminator_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        # A step whose float16 gradients overflow is skipped and halves the loss scale
        # (from 2**15); the others update the weights and count as iterations.
        skipped = 160 - int(optimizer.iterations)
        assert 0 <= skipped < 16
        assert float(optimizer.dynamic_scale) == 2.0**15 / 2**skipped
    assert model.translate(pairs(2, seed=2)[0]).dtype == "float32"

    with models.dtype_policy("float32"):
        before_32, after_32, _ = train_and_score()
    assert after < 0.8 * before
    assert abs(after - after_32) < 0.2 * (before_32 - after_32)


def test_a_loaded_mixed_generator_is_recognised(mixed_float16, tmp_path):
    generator, _ = tiny_networks()
    generator.save(tmp_path / "generator.keras")
    with models.dtype_policy("float32"):
        loaded = keras.saving.load_model(tmp_path / "generator.keras")
        assert training.computes_in_float16(loaded)
        assert not training.computes_in_float16(tiny_networks()[0])


def test_float32_networks_keep_their_optimizers_unwrapped():
    model = training.Pix2Pix(*tiny_networks())
    model.compile()
    assert not isinstance(model.generator_optimizer, keras.optimizers.LossScaleOptimizer)


def test_dtype_policy_restores_the_previous_policy_even_after_an_error():
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="inside"):
        with models.dtype_policy("mixed_float16"):
            assert models.unet_generator(SIZE, base_filters=8).compute_dtype == "float16"
            raise ValueError("inside")
    assert keras.config.dtype_policy().name == "float32"
