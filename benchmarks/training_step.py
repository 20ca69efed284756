"""Training-step speed: ``Pix2Pix``'s step against a plain tutorial-style reference.

Both implementations train the same architecture (U-Net generator, 70x70 PatchGAN, float32)
on the same random batch, in the same process, alternating round by round so that other
work on the machine slows both alike. For each configuration (image size x batch size) and
variant (``VARIANTS``) it reports the median wall and CPU milliseconds per step, images per
second, the speed ratio (reference time / variant time: 1.0 or more means not slower), and
the achieved GFLOP/s as a share of a large float32 matrix product timed between the same
rounds. It also counts how often each step function was traced, and sets the input
pipeline's images per second against what Pix2Pix consumes at the paper's configuration.

    python benchmarks/training_step.py                          # 256x1, 256x4, 128x1
    python benchmarks/training_step.py --configs 128x1 --steps 3 --repeats 2 --pipeline-seconds 0
    python benchmarks/training_step.py --configs 256x1 --jit    # XLA for every variant
    python benchmarks/training_step.py --variants pix2pix,reference,pix2pix-keras-adam

FLOPs are counted from the layers' shapes (``step_flops``): a convolution's forward pass
costs 2 x multiply-accumulates, its backward pass 2 x forward (input and weight gradients).
A step runs the generator once and the discriminator twice (real and generated pair),
back-propagates the generator's loss through the discriminator's generated-pair pass
(input gradients only, 1 x forward) into the generator, and the discriminator's loss
through both its passes. Normalisation, activations, losses and the optimizers' updates
are not counted (they are few operations per byte, bounded by memory, not arithmetic).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from p2plib import datasets, models, paper, training
from p2plib.tools import report  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import input_pipeline  # noqa: E402

DEFAULT_CONFIGS = "256x1,256x4,128x1"
VARIANTS = {
    "pix2pix": "p2plib's Pix2Pix, its compiled train function run as fit runs it",
    "reference": "the tutorial-style reference written in this file",
    "pix2pix-xla": "Pix2Pix compiled with jit_compile=True",
    "reference-xla": "the reference's tf.function with jit_compile=True",
    "pix2pix-keras-adam": "Pix2Pix with keras.optimizers.Adam instead of its fused Adam",
    "pix2pix-mixed": "Pix2Pix with networks built under the mixed_float16 policy (for GPUs)",
}
PAPER_CONFIG = (256, 1)


# --------------------------------------------------------------------------- FLOP count


def forward_macs(model) -> int:
    """Multiply-accumulates of one forward pass of ``model`` on one image (batch 1).

    Counts ``Conv2D`` (output positions x kernel size), ``Conv2DTranspose`` (input
    positions x kernel size: each input pixel is spread over a kernel-sized patch) and
    ``Dense`` layers, including those inside nested blocks.
    """
    total = 0
    for layer in models.flat_layers(model):
        if isinstance(layer, layers.Conv2DTranspose):
            positions = math.prod(layer.input.shape[1:-1])
        elif isinstance(layer, (layers.Conv2D, layers.Dense)):
            positions = math.prod(layer.output.shape[1:-1])
        else:
            continue
        total += positions * math.prod(layer.kernel.shape)
    return int(total)


def step_flops(generator, discriminator, batch_size: int = 1) -> dict:
    """Floating-point operations of one adversarial training step, by part.

    ``generator``: forward + backward (2 x forward); ``discriminator``: two forward
    passes (real, generated) with their backward passes for its own loss (2 x forward
    each) and the input-gradient pass that carries the generator's loss back through the
    generated pair (1 x forward). Returns integers: ``generator``,
    ``discriminator`` and ``total``.
    """
    generator_forward = 2 * forward_macs(generator) * batch_size
    discriminator_forward = 2 * forward_macs(discriminator) * batch_size
    generator_part = 3 * generator_forward
    discriminator_part = 2 * 3 * discriminator_forward + discriminator_forward
    return {"generator": generator_part, "discriminator": discriminator_part,
            "total": generator_part + discriminator_part}


# --------------------------------------------------------------------------- reference
# A plain implementation of the same architecture in the style of the common TensorFlow
# tutorial code: Sequential down/up blocks, lists of blocks wired by a loop, loss objects,
# its own optimizers and a tf.function around two GradientTapes. Initialisers and
# batch-norm constants keep Keras's defaults (they do not change the work done).

weight_init = keras.initializers.RandomNormal(0.0, 0.02)


def tutorial_down(filters, size, apply_batchnorm=True):
    block = keras.Sequential()
    block.add(layers.Conv2D(filters, size, strides=2, padding="same",
                            kernel_initializer=weight_init, use_bias=not apply_batchnorm))
    if apply_batchnorm:
        block.add(layers.BatchNormalization())
    block.add(layers.LeakyReLU(0.2))
    return block


def tutorial_up(filters, size, apply_dropout=False):
    block = keras.Sequential()
    block.add(layers.Conv2DTranspose(filters, size, strides=2, padding="same",
                                     kernel_initializer=weight_init, use_bias=False))
    block.add(layers.BatchNormalization())
    if apply_dropout:
        block.add(layers.Dropout(0.5))
    block.add(layers.ReLU())
    return block


def tutorial_generator(image_size=256):
    levels = int(math.log2(image_size))
    widths = [min(64 * 2**level, 512) for level in range(levels)]
    encoder = [tutorial_down(widths[0], 4, apply_batchnorm=False)]
    encoder += [tutorial_down(width, 4) for width in widths[1:-1]]
    encoder += [tutorial_down(widths[-1], 4, apply_batchnorm=False)]  # 1x1: no batch norm
    decoder = [tutorial_up(width, 4, apply_dropout=index < 3)
               for index, width in enumerate(reversed(widths[:-1]))]
    to_image = layers.Conv2DTranspose(3, 4, strides=2, padding="same",
                                      kernel_initializer=weight_init, activation="tanh")

    image = layers.Input(shape=[image_size, image_size, 3])
    x = image
    skip_outputs = []
    for block in encoder:
        x = block(x)
        skip_outputs.append(x)
    for block, skip in zip(decoder, reversed(skip_outputs[:-1]), strict=True):
        x = block(x)
        x = layers.Concatenate()([x, skip])
    return keras.Model(inputs=image, outputs=to_image(x))


def tutorial_discriminator(image_size=256):
    condition = layers.Input(shape=[image_size, image_size, 3])
    candidate = layers.Input(shape=[image_size, image_size, 3])
    x = layers.concatenate([condition, candidate])
    x = tutorial_down(64, 4, apply_batchnorm=False)(x)
    x = tutorial_down(128, 4)(x)
    x = tutorial_down(256, 4)(x)
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(512, 4, strides=1, kernel_initializer=weight_init, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D()(x)
    logits = layers.Conv2D(1, 4, strides=1, kernel_initializer=weight_init)(x)
    return keras.Model(inputs=[condition, candidate], outputs=logits)


def tutorial_train_step(generator, discriminator, jit_compile=False):
    """The tutorial's step; returns ``(step(input, target) -> losses, trace counter)``."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    gen_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    disc_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    traces = []

    @tf.function(jit_compile=jit_compile)
    def step(source, target):
        traces.append(1)  # Python runs only while tracing
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            fake = generator(source, training=True)
            real_score = discriminator([source, target], training=True)
            fake_score = discriminator([source, fake], training=True)
            fool_loss = cross_entropy(tf.ones_like(fake_score), fake_score)
            gen_loss = fool_loss + 100.0 * tf.reduce_mean(tf.abs(target - fake))
            disc_loss = (cross_entropy(tf.ones_like(real_score), real_score)
                         + cross_entropy(tf.zeros_like(fake_score), fake_score))
        gen_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
        disc_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        gen_opt.apply_gradients(zip(gen_grads, generator.trainable_variables, strict=True))
        disc_opt.apply_gradients(zip(disc_grads, discriminator.trainable_variables, strict=True))
        return gen_loss, disc_loss

    return step, traces


