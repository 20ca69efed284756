"""The adversarial step: generate once, score both pairs, update both networks (notebook 04).

``compute_losses`` runs the networks and returns the four losses, ``adversarial_update`` does
one Pix2Pix update with two gradient tapes, and ``make_train_step`` compiles it into a
``tf.function`` for an explicit loop. ``Pix2Pix.train_step`` (``p2plib.training``) runs the
same ``adversarial_update``.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from p2plib import losses, paper, precision, testtime
from p2plib.errors import ArgumentError

LOSS_NAMES = ("gen_total", "gen_gan", "gen_l1", "disc_loss")


def is_conditional(discriminator) -> bool:
    """True for a discriminator of ``[input, target]`` pairs, False for one of images alone.

    The unconditional discriminator (``patchgan_discriminator(..., conditional=False)``)
    judges the target or generated image without seeing the input: the paper's "GAN"
    ablation, introduced in notebook 06.
    """
    try:
        return len(discriminator.inputs) != 1
    except (AttributeError, TypeError, ValueError):  # a subclassed model has no inputs
        return True


def discriminator_inputs(discriminator, input_images, images):
    """What ``discriminator`` judges: ``[input_images, images]``, or ``images`` alone."""
    return [input_images, images] if is_conditional(discriminator) else images


def compute_losses(generator, discriminator, input_images, target_images,
                   l1_weight=paper.L1_WEIGHT, gan_mode="vanilla", training=True,
                   test_mode=None, gan_weight=1.0):
    """Generate once, score the real and the generated pair, and return both losses.

    Returns ``(generated, losses)`` where ``losses`` maps ``LOSS_NAMES`` to scalars:
    ``gen_total = gan_weight * gen_gan + l1_weight * gen_l1`` (``gen_l1`` is the unweighted
    L1 distance) and the discriminator's halved cross-entropy ``disc_loss``. The networks
    run with ``training``, or, when ``test_mode`` is given, by the test-time policy
    (``testtime.run_for_test``). An unconditional discriminator sees the images alone.
    """
    input_images = ops.convert_to_tensor(input_images, "float32")
    target_images = ops.convert_to_tensor(target_images, "float32")

    def run(model, inputs):
        if test_mode is not None:
            return testtime.run_for_test(model, inputs, test_mode)
        return model(inputs, training=training)

    generated = run(generator, input_images)
    real_logits = run(discriminator, discriminator_inputs(discriminator, input_images,
                                                          target_images))
    fake_logits = run(discriminator, discriminator_inputs(discriminator, input_images,
                                                          generated))
    gen_total, gen_gan, gen_l1 = losses.generator_loss(
        fake_logits, generated, target_images, l1_weight, gan_mode, gan_weight
    )
    disc_loss = losses.discriminator_loss(real_logits, fake_logits, gan_mode)
    step_losses = dict(zip(LOSS_NAMES, (gen_total, gen_gan, gen_l1, disc_loss), strict=True))
    return generated, step_losses


def _replica_fraction() -> float:
    # Gradients from the replicas of a tf.distribute strategy are summed, so each replica's
    # mean loss is scaled down to make the sum the mean over the global batch.
    return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync


def adversarial_update(generator, discriminator, generator_optimizer, discriminator_optimizer,
                       input_images, target_images, l1_weight=paper.L1_WEIGHT,
                       gan_mode="vanilla", gan_weight=1.0):
    """One Pix2Pix update: generate once, then update both networks from that same batch.

    Both networks run with ``training=True`` (dropout on, batch statistics); the
    discriminator learns from the very images the generator is updated on. Returns the four
    losses as a dict (see ``compute_losses``). With ``gan_weight=0`` the discriminator still
    learns, but its verdict no longer reaches the generator.
    """
    with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
        _, step_losses = compute_losses(
            generator, discriminator, input_images, target_images, l1_weight, gan_mode,
            gan_weight=gan_weight,
        )
        fraction = _replica_fraction()
        # scale_loss is the identity except under mixed precision (see precision.loss_scaled).
        generator_objective = generator_optimizer.scale_loss(step_losses["gen_total"] * fraction)
        discriminator_objective = discriminator_optimizer.scale_loss(
            step_losses["disc_loss"] * fraction
        )
    generator_weights = generator.trainable_variables
    discriminator_weights = discriminator.trainable_variables
    generator_gradients = generator_tape.gradient(generator_objective, generator_weights)
    discriminator_gradients = discriminator_tape.gradient(
        discriminator_objective, discriminator_weights
    )
    generator_optimizer.apply_gradients(
        zip(generator_gradients, generator_weights, strict=True)
    )
    discriminator_optimizer.apply_gradients(
        zip(discriminator_gradients, discriminator_weights, strict=True)
    )
    return step_losses


def check_optimizers(generator_optimizer, discriminator_optimizer) -> None:
    """Two distinct Keras optimizers, one per network, or a clear error."""
    for name, optimizer in (
        ("generator_optimizer", generator_optimizer),
        ("discriminator_optimizer", discriminator_optimizer),
    ):
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise ArgumentError(
                f"{name} must be a keras optimizer such as "
                f"p2plib.optimizers.paper_optimizer(); got {optimizer!r}."
            )
    if generator_optimizer is discriminator_optimizer:
        raise ArgumentError(
            "The generator and the discriminator need two optimizer instances (each keeps "
            "its own moments); pass two, e.g. paper_optimizer() twice."
        )


def prepare_optimizer(optimizer, model):
    """``optimizer`` loss-scaled for ``model`` if needed and built for its variables, so its
    state exists (and can be checkpointed) before the first step."""
    optimizer = precision.loss_scaled(optimizer, model)
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return optimizer


def make_train_step(generator, discriminator, generator_optimizer, discriminator_optimizer,
                    l1_weight=paper.L1_WEIGHT, gan_mode="vanilla", gan_weight=1.0):
    """A compiled ``train_step(input_images, target_images) -> dict of the four losses``.

    The explicit step of notebook 04, which ``Pix2Pix.fit`` also runs.
    """
    gan_mode = losses.check_gan_mode(gan_mode)
    l1_weight = losses.check_l1_weight(l1_weight)
    gan_weight = losses.check_gan_weight(gan_weight)
    check_optimizers(generator_optimizer, discriminator_optimizer)
    generator_optimizer = prepare_optimizer(generator_optimizer, generator)
    discriminator_optimizer = prepare_optimizer(discriminator_optimizer, discriminator)

    @tf.function
    def train_step(input_images, target_images):
        return adversarial_update(
            generator, discriminator, generator_optimizer, discriminator_optimizer,
            input_images, target_images, l1_weight, gan_mode, gan_weight,
        )

    return train_step
