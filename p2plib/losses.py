"""The Pix2Pix objective: adversarial losses and the L1 term (introduced in notebook 04).

The discriminator sees patch logits (no sigmoid), so the vanilla GAN loss is binary
cross-entropy on logits, and the least-squares variant ("lsgan") is the squared distance of
the raw scores from 1 (real) or 0 (generated). Every function returns a scalar mean over the
batch and the patches; callers that split a batch over several devices scale it themselves.
"""

from __future__ import annotations

from keras import ops

from p2plib import checks, paper
from p2plib.errors import ArgumentError

__all__ = [
    "GAN_MODES", "adversarial_loss", "check_gan_mode", "check_gan_weight",
    "check_l1_weight", "discriminator_loss", "generator_loss", "l1_loss",
]

GAN_MODES = ("vanilla", "lsgan")
"""The adversarial losses: cross-entropy on logits (the paper) or least squares (notebook 04)."""


def check_gan_mode(gan_mode: str) -> str:
    """Return ``gan_mode`` if it is one of ``GAN_MODES``, else raise a ValueError (notebook 04)."""
    if gan_mode not in GAN_MODES:
        raise ArgumentError(
            f"gan_mode must be one of {GAN_MODES} ('vanilla': binary cross-entropy on logits "
            f"as in the paper, 'lsgan': least squares); got {gan_mode!r}."
        )
    return gan_mode


def check_l1_weight(l1_weight) -> float:
    """Return ``l1_weight`` (lambda) as a float if it is a number >= 0
    (``checks.number``) (notebook 04)."""
    return checks.number(l1_weight, "l1_weight (lambda)", minimum=0,
                         example=f"{paper.L1_WEIGHT:g} as in the paper")


def check_gan_weight(gan_weight) -> float:
    """Return ``gan_weight`` as a float if it is a number >= 0 (``checks.number``) (notebook 04)."""
    return checks.number(gan_weight, "gan_weight", minimum=0,
                         example="1 as in the paper, 0 for the L1-only ablation")


def adversarial_loss(logits, target_is_real: bool, gan_mode: str = "vanilla"):
    """Mean loss of patch ``logits`` that should be judged real (True) or generated
    (False) (notebook 04).

    Vanilla: binary cross-entropy on logits, so a logit of 0 (a 50:50 guess) costs log 2.
    Least squares: mean of (logit - 1)^2 for real and logit^2 for generated.
    """
    check_gan_mode(gan_mode)
    logits = ops.cast(logits, "float32")
    labels = ops.ones_like(logits) if target_is_real else ops.zeros_like(logits)
    if gan_mode == "vanilla":
        return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))
    return ops.mean(ops.square(logits - labels))


def discriminator_loss(real_logits, fake_logits, gan_mode: str = "vanilla"):
    """The discriminator's loss: real pairs judged real, generated pairs judged
    generated (notebook 04).

    Halved, as the paper does ("we divide the objective by 2 while optimizing D"), so it is
    the mean of the two terms: ``(loss(real, 1) + loss(fake, 0)) / 2``.
    """
    real_loss = adversarial_loss(real_logits, True, gan_mode)
    fake_loss = adversarial_loss(fake_logits, False, gan_mode)
    return 0.5 * (real_loss + fake_loss)


def l1_loss(generated, target):
    """Mean absolute difference between generated and target images (notebook 04)."""
    generated = ops.cast(generated, "float32")
    target = ops.cast(target, "float32")
    generated_shape, target_shape = tuple(generated.shape), tuple(target.shape)
    mismatch = len(generated_shape) != len(target_shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(generated_shape, target_shape, strict=True)
    )
    if mismatch:
        raise ArgumentError(
            f"generated images of shape {generated_shape} cannot be compared with targets of "
            f"shape {target_shape}; the generator's output must match the target image "
            "(check image_size and out_channels)."
        )
    return ops.mean(ops.abs(target - generated))


def generator_loss(
    fake_logits, generated, target, l1_weight: float = paper.L1_WEIGHT, gan_mode: str = "vanilla",
    gan_weight: float = 1.0,
):
    """The generator's loss: fool the discriminator and stay close to the target in L1.

    Returns ``(total, gan, l1)`` with ``total = gan_weight * gan + l1_weight * l1``; ``gan``
    is the adversarial term (generated pairs judged real) and ``l1`` the unweighted mean
    absolute error, so it reads directly as the L1 distance to the target. ``gan_weight=0``
    gives the paper's "L1 alone" ablation and ``l1_weight=0`` its "cGAN alone" (notebook 06).
    """
    l1_weight = check_l1_weight(l1_weight)
    gan_weight = check_gan_weight(gan_weight)
    gan = adversarial_loss(fake_logits, True, gan_mode)
    l1 = l1_loss(generated, target)
    return gan_weight * gan + l1_weight * l1, gan, l1
