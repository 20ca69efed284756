"""The paper's ablations in miniature (p2plib.ablations) and the library options they need."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from p2plib import losses, models, training

SIZE = 32


def smooth_pairs(count, seed, size=SIZE):
    """Smooth random inputs; the target swaps the colour channels and negates them."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-1, 1, (count, 4, 4, 3)).astype("float32")
    inputs = tf.image.resize(coarse, (size, size)).numpy()
    return inputs, -inputs[..., ::-1]


def tiny_generator(seed=0):
    keras.utils.set_random_seed(seed)
    return models.unet_generator(SIZE, base_filters=4, dropout=False)


def generator_gradients(generator, discriminator, inputs, targets, **loss_options):
    with tf.GradientTape() as tape:
        _, step_losses = training.compute_losses(
            generator, discriminator, inputs, targets, **loss_options
        )
    return step_losses, tape.gradient(step_losses["gen_total"], generator.trainable_variables)


def largest(gradients):
    return max(float(tf.reduce_max(tf.abs(gradient))) for gradient in gradients)


# ------------------------------------------------ library options the ablations need


def test_gan_weight_scales_only_the_adversarial_term():
    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(size=(2, 4, 4, 1)), tf.float32)
    generated, target = (tf.constant(rng.uniform(-1, 1, (2, 8, 8, 3)), tf.float32)
                         for _ in range(2))
    total, gan, l1 = losses.generator_loss(logits, generated, target, 100.0)
    half_total, half_gan, half_l1 = losses.generator_loss(
        logits, generated, target, 100.0, gan_weight=0.5
    )
    np.testing.assert_allclose(half_gan, gan)
    np.testing.assert_allclose(half_l1, l1)
    np.testing.assert_allclose(half_total, 0.5 * gan + 100.0 * l1, rtol=1e-6)
    np.testing.assert_allclose(total - half_total, 0.5 * gan, atol=1e-4)  # float32 totals ~100


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "strong", None])
def test_a_bad_gan_weight_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="gan_weight"):
        losses.check_gan_weight(bad)
    with pytest.raises(ValueError, match="gan_weight"):
        training.Pix2Pix(tiny_generator(), models.patchgan_discriminator(
            SIZE, base_filters=4, n_layers=1)).compile(gan_weight=bad)


def test_l1_alone_gives_the_generator_no_adversarial_gradient():
    inputs, targets = smooth_pairs(2, seed=1)
    generator = tiny_generator(seed=2)
    discriminator = models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1)
    step_losses, with_gan = generator_gradients(
        generator, discriminator, inputs, targets, training=False
    )
    _, l1_only = generator_gradients(
        generator, discriminator, inputs, targets, training=False, gan_weight=0.0
    )
    _, pure_l1 = generator_gradients(
        generator, discriminator, inputs, targets, training=False, gan_weight=0.0,
        l1_weight=1.0,
    )
    assert float(step_losses["gen_gan"]) > 0.1  # there is an adversarial term to drop
    for l1_gradient, pure_gradient in zip(l1_only, pure_l1, strict=True):
        np.testing.assert_allclose(l1_gradient, 100.0 * pure_gradient, rtol=1e-4, atol=1e-7)
    assert max(float(tf.reduce_max(tf.abs(a - b)))
               for a, b in zip(with_gan, l1_only, strict=True)) > 1e-6


def test_cgan_alone_gives_the_generator_no_l1_gradient():
    inputs, targets = smooth_pairs(2, seed=3)
    generator = tiny_generator(seed=4)
    discriminator = models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1)
    step_losses, gradients = generator_gradients(
        generator, discriminator, inputs, targets, training=False, l1_weight=0.0
    )
    np.testing.assert_allclose(step_losses["gen_total"], step_losses["gen_gan"], rtol=1e-6)
    assert float(step_losses["gen_l1"]) > 0.05
    assert largest(gradients) > 0


def test_unconditional_discriminator_takes_the_image_alone():
    conditional = models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1)
    unconditional = models.patchgan_discriminator(
        SIZE, base_filters=4, n_layers=1, conditional=False
    )
    assert len(conditional.inputs) == 2 and len(unconditional.inputs) == 1
    assert unconditional.inputs[0].shape[1:] == (SIZE, SIZE, 3)
    assert unconditional.output.shape == conditional.output.shape
    assert training.is_conditional(conditional) and not training.is_conditional(unconditional)
    # Same receptive field as the conditional PatchGAN of the same depth.
    assert models.receptive_field(unconditional) == models.receptive_field(conditional) == 16


def test_unconditional_discriminator_judges_targets_and_outputs_alone():
    inputs, targets = smooth_pairs(2, seed=5)
    generator = tiny_generator(seed=6)
    keras.utils.set_random_seed(7)
    discriminator = models.patchgan_discriminator(
        SIZE, base_filters=4, n_layers=1, conditional=False
    )
    assert training.discriminator_inputs(discriminator, inputs, targets) is targets
    generated, step_losses = training.compute_losses(
        generator, discriminator, inputs, targets, training=False
    )
    expected = losses.discriminator_loss(
        discriminator(targets, training=False), discriminator(generated, training=False)
    )
    np.testing.assert_allclose(step_losses["disc_loss"], expected, rtol=1e-6)


def test_pix2pix_trains_with_an_unconditional_discriminator_and_no_gan_term():
    inputs, targets = smooth_pairs(2, seed=8)
    model = training.Pix2Pix(tiny_generator(seed=9), models.patchgan_discriminator(
        SIZE, base_filters=4, n_layers=1, conditional=False))
    model.compile(gan_weight=0.0)
    assert model.get_compile_config()["gan_weight"] == 0.0
    before = [np.array(w) for w in model.discriminator.trainable_variables]
    logs = model.train_on_batch(inputs, targets, return_dict=True)
    np.testing.assert_allclose(logs["gen_total"], 100.0 * logs["gen_l1"], rtol=1e-5)
    after = model.discriminator.trainable_variables
    # The discriminator still learns (its loss is reported), it just no longer steers G.
    assert max(float(np.max(np.abs(a - np.array(b)))) for a, b in zip(before, after,
                                                                      strict=True)) > 0
