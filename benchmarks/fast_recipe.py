"""The fast CPU recipe against the paper's configuration trained the tutorial way, same time.

Both train on the synthetic facades (labels -> photo; ``--dataset synthetic-streets`` for the
street scenes) for the same wall-clock budget (default 15 minutes each, one after the other,
tracing included):

- ``fast-cpu``: ``recipes.FAST_CPU`` (256x256, 32 base filters, 70x70 PatchGAN, batch
  1, Adam 2e-4 / 0.5 decaying over the second half of the time) with ``Pix2Pix.fit``;
- ``paper-tutorial``: the paper's networks (256x256 U-Net with 64 base filters, 70x70
  PatchGAN, batch 1, Adam 2e-4 / 0.5) trained by the tutorial-style loop of
  ``training_step.py`` (a ``tf.function`` around two ``GradientTape``s).

Both are then scored on the same yardstick: the 100 test pairs at the evaluation size
(256x256; outputs of a smaller recipe are resized up to it), the FCN-score of the cached segmenter
for that size (``p2plib.experiments.segmentation``), and L1, PSNR and SSIM against the real photos.
The real photos' FCN-score is the "ground truth" row. The script prints the table, writes
the scores as JSON and a picture of labels | real | fast-cpu | paper-tutorial per pair.

    python benchmarks/fast_recipe.py                 # 2 x 15 minutes, plus data and segmenter
    python benchmarks/fast_recipe.py --dataset synthetic-streets
    python benchmarks/fast_recipe.py --minutes 5
    python benchmarks/fast_recipe.py --quick         # smoke test: 64x64, seconds
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from p2plib import datasets, evaluation, metrics
from p2plib.experiments import ablations, recipes, segmentation
from p2plib.tools import report  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_step  # noqa: E402

COLUMNS = ("pixel_accuracy", "class_accuracy", "class_iou", "l1", "psnr", "ssim")


# --------------------------------------------------------------------------- the contenders


def train_fast(recipe: recipes.TrainingConfig, minutes: float, seed: int, data_dir) -> dict:
    """Train the recipe with ``Pix2Pix.fit`` for ``minutes``; returns its generator and run."""
    run = recipes.train_within(recipe, minutes, seed=seed, data_dir=data_dir)
    return {"generator": run.generator, "steps": run.steps, "seconds": run.seconds}


def train_tutorial(image_size: int, minutes: float, seed: int, data_dir,
                   dataset: str = recipes.FACADES) -> dict:
    """The paper's networks, trained by the tutorial-style loop until ``minutes`` pass."""
    keras.utils.set_random_seed(seed)
    generator = training_step.tutorial_generator(image_size)
    discriminator = training_step.tutorial_discriminator(image_size)
    step, _ = training_step.tutorial_train_step(generator, discriminator)
    pairs = datasets.load(dataset, "train", image_size=image_size, seed=seed,
                          data_dir=data_dir).repeat()
    steps, started = 0, time.perf_counter()
    for source, target in pairs:
        gen_loss, _ = step(source, target)
        float(gen_loss)  # wait for the step to finish before reading the clock
        steps += 1
        if time.perf_counter() - started >= minutes * 60.0:
            break
    seconds = time.perf_counter() - started
    return {"generator": generator, "steps": steps, "seconds": seconds}


# --------------------------------------------------------------------------- scoring


def test_inputs(image_size: int, count, data_dir, dataset: str = recipes.FACADES) -> np.ndarray:
    """The test split's label maps at ``image_size``, in file-name order."""
    pairs = datasets.load(dataset, "test", image_size=image_size, batch_size=50,
                          augment=False, shuffle=False, data_dir=data_dir)
    return np.concatenate([np.asarray(inputs) for inputs, _ in pairs])[:count]


def to_size(images: np.ndarray, size: int) -> np.ndarray:
    """Images resized (bilinear, antialiased) to ``size`` x ``size``, kept in [-1, 1]."""
    if images.shape[1] == size:
        return images
    resized = tf.image.resize(images, (size, size), antialias=True)
    return np.clip(resized.numpy(), -1.0, 1.0)


def score(outputs, test_data, segmenter) -> dict:
    _, targets, masks = test_data
    scores = evaluation.score_outputs(to_size(outputs, targets.shape[1]), targets, masks,
                                      segmenter)
    return {name: round(float(scores[name]), 4) for name in COLUMNS}


def comparison_picture(labels, real, *outputs, count: int = 4) -> np.ndarray:
    """A row per test pair: labels | real photo | each contender's output, at one size."""
    size = real.shape[1]
    columns = [to_size(images[:count], size) for images in (labels, real, *outputs)]
    rows = [report.image_row([column[index] for column in columns])
            for index in range(min(count, len(real)))]
    gap = np.full((2, rows[0].shape[1], 3), 255, np.uint8)
    return np.concatenate([part for row in rows for part in (row, gap)][:-1])


# --------------------------------------------------------------------------- report


def table(rows: dict) -> str:
    header = (f"{'':16s} {'size':>5s} {'filters':>7s} {'steps':>6s} {'minutes':>7s} "
              f"{'pixel acc':>9s} {'class acc':>9s} {'IoU':>6s} {'L1':>6s} {'PSNR':>6s} "
              f"{'SSIM':>6s}")
    lines = [header]
    for name, row in rows.items():
        scores = row["scores"]
        trained = (f"{row['image_size']:5d} {row['base_filters']:7d} {row['steps']:6d} "
                   f"{row['seconds'] / 60:7.1f}" if "steps" in row else f"{'':5s} {'':7s} "
                   f"{'':6s} {'':7s}")
        image_scores = " ".join(f"{scores[n]:6.3f}" if n in scores else f"{'':6s}"
                                for n in ("l1", "psnr", "ssim"))
        lines.append(f"{name:16s} {trained} {scores['pixel_accuracy']:9.3f} "
                     f"{scores['class_accuracy']:9.3f} {scores['class_iou']:6.3f} "
                     f"{image_scores}")
    return "\n".join(lines)


RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"


def results_path(dataset: str) -> Path:
    """``docs/results/fast_recipe.json`` for the facades, ``fast_recipe-streets.json`` for
    the streets."""
    suffix = "" if dataset == recipes.FACADES else "-" + dataset.removeprefix("synthetic-")
    return RESULTS / f"fast_recipe{suffix}.json"


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=None,
                        help="training time of each contender (default 15; 0.1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 64x64, tiny networks, seconds of training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", default=recipes.FACADES,
                        choices=(recipes.FACADES, recipes.STREETS),
                        help="labels -> photo dataset (default %(default)s; the streets use "
                        "recipes.FAST_CPU_STREETS)")
    for option, help_text in (("image-size", "training size"), ("base-filters", "base filters"),
                              ("n-layers", "PatchGAN depth"), ("batch-size", "batch size")):
        parser.add_argument(f"--{option}", type=int, default=None,
                            help=f"change the fast recipe's {help_text} (try your own recipe)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON results (default docs/results/fast_recipe.json, "
                        "fast_recipe-streets.json for the streets; with --quick, nothing is "
                        "written unless given)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="datasets and the cached segmenter (default: the project's data/)")
    arguments = parser.parse_args(argv)
    if arguments.minutes is not None and not arguments.minutes > 0:
        parser.error(f"--minutes must be positive; got {arguments.minutes}")
    if arguments.out is None and not arguments.quick:
        arguments.out = results_path(arguments.dataset)
    return arguments


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    if arguments.quick:
        os.environ["P2P_QUICK"] = "1"  # a quick segmenter is cached as such, never as full
    dataset = arguments.dataset
    base = recipes.QUICK_RECIPE if arguments.quick else recipes.fast_recipe_for(dataset)
    fast = base.with_changes(dataset=dataset, **{
        name: getattr(arguments, name) for name in ("image_size", "base_filters", "n_layers",
                                                    "batch_size")
        if getattr(arguments, name) is not None})
    paper = recipes.PAPER_FOR_15_MINUTES.with_changes(dataset=dataset)
    if arguments.quick:
        paper = paper.with_changes(image_size=fast.image_size)
    minutes = arguments.minutes or fast.minutes
    eval_size, count = paper.image_size, (16 if arguments.quick else None)
    data_dir = arguments.data_dir
    print(f"machine: {report.machine()}")
    started = time.perf_counter()
    for size in sorted({fast.image_size, eval_size}):
        datasets.prepare(dataset, size, data_dir)
    segmenter = segmentation.load_or_train_segmenter(eval_size, data_dir, dataset=dataset)
    test_data = ablations.load_test_split(eval_size, data_dir, count, dataset)
    print(f"data and segmenter ready in {time.perf_counter() - started:.0f} s; training each "
          f"contender for {minutes:g} minutes")

    rows, outputs = {}, {}
    contenders = {
        "fast-cpu": (fast, lambda: train_fast(fast, minutes, arguments.seed, data_dir)),
        "paper-tutorial": (paper, lambda: train_tutorial(paper.image_size, minutes,
                                                         arguments.seed, data_dir, dataset)),
    }
    for name, (recipe, train) in contenders.items():
        run = train()
        inputs = test_inputs(recipe.image_size, count, data_dir, dataset)
        # Both contenders are tested the paper's way, each image on its own.
        outputs[name] = evaluation.translate_images(run["generator"], inputs,
                                                    seed=arguments.seed)
        rows[name] = {"image_size": recipe.image_size, "base_filters": recipe.base_filters,
                      "n_layers": recipe.n_layers, "batch_size": recipe.batch_size,
                      "steps": run["steps"], "seconds": round(run["seconds"], 1),
                      "scores": score(outputs[name], test_data, segmenter)}
        print(f"{name}: {run['steps']} steps in {run['seconds']:.0f} s")
    _, targets, masks = test_data
    rows["ground truth"] = {"scores": {k: round(float(v), 4) for k, v in
                                       metrics.fcn_score(targets, masks,
                                                              segmenter).items()}}
    print(f"\nscored on {len(targets)} test pairs at {eval_size}x{eval_size}:")
    print(table(rows))
    gap = {name: round(rows["ground truth"]["scores"]["pixel_accuracy"]
                       - rows[name]["scores"]["pixel_accuracy"], 4) for name in contenders}
    print("per-pixel accuracy below the real photos': "
          + ", ".join(f"{name} {value:.3f}" for name, value in gap.items()))

    if arguments.out is not None:
        picture_path = arguments.out.with_suffix(".png")
        labels = test_inputs(eval_size, 4, data_dir, dataset)
        from PIL import Image

        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(comparison_picture(labels, targets, *outputs.values())).save(
            picture_path, optimize=True)
        results = {"machine": report.machine(), "minutes": minutes, "dataset": dataset,
                   "recipe": fast.to_json(),
                   "evaluation_size": eval_size, "test_pairs": len(targets),
                   "command": "python benchmarks/fast_recipe.py" + "".join(
                       f" {a}" for a in (argv if argv is not None else sys.argv[1:])),
                   "rows": rows, "gap_to_ground_truth": gap,
                   "picture": picture_path.name,
                   "picture_columns": ["labels", "real", *contenders]}
        arguments.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {arguments.out} and {picture_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
