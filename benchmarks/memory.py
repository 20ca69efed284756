"""Peak memory (resident set) of a Pix2Pix training process at the paper's configuration.

Each measurement runs in a fresh Python process, so nothing else this script does counts:
the child builds the U-Net and the 70x70 PatchGAN, compiles ``Pix2Pix`` (the paper's Adam)
and trains ``--steps`` steps with ``fit`` on the synthetic facades (256x256, the paper's
augmentation, batch 1), then reports its peak resident set size (``getrusage`` maxrss)
before and after training. With ``--reference`` the tutorial-style reference of
``benchmarks/training_step.py`` is measured the same way for comparison.

    python benchmarks/memory.py                        # Pix2Pix, 256x256, batch 1, 20 steps
    python benchmarks/memory.py --steps 5 --reference --image-size 128
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

TARGET_GB = 2.0
HERE = Path(__file__).resolve().parent


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far, in bytes (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def train_in_this_process(implementation: str, image_size: int, batch_size: int,
                          steps: int) -> dict:
    """Build, compile and train ``steps`` steps; return the peak RSS at each stage (bytes)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from p2plib import datasets, models, training

    stages = {"python": peak_rss_bytes()}
    pairs = datasets.load("synthetic-facades", "train", image_size=image_size,
                          batch_size=batch_size, augment=True, shuffle=True, seed=0)
    stages["tensorflow"] = peak_rss_bytes()
    if implementation == "pix2pix":
        model = training.Pix2Pix(models.unet_generator(image_size),
                                 models.patchgan_discriminator(image_size))
        model.compile()
        stages["built"] = peak_rss_bytes()
        model.fit(pairs.repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    else:
        sys.path.insert(0, str(HERE))
        import training_step

        generator = training_step.tutorial_generator(image_size)
        discriminator = training_step.tutorial_discriminator(image_size)
        step, _ = training_step.tutorial_train_step(generator, discriminator)
        stages["built"] = peak_rss_bytes()
        for source, target in pairs.repeat().take(steps):
            step(source, target)
    stages["trained"] = peak_rss_bytes()
    stages["tensorflow_version"] = tf.__version__
    return stages


def measure_in_subprocess(implementation: str, image_size: int, batch_size: int,
                          steps: int) -> dict:
    """Run ``train_in_this_process`` in a fresh interpreter and return its report."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", implementation,
               "--image-size", str(image_size), "--batch-size", str(batch_size),
               "--steps", str(steps)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20, help="training steps (default 20)")
    parser.add_argument("--reference", action="store_true",
                        help="also measure the tutorial-style reference")
    parser.add_argument("--child", choices=("pix2pix", "reference"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    return args


def main(argv=None) -> dict:
    args = parse_arguments(argv)
    if args.child:
        report = train_in_this_process(args.child, args.image_size, args.batch_size, args.steps)
        print(json.dumps(report))
        return report
    implementations = ["pix2pix", "reference"] if args.reference else ["pix2pix"]
    reports = {name: measure_in_subprocess(name, args.image_size, args.batch_size, args.steps)
               for name in implementations}
    command = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"command:  python benchmarks/memory.py {command}".rstrip())
    print(f"setup:    {args.image_size}x{args.image_size}, batch {args.batch_size}, float32, "
          f"{args.steps} steps of fit on the synthetic facades; peak resident set "
          f"(getrusage maxrss) of a fresh process; TensorFlow "
          f"{reports['pix2pix']['tensorflow_version']}\n")
    print("| implementation | after imports + dataset | after building | after training "
          f"| target {TARGET_GB:.1f} GB |")
    print("|---|---|---|---|---|")
    for name, report in reports.items():
        peak = report["trained"] / 1e9
        verdict = "met" if peak <= TARGET_GB else "missed"
        print(f"| {name} | {report['tensorflow'] / 1e9:.2f} GB | {report['built'] / 1e9:.2f} GB "
              f"| {peak:.2f} GB | {verdict} |")
    return reports


if __name__ == "__main__":
    main()
