"""The Pix2Pix losses on numbers worked out by hand."""

import math

import numpy as np
import pytest

from p2plib import losses

LOG2 = math.log(2.0)


def softplus(x):
    return math.log1p(math.exp(x))


def value(tensor):
    return float(np.asarray(tensor))


def test_logits_of_zero_cost_log_2_on_both_sides():
    zeros = np.zeros((2, 30, 30, 1), np.float32)
    assert value(losses.adversarial_loss(zeros, True)) == pytest.approx(LOG2)
    assert value(losses.adversarial_loss(zeros, False)) == pytest.approx(LOG2)
    assert value(losses.discriminator_loss(zeros, zeros)) == pytest.approx(LOG2)


def test_vanilla_discriminator_loss_is_the_mean_of_real_and_fake_cross_entropy():
    real = np.array([[2.0, -1.0]], np.float32)  # -log(sigmoid(x)) = softplus(-x)
    fake = np.array([[0.5, 3.0]], np.float32)  # -log(1 - sigmoid(x)) = softplus(x)
    real_loss = (softplus(-2.0) + softplus(1.0)) / 2
    fake_loss = (softplus(0.5) + softplus(3.0)) / 2
    assert value(losses.adversarial_loss(real, True)) == pytest.approx(real_loss, rel=1e-6)
    assert value(losses.adversarial_loss(fake, False)) == pytest.approx(fake_loss, rel=1e-6)
    expected = (real_loss + fake_loss) / 2  # the paper halves D's objective
    assert value(losses.discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-6)


def test_vanilla_loss_is_stable_for_large_logits():
    large = np.array([100.0, -100.0], np.float32)
    # judged real: softplus(-100) ~ 0 and softplus(100) = 100, no overflow to inf or nan
    assert value(losses.adversarial_loss(large, True)) == pytest.approx(50.0, rel=1e-6)
    assert value(losses.adversarial_loss(large, False)) == pytest.approx(50.0, rel=1e-6)


def test_least_squares_losses():
    real = np.array([0.5, 1.5], np.float32)
    fake = np.array([0.5, -1.0], np.float32)
    assert value(losses.adversarial_loss(real, True, "lsgan")) == pytest.approx(0.25)
    assert value(losses.adversarial_loss(fake, False, "lsgan")) == pytest.approx(0.625)
    assert value(losses.discriminator_loss(real, fake, "lsgan")) == pytest.approx(0.4375)
    total, gan, _ = losses.generator_loss(fake, np.zeros(2), np.zeros(2), gan_mode="lsgan")
    assert value(gan) == pytest.approx((0.25 + 4.0) / 2)
    assert value(total) == pytest.approx(value(gan))


def test_generator_loss_adds_lambda_times_l1():
    fake_logits = np.zeros((1, 4, 4, 1), np.float32)
    generated = np.zeros((1, 8, 8, 3), np.float32)
    target = np.full((1, 8, 8, 3), 0.5, np.float32)
    target[..., 0] = -1.0  # |diff| = 1 on one channel, 0.5 on two: mean 2/3
    total, gan, l1 = losses.generator_loss(fake_logits, generated, target)
    assert value(gan) == pytest.approx(LOG2)
    assert value(l1) == pytest.approx(2 / 3)
    assert value(total) == pytest.approx(LOG2 + 100 * 2 / 3, rel=1e-6)
    total, _, _ = losses.generator_loss(fake_logits, generated, target, l1_weight=10)
    assert value(total) == pytest.approx(LOG2 + 10 * 2 / 3, rel=1e-6)


def test_losses_average_over_batch_and_patches():
    real = np.zeros((2, 3, 3, 1), np.float32)
    real[1] = 1.0  # half the patches at 0 (log 2), half at 1 (softplus(-1))
    expected = (LOG2 + softplus(-1.0)) / 2
    assert value(losses.adversarial_loss(real, True)) == pytest.approx(expected, rel=1e-6)


def test_bad_gan_mode_is_named():
    with pytest.raises(ValueError, match="gan_mode.*'wgan'"):
        losses.discriminator_loss(np.zeros(2), np.zeros(2), gan_mode="wgan")


@pytest.mark.parametrize("weight", [-1, "a lot", float("nan")])
def test_bad_l1_weight_is_named(weight):
    with pytest.raises(ValueError, match="l1_weight"):
        losses.generator_loss(np.zeros(2), np.zeros(2), np.zeros(2), l1_weight=weight)


def test_mismatched_images_are_reported_with_their_shapes():
    with pytest.raises(ValueError, match=r"\(1, 8, 8, 3\).*\(1, 8, 8, 1\)"):
        losses.l1_loss(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 8, 1)))
