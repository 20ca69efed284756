"""The training-step benchmark's FLOP counter against hand counts (speed is never tested)."""

import sys
from pathlib import Path

import keras
from keras import layers

from p2plib import models

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import training_step  # noqa: E402


def test_forward_macs_counts_convolutions_transposed_convolutions_and_dense_layers():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(inputs)  # 8x8x3 -> 4x4x4
    x = layers.Conv2DTranspose(2, 4, strides=2, padding="same")(x)  # 4x4x4 -> 8x8x2
    x = keras.Sequential([layers.Conv2D(5, 1), layers.ReLU()])(x)  # nested: 8x8x2 -> 8x8x5
    x = layers.Flatten()(x)
    outputs = layers.Dense(3)(x)
    model = keras.Model(inputs, outputs)
    by_hand = (
        4 * 4 * (3 * 3 * 3 * 4)  # every output pixel of the strided conv: 3x3x3 inputs x 4
        + 4 * 4 * (4 * 4 * 4 * 2)  # every INPUT pixel of the transposed conv: 4x4 kernel x 4 x 2
        + 8 * 8 * (1 * 1 * 2 * 5)
        + (8 * 8 * 5) * 3
    )
    assert training_step.forward_macs(model) == by_hand


def test_step_flops_counts_one_generator_pass_and_two_discriminator_passes():
    image = keras.Input((4, 4, 3))
    generator = keras.Model(image, layers.Conv2D(3, 1)(image))  # 16 pixels x 3 x 3 MACs
    condition, candidate = keras.Input((4, 4, 3)), keras.Input((4, 4, 3))
    pair = layers.Concatenate()([condition, candidate])
    discriminator = keras.Model([condition, candidate], layers.Conv2D(1, 2)(pair))  # 3x3 out
    generator_forward = 2 * (16 * 3 * 3) * 2  # FLOPs = 2 x MACs, batch 2
    discriminator_forward = 2 * (9 * 2 * 2 * 6 * 1) * 2
    flops = training_step.step_flops(generator, discriminator, batch_size=2)
    # G: forward + backward (2x); D: real and generated pass, each forward + backward, plus
    # the input-gradient pass that carries G's loss back through the generated pair.
    assert flops["generator"] == 3 * generator_forward
    assert flops["discriminator"] == 2 * 3 * discriminator_forward + discriminator_forward
    assert flops["total"] == flops["generator"] + flops["discriminator"]


def test_tutorial_reference_has_the_architecture_of_p2plibs_networks():
    pairs = [
        (training_step.tutorial_generator(32), models.unet_generator(32)),
        (training_step.tutorial_discriminator(32), models.patchgan_discriminator(32)),
    ]
    for reference, ours in pairs:
        assert reference.count_params() == ours.count_params()
        assert training_step.forward_macs(reference) == training_step.forward_macs(ours)
        assert reference.output_shape == ours.output_shape
