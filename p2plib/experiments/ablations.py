"""The paper's three ablation tables in miniature (notebook 11; notebook 06 shows the results).

Isola et al. (2017) compare, by FCN-score on Cityscapes labels -> photo at 256x256:
the objective (L1, cGAN, L1 + unconditional GAN, L1 + cGAN; their Table 1), the generator
(encoder-decoder against U-Net; Table 2) and the discriminator's receptive field (1x1,
16x16, 70x70, 286x286; Table 3). Here every setting is a named ``TrainingConfig``
(``SETTINGS``), trained on a generated dataset's training pairs and scored on its test
pairs by ``evaluation.score_outputs``: the three FCN-score columns (per-pixel accuracy,
per-class accuracy, class IoU) with the dataset's segmenter, plus L1, PSNR and SSIM. Settings
that coincide share one run: the U-Net trained with L1 + cGAN against the 70x70-equivalent
PatchGAN is a row of all three tables, and the U-Net with L1 alone a row of the first two.

Full mode works at 128x128, half the paper's size, so the receptive fields are scaled to
match: discriminators of ``n_layers`` 0, 1, 2 and 4 see 1x1, 16x16, 34x34 and 142x142
pixels, standing for the paper's 1x1, 16x16, 70x70 and 286x286 (the last two halved, as
the image is; 1x1 cannot shrink, and 16x16 is the smallest patch of 4x4 convolutions, so
those two keep their size and cover twice the share of the image that they do in the
paper). ``python -m p2plib ablations --out docs/results/ablations.json`` runs them all.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from p2plib import checks, datasets, evaluation, files, metrics, models
from p2plib.config import TrainingConfig
from p2plib.errors import ArgumentError
from p2plib.experiments import recipes, segmentation
from p2plib.tools import report

__all__ = [
    "ABLATION_DATASETS", "COLOUR_CLASS", "COLOUR_SCORE_NAMES", "DATASET", "DESCRIPTIONS",
    "FULL_SCALE", "NOTEBOOK_SCALE", "PAPER_CLAIMS", "PAPER_CONFIG", "PAPER_FIELDS",
    "PAPER_SCORES", "QUICK_SCALE", "SCALE_FIELDS", "SCORE_NAMES", "SETTINGS", "TABLES",
    "at_scale", "beyond_error_bars", "colour_scores", "load_test_split", "markdown_table",
    "paper_claims", "results_file_name", "run_all", "run_setting", "samples_folder",
    "setting_named", "summarise", "table_rows",
]

DATASET = "synthetic-facades"
ABLATION_DATASETS = ("synthetic-facades", "synthetic-streets", "cityscapes")
"""The labels -> photo datasets with class masks that the tables can be measured on (the
real Cityscapes is downloaded on first use)."""
SCORE_NAMES = (*metrics.SEGMENTATION_SCORE_NAMES, *metrics.METRIC_NAMES)
"""The columns of every table: the three FCN-score columns, then L1, PSNR and SSIM."""
COLOUR_CLASS = "car"
"""Street datasets also record how much the generated cars' colours vary
(``metrics.class_colour_spread``): the appearance their labels do not decide."""
COLOUR_SCORE_NAMES = ("car_colour_spread", "car_saturation")

FULL_SCALE = TrainingConfig(name="full", dataset=DATASET, image_size=128, base_filters=16,
                      epochs=10, steps_per_epoch=200, decay_epochs=0)
"""The committed results' scale: 2000 steps (5 epochs of the 400 pairs) at 128x128, the
learning rate constant; the loss history is logged 10 times."""
NOTEBOOK_SCALE = FULL_SCALE.with_changes(name="notebook", image_size=64, epochs=3,
                                         steps_per_epoch=100)
"""Notebook 06's own miniature in full mode: a few minutes on a laptop CPU."""
QUICK_SCALE = FULL_SCALE.with_changes(name="quick", image_size=64, base_filters=8, epochs=2,
                          steps_per_epoch=2)
"""Quick mode (tests, nbval): the same code path, a few steps."""
SCALE_FIELDS = ("dataset", "image_size", "base_filters", "batch_size", "epochs",
                "steps_per_epoch", "decay_epochs", "learning_rate", "seed")