# --------------------------------------------------------------------------- the two steps


def random_batch(image_size: int, batch_size: int, seed: int = 0):
    """A fixed ``(input, target)`` pair of float32 batches in [-1, 1]."""
    rng = np.random.default_rng(seed)
    shape = (batch_size, image_size, image_size, 3)
    return tuple(tf.constant(rng.uniform(-1, 1, shape), tf.float32) for _ in range(2))


def pix2pix_runner(image_size: int, batch, jit_compile=False, optimizer=None,
                   policy="float32"):
    """One ``Pix2Pix`` training step per call, run the way ``fit`` runs it.

    Builds the p2plib networks under the dtype ``policy``, compiles ``Pix2Pix`` with its
    defaults and calls its compiled train function on an iterator over the batch, as ``fit``
    does each step. Returns ``(run_one_step, generator, discriminator, trace counter)``.
    """
    with models.dtype_policy(policy):
        generator = models.unet_generator(image_size)
        discriminator = models.patchgan_discriminator(image_size)
    model = training.Pix2Pix(generator, discriminator)
    if optimizer is None:
        model.compile(jit_compile=jit_compile)
    else:
        model.compile(optimizer(), optimizer(), jit_compile=jit_compile)
    traces = []
    train_step = model.train_step

    def counted_train_step(data):
        traces.append(1)  # runs only while the train function is traced
        return train_step(data)

    model.train_step = counted_train_step
    model.make_train_function()
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())

    def run_one_step():
        return float(model.train_function(iterator)["gen_total"])

    return run_one_step, generator, discriminator, traces


