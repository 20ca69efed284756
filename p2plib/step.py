"""One adversarial training step, as notebook 04 writes it.

Generate once with ``training=True``, let the discriminator judge the real and the
generated pair, and update each network from its own loss, both from that same forward
pass. ``Pix2Pix.train_step`` (``p2plib.training``, notebook 05) runs this very function;
what only a Keras model needs (several devices, mixed precision, the losses it reports)
stays there, around the step.
"""

from __future__ import annotations

import tensorflow as tf

from p2plib import losses

LOSS_NAMES = ("gen_total", "gen_gan", "gen_l1", "disc_loss")
"""The four losses a step returns (notebook 04)."""

__all__ = ["LOSS_NAMES", "adversarial_step", "make_train_step"]


def adversarial_step(generator, discriminator, generator_optimizer, discriminator_optimizer,
                     input_image, target_image, generator_loss=losses.generator_loss,
                     discriminator_loss=losses.discriminator_loss):
    """One Pix2Pix update of both networks; returns the four losses (notebook 04).

    Args:
        generator, discriminator: the two networks; the discriminator takes
            ``[input, image]``.
        generator_optimizer, discriminator_optimizer: one optimizer each.
        input_image, target_image: a batch of pairs in [-1, 1].
        generator_loss: ``(fake_logits, generated, target) -> (total, gan, l1)``.
        discriminator_loss: ``(real_logits, fake_logits) -> loss``.
    """
    with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
        generated = generator(input_image, training=True)
        real_logits = discriminator([input_image, target_image], training=True)
        fake_logits = discriminator([input_image, generated], training=True)
        gen_total, gen_gan, gen_l1 = generator_loss(fake_logits, generated, target_image)
        disc_loss = discriminator_loss(real_logits, fake_logits)
    generator_weights = generator.trainable_variables
    discriminator_weights = discriminator.trainable_variables
    generator_gradients = generator_tape.gradient(gen_total, generator_weights)
    discriminator_gradients = discriminator_tape.gradient(disc_loss, discriminator_weights)
    generator_optimizer.apply_gradients(
        zip(generator_gradients, generator_weights, strict=True))
    discriminator_optimizer.apply_gradients(
        zip(discriminator_gradients, discriminator_weights, strict=True))
    return {"gen_total": gen_total, "gen_gan": gen_gan, "gen_l1": gen_l1,
            "disc_loss": disc_loss}


def make_train_step(generator, discriminator, generator_optimizer, discriminator_optimizer):
    """``adversarial_step`` compiled with ``tf.function`` for these networks and optimizers:
    ``train_step(input_image, target_image) -> dict of the four losses`` (notebook 04).

    The optimizers' moments are created first: a ``tf.function`` may create variables only
    in its first call.
    """
    for optimizer, network in ((generator_optimizer, generator),
                               (discriminator_optimizer, discriminator)):
        if not optimizer.built:
            optimizer.build(network.trainable_variables)
    compiled = tf.function(adversarial_step)

    def train_step(input_image, target_image):
        return compiled(generator, discriminator, generator_optimizer,
                        discriminator_optimizer, input_image, target_image)

    return train_step
