"""Tests of p2plib.models: the paper's generator and PatchGAN discriminator (notebooks 02, 03)."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from keras import layers

from p2plib import models


def conv_params(kernel, in_channels, out_channels):
    return kernel * kernel * in_channels * out_channels


def trainable_count(model):
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def layers_of_type(model, layer_type):
    return [layer for layer in models.flat_layers(model) if isinstance(layer, layer_type)]


def block(model, name):
    return model.get_layer(name)


def inner_types(block_model):
    return [type(layer) for layer in block_model.layers]


@pytest.fixture(scope="module")
def paper_generator():
    keras.utils.set_random_seed(1)
    return models.unet_generator(256, channels=3, out_channels=3, base_filters=64)


@pytest.fixture(scope="module")
def paper_discriminator():
    keras.utils.set_random_seed(2)
    return models.patchgan_discriminator(256, base_filters=64, n_layers=3)


# ------------------------------------------------------------------ the paper's configuration


def test_generator_has_the_papers_parameter_count(paper_generator):
    # Encoder C64-C128-C256-C512-C512-C512-C512-C512: BN (gamma, beta) everywhere except
    # the first block and the bottleneck, which keep their conv bias instead.
    encoder = (
        conv_params(4, 3, 64) + 64
        + conv_params(4, 64, 128) + 2 * 128
        + conv_params(4, 128, 256) + 2 * 256
        + conv_params(4, 256, 512) + 2 * 512
        + 3 * (conv_params(4, 512, 512) + 2 * 512)
        + conv_params(4, 512, 512) + 512
    )
    # Decoder: each block after the first sees its input concatenated with a skip.
    decoder = (
        conv_params(4, 512, 512) + 2 * 512
        + 3 * (conv_params(4, 1024, 512) + 2 * 512)
        + conv_params(4, 1024, 256) + 2 * 256
        + conv_params(4, 512, 128) + 2 * 128
        + conv_params(4, 256, 64) + 2 * 64
        + conv_params(4, 128, 3) + 3
    )
    assert trainable_count(paper_generator) == encoder + decoder
    assert round(trainable_count(paper_generator) / 1e6, 2) == 54.41


def test_generator_shapes_at_256(paper_generator):
    assert paper_generator.input_shape == (None, 256, 256, 3)
    assert paper_generator.output_shape == (None, 256, 256, 3)
    assert block(paper_generator, "down8").output.shape == (None, 1, 1, 512)
    assert len(layers_of_type(paper_generator, layers.Concatenate)) == 7


def test_discriminator_has_the_papers_shape_and_parameter_count(paper_discriminator):
    expected = (
        conv_params(4, 6, 64) + 64  # C64 on [input, target], no norm, with bias
        + conv_params(4, 64, 128) + 2 * 128
        + conv_params(4, 128, 256) + 2 * 256
        + conv_params(4, 256, 512) + 2 * 512  # stride 1
        + conv_params(4, 512, 1) + 1  # one logit per patch
    )
    assert expected == 2_768_705
    assert trainable_count(paper_discriminator) == expected
    assert paper_discriminator.output_shape == (None, 30, 30, 1)
    assert paper_discriminator.layers[-1].get_config()["activation"] == "linear"


def test_weights_are_initialised_as_in_the_paper(paper_generator):
    kernel = block(paper_generator, "down5").get_layer("down5_conv").kernel.numpy()
    assert kernel.shape == (4, 4, 512, 512)
    assert abs(kernel.mean()) < 1e-3
    assert kernel.std() == pytest.approx(0.02, rel=0.02)
    norms = layers_of_type(paper_generator, layers.BatchNormalization)
    gammas = np.concatenate([norm.gamma.numpy() for norm in norms])
    betas = np.concatenate([norm.beta.numpy() for norm in norms])
    assert gammas.mean() == pytest.approx(1.0, abs=2e-3)
    assert gammas.std() == pytest.approx(0.02, rel=0.1)
    assert not betas.any()


def test_generator_blocks_follow_the_paper(paper_generator):
    first, bottleneck = block(paper_generator, "down1"), block(paper_generator, "down8")
    for edge in (first, bottleneck):
        assert inner_types(edge) == [layers.Conv2D, layers.LeakyReLU]
        assert edge.layers[0].use_bias
    for level in range(2, 8):
        down = block(paper_generator, f"down{level}")
        assert inner_types(down) == [layers.Conv2D, layers.BatchNormalization, layers.LeakyReLU]
        assert not down.layers[0].use_bias
    convolutions = layers_of_type(paper_generator, (layers.Conv2D, layers.Conv2DTranspose))
    assert len(convolutions) == 16
    assert all(conv.kernel_size == (4, 4) and conv.strides == (2, 2) for conv in convolutions)
    leaky = layers_of_type(paper_generator, layers.LeakyReLU)
    assert len(leaky) == 8 and all(layer.negative_slope == 0.2 for layer in leaky)
    assert len(layers_of_type(paper_generator, layers.ReLU)) == 7
    assert paper_generator.layers[-1].get_config()["activation"] == "tanh"


def test_dropout_is_in_the_first_three_decoder_blocks(paper_generator):
    dropouts = layers_of_type(paper_generator, layers.Dropout)
    assert [layer.name for layer in dropouts] == ["up1_dropout", "up2_dropout", "up3_dropout"]
    assert all(layer.rate == 0.5 for layer in dropouts)
    without = models.unet_generator(64, base_filters=4, dropout=False)
    assert not layers_of_type(without, layers.Dropout)


def test_dropout_acts_in_training_only():
    keras.utils.set_random_seed(3)
    generator = models.unet_generator(64, base_filters=8, norm=None)
    image = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype("float32")
    inference = [generator(image, training=False).numpy() for _ in range(2)]
    training = [generator(image, training=True).numpy() for _ in range(2)]
    np.testing.assert_array_equal(inference[0], inference[1])
    assert not np.allclose(training[0], training[1])


def test_discriminator_blocks_follow_the_paper(paper_discriminator):
    assert inner_types(block(paper_discriminator, "down1")) == [layers.Conv2D, layers.LeakyReLU]
    assert len(layers_of_type(paper_discriminator, layers.BatchNormalization)) == 3
    leaky = layers_of_type(paper_discriminator, layers.LeakyReLU)
    assert len(leaky) == 4 and all(layer.negative_slope == 0.2 for layer in leaky)
    assert [(name, kernel, stride) for name, kernel, stride in
            models.conv_geometry(paper_discriminator)] == [
        ("down1_conv", 4, 2), ("down2_conv", 4, 2), ("down3_conv", 4, 2),
        ("patch_conv_conv", 4, 1), ("patch_logits", 4, 1),
    ]


# ------------------------------------------------------------------ outputs


def test_generator_output_is_tanh_bounded():
    keras.utils.set_random_seed(4)
    generator = models.unet_generator(64, base_filters=8)
    # A huge input drives the pre-activation far beyond +-1; tanh must still bound it.
    image = 1000 * np.random.default_rng(1).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    output = generator.predict(image, verbose=0)
    assert output.shape == (2, 64, 64, 3)
    assert np.abs(output).max() <= 1.0
    assert np.abs(output).max() > 0.99


def test_block_shapes():
    image = np.zeros((1, 32, 48, 3), "float32")
    assert models.downsample(16, 4)(image).shape == (1, 16, 24, 16)
    assert models.upsample(16, 4)(image).shape == (1, 64, 96, 16)
    assert models.upsample(16, 4, upsampling="resize")(image).shape == (1, 64, 96, 16)
    assert models.patch_conv(16, 4)(image).shape == (1, 31, 47, 16)
    assert models.patch_conv(16, 1)(image).shape == (1, 32, 48, 16)


def test_rectangular_sizes():
    generator = models.unet_generator((256, 512), base_filters=4)
    assert generator.output_shape == (None, 256, 512, 3)
    assert block(generator, "down8").output.shape == (None, 1, 2, 32)
    small = models.unet_generator((64, 128), base_filters=4)
    assert small.predict(np.zeros((1, 64, 128, 3)), verbose=0).shape == (1, 64, 128, 3)
    discriminator = models.patchgan_discriminator((256, 512), base_filters=4)
    assert discriminator.output_shape == (None, 30, 62, 1)
    assert [models.patch_map_size(512, n) for n in (0, 1, 3, 5)] == [512, 254, 62, 14]


def test_depth_can_be_given_or_derived():
    assert models.generator_depth(256) == 8
    assert models.generator_depth(64) == 6
    assert models.generator_depth((256, 512)) == 8
    assert models.generator_depth(192, depth=6) == 6
    shallow = models.unet_generator(256, base_filters=4, depth=5)
    assert len(layers_of_type(shallow, layers.Concatenate)) == 4
    assert block(shallow, "down5").output.shape == (None, 8, 8, 32)
    assert shallow.output_shape == (None, 256, 256, 3)


def test_channel_counts_grey_and_label_maps():
    grey = models.unet_generator(64, channels=1, out_channels=1, base_filters=4)
    assert grey.input_shape == (None, 64, 64, 1) and grey.output_shape == (None, 64, 64, 1)
    labels = models.unet_generator(64, channels=12, out_channels=3, base_filters=4)
    assert labels.input_shape == (None, 64, 64, 12)
    discriminator = models.patchgan_discriminator(64, input_channels=12, target_channels=1)
    assert [tensor.shape[-1] for tensor in discriminator.inputs] == [12, 1]
    assert block(discriminator, "down1").layers[0].kernel.shape == (4, 4, 13, 64)


def test_encoder_decoder_has_no_skips():
    plain = models.encoder_decoder_generator(64, base_filters=8)
    unet = models.unet_generator(64, base_filters=8)
    assert not layers_of_type(plain, layers.Concatenate)
    assert plain.output_shape == unet.output_shape
    assert trainable_count(plain) < trainable_count(unet)


def test_resize_upsampling_has_no_transposed_convolutions():
    generator = models.unet_generator(64, base_filters=8, upsampling="resize")
    assert not layers_of_type(generator, layers.Conv2DTranspose)
    assert len(layers_of_type(generator, layers.UpSampling2D)) == 6
    assert generator.output_shape == (None, 64, 64, 3)


def test_instance_norm_is_per_image_and_batch_norm_is_not():
    rng = np.random.default_rng(5)
    pair = rng.uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    for norm, independent in (("instance", True), ("batch", False)):
        keras.utils.set_random_seed(6)
        generator = models.unet_generator(64, base_filters=8, norm=norm, dropout=False)
        alone = generator(pair[:1], training=True).numpy()
        batched = generator(pair, training=True).numpy()[:1]
        assert np.allclose(alone, batched, atol=1e-5) == independent, norm
    norms = layers_of_type(generator, layers.BatchNormalization)
    assert norms and all(layer.momentum == 0.9 and layer.epsilon == 1e-5 for layer in norms)


# ------------------------------------------------------------------ receptive field


@pytest.mark.parametrize("n_layers, expected", [(0, 1), (1, 16), (3, 70), (5, 286)])
def test_receptive_field_measured_and_by_arithmetic(n_layers, expected):
    # Few filters: the receptive field depends on kernels and strides, not filter counts.
    discriminator = models.patchgan_discriminator(256, base_filters=4, n_layers=n_layers)
    assert models.arithmetic_receptive_field(discriminator) == expected
    assert models.receptive_field(discriminator) == expected


def test_receptive_field_of_the_paper_discriminator(paper_discriminator):
    assert models.receptive_field(paper_discriminator) == 70


def test_arithmetic_receptive_field_from_a_list():
    assert models.arithmetic_receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]) == 70
    assert models.arithmetic_receptive_field([(1, 1), (1, 1), (1, 1)]) == 1
    with pytest.raises(ValueError, match="upsamples"):
        models.conv_geometry(models.unet_generator(64, base_filters=4))


def test_any_size_copy_keeps_the_weights():
    discriminator = models.patchgan_discriminator(64, base_filters=4)
    copy = models.with_any_input_size(discriminator)
    pair = [np.random.default_rng(7).normal(size=(1, 64, 64, 3)).astype("float32")] * 2
    np.testing.assert_allclose(copy(pair).numpy(), discriminator(pair).numpy(), atol=1e-6)
    bigger = [np.zeros((1, 128, 96, 3), "float32")] * 2
    assert copy(bigger).shape == (1, 14, 10, 1)


def test_instance_norm_makes_the_field_the_whole_image():
    discriminator = models.patchgan_discriminator(64, base_filters=4, norm="instance")
    with pytest.raises(ValueError, match="whole image"):
        models.receptive_field(discriminator, max_size=128)


# ------------------------------------------------------------------ saving


LOADER = textwrap.dedent(
    """
    import json, sys
    sys.modules["p2plib"] = None  # any import of p2plib now fails
    import keras
    import numpy as np

    folder = sys.argv[1]
    for name in json.loads(sys.argv[2]):
        model = keras.models.load_model(f"{folder}/{name}.keras")
        inputs = np.load(f"{folder}/{name}_inputs.npz")
        arrays = [inputs[key] for key in sorted(inputs.files)]
        output = model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
        np.save(f"{folder}/{name}_reloaded.npy", output)
    """
)


def test_saved_models_load_and_predict_without_p2plib(tmp_path):
    rng = np.random.default_rng(8)
    built = {
        "unet": models.unet_generator(64, base_filters=8),
        "unet_instance_resize": models.unet_generator(
            (64, 128), channels=1, out_channels=2, base_filters=4, norm="instance",
            upsampling="resize",
        ),
        "patchgan": models.patchgan_discriminator(64, base_filters=8),
    }
    expected = {}
    for name, model in built.items():
        arrays = [rng.uniform(-1, 1, (1, *t.shape[1:])).astype("float32") for t in model.inputs]
        np.savez(tmp_path / f"{name}_inputs.npz", *arrays)  # keys arr_0, arr_1 keep the order
        model.save(tmp_path / f"{name}.keras")
        expected[name] = model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
    subprocess.run(
        [sys.executable, "-c", LOADER, str(tmp_path), json.dumps(list(built))],
        check=True, capture_output=True, timeout=120,
    )
    for name, output in expected.items():
        reloaded = np.load(tmp_path / f"{name}_reloaded.npy")
        np.testing.assert_allclose(reloaded, output, atol=1e-6, err_msg=name)


# ------------------------------------------------------------------ clear errors


@pytest.mark.parametrize(
    "image_size, depth, fragments",
    [
        (300, None, ["300", "256 or 512"]),
        ((256, 384), None, ["(256, 384)", "power of two"]),
        (256, 9, ["256", "2**9 = 512"]),
        ((192, 256), 7, ["(192, 256)", "height 128 or 256"]),
        (0, None, ["at least 1", "0"]),
        (256.0, None, ["256.0"]),
        ("256", None, ["'256'"]),
        ((256, 256, 3), None, ["(height, width)"]),
    ],
)
def test_bad_generator_sizes_raise_clear_errors(image_size, depth, fragments):
    with pytest.raises(ValueError) as error:
        models.unet_generator(image_size, base_filters=4, depth=depth)
    for fragment in fragments:
        assert fragment in str(error.value)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "3", None])
def test_bad_channel_counts_raise_clear_errors(bad):
    with pytest.raises(ValueError, match="channels must be an integer >= 1"):
        models.unet_generator(64, channels=bad, base_filters=4)
    with pytest.raises(ValueError, match="out_channels must be an integer >= 1"):
        models.encoder_decoder_generator(64, out_channels=bad, base_filters=4)
    with pytest.raises(ValueError, match="target_channels must be an integer >= 1"):
        models.patchgan_discriminator(64, target_channels=bad, base_filters=4)


def test_bad_options_raise_clear_errors():
    with pytest.raises(ValueError, match="norm must be one of"):
        models.unet_generator(64, base_filters=4, norm="layer")
    with pytest.raises(ValueError, match="upsampling must be one of"):
        models.unet_generator(64, base_filters=4, upsampling="bilinear")
    with pytest.raises(ValueError, match="n_layers must be an integer >= 0"):
        models.patchgan_discriminator(64, n_layers=-1)
    with pytest.raises(ValueError, match="32 is too small .* at least 65"):
        models.patchgan_discriminator(32, n_layers=5)