def tutorial_runner(image_size: int, batch, jit_compile=False):
    """One step of the tutorial-style reference per call; same return as ``pix2pix_runner``."""
    generator = tutorial_generator(image_size)
    discriminator = tutorial_discriminator(image_size)
    step, traces = tutorial_train_step(generator, discriminator, jit_compile)
    source, target = batch

    def run_one_step():
        return float(step(source, target)[0])

    return run_one_step, generator, discriminator, traces


# --------------------------------------------------------------------------- timing


def timed_calls(function, count: int) -> list[tuple[float, float]]:
    """``(wall seconds, CPU seconds)`` of each of ``count`` calls of ``function``.

    CPU seconds are those of all this process's threads: less sensitive than wall time to
    other programs competing for the cores, though not immune (they share caches too).
    """
    seconds = []
    for _ in range(count):
        start, cpu_start = time.perf_counter(), time.process_time()
        function()
        seconds.append((time.perf_counter() - start, time.process_time() - cpu_start))
    return seconds


def matmul_runner(size: int = 2048, seed: int = 0):
    """A compiled float32 ``size`` x ``size`` matrix product; returns ``(run, flops)``."""
    rng = np.random.default_rng(seed)
    left, right = (tf.constant(rng.standard_normal((size, size)), tf.float32) for _ in range(2))

    @tf.function
    def product():
        return tf.linalg.matmul(left, right)[0, 0]

    def run():
        return float(product())

    return run, 2 * size**3


def parse_config(text: str) -> tuple[int, int]:
    """``"256x4"`` -> (256, 4): image size x batch size."""
    try:
        size, batch = (int(part) for part in text.lower().split("x"))
    except ValueError:
        size = batch = 0
    if size < 8 or batch < 1 or 2 ** int(round(math.log2(size))) != size:
        raise argparse.ArgumentTypeError(
            f"configuration {text!r} is not SIZExBATCH with a power-of-two size of at least "
            "8 and a batch of at least 1, such as 256x1 or 128x4."
        )
    return size, batch


def keras_adam():
    """Keras's own Adam with the paper's settings, as the reference uses it."""
    return keras.optimizers.Adam(paper.LEARNING_RATE, beta_1=paper.BETA_1)