"""What a scale (``FULL_SCALE``, ``NOTEBOOK_SCALE``, ``QUICK_SCALE``) sets in every setting
(``at_scale``)."""

SETTINGS = (
    FULL_SCALE.with_changes(name="l1", gan_weight=0.0, n_layers=2),
    FULL_SCALE.with_changes(name="cgan", l1_weight=0.0, n_layers=2),
    FULL_SCALE.with_changes(name="l1_gan", conditional=False, n_layers=2),
    FULL_SCALE.with_changes(name="l1_cgan", n_layers=2),
    FULL_SCALE.with_changes(name="encoder_decoder_l1", generator="encoder-decoder", gan_weight=0.0,
                      n_layers=2),
    FULL_SCALE.with_changes(name="encoder_decoder_l1_cgan", generator="encoder-decoder",
                      n_layers=2),
    FULL_SCALE.with_changes(name="pixelgan", n_layers=0),
    FULL_SCALE.with_changes(name="patchgan_16", n_layers=1),
    FULL_SCALE.with_changes(name="patchgan_large", n_layers=4),
)
"""Every setting, once, as a named ``TrainingConfig``; ``TABLES`` arranges them."""

DESCRIPTIONS = {
    "l1": "U-Net, L1 alone",
    "cgan": "U-Net, cGAN alone",
    "l1_gan": "U-Net, L1 + unconditional GAN",
    "l1_cgan": "U-Net, L1 + cGAN, 70x70-equivalent PatchGAN (shared by all tables)",
    "encoder_decoder_l1": "Encoder-decoder, L1 alone",
    "encoder_decoder_l1_cgan": "Encoder-decoder, L1 + cGAN",
    "pixelgan": "U-Net, L1 + cGAN, 1x1 PixelGAN",
    "patchgan_16": "U-Net, L1 + cGAN, 16x16 PatchGAN",
    "patchgan_large": "U-Net, L1 + cGAN, 286x286-equivalent PatchGAN",
}
PAPER_FIELDS = {"pixelgan": 1, "patchgan_16": 16, "patchgan_large": 286}
"""The paper's receptive field each PatchGAN depth stands for (70 for all others)."""

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



def setting_named(name: str) -> TrainingConfig:
    """The setting called ``name`` (one of ``SETTINGS``), or an error listing them."""
    for setting in SETTINGS:
        if setting.name == name:
            return setting
    raise ArgumentError(
        f"no ablation setting {name!r}; choose from {[s.name for s in SETTINGS]}."
    )


def at_scale(setting: TrainingConfig, scale: TrainingConfig, seed: int | None = None):
    """``setting`` with the size, length and data of ``scale`` (and ``seed``, if given)."""
    changes = {field: getattr(scale, field) for field in SCALE_FIELDS}
    if seed is not None:
        changes["seed"] = seed
    return setting.with_changes(**changes)


# ------------------------------------------------------------------------- one setting


def load_test_split(image_size, data_dir=None, count: int | None = None,
                    dataset: str = DATASET):
    """The held-out split's label maps, real photos and class masks, in file-name order
    (the test split; Cityscapes' val split, as it has no test split).

    ``count`` keeps only the first ``count`` pairs (default: all).
    """
    split = datasets.held_out_split(dataset)
    pairs = datasets.load(dataset, split, image_size=image_size, batch_size=50,
                          augment=False, shuffle=False, data_dir=data_dir)
    inputs, targets = (np.concatenate(parts) for parts in zip(*pairs, strict=True))
    masks = datasets.load_masks(split, image_size, data_dir, dataset=dataset)
    return inputs[:count], targets[:count], masks[:count]


def _rounded(scores: dict) -> dict:
    return {name: round(float(scores[name]), 4) for name in (*SCORE_NAMES, *COLOUR_SCORE_NAMES)
            if name in scores}


