"""The Pix2Pix generator and discriminator, as functional Keras models.

Introduced in notebooks 02 (generator) and 03 (discriminator). Every model is built from
stock Keras layers only, so a saved ``.keras`` file loads with ``keras.models.load_model``
in a program that never imports ``p2plib``.

Faithful to the paper (Isola et al. 2017, appendix 6.1.1 and its errata):

- 4x4 convolutions with stride 2; LeakyReLU with slope 0.2 in the encoder and the
  discriminator, ReLU in the decoder, tanh at the output;
- no normalisation on the first encoder block nor on the 1x1 bottleneck;
- dropout 0.5 in the first three decoder blocks;
- convolution kernels drawn from N(0, 0.02), normalisation scales from N(1, 0.02);
- batch-norm momentum 0.1 and epsilon 1e-5 in PyTorch's terms (Keras momentum 0.9).

A convolution followed by a normalisation layer has no bias (the normalisation's offset
does that job); a convolution with nothing after it keeps its bias.
"""

from __future__ import annotations

import contextlib
import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from p2plib import checks, paper
from p2plib.errors import ArgumentError

__all__ = [
    "GENERATORS", "MAX_FILTER_MULTIPLIER",
    "NORMS", "UPSAMPLINGS", "arithmetic_receptive_field", "check_generator", "conv_geometry",
    "downsample", "dtype_policy", "encoder_decoder_generator", "flat_layers", "generator_depth",
    "level_filters", "patch_conv", "patch_map_size", "patchgan_discriminator", "receptive_field",
    "sizes_that_fit", "unet_generator", "upsample", "with_any_input_size",
]

MAX_FILTER_MULTIPLIER = 8
"""Filters stop doubling at 8 times the base (C64 ... C512), as in the paper (notebook 02)."""
GENERATORS = ("unet", "encoder-decoder")
"""The generator architectures: the U-Net (notebook 02) and the encoder-decoder without skips."""
NORMS = ("batch", "instance", "none")
"""Normalisation layers a block may use (notebook 02)."""
UPSAMPLINGS = ("transpose", "resize")
"""How the decoder doubles the size: a transposed convolution, or resize then
convolve (notebook 02)."""


# --------------------------------------------------------------------------- checks


def _check_positive_int(value, what: str, hint: str) -> int:
    return checks.integer(value, what, minimum=1, example=hint)


def _check_channels(value, what: str) -> int:
    hint = "3 for RGB (1 for grey, K for a label map of K classes)"
    return _check_positive_int(value, what, hint)


def _check_norm(norm) -> str:
    norm = "none" if norm is None else norm
    if norm not in NORMS:
        raise ArgumentError(f"norm must be one of {NORMS} (or None); got {norm!r}.")
    return norm


def _check_upsampling(upsampling) -> str:
    if upsampling not in UPSAMPLINGS:
        raise ArgumentError(f"upsampling must be one of {UPSAMPLINGS}; got {upsampling!r}.")
    return upsampling