def make_runner(variant: str, image_size: int, batch, jit_compile=False):
    """The runner of ``variant`` (a key of ``VARIANTS``) on ``batch``."""
    jit_compile = jit_compile or variant.endswith("-xla")
    if variant == "pix2pix-keras-adam":
        return pix2pix_runner(image_size, batch, jit_compile, keras_adam)
    if variant == "pix2pix-mixed":
        return pix2pix_runner(image_size, batch, jit_compile, policy="mixed_float16")
    if variant.startswith("pix2pix"):
        return pix2pix_runner(image_size, batch, jit_compile)
    return tutorial_runner(image_size, batch, jit_compile)


def measure_config(size, batch_size, args, matmul, matmul_times) -> dict:
    """Alternate the variants for ``args.repeats`` rounds of ``args.steps`` steps each."""
    batch = random_batch(size, batch_size)
    runners = {variant: make_runner(variant, size, batch, args.jit) for variant in args.variants}
    flops = {name: step_flops(gen, disc, batch_size)["total"]
             for name, (_, gen, disc, _) in runners.items()}
    params = {name: gen.count_params() + disc.count_params()
              for name, (_, gen, disc, _) in runners.items()}
    if len(set(flops.values())) != 1 or len(set(params.values())) != 1:
        raise RuntimeError(f"the implementations differ: FLOPs {flops}, parameters {params}")
    for run, *_ in runners.values():
        timed_calls(run, 1 + args.warmup)  # trace, then warm up
    times = {name: [] for name in runners}
    order = list(runners)
    for _ in range(args.repeats):
        for name in order:
            times[name] += timed_calls(runners[name][0], args.steps)
        matmul_times += timed_calls(matmul, args.matmul_calls)
        order = order[1:] + order[:1]  # no variant always runs first
    step_flop_count = flops[args.variants[0]]
    row = {"size": size, "batch": batch_size, "flops": step_flop_count,
           "params": params[args.variants[0]], "variants": {}}
    for name, (_, _, _, traces) in runners.items():
        seconds = statistics.median(wall for wall, _ in times[name])
        cpu_seconds = statistics.median(cpu for _, cpu in times[name])
        row["variants"][name] = {
            "ms": 1000 * seconds, "cpu_ms": 1000 * cpu_seconds,
            "images_per_second": batch_size / seconds,
            "gflops": step_flop_count / seconds / 1e9,
            "cpu_gflops": step_flop_count / cpu_seconds / 1e9, "traces": len(traces),
            "steps": len(times[name]),
        }
    baseline = row["variants"][args.baseline]
    for result in row["variants"].values():
        result["ratio"] = baseline["ms"] / result["ms"]
        result["cpu_ratio"] = baseline["cpu_ms"] / result["cpu_ms"]
    return row