def colour_scores(photos, masks, dataset: str) -> dict:
    """``car_colour_spread`` and ``car_saturation`` of photos (``metrics.class_colour_spread``)
    for datasets with a car class; empty for the others."""
    classes = datasets.classes_of(dataset)
    if COLOUR_CLASS not in classes:
        return {}
    spread = metrics.class_colour_spread(photos, masks, classes.index(COLOUR_CLASS))
    return {"car_colour_spread": spread["spread"], "car_saturation": spread["saturation"],
            "car_count": spread["instances"]}


def run_setting(setting: TrainingConfig, segmenter, test_data, data_dir=None,
                samples_dir=None, sample_count: int = 4, seed_suffix: bool = False) -> dict:
    """Train one setting (``recipes.train``), score it on the test split and (optionally)
    save its sample row.

    ``test_data`` is ``load_test_split(setting.image_size)``. Returns the JSON entry: the
    setting (its ``seed`` included), the measured receptive field, the six scores, the loss
    history, seconds, and the sample PNG's file name when ``samples_dir`` is given
    (``<name>.png``, or ``<name>-seed<N>.png`` with ``seed_suffix``).
    """
    inputs, targets, masks = test_data
    started = time.perf_counter()
    run = recipes.train(setting, data_dir=data_dir)
    _, generated, _ = evaluation.translate_pairs(run.generator, (inputs, targets),
                                                 seed=setting.seed)
    scores = evaluation.score_outputs(generated, targets, masks, segmenter)
    scores.update(colour_scores(generated, masks, setting.dataset))
    entry = {
        **setting.to_json(), "description": DESCRIPTIONS[setting.name],
        "paper_field": PAPER_FIELDS.get(setting.name, 70),
        "receptive_field": models.receptive_field(run.model.discriminator),
        "generator_parameters": run.generator.count_params(),
        "discriminator_parameters": run.model.discriminator.count_params(),
        "steps": run.steps, "scores": _rounded(scores),
        "losses": {name: [round(value, 5) for value in values]
                   for name, values in run.history.items() if name != "step"},
        "train_seconds": round(run.seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if samples_dir is not None:
        path = Path(samples_dir) / f"{setting.name}.png"
        if seed_suffix:
            path = path.with_name(f"{setting.name}-seed{setting.seed}.png")
        report.save_image_row(generated[:sample_count], path)
        entry["samples"] = path.name
    return entry


# ------------------------------------------------------------------------- all settings


def summarise(entries: list[dict]) -> dict:
    """Per setting, per score: ``{"mean", "sd", "values"}`` over its runs (one per seed).

    ``sd`` is the sample standard deviation (0 for a single run).
    """
    by_name: dict[str, list[dict]] = {}
    for entry in entries:
        by_name.setdefault(entry["name"], []).append(entry)
    summary = {}
    for name, runs in by_name.items():
        summary[name] = {}
        for score in (*SCORE_NAMES, *COLOUR_SCORE_NAMES):
            values = [run["scores"][score] for run in runs if score in run["scores"]]
            if values:
                spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
                summary[name][score] = {"mean": round(float(np.mean(values)), 4),
                                        "sd": round(spread, 4), "values": values}
    return summary


def run_all(scale: TrainingConfig, out=None, samples_dir=None, names=None, data_dir=None,
            command: str | None = None, log=print, test_count: int | None = None,
            sample_count: int = 4, seeds=None) -> dict:
    """Train and score every setting (or those in ``names``) at ``scale``, once per seed in
    ``seeds`` (default: the scale's seed); return the results.

    ``results["settings"]`` holds one entry per run (with its ``seed``) and
    ``results["summary"]`` the mean and standard deviation of each score over the seeds.

    With ``out`` the JSON is rewritten after each setting, so a run cut short keeps what it
    finished (``"complete": false`` until the end). ``samples_dir`` receives one PNG of
    ``sample_count`` outputs per setting, plus ``inputs.png`` and ``targets.png``.
    ``test_count`` scores on the first pairs of the test split only (default: all).
    """
    started = time.perf_counter()
    seeds = [scale.seed] if seeds is None else [checks.integer(seed, "seed") for seed in seeds]
    if not seeds:
        raise ArgumentError("seeds must hold at least one seed, e.g. seeds=[0, 1, 2].")
    chosen = [at_scale(setting_named(name), scale, seed=seed)
              for name in (names or [s.name for s in SETTINGS]) for seed in seeds]
    results = {
        "description": "Isola et al. 2017, Tables 1-3 in miniature on "
                       f"{scale.dataset} (labels -> photo), scored on the held-out test pairs",
        "dataset": scale.dataset, "seeds": seeds,
        "command": command, "machine": report.machine(), "config": scale.to_json(),
        "steps": scale.total_steps, "paper_config": PAPER_CONFIG,
        "receptive_field_scaling": _scaling_note(scale.size[0]),
        "score_names": list(SCORE_NAMES), "tables": {k: [list(r) for r in v]
                                                     for k, v in TABLES.items()},
        "paper_scores": {table: {row: list(values) for row, values in rows.items()}
                         for table, rows in PAPER_SCORES.items()},
        "complete": False, "settings": [],
    }
    segmenter = segmentation.load_or_train_segmenter(scale.image_size, data_dir,
                                                     verbose=1 if log else 0,
                                                     dataset=scale.dataset)
    results["segmenter"] = segmentation.segmenter_record(scale.image_size, data_dir,
                                                         scale.dataset)
    test_data = load_test_split(scale.image_size, data_dir, test_count, scale.dataset)
    results["test_pairs"] = len(test_data[0])
    results["ground_truth"] = _rounded({
        **metrics.fcn_score(test_data[1], test_data[2], segmenter),
        **colour_scores(test_data[1], test_data[2], scale.dataset)})
    if samples_dir is not None:
        report.save_image_row(test_data[0][:sample_count], Path(samples_dir) / "inputs.png")
        report.save_image_row(test_data[1][:sample_count], Path(samples_dir) / "targets.png")
    for index, setting in enumerate(chosen):
        if log:
            log(f"[{index + 1}/{len(chosen)}] {setting.name} (seed {setting.seed}): "
                f"{DESCRIPTIONS[setting.name]} ...")
        entry = run_setting(setting, segmenter, test_data, data_dir, samples_dir, sample_count,
                            seed_suffix=setting.seed != seeds[0])
        results["settings"].append(entry)
        results["summary"] = summarise(results["settings"])
        results["wall_seconds"] = round(time.perf_counter() - started, 1)
        if log:
            log(f"    {entry['seconds']:.0f} s; " + ", ".join(
                f"{k} {v:.3f}" for k, v in entry["scores"].items()))
        if out is not None:
            files.write_json(results, out)
    results["complete"] = True
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    if out is not None:
        files.write_json(results, out)
    return results


def _scaling_note(image_size: int) -> str:
    return (f"At {image_size}x{image_size} the discriminators of n_layers 0, 1, 2 and 4 "
            "have receptive fields of 1, 16, 34 and 142 pixels; at 128x128 (half the "
            "paper's 256x256) they stand for the paper's 1, 16, 70 and 286: 70 and 286 are "
            "halved with the image (to 34 and 142), 1 cannot shrink, and 16 is the smallest "
            "PatchGAN of 4x4 convolutions.")


def results_file_name(dataset: str = DATASET) -> str:
    """``ablations.json`` for the facades, ``ablations-streets.json`` for the streets,
    ``ablations-cityscapes.json`` for cityscapes (tool)."""
    return "ablations.json" if dataset == DATASET else \
        f"ablations-{dataset.removeprefix('synthetic-')}.json"


def samples_folder(dataset: str = DATASET) -> str:
    """The name of the sample images' folder next to the results JSON."""
    return "ablation-samples" if dataset == DATASET else \
        f"ablation-samples-{dataset.removeprefix('synthetic-')}"


def table_rows(results: dict, table: str) -> list[tuple[str, dict]]:
    """``(row label, {score: (mean, sd)})`` of one of the paper's tables, ground truth last.

    Results of a single seed (older files have no summary) give an sd of 0.
    """
    if table not in TABLES:
        raise ArgumentError(f"table must be one of {list(TABLES)}; got {table!r}.")
    summary = results.get("summary") or summarise(results["settings"])
    rows = [(label, {score: (value["mean"], value["sd"])
                     for score, value in summary[name].items()})
            for label, name in TABLES[table] if name in summary]
    truth = {score: (value, 0.0) for score, value in results["ground_truth"].items()}
    return [*rows, ("Ground truth", truth)]


def beyond_error_bars(results: dict, better: str, worse: str,
                      score: str = "pixel_accuracy") -> bool:
    """True when setting ``better``'s mean ``score`` exceeds ``worse``'s by more than the sum
    of their standard deviations over the seeds (notebook 06)."""
    summary = results.get("summary") or summarise(results["settings"])
    high, low = summary[better][score], summary[worse][score]
    return high["mean"] - low["mean"] > high["sd"] + low["sd"]


PAPER_CLAIMS = {
    "L1+cGAN beats L1 alone (per-pixel)": ("l1_cgan", "l1", "pixel_accuracy"),
    "L1+cGAN beats L1 alone (class IoU)": ("l1_cgan", "l1", "class_iou"),
    "cGAN alone is the worst U-Net objective": [("l1", "cgan"), ("l1_gan", "cgan"),
                                                ("l1_cgan", "cgan")],
    "the U-Net beats the encoder-decoder, L1": ("l1", "encoder_decoder_l1"),
    "the U-Net beats the encoder-decoder, L1+cGAN": ("l1_cgan", "encoder_decoder_l1_cgan"),
    "70x70 beats 1x1": ("l1_cgan", "pixelgan"),
    "70x70 beats 286x286": ("l1_cgan", "patchgan_large"),
    "L1+cGAN beats the unconditional L1+GAN": ("l1_cgan", "l1_gan"),
    "L1+cGAN paints cars in more colours than L1 (the streets' design intent)":
        ("l1_cgan", "l1", "car_colour_spread"),
}
"""The paper's claims as comparisons of settings: (better, worse[, score]) or a list of such
pairs that must all hold; the score is per-pixel accuracy unless named."""


def paper_claims(results: dict) -> dict[str, bool]:
    """Which of ``PAPER_CLAIMS`` hold beyond the error bars in ``results`` (claims about a
    score the results lack, e.g. the cars' colours on facades, are left out)."""
    summary = results.get("summary") or summarise(results["settings"])
    verdicts = {}
    for claim, comparisons in PAPER_CLAIMS.items():
        comparisons = comparisons if isinstance(comparisons, list) else [comparisons]
        triples = [(*pair, "pixel_accuracy")[:3] for pair in comparisons]
        if all(score in summary.get(better, {}) and score in summary.get(worse, {})
               for better, worse, score in triples):
            verdicts[claim] = all(beyond_error_bars(results, *triple) for triple in triples)
    return verdicts


def markdown_table(results: dict, table: str, digits: int = 3) -> str:
    """One of the three tables as markdown: the six score columns (mean ± sd over the seeds
    when there are several; street results add the cars' colour spread), the paper's three
    FCN-scores next to them."""
    rows = table_rows(results, table)
    names = [*SCORE_NAMES, *(name for name in COLOUR_SCORE_NAMES[:1]
                             if any(name in scores for _, scores in rows))]
    header = ["", "Per-pixel acc.", "Per-class acc.", "Class IoU", "L1", "PSNR (dB)", "SSIM",
              *(["Car colour spread"] if len(names) > len(SCORE_NAMES) else []),
              "paper: pixel / class / IoU"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    paper = PAPER_SCORES[table] | {"Ground truth": PAPER_SCORES["losses"]["Ground truth"]}
    several = len(results.get("seeds") or [None]) > 1
    for label, scores in rows:
        cells = []
        for name in names:
            if name not in scores:
                cells.append("")
                continue
            mean, spread = scores[name]
            shown = f"{mean:.{digits}f}"
            cells.append(f"{shown} ± {spread:.{digits}f}" if several and label != "Ground truth"
                         else shown)
        reference = " / ".join(f"{v:.2f}" for v in paper[label]) if label in paper else ""
        lines.append("| " + " | ".join([label, *cells, reference]) + " |")
    return "\n".join(lines)