def _nearby_multiples(value: int, step: int) -> str:
    below = (value // step) * step
    above = below + step
    return " or ".join(str(size) for size in (below, above) if size > 0)


def _largest_fitting_depth(height: int, width: int) -> int:
    """The largest depth whose 2**depth divides both sides."""
    depth = 0
    while height % 2 ** (depth + 1) == 0 and width % 2 ** (depth + 1) == 0:
        depth += 1
    return depth


def sizes_that_fit(height: int, width: int) -> str:
    """Nearby sizes whose smaller side is a power of two and larger side a multiple of it,
    as text: ``"32 or 64"``, or ``"(128, 256), (128, 384)"`` for rectangles (tool)."""
    smaller, larger = min(height, width), max(height, width)
    lower = 2 ** max(int(math.floor(math.log2(smaller))), 1)
    sides = [smaller] if lower == smaller else [lower, 2 * lower]
    if height == width:
        return " or ".join(str(side) for side in sides)
    candidates = []
    for side in sides:
        below = max(larger // side, 1) * side
        for other in (below, below + side):
            candidates.append((side, other) if height < width else (other, side))
    return ", ".join(str(pair) for pair in dict.fromkeys(candidates))


def _derived_depth_error(image_size, height: int, width: int) -> ArgumentError:
    fitting_depth = _largest_fitting_depth(height, width)
    explicit = f"; depth={fitting_depth} fits {image_size!r} as it is" if fitting_depth else ""
    return ArgumentError(
        f"image_size {image_size!r} does not fit a U-Net whose depth is derived from the size "
        "(halving down to a 1-pixel bottleneck): the smaller side must be a power of two "
        "(64, 128, 256, 512, ...) and the larger side a multiple of it. Sizes that fit: "
        f"{sizes_that_fit(height, width)}. Or pass depth=N with both sides multiples of "
        f"2**N{explicit}."
    )


def generator_depth(image_size, depth: int | None = None) -> int:
    """The number of encoder levels for ``image_size``, checked (introduced in notebook 02).

    Without ``depth`` it is derived as in the paper, which halves 256 eight times down to
    a 1x1 bottleneck: the smaller side must be a power of two and the larger a multiple
    of it (64, 128, 256, 512, (256, 512)). With ``depth`` both sides must be multiples of
    ``2**depth``. A size that does not fit raises ``ValueError`` naming sizes that would.
    """
    height, width = checks.image_size(image_size)
    if depth is None:
        smaller = min(height, width)
        derived = int(round(math.log2(smaller)))
        if smaller < 2 or 2**derived != smaller or max(height, width) % smaller:
            raise _derived_depth_error(image_size, height, width)
        return derived
    depth = _check_positive_int(depth, "depth", "8 (encoder levels at 256x256)")
    step = 2**depth
    if height % step or width % step:
        raise ArgumentError(
            f"image_size {image_size!r} does not fit a U-Net of depth {depth}: height and "
            f"width must be multiples of 2**{depth} = {step}. Sizes that fit: height "
            f"{_nearby_multiples(height, step)}, width {_nearby_multiples(width, step)}; "
            "or pass a smaller depth."
        )
    return depth


# --------------------------------------------------------------------------- layers


def _conv_kernel_init():
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def _norm_layer(norm: str, name: str):
    """Batch or instance normalisation with scales from N(1, 0.02), or None."""
    gamma = keras.initializers.RandomNormal(mean=1.0, stddev=0.02)
    if norm == "batch":
        return layers.BatchNormalization(
            momentum=0.9, epsilon=1e-5, gamma_initializer=gamma, name=name
        )
    if norm == "instance":
        # One group per channel: statistics over each image's own pixels, whatever the batch.
        return layers.GroupNormalization(
            groups=-1, epsilon=1e-5, gamma_initializer=gamma, name=name
        )
    return None


def _part(name: str | None, part: str) -> str | None:
    """``down3`` + ``conv`` -> ``down3_conv``; no name gives Keras's automatic names."""
    return f"{name}_{part}" if name else None


def _block(name: str | None, block_layers) -> keras.Sequential:
    return keras.Sequential([layer for layer in block_layers if layer is not None], name=name)


def downsample(filters: int, size: int = 4, norm: str | None = "batch", name: str | None = None):
    """Conv ``size``x``size`` stride 2 -> norm -> LeakyReLU(0.2), halving height and width.

    Returns a ``keras.Sequential`` block (introduced in notebook 02): ``norm=None`` for the
    first encoder block and the bottleneck, as in the paper.
    """
    filters = _check_positive_int(filters, "filters", 64)
    norm = _check_norm(norm)
    return _block(
        name,
        [
            layers.Conv2D(
                filters,
                size,
                strides=2,
                padding="same",
                kernel_initializer=_conv_kernel_init(),
                use_bias=norm == "none",
                name=_part(name, "conv"),
            ),
            _norm_layer(norm, _part(name, "norm")),
            layers.LeakyReLU(negative_slope=paper.LEAKY_SLOPE, name=_part(name, "lrelu")),
        ],
    )


def _upsampling_conv(filters, size, upsampling, use_bias, name):
    """The layers that double height and width: a transposed conv, or resize then conv."""
    if upsampling == "transpose":
        return [
            layers.Conv2DTranspose(
                filters,
                size,
                strides=2,
                padding="same",
                kernel_initializer=_conv_kernel_init(),
                use_bias=use_bias,
                name=_part(name, "convT"),
            )
        ]
    # An even kernel after a resize has no centre pixel and would shift the image by half a
    # pixel at every level, so the resize variant uses the odd kernel one smaller.
    kernel = size - 1 if size % 2 == 0 else size
    return [
        layers.UpSampling2D(2, interpolation="nearest", name=_part(name, "resize")),
        layers.Conv2D(
            filters,
            kernel,
            padding="same",
            kernel_initializer=_conv_kernel_init(),
            use_bias=use_bias,
            name=_part(name, "conv"),
        ),
    ]


def upsample(
    filters: int,
    size: int = 4,
    norm: str | None = "batch",
    dropout: bool = False,
    upsampling: str = "transpose",
    name: str | None = None,
):
    """ConvTranspose ``size``x``size`` stride 2 -> norm -> Dropout 0.5 (optional) -> ReLU.

    Returns a ``keras.Sequential`` block that doubles height and width (introduced in
    notebook 02). ``upsampling="resize"`` replaces the transposed convolution by
    nearest-neighbour resizing and a stride-1 convolution (kernel ``size - 1`` when ``size``
    is even), which avoids checkerboard artefacts.
    """
    filters = _check_positive_int(filters, "filters", 64)
    norm = _check_norm(norm)
    upsampling = _check_upsampling(upsampling)
    return _block(
        name,
        [
            *_upsampling_conv(filters, size, upsampling, norm == "none", name),
            _norm_layer(norm, _part(name, "norm")),
            layers.Dropout(paper.DROPOUT_RATE, name=_part(name, "dropout")) if dropout else None,
            layers.ReLU(name=_part(name, "relu")),
        ],
    )


def patch_conv(filters: int, size: int = 4, norm: str | None = "batch", name: str | None = None):
    """Zero-pad by ``(size - 1) // 2`` -> Conv stride 1 -> norm -> LeakyReLU(0.2).

    The discriminator's stride-1 block (introduced in notebook 03). With ``size=4`` it pads
    one pixel on each side, so the map shrinks by one pixel, as in the paper's code (32 ->
    31 in the 70x70 PatchGAN); ``size=1`` gives the PixelGAN's 1x1 convolutions.
    """
    filters = _check_positive_int(filters, "filters", 64)
    norm = _check_norm(norm)
    padding = (size - 1) // 2
    return _block(
        name,
        [
            layers.ZeroPadding2D(padding, name=_part(name, "pad")) if padding else None,
            layers.Conv2D(
                filters,
                size,
                strides=1,
                padding="valid",
                kernel_initializer=_conv_kernel_init(),
                use_bias=norm == "none",
                name=_part(name, "conv"),
            ),
            _norm_layer(norm, _part(name, "norm")),
            layers.LeakyReLU(negative_slope=paper.LEAKY_SLOPE, name=_part(name, "lrelu")),
        ],
    )


# --------------------------------------------------------------------------- generators


def level_filters(depth: int, base_filters: int = 64) -> list[int]:
    """Filters of each encoder level: 64, 128, 256, 512, 512, ... (capped at 8x
    base) (notebook 02)."""
    return [base_filters * min(2**level, MAX_FILTER_MULTIPLIER) for level in range(depth)]


def _encoder(x, filters: list[int], norm: str) -> list:
    """Apply one downsample block per level; return every level's output, bottleneck last."""
    outputs = []
    for level, level_filter_count in enumerate(filters):
        # The paper normalises neither the first block nor the 1x1 bottleneck (errata: with
        # batch size 1, batch norm there would zero the activations).
        edge = level in (0, len(filters) - 1)
        block_norm = "none" if edge else norm
        x = downsample(level_filter_count, 4, norm=block_norm, name=f"down{level + 1}")(x)
        outputs.append(x)
    return outputs


def _decoder(x, encoder_outputs, filters, skips, norm, dropout, upsampling):
    """Mirror the encoder from the bottleneck outwards, concatenating skips when asked."""
    for step, level in enumerate(reversed(range(len(filters) - 1))):
        x = upsample(
            filters[level],
            4,
            norm=norm,
            dropout=dropout and step < paper.DROPOUT_BLOCKS,
            upsampling=upsampling,
            name=f"up{step + 1}",
        )(x)
        if skips:
            x = layers.Concatenate(name=f"skip{step + 1}")([x, encoder_outputs[level]])
    return x


def _generator(*, skips: bool, image_size, channels, out_channels, base_filters, depth, norm,
               dropout, upsampling, name):
    depth = generator_depth(image_size, depth)
    height, width = checks.image_size(image_size)
    channels = _check_channels(channels, "channels")
    out_channels = _check_channels(out_channels, "out_channels")
    base_filters = _check_positive_int(base_filters, "base_filters", "64 in the paper")
    norm = _check_norm(norm)
    upsampling = _check_upsampling(upsampling)
    filters = level_filters(depth, base_filters)

    inputs = keras.Input((height, width, channels), name="input_image")
    encoder_outputs = _encoder(inputs, filters, norm)
    x = _decoder(encoder_outputs[-1], encoder_outputs, filters, skips, norm, dropout, upsampling)
    for layer in _upsampling_conv(out_channels, 4, upsampling, True, "output"):
        x = layer(x)
    outputs = layers.Activation("tanh", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)


@contextlib.contextmanager
def dtype_policy(policy: str):
    """Build the networks of a ``with`` block under Keras's dtype ``policy``.

    Introduced in notebook 05: ``with dtype_policy("mixed_float16"): ...`` gives float16
    arithmetic with float32 weights (the GPU option). Keras's global policy is restored on
    leaving, so networks built later are not affected.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def unet_generator(
    image_size=256,
    channels: int = 3,
    out_channels: int = 3,
    base_filters: int = 64,
    depth: int | None = None,
    norm: str | None = "batch",
    dropout: bool = True,
    upsampling: str = "transpose",
    name: str = "unet_generator",
) -> keras.Model:
    """The paper's U-Net generator: an encoder-decoder with skip connections.

    Introduced in notebook 02. ``image_size`` is an int or ``(height, width)``; ``depth``
    (encoder levels) is derived from it when not given (8 at 256x256, down to a 1x1
    bottleneck). At 256x256 with 64 base filters it has about 54.41 million trainable
    parameters. ``norm`` is ``"batch"`` (the paper), ``"instance"`` (per image, for batches
    larger than one) or ``None``; ``dropout`` switches the 0.5 dropout of the first three
    decoder blocks; ``upsampling`` is ``"transpose"`` or ``"resize"``. Outputs lie in
    [-1, 1] (tanh).
    """
    return _generator(
        skips=True, image_size=image_size, channels=channels, out_channels=out_channels,
        base_filters=base_filters, depth=depth, norm=norm, dropout=dropout,
        upsampling=upsampling, name=name,
    )


def encoder_decoder_generator(
    image_size=256,
    channels: int = 3,
    out_channels: int = 3,
    base_filters: int = 64,
    depth: int | None = None,
    norm: str | None = "batch",
    dropout: bool = True,
    upsampling: str = "transpose",
    name: str = "encoder_decoder_generator",
) -> keras.Model:
    """The same generator without skip connections (the paper's "encoder-decoder").

    Introduced in notebook 02; arguments as for ``unet_generator``.
    """
    return _generator(
        skips=False, image_size=image_size, channels=channels, out_channels=out_channels,
        base_filters=base_filters, depth=depth, norm=norm, dropout=dropout,
        upsampling=upsampling, name=name,
    )


# --------------------------------------------------------------------------- discriminator


def patchgan_discriminator(
    image_size=256,
    input_channels: int = 3,
    target_channels: int = 3,
    base_filters: int = 64,
    n_layers: int = 3,
    norm: str | None = "batch",
    name: str | None = None,
    conditional: bool = True,
) -> keras.Model:
    """The conditional PatchGAN: ``[input, target]`` -> a map of patch logits (no sigmoid).

    Introduced in notebook 03. ``n_layers`` stride-2 blocks (64, 128, 256, 512, 512 ...
    filters, the first without normalisation), one stride-1 block, then a stride-1
    convolution to one logit per patch. ``n_layers`` 0, 1, 3 and 5 give the paper's
    PixelGAN (1x1 convolutions) and its 16x16, 70x70 and 286x286 PatchGANs; at 256x256
    the 70x70 PatchGAN returns 30x30x1 logits. ``image_size`` is an int, ``(height,
    width)``, or ``None`` for a model that accepts any size. ``conditional=False`` gives
    the unconditional discriminator of the paper's "GAN" ablation (notebook 06): it takes
    the target (or generated) image alone, ``input_channels`` is then unused.
    """
    n_layers = checks.integer(n_layers, "n_layers", minimum=0,
                              example="3 (0: PixelGAN, 1: 16x16, 3: 70x70, 5: 286x286)")
    input_channels = _check_channels(input_channels, "input_channels")
    target_channels = _check_channels(target_channels, "target_channels")
    base_filters = _check_positive_int(base_filters, "base_filters", "64 in the paper")
    norm = _check_norm(norm)
    kernel = 4 if n_layers else 1
    if image_size is None:
        height = width = None
    else:
        height, width = checks.image_size(image_size)
        _check_patch_map_size(image_size, (height, width), n_layers)

    target_image = keras.Input((height, width, target_channels), name="target_image")
    if conditional:
        input_image = keras.Input((height, width, input_channels), name="input_image")
        x = layers.Concatenate(name="input_and_target")([input_image, target_image])
    else:
        x = target_image
    if n_layers == 0:
        x = patch_conv(base_filters, 1, norm=None, name="pixel1")(x)
        x = patch_conv(2 * base_filters, 1, norm=norm, name="pixel2")(x)
    else:
        for level in range(n_layers):
            filters = base_filters * min(2**level, MAX_FILTER_MULTIPLIER)
            block_norm = "none" if level == 0 else norm
            x = downsample(filters, kernel, norm=block_norm, name=f"down{level + 1}")(x)
        filters = base_filters * min(2**n_layers, MAX_FILTER_MULTIPLIER)
        x = patch_conv(filters, kernel, norm=norm, name="patch_conv")(x)
        x = layers.ZeroPadding2D(1, name="logits_pad")(x)
    logits = layers.Conv2D(
        1, kernel, padding="valid", kernel_initializer=_conv_kernel_init(), name="patch_logits"
    )(x)
    if not conditional:
        return keras.Model(target_image, logits, name=name or f"patchgan_{n_layers}_unconditional")
    return keras.Model([input_image, target_image], logits, name=name or f"patchgan_{n_layers}")


def patch_map_size(size: int, n_layers: int) -> int:
    """Side of the logit map for an input side ``size`` (introduced in notebook 03)."""
    if n_layers == 0:
        return size
    for _ in range(n_layers):
        size = math.ceil(size / 2)
    return size - 2  # the stride-1 block and the logit layer each take one pixel off


def _check_patch_map_size(image_size, height_width, n_layers):
    smallest = 1
    while patch_map_size(smallest, n_layers) < 1:
        smallest += 1
    if min(height_width) < smallest:
        raise ArgumentError(
            f"image_size {image_size!r} is too small for a PatchGAN with n_layers={n_layers}: "
            f"its logit map would be empty. Use sides of at least {smallest} pixels "
            "(such as 64, 128 or 256), or fewer layers."
        )


# --------------------------------------------------------------------------- receptive field


def flat_layers(model) -> list:
    """All layers of ``model`` in order, with the layers of nested blocks spelled out (tool)."""
    result = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            result.extend(flat_layers(layer))
        else:
            result.append(layer)
    return result


def conv_geometry(model) -> list[tuple[str, int, int]]:
    """``(layer name, kernel, stride)`` of each convolution or pooling layer, in order.

    Introduced in notebook 03, to compute the receptive field by arithmetic. Dilated
    kernels count with their effective size. Raises ``ValueError`` for layers that
    upsample, whose receptive field this recursion does not cover.
    """
    geometry = []
    for layer in flat_layers(model):
        if isinstance(layer, (layers.Conv2DTranspose, layers.UpSampling2D)):
            raise ArgumentError(
                f"layer {layer.name!r} upsamples; the kernel/stride recursion covers only "
                "convolution and pooling chains such as the PatchGAN. Use receptive_field()."
            )
        if isinstance(layer, layers.Conv2D):
            kernel, stride = layer.kernel_size[0], layer.strides[0]
            kernel = layer.dilation_rate[0] * (kernel - 1) + 1
        elif isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
            kernel, stride = layer.pool_size[0], layer.strides[0]
        else:
            continue
        geometry.append((layer.name, int(kernel), int(stride)))
    return geometry


def arithmetic_receptive_field(model_or_geometry) -> int:
    """Receptive field by the kernel/stride recursion (introduced in notebook 03).

    Accepts a model (read with ``conv_geometry``) or a list of ``(kernel, stride)`` or
    ``(name, kernel, stride)`` tuples, first layer first. Going from the output back to
    the input, one output pixel sees ``r = (r - 1) * stride + kernel`` pixels.
    """
    if isinstance(model_or_geometry, keras.Model):
        geometry = conv_geometry(model_or_geometry)
    else:
        geometry = list(model_or_geometry)
    field = 1
    for entry in reversed(geometry):
        kernel, stride = entry[-2], entry[-1]
        field = (field - 1) * stride + kernel
    return field


def _fresh_copy(layer):
    """A new layer with ``layer``'s config; nested blocks rebuilt without their build shape."""
    if isinstance(layer, keras.Sequential):
        return keras.Sequential([_fresh_copy(inner) for inner in layer.layers], name=layer.name)
    return layer.__class__.from_config(layer.get_config())


def with_any_input_size(model) -> keras.Model:
    """A copy of ``model`` whose image inputs accept any height and width, same weights.

    Introduced in notebook 03: the receptive field of the 286x286 PatchGAN is larger than a
    256x256 image, so measuring it needs a larger input than the model was built for.
    """
    inputs = [
        keras.Input((None, None, tensor.shape[-1]), name=tensor.name) for tensor in model.inputs
    ]
    if not isinstance(model.input, (list, tuple)):
        inputs = inputs[0]
    clone = keras.models.clone_model(model, input_tensors=inputs, clone_function=_fresh_copy)
    clone.set_weights(model.get_weights())
    return clone


def _fits(model, size: int) -> bool:
    """Whether a size x size input gives a non-empty output (checked by shape inference only,
    since some CPU kernels return garbage instead of failing on too small an input)."""
    specs = [keras.KerasTensor((1, size, size, tensor.shape[-1])) for tensor in model.inputs]
    try:
        shape = model.compute_output_spec(specs if len(specs) > 1 else specs[0]).shape
    except ValueError:
        return False
    return shape[1] > 0 and shape[2] > 0


def _nonzero_extent(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


def receptive_field(model, start_size: int = 32, max_size: int = 2048, seed: int = 0) -> int:
    """The receptive field of ``model``, measured by gradient (introduced in notebook 03).

    Runs a copy of the model that accepts any input size (``with_any_input_size``) in
    inference mode on random inputs, takes the gradient of the central output logit with
    respect to every input, and returns the side of the square of input pixels where it is
    non-zero. The input starts at ``start_size`` (or the model's own size, when larger)
    and doubles while that square touches the border (where it would be cut off), up to
    ``max_size``; so the 286x286 PatchGAN is measured on a 512x512 input even when it was
    built for 256x256. Filter counts and weight values do not change the result, so a
    narrow copy of an architecture measures just as well and faster. Normalisation that
    pools over the whole image (instance norm) makes every output see every pixel: then
    the field reaches the border at ``max_size`` and ``ValueError`` says so.
    """
    probe = with_any_input_size(model)
    rng = np.random.default_rng(seed)
    built_for = [side for side in model.inputs[0].shape[1:3] if side is not None]
    size = max([start_size, *built_for])  # the model's own size is one that surely fits
    while size <= max_size:
        if not _fits(probe, size):
            size *= 2
            continue
        images = [
            tf.constant(rng.normal(size=(1, size, size, tensor.shape[-1])), tf.float32)
            for tensor in probe.inputs
        ]
        with tf.GradientTape() as tape:
            tape.watch(images)
            output = probe(images if len(images) > 1 else images[0], training=False)
            centre = output[0, output.shape[1] // 2, output.shape[2] // 2, 0]
        gradients = tape.gradient(centre, images)
        mask = np.zeros((size, size), dtype=bool)
        for gradient in gradients:
            mask |= np.any(gradient.numpy()[0] != 0, axis=-1)
        top, bottom, left, right = _nonzero_extent(mask)
        if top > 0 and left > 0 and bottom < size - 1 and right < size - 1:
            height, width = bottom - top + 1, right - left + 1
            if height != width:
                raise ArgumentError(f"the receptive field is not square: {height}x{width}.")
            return int(height)
        size *= 2
    raise ArgumentError(
        f"the receptive field of {model.name!r} reaches the border of a {max_size}x{max_size} "
        "input: each output depends on (nearly) the whole image, e.g. through instance "
        "normalisation or a 1x1 bottleneck. Raise max_size if you expect a finite field."
    )


def check_generator(model, name: str = "the model", error=ArgumentError, channels=None,
                    out_channels=None, fixed_size: bool = False):
    """Return ``model`` if it is a generator, one batch of images in and one out, else raise
    ``error`` with a message naming ``name`` and what to do (tool: every caller that takes a
    generator asks here).

    ``channels`` and ``out_channels`` (a number or a tuple of numbers) are the channel counts
    the caller can feed and use; ``fixed_size`` asks for an input of known height and width.
    """
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, TypeError, ValueError):
        raise error(f"{name} has no input of known shape (not a Keras model, or a subclassed "
                    "one); build the generator with the functional API, e.g. "
                    "p2plib.models.unet_generator.") from None
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        raise error(f"{name} takes inputs {[tuple(i.shape) for i in inputs]}; a generator "
                    "takes one batch of images [N, H, W, C] (is this the discriminator?). Give "
                    "a Pix2Pix generator, e.g. a run's generator.keras.")
    if len(outputs) != 1 or len(outputs[0].shape) != 4:
        raise error(f"{name} is not an image-to-image model: it outputs "
                    f"{[tuple(o.shape) for o in outputs]}, not one batch of images "
                    "[N, H, W, C] (a classifier?). Give a Pix2Pix generator, e.g. a run's "
                    "generator.keras.")
    _, height, width, taken = inputs[0].shape
    given = outputs[0].shape[-1]
    for wanted, actual, what in ((channels, taken, "input"), (out_channels, given, "output")):
        allowed = (wanted,) if isinstance(wanted, int) else wanted
        if allowed is not None and actual not in allowed:
            listed = " or ".join(str(count) for count in allowed)
            raise error(f"{name} has {actual} {what} channels; this needs {listed} "
                        f"(grey: 1, RGB: 3). Give a generator built with {what} channels "
                        f"{listed}, e.g. models.unet_generator(channels=3, out_channels=3).")
    if fixed_size and (height is None or width is None):
        raise error(f"{name} takes images of any size; this needs a fixed input size. Build "
                    "the generator for one size, e.g. models.unet_generator(256).")
    return model