def print_report(rows, matmul, pipeline, args, info, loads):
    print(f"command:  python benchmarks/training_step.py {' '.join(args.argv)}".rstrip())
    print(f"machine:  {info['processor']}; {info['cpu_count']} CPUs ({info['usable_cpus']} "
          f"usable); GPU: {', '.join(info['gpus']) or 'none'}; TensorFlow {info['tensorflow']}, "
          f"Keras {info['keras']}, "
          f"Python {info['python']}")
    print(f"load:     1-minute load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the "
          "end (above the core count, other programs share the CPU and absolute rates drop)")
    print(f"setup:    float32 (mixed_float16 for -mixed), jit_compile={args.jit} (always for "
          "the -xla variants); "
          f"{args.repeats} alternating rounds of {args.steps} steps per variant after "
          f"{args.warmup} warm-up steps; medians per step")
    print(f"matmul:   {args.matmul_size}x{args.matmul_size} float32 tf.linalg.matmul: "
          f"{matmul['gflops']:.1f} GFLOP/s, {matmul['cpu_gflops']:.1f} GFLOP per CPU second "
          "(medians of its calls between the rounds)\n")
    print(f"| config | variant | ms/step | CPU ms/step | images/s | speed vs {args.baseline} "
          "(wall, CPU) | GFLOP/s | % of matmul (wall, CPU) | traces |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        config = (f"{row['size']}x{row['size']} batch {row['batch']}, "
                  f"{row['flops'] / 1e9:.1f} GFLOP")
        for name, result in row["variants"].items():
            print(f"| {config} | {name} | {result['ms']:.0f} | {result['cpu_ms']:.0f} | "
                  f"{result['images_per_second']:.2f} | {result['ratio']:.2f}, "
                  f"{result['cpu_ratio']:.2f} | {result['gflops']:.1f} | "
                  f"{100 * result['gflops'] / matmul['gflops']:.0f} %, "
                  f"{100 * result['cpu_gflops'] / matmul['cpu_gflops']:.0f} % | "
                  f"{result['traces']} |")
    print(f"\nspeed = {args.baseline}'s median / the variant's (>= 1: not slower); CPU ms "
          "counts all threads of the process; % of matmul = counted GFLOP per wall second (per "
          "CPU second) over the matrix product's; traces = times the step function was traced")
    if pipeline:
        print(f"\ninput pipeline: {pipeline['rate']:.0f} images/s (load_paired, synthetic "
              f"facades, 256x256, paper augmentation, {args.pipeline_seconds:g} s) vs "
              f"{pipeline['consumed']:.2f} images/s consumed by {pipeline['variant']} at "
              f"256x256 batch 1: {pipeline['rate'] / pipeline['consumed']:.0f}x")


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=DEFAULT_CONFIGS,
                        help=f"comma-separated SIZExBATCH (default {DEFAULT_CONFIGS})")
    parser.add_argument("--steps", type=int, default=5, help="steps per round (default 5)")
    parser.add_argument("--repeats", type=int, default=4,
                        help="alternating rounds per configuration (default 4)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps after tracing")
    parser.add_argument("--variants", default="pix2pix,reference",
                        help="comma-separated, from: " + ", ".join(VARIANTS))
    parser.add_argument("--jit", action="store_true",
                        help="jit_compile=True (XLA) for every variant")
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--matmul-calls", type=int, default=3, help="matmul calls per round")
    parser.add_argument("--pipeline-seconds", type=float, default=5.0,
                        help="input pipeline measurement, 0 to skip (default 5)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args.configs = [parse_config(text) for text in args.configs.split(",")]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    args.variants = list(dict.fromkeys(args.variants.split(",")))
    unknown = [name for name in args.variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    references = [name for name in args.variants if name.startswith("reference")]
    args.baseline = references[0] if references else args.variants[0]
    for name in ("steps", "repeats", "matmul_size", "matmul_calls"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv=None) -> dict:
    args = parse_arguments(argv)
    start_load = os.getloadavg()[0]
    matmul, matmul_flops = matmul_runner(args.matmul_size)
    timed_calls(matmul, 2)
    matmul_times = []
    rows = [measure_config(size, batch, args, matmul, matmul_times)
            for size, batch in args.configs]
    matmul = {
        "gflops": matmul_flops / statistics.median(wall for wall, _ in matmul_times) / 1e9,
        "cpu_gflops": matmul_flops / statistics.median(cpu for _, cpu in matmul_times) / 1e9,
    }
    pipeline = None
    paper_rows = [row for row in rows if (row["size"], row["batch"]) == PAPER_CONFIG]
    if args.pipeline_seconds > 0 and paper_rows:
        datasets.prepare("synthetic-facades", image_size=256)
        folder = datasets.path("synthetic-facades", "train", image_size=256)
        rate = input_pipeline.pipeline_rate(folder, 256, seconds=args.pipeline_seconds)
        variant = args.variants[0]
        consumed = paper_rows[0]["variants"][variant]["images_per_second"]
        pipeline = {"rate": rate, "consumed": consumed, "variant": variant}
    info = report.machine()
    print_report(rows, matmul, pipeline, args, info, (start_load, os.getloadavg()[0]))
    return {"rows": rows, "matmul": matmul, "pipeline": pipeline}


if __name__ == "__main__":
    main()
