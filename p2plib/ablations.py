"""The paper's three ablation tables in miniature, on synthetic facades (notebook 06).

Isola et al. (2017) compare, by FCN-score on Cityscapes labels -> photo at 256x256:
the objective (L1, cGAN, L1 + unconditional GAN, L1 + cGAN; their Table 1), the generator
(encoder-decoder against U-Net; Table 2) and the discriminator's receptive field (1x1,
16x16, 70x70, 286x286; Table 3). Here every setting trains on the 400 synthetic-facade
training pairs and is scored on the 100 test pairs: the three FCN-score columns (per-pixel
accuracy, per-class accuracy, class IoU) of ``p2plib.metrics`` with the segmenter of
``p2plib.segmentation``, plus L1, PSNR and SSIM. Settings that coincide share one run: the
U-Net trained with L1 + cGAN against the 70x70-equivalent PatchGAN is a row of all three
tables, and the U-Net with L1 alone a row of the first two.

Full mode works at 128x128, half the paper's size, so the receptive fields are scaled to
match: discriminators of ``n_layers`` 0, 1, 2 and 4 see 1x1, 16x16, 34x34 and 142x142
pixels, standing for the paper's 1x1, 16x16, 70x70 and 286x286 (the last two halved, as
the image is; 1x1 cannot shrink, and 16x16 is the smallest patch of 4x4 convolutions, so
those two keep their size and cover twice the share of the image that they do in the
paper). ``python -m p2plib.ablations --out docs/results/ablations.json`` runs them all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from p2plib import config, datasets, metrics, models, segmentation, training

DATASET = "synthetic-facades"
SCORE_NAMES = (*metrics.SEGMENTATION_SCORE_NAMES, *metrics.METRIC_NAMES)
"""The columns of every table: the three FCN-score columns, then L1, PSNR and SSIM."""
GENERATORS = ("unet", "encoder-decoder")


@dataclass(frozen=True)
class Setting:
    """One trained configuration: generator, objective and discriminator (notebook 06).

    ``l1_weight`` is lambda (100 in the paper, 0 for "cGAN alone"); ``gan_weight`` scales
    the adversarial term (0 for "L1 alone"); ``conditional=False`` lets the discriminator
    see the photo without its label map (the paper's "GAN"); ``n_layers`` is the PatchGAN's
    depth and ``paper_field`` the paper's receptive field that it stands for.
    """

    name: str
    description: str
    generator: str = "unet"
    l1_weight: float = 100.0
    gan_weight: float = 1.0
    conditional: bool = True
    n_layers: int = 2
    paper_field: int = 70


SETTINGS = (
    Setting("l1", "U-Net, L1 alone", gan_weight=0.0),
    Setting("cgan", "U-Net, cGAN alone", l1_weight=0.0),
    Setting("l1_gan", "U-Net, L1 + unconditional GAN", conditional=False),
    Setting("l1_cgan", "U-Net, L1 + cGAN, 70x70-equivalent PatchGAN (shared by all tables)"),
    Setting("encoder_decoder_l1", "Encoder-decoder, L1 alone", generator="encoder-decoder",
            gan_weight=0.0),
    Setting("encoder_decoder_l1_cgan", "Encoder-decoder, L1 + cGAN",
            generator="encoder-decoder"),
    Setting("pixelgan", "U-Net, L1 + cGAN, 1x1 PixelGAN", n_layers=0, paper_field=1),
    Setting("patchgan_16", "U-Net, L1 + cGAN, 16x16 PatchGAN", n_layers=1, paper_field=16),
    Setting("patchgan_large", "U-Net, L1 + cGAN, 286x286-equivalent PatchGAN", n_layers=4,
            paper_field=286),
)
"""Every setting, once; ``TABLES`` arranges them into the paper's three tables."""

TABLES = {
    "losses": (("L1", "l1"), ("cGAN", "cgan"), ("L1+GAN", "l1_gan"), ("L1+cGAN", "l1_cgan")),
    "generator": (
        ("Encoder-decoder (L1)", "encoder_decoder_l1"),
        ("Encoder-decoder (L1+cGAN)", "encoder_decoder_l1_cgan"),
        ("U-Net (L1)", "l1"),
        ("U-Net (L1+cGAN)", "l1_cgan"),
    ),
    "discriminator": (
        ("1x1", "pixelgan"), ("16x16", "patchgan_16"), ("70x70", "l1_cgan"),
        ("286x286", "patchgan_large"),
    ),
}
"""Rows of the paper's Tables 1-3: (the paper's row label, the setting that fills it)."""

PAPER_SCORES = {
    "losses": {"L1": (0.42, 0.15, 0.11), "GAN": (0.22, 0.05, 0.01),
               "cGAN": (0.57, 0.22, 0.16), "L1+GAN": (0.64, 0.20, 0.15),
               "L1+cGAN": (0.66, 0.23, 0.17), "Ground truth": (0.80, 0.26, 0.21)},
    "generator": {"Encoder-decoder (L1)": (0.35, 0.12, 0.08),
                  "Encoder-decoder (L1+cGAN)": (0.29, 0.09, 0.05),
                  "U-Net (L1)": (0.48, 0.18, 0.13), "U-Net (L1+cGAN)": (0.55, 0.20, 0.14)},
    "discriminator": {"1x1": (0.39, 0.15, 0.10), "16x16": (0.65, 0.21, 0.17),
                      "70x70": (0.66, 0.23, 0.17), "286x286": (0.42, 0.16, 0.11)},
}
"""The paper's FCN-scores (per-pixel acc., per-class acc., class IoU), Cityscapes labels ->
photo, Tables 1-3 of Isola et al. 2017; "GAN" (unconditional, no L1) is not rerun here."""


@dataclass(frozen=True)
class RunConfig:
    """How large and how long each setting trains (notebook 06)."""

    image_size: int
    base_filters: int
    batch_size: int
    steps: int
    log_points: int = 10
    sample_count: int = 4
    seed: int = 0
    test_count: int | None = None
    """Score on the first ``test_count`` test pairs only (None: all 100)."""


FULL = RunConfig(image_size=128, base_filters=16, batch_size=1, steps=2000)
"""The committed results: 2000 steps (5 epochs of the 400 pairs) per setting at 128x128."""
NOTEBOOK = RunConfig(image_size=64, base_filters=16, batch_size=1, steps=300, log_points=3)
"""Notebook 06's own miniature in full mode: a few minutes on a laptop CPU."""
QUICK = RunConfig(image_size=64, base_filters=8, batch_size=1, steps=4, log_points=2,
                  sample_count=2, test_count=16)
"""Quick mode (tests, nbval): the same code path, a few steps."""

PAPER_CONFIG = {
    "dataset": "Cityscapes labels -> photo (2975 training images)",
    "image_size": 256,
    "base_filters": 64,
    "batch_size": 1,
    "epochs": 200,
    "receptive_fields": [1, 16, 70, 286],
    "optimizer": "Adam, learning rate 2e-4, beta_1 0.5",
    "l1_weight": 100,
    "test_mode": "dropout and batch statistics at test time",
}


def setting_named(name: str) -> Setting:
    """The setting called ``name`` (one of ``SETTINGS``), or a ValueError listing them."""
    for setting in SETTINGS:
        if setting.name == name:
            return setting
    raise ValueError(
        f"no ablation setting {name!r}; choose from {[s.name for s in SETTINGS]}."
    )


# ------------------------------------------------------------------------- building


def build_generator(setting: Setting, run: RunConfig) -> keras.Model:
    """The setting's generator (U-Net or encoder-decoder) at the run's size."""
    if setting.generator not in GENERATORS:
        raise ValueError(f"generator must be one of {GENERATORS}; got {setting.generator!r}.")
    build = models.unet_generator if setting.generator == "unet" else (
        models.encoder_decoder_generator)
    return build(run.image_size, base_filters=run.base_filters)


def build_discriminator(setting: Setting, run: RunConfig) -> keras.Model:
    """The setting's PatchGAN: ``n_layers`` deep, conditional or not, at the run's size."""
    return models.patchgan_discriminator(
        run.image_size, base_filters=run.base_filters, n_layers=setting.n_layers,
        conditional=setting.conditional,
    )


def build_model(setting: Setting, run: RunConfig) -> training.Pix2Pix:
    """A compiled ``Pix2Pix`` with the setting's networks and loss weights (paper's Adam)."""
    model = training.Pix2Pix(build_generator(setting, run), build_discriminator(setting, run))
    model.compile(l1_weight=setting.l1_weight, gan_weight=setting.gan_weight)
    return model


# ------------------------------------------------------------------------- scoring


def load_test_split(image_size: int, data_dir=None, count: int | None = None):
    """The test split's label maps, real photos and class masks, in file-name order.

    ``count`` keeps only the first ``count`` pairs (default: all).
    """
    pairs = datasets.load(DATASET, "test", image_size=image_size, batch_size=50,
                          augment=False, shuffle=False, data_dir=data_dir)
    inputs, targets = (np.concatenate(parts) for parts in zip(*pairs, strict=True))
    masks = datasets.load_masks("test", image_size, data_dir)
    return inputs[:count], targets[:count], masks[:count]


def generate(generator, inputs, seed: int = 0) -> np.ndarray:
    """The generator's outputs for ``inputs``, one image at a time, the paper's way.

    As in the paper (and ``training.translate``'s default), dropout stays on and batch
    normalisation uses the test batch's statistics; with one image per batch that is the
    image's own statistics, as in training.
    """
    keras.utils.set_random_seed(seed)
    outputs = [training.translate(generator, inputs[index:index + 1])
               for index in range(len(inputs))]
    return np.concatenate([np.asarray(output) for output in outputs])


def score_images(generated, targets, masks, segmenter) -> dict:
    """The six columns: FCN-score of ``generated`` (against ``masks``), L1, PSNR, SSIM."""
    scores = metrics.fcn_score(generated, masks, segmenter)
    for name, values in metrics.image_metrics(generated, targets).items():
        scores[name] = float(tf.reduce_mean(values))
    return scores


def ground_truth_scores(targets, masks, segmenter) -> dict:
    """The paper's "ground truth" row: the FCN-score of the real test photos."""
    return metrics.fcn_score(targets, masks, segmenter)


# ------------------------------------------------------------------------- one setting


def train(setting: Setting, run: RunConfig, data_dir=None) -> tuple[training.Pix2Pix, dict]:
    """Train one setting for ``run.steps`` steps; returns the model and its loss history.

    The training pairs are augmented as in the paper (resize to 286/256 of the size, random
    crop, random mirror) and drawn with seed ``run.seed``; the weights start from the same
    seed. The history holds the four losses averaged over each of ``run.log_points`` parts.
    """
    keras.utils.set_random_seed(run.seed)
    model = build_model(setting, run)
    pairs = datasets.load(DATASET, "train", image_size=run.image_size,
                          batch_size=run.batch_size, seed=run.seed, data_dir=data_dir).repeat()
    parts = max(1, min(run.log_points, run.steps))
    history = model.fit(pairs, epochs=parts, steps_per_epoch=max(1, run.steps // parts),
                        shuffle=False, verbose=0)  # the dataset shuffles itself
    losses = {name: [round(float(v), 5) for v in values]
              for name, values in history.history.items()}
    return model, losses


def run_setting(setting: Setting, run: RunConfig, segmenter, test_data, data_dir=None,
                samples_dir=None) -> dict:
    """Train one setting, score it on the test split and (optionally) save its sample row.

    ``test_data`` is ``load_test_split(run.image_size)``. Returns the JSON entry: the setting,
    the measured receptive field, the six scores, the loss history, seconds, and the
    sample PNG's file name when ``samples_dir`` is given.
    """
    inputs, targets, masks = test_data
    started = time.perf_counter()
    model, losses = train(setting, run, data_dir)
    train_seconds = time.perf_counter() - started
    generated = generate(model.generator, inputs, run.seed)
    entry = {
        **asdict(setting),
        "receptive_field": models.receptive_field(model.discriminator),
        "generator_parameters": model.generator.count_params(),
        "discriminator_parameters": model.discriminator.count_params(),
        "scores": {name: round(float(value), 4)
                   for name, value in score_images(generated, targets, masks,
                                                   segmenter).items()},
        "losses": losses,
        "train_seconds": round(train_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if samples_dir is not None:
        path = Path(samples_dir) / f"{setting.name}.png"
        save_image_row(generated[:run.sample_count], path)
        entry["samples"] = path.name
    return entry


# ------------------------------------------------------------------------- sample images


def image_row(images, gap: int = 2) -> np.ndarray:
    """Images in [-1, 1] side by side, ``gap`` white pixels apart, as one uint8 picture."""
    images = np.round((np.clip(np.asarray(images, np.float32), -1, 1) + 1) * 127.5)
    count, height, width, _ = images.shape
    row = np.full((height, count * width + (count - 1) * gap, 3), 255, np.uint8)
    for index, image in enumerate(images.astype(np.uint8)):
        row[:, index * (width + gap):index * (width + gap) + width] = image
    return row


def save_image_row(images, path) -> Path:
    """Save ``image_row(images)`` as a PNG with a 256-colour palette (small files)."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(image_row(images))
    picture.quantize(256, method=Image.Quantize.MEDIANCUT,
                     dither=Image.Dither.NONE).save(path, optimize=True)
    return path


def load_image_row(path, count: int | None = None, gap: int = 2) -> list[np.ndarray]:
    """The images of a row saved by ``save_image_row``, as uint8 arrays (square tiles)."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist; run `python -m p2plib.ablations` to regenerate the "
            "sample images."
        )
    row = np.asarray(Image.open(path).convert("RGB"))
    side = row.shape[0]
    found = (row.shape[1] + gap) // (side + gap)
    return [row[:, i * (side + gap):i * (side + gap) + side] for i in range(found)][:count]


# ------------------------------------------------------------------------- all settings


def machine() -> dict:
    """What the run ran on: CPU, cores, operating system and library versions."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"processor": _cpu_name(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "gpu": bool(tf.config.list_physical_devices("GPU")),
            "load_average_at_start": None if load is None else round(load, 2)}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _write_json(results: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, out)


def run_all(run: RunConfig, out=None, samples_dir=None, names=None, data_dir=None,
            command: str | None = None, log=print) -> dict:
    """Train and score every setting (or those in ``names``); return the results dict.

    With ``out`` the JSON is rewritten after each setting, so a run cut short keeps what it
    finished (``"complete": false`` until the end). ``samples_dir`` receives one PNG of
    ``run.sample_count`` outputs per setting, plus ``inputs.png`` and ``targets.png``.
    """
    started = time.perf_counter()
    chosen = [setting_named(name) for name in names] if names else list(SETTINGS)
    results = {
        "description": "Isola et al. 2017, Tables 1-3 in miniature on synthetic facades "
                       "(labels -> photo), scored on the held-out test pairs",
        "command": command, "machine": machine(), "config": asdict(run),
        "paper_config": PAPER_CONFIG,
        "receptive_field_scaling": _scaling_note(run.image_size),
        "score_names": list(SCORE_NAMES), "tables": {k: [list(r) for r in v]
                                                     for k, v in TABLES.items()},
        "paper_scores": {table: {row: list(values) for row, values in rows.items()}
                         for table, rows in PAPER_SCORES.items()},
        "complete": False, "settings": [],
    }
    segmenter = segmentation.load_or_train_segmenter(run.image_size, data_dir,
                                                     verbose=1 if log else 0)
    results["segmenter"] = segmentation.segmenter_record(run.image_size, data_dir)
    test_data = load_test_split(run.image_size, data_dir, run.test_count)
    results["test_pairs"] = len(test_data[0])
    results["ground_truth"] = {name: round(float(value), 4) for name, value in
                               ground_truth_scores(test_data[1], test_data[2],
                                                   segmenter).items()}
    if samples_dir is not None:
        count = run.sample_count
        save_image_row(test_data[0][:count], Path(samples_dir) / "inputs.png")
        save_image_row(test_data[1][:count], Path(samples_dir) / "targets.png")
    for index, setting in enumerate(chosen):
        if log:
            log(f"[{index + 1}/{len(chosen)}] {setting.name}: {setting.description} ...")
        entry = run_setting(setting, run, segmenter, test_data, data_dir, samples_dir)
        results["settings"].append(entry)
        results["wall_seconds"] = round(time.perf_counter() - started, 1)
        if log:
            log(f"    {entry['seconds']:.0f} s; " + ", ".join(
                f"{k} {v:.3f}" for k, v in entry["scores"].items()))
        if out is not None:
            _write_json(results, Path(out))
    results["complete"] = True
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    if out is not None:
        _write_json(results, Path(out))
    return results


def _scaling_note(image_size: int) -> str:
    return (f"At {image_size}x{image_size} the discriminators of n_layers 0, 1, 2 and 4 "
            "have receptive fields of 1, 16, 34 and 142 pixels; at 128x128 (half the "
            "paper's 256x256) they stand for the paper's 1, 16, 70 and 286: 70 and 286 are "
            "halved with the image (to 34 and 142), 1 cannot shrink, and 16 is the smallest "
            "PatchGAN of 4x4 convolutions.")


def default_results_path() -> Path:
    """``docs/results/ablations.json`` of the repository checkout (or of the working folder)."""
    return (config.project_root() or Path.cwd()) / "docs" / "results" / "ablations.json"


def load_results(path=None) -> dict:
    """Read an ablations JSON written by ``run_all`` (default: ``default_results_path()``).

    A missing file gets a FileNotFoundError that gives the command to regenerate it.
    """
    path = default_results_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist; regenerate it with `python -m p2plib.ablations --out "
            f"{path}`."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def table_rows(results: dict, table: str) -> list[tuple[str, dict]]:
    """``(row label, scores)`` of one of the paper's tables, ground truth last when fitting."""
    if table not in TABLES:
        raise ValueError(f"table must be one of {list(TABLES)}; got {table!r}.")
    entries = {entry["name"]: entry for entry in results["settings"]}
    rows = [(label, entries[name]["scores"]) for label, name in TABLES[table] if name in entries]
    return [*rows, ("Ground truth", results["ground_truth"])]


def markdown_table(results: dict, table: str, digits: int = 3) -> str:
    """One of the three tables as markdown: the six score columns, the paper's three next."""
    header = ["", "Per-pixel acc.", "Per-class acc.", "Class IoU", "L1", "PSNR (dB)", "SSIM",
              "paper: pixel / class / IoU"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    paper = PAPER_SCORES[table] | {"Ground truth": PAPER_SCORES["losses"]["Ground truth"]}
    for label, scores in table_rows(results, table):
        cells = [f"{scores[name]:.{digits}f}" if name in scores else "" for name in SCORE_NAMES]
        reference = " / ".join(f"{v:.2f}" for v in paper[label]) if label in paper else ""
        lines.append("| " + " | ".join([label, *cells, reference]) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------- command line


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m p2plib.ablations",
        description="Train and score the paper's ablation settings on synthetic facades.",
    )
    parser.add_argument("--out", type=Path, default=Path("docs/results/ablations.json"),
                        help="the JSON to write (default: %(default)s)")
    parser.add_argument("--samples-dir", type=Path, default=None,
                        help="folder for the sample PNGs (default: ablation-samples/ next to "
                             "--out)")
    parser.add_argument("--quick", action="store_true",
                        help="a miniature: 64x64, 8 filters, 4 steps per setting (also when "
                             "P2P_QUICK=1)")
    parser.add_argument("--steps", type=int, default=None, help="override steps per setting")
    parser.add_argument("--only", nargs="+", metavar="SETTING",
                        help=f"run only these settings: {[s.name for s in SETTINGS]}")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    run = QUICK if arguments.quick or config.is_quick() else FULL
    if arguments.steps is not None:
        if arguments.steps < 1:
            raise SystemExit(f"--steps must be at least 1; got {arguments.steps}.")
        run = replace(run, steps=arguments.steps)
    samples_dir = arguments.samples_dir or arguments.out.parent / "ablation-samples"
    command = "python -m p2plib.ablations " + " ".join(
        sys.argv[1:] if argv is None else argv)
    try:
        results = run_all(run, arguments.out, samples_dir, arguments.only, command=command.strip())
    except ValueError as error:
        raise SystemExit(str(error)) from error
    print(f"Wrote {arguments.out} and {samples_dir}/ in {results['wall_seconds']:.0f} s.")
    for table in TABLES:
        print(f"\n{table}\n" + markdown_table(results, table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
