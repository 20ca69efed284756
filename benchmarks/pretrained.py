"""Score a trained generator for shipping in ``p2plib/pretrained/`` and record how it was made.

For a run folder of ``python -m p2plib train`` (its ``config.json`` and ``generator.keras``):
the generator's FCN-score on the held-out split of its dataset next to the real renders'
own (the ground-truth row), L1/PSNR/SSIM, the same scores with its weights rounded to
float16 (the cost of storing them in half the bytes), the file size, and the generator's
own forward time at batch 1, the spread of the generated cars' colours (streets) and, for a
spot check, the L1 distance of each of the first ``SPOT_CHECKS`` test pairs. With ``--ship
NAME`` it copies the generator to ``p2plib/pretrained/NAME.keras`` and writes ``NAME.json``
beside it, read by ``p2plib.pretrained.info``; with ``--ship-discriminator`` the run's
discriminator goes to ``NAME-discriminator.keras`` too.

    python benchmarks/pretrained.py runs/streets-l1 --ship streets-l1 \
        --command "python -m p2plib train --dataset synthetic-streets ..."
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from p2plib import config, evaluation, export, files, metrics, pretrained, testtime
from p2plib.experiments import ablations, segmentation
from p2plib.tools import report


def rounded(scores: dict) -> dict:
    """Scores to 4 decimals; counts (the number of cars) stay whole numbers."""
    return {name: value if isinstance(value, int) else round(float(value), 4)
            for name, value in scores.items()}


def half_precision_copy(generator):
    """The generator with every weight rounded to float16 and back (what a float16 file keeps)."""
    import keras

    copy = keras.models.clone_model(generator)
    copy.set_weights([np.asarray(w, np.float16).astype(w.dtype) for w in
                      generator.get_weights()])
    return copy


def forward_seconds(generator, repeats: int = 10) -> float:
    """Median seconds of one 1-image translation (inference mode), after a warm-up."""
    image = np.zeros((1, *generator.inputs[0].shape[1:]), np.float32)
    testtime.translate(generator, image, "inference")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.asarray(testtime.translate(generator, image, "inference"))
        times.append(time.perf_counter() - started)
    return float(np.median(times))


SPOT_CHECKS = 4
"""Test pairs whose L1 distance the record keeps one by one, for tests/test_pretrained.py."""


def score_run(run_dir: Path, test_mode: str) -> dict:
    """The scores of a run's generator, its float16-rounded copy and the real renders."""
    run_config = config.TrainingConfig.from_json(
        json.loads((run_dir / "config.json").read_text()), str(run_dir / "config.json"))
    generator = export.load_generator(run_dir / "generator.keras")
    size = run_config.image_size
    segmenter = segmentation.load_or_train_segmenter(size, dataset=run_config.dataset)
    inputs, targets, masks = ablations.load_test_split(size, dataset=run_config.dataset)

    def scores_of(model):
        outputs = evaluation.translate_images(model, inputs, test_mode)
        return rounded({**evaluation.score_outputs(outputs, targets, masks, segmenter),
                        **ablations.colour_scores(outputs, masks, run_config.dataset)})

    return {
        "dataset": run_config.dataset, "config": run_config.to_json(),
        "test_mode": test_mode, "held_out_pairs": len(inputs),
        "parameters": generator.count_params(),
        "file_bytes": (run_dir / "generator.keras").stat().st_size,
        "scores": scores_of(generator),
        "scores_float16_weights": scores_of(half_precision_copy(generator)),
        "real_renders": rounded({**metrics.fcn_score(targets, masks, segmenter),
                                 **ablations.colour_scores(targets, masks, run_config.dataset)}),
        "forward_seconds_batch_1": round(forward_seconds(generator), 4),
        "spot_check_l1": [round(float(value), 6) for value in metrics.l1_distance(
            evaluation.translate_images(generator, inputs[:SPOT_CHECKS], test_mode),
            targets[:SPOT_CHECKS])],
    }


def training_seconds(run_dir: Path) -> float | None:
    """The run's wall time: the sum of every ``seconds N`` its queue script logged (a run
    resumed after an interruption logs one per part), or None if it logged none."""
    log = run_dir.parent / "logs" / f"{run_dir.name}.time"
    if not log.is_file():
        return None
    words = log.read_text().split()
    parts = [float(words[i + 1]) for i, word in enumerate(words[:-1]) if word == "seconds"]
    return sum(parts) if parts else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a `python -m p2plib train` run folder")
    parser.add_argument("--test-mode", choices=testtime.TEST_MODES, default="paper")
    parser.add_argument("--ship", choices=pretrained.GENERATORS,
                        help="copy the generator into p2plib/pretrained/ under this name")
    parser.add_argument("--ship-discriminator", action="store_true",
                        help="with --ship: copy the run's discriminator.keras beside it")
    parser.add_argument("--command", default=None,
                        help="the exact training command, recorded in the JSON")
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    record = score_run(arguments.run_dir, arguments.test_mode)
    record.update(machine=report.machine(), training_command=arguments.command,
                  scoring_command="python benchmarks/pretrained.py " + " ".join(
                      argv if argv is not None else sys.argv[1:]),
                  scoring_seconds=round(time.perf_counter() - started, 1))
    print(json.dumps(record, indent=2))
    if arguments.ship:
        target = pretrained.path(arguments.ship)
        shutil.copyfile(arguments.run_dir / "generator.keras", target)
        if arguments.ship_discriminator:
            shutil.copyfile(arguments.run_dir / "discriminator.keras",
                            pretrained.discriminator_path(arguments.ship))
        record["training_seconds"] = training_seconds(arguments.run_dir)
        files.write_json({"name": arguments.ship, **record},
                                     target.with_suffix(".json"))
        print(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
