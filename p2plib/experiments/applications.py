"""One recipe for every paired task: train Pix2Pix on it and score it on held-out pairs.

Introduced in notebook 07, which builds ``train_task`` from the pieces below and uses it for
labels -> facade, inpainting, colourisation and edges -> photo. A task is a
``config.TrainingConfig`` whose ``dataset`` names a dataset (``p2plib.datasets.names()``) or
whose ``data`` is a folder of your own holding ``train/`` and ``test/`` (or ``val/``) folders
of pairs in either layout that ``p2plib.data.load_paired`` reads. The model is trained by
``recipes.train`` and its held-out translations are scored by ``evaluation`` the paper's way
(dropout on, each image normalised by its own statistics); labels -> photo tasks with class
masks (the generated facades and streets, Cityscapes) also get the FCN-score, and their
photo -> labels direction the accuracy and IoU of the label maps it draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import keras

from p2plib import checks, datasets, evaluation, metrics, training
from p2plib.config import TrainingConfig
from p2plib.errors import ArgumentError
from p2plib.experiments import recipes

HELD_OUT_SPLITS = ("test", "val")
MASKED_DATASETS = datasets.MASKED_DATASETS
"""Datasets whose class masks the FCN-score needs."""


@dataclass
class TaskResult:
    """What ``train_task`` returns: the trained model, its scores and a few translations.

    ``before``/``after``: mean ``l1``, ``psnr``, ``ssim`` (and with a segmenter the FCN-score's
    ``pixel_accuracy``, ``class_accuracy``, ``class_iou``) of the untrained and the trained
    generator on the held-out split; ``copy_input``: the same scores for the input itself
    taken as the answer (the bar a useful model must clear where input and target look
    alike, as in inpainting); ``ground_truth``: the FCN-score of the real held-out photos,
    or None. ``history`` maps each loss name (and ``"step"``) to one value per logged epoch.
    ``samples`` is ``(inputs, outputs, targets)`` of the first held-out pairs, float32 in
    [-1, 1].
    """

    name: str
    config: TrainingConfig
    model: training.Pix2Pix
    before: dict
    after: dict
    history: dict
    samples: tuple
    train_seconds: float
    copy_input: dict = field(default_factory=dict)
    ground_truth: dict | None = None

    @property
    def generator(self) -> keras.Model:
        """The trained generator (``model.generator``)."""
        return self.model.generator

    @property
    def steps(self) -> int:
        """Training steps taken."""
        return int(self.model.generator_optimizer.iterations)


def task(source, steps: int = 1000, log_points: int = 10, **changes) -> TrainingConfig:
    """The configuration of a task: ``source`` (a dataset name or a folder) trained for
    ``steps`` steps, logged ``log_points`` times, the rate decaying over the second half;
    other ``TrainingConfig`` fields in ``changes``. Introduced in notebook 07."""
    steps = checks.integer(steps, "steps", minimum=1, example=1000)
    log_every = steps_per_log(steps, checks.integer(log_points, "log_points", minimum=1,
                                                    example=10))
    place = {"dataset": source} if isinstance(source, str) and source in datasets.names() \
        else {"data": str(source)}
    return TrainingConfig(**place, **{"epochs": steps // log_every,
                                      "steps_per_epoch": log_every, **changes})


def steps_per_log(steps: int, points: int = 10) -> int:
    """The largest number of steps at most ``steps // points`` (>= 1) that divides ``steps``."""
    size = max(1, steps // points)
    while steps % size:
        size -= 1
    return size


def task_datasets(config: TrainingConfig, held_out: str = "test", data_dir=None):
    """``(train, held_out)`` datasets of a task (``recipes.split_pairs``); notebook 07."""
    if held_out not in HELD_OUT_SPLITS:
        raise ArgumentError(f"held_out must be one of {HELD_OUT_SPLITS}; got {held_out!r}.")
    held_out_pairs = recipes.split_pairs(config, held_out, data_dir)  # checked first
    return recipes.split_pairs(config, "train", data_dir), held_out_pairs


def translates_to_labels(config: TrainingConfig) -> bool:
    """True for the photo -> labels direction of a dataset with masks (notebook 07): the
    generator draws label maps, scored against the masks directly."""
    return (config.dataset in MASKED_DATASETS and config.direction is not None
            and config.direction != datasets.info(config.dataset).direction)


def _check_segmenter_task(config: TrainingConfig, segmenter):
    if segmenter is not None and config.dataset not in MASKED_DATASETS:
        raise ArgumentError(
            f"the FCN-score needs the class masks of one of {MASKED_DATASETS}; "
            f"{config.dataset or config.data!r} has none. Pass segmenter=None for other tasks."
        )
    if segmenter is not None and translates_to_labels(config):
        raise ArgumentError(
            f"direction={config.direction!r} translates {config.dataset}'s photos into label "
            "maps, which are scored against the masks directly; pass segmenter=None (the "
            "FCN-score scores generated photos)."
        )


def train_task(config: TrainingConfig, held_out: str | None = None, segmenter=None,
               samples: int = 4, data_dir=None, verbose: int = 0) -> TaskResult:
    """Train Pix2Pix on a task (``task(...)``) and score it on its held-out pairs.

    Introduced in notebook 07. The generator is scored before and after training
    (``evaluation.translate_pairs`` and ``score_outputs``) on the ``held_out`` split (default:
    the dataset's, ``datasets.held_out_split``; "test" for a folder). With the FCN-score
    ``segmenter`` (``segmentation.load_or_train_segmenter``, datasets with masks only) the
    FCN-score of the generated and of the real held-out photos is added; a photo -> labels
    task of a dataset with masks (``translates_to_labels``) gets the accuracy and IoU of its
    label maps instead. ``config.seed`` fixes the weights, the dropout masks and the order
    and augmentation of the data.
    """
    _check_segmenter_task(config, segmenter)
    samples = checks.integer(samples, "samples", minimum=1, example=4)
    if held_out is None:
        held_out = datasets.held_out_split(config.dataset) if config.dataset else "test"
    train_pairs, held_out_pairs = task_datasets(config, held_out, data_dir)
    palette = datasets.palette_of(config.dataset) if translates_to_labels(config) else None
    masks = (datasets.load_masks(held_out, config.image_size, data_dir, dataset=config.dataset)
             if segmenter is not None or palette is not None else None)
    model = training.build_model(config, steps_per_epoch=config.steps_per_epoch)

    def evaluate(generator):
        inputs, outputs, targets = evaluation.translate_pairs(generator, held_out_pairs,
                                                              seed=config.seed)
        return evaluation.score_outputs(outputs, targets, masks, segmenter, palette), (
            inputs, outputs, targets)

    before, _ = evaluate(model.generator)  # then trained in place
    run = recipes.train(config, train_pairs, data_dir=data_dir, verbose=verbose,
                        model=model)
    after, (inputs, outputs, targets) = evaluate(run.generator)
    copy_input = evaluation.score_outputs(inputs, targets)
    ground_truth = None
    if segmenter is not None:
        ground_truth = metrics.fcn_score(targets, masks, segmenter)
    return TaskResult(
        name=_task_name(config), config=config, model=run.model,
        before=before, after=after, history=run.history,
        samples=(inputs[:samples], outputs[:samples], targets[:samples]),
        train_seconds=run.seconds, copy_input=copy_input, ground_truth=ground_truth,
    )


def _task_name(config: TrainingConfig) -> str:
    """The dataset or folder name; ``"<dataset>:BtoA"`` for a photo -> labels task."""
    name = config.dataset or Path(config.data).name
    return f"{name}:{config.direction}" if translates_to_labels(config) else name


def results_table(results) -> str:
    """A plain-text table of ``TaskResult``s: held-out L1 untrained / copying the input /
    trained, PSNR and SSIM trained, and the training time in seconds."""
    lines = [f"{'task':22s} {'L1 untrained':>12s} {'L1 copy input':>13s} {'L1 trained':>10s} "
             f"{'PSNR':>6s} {'SSIM':>6s} {'train s':>7s}"]
    for result in results:
        lines.append(
            f"{result.name:22s} {result.before['l1']:12.3f} "
            f"{result.copy_input['l1']:13.3f} {result.after['l1']:10.3f} "
            f"{result.after['psnr']:6.2f} {result.after['ssim']:6.3f} "
            f"{result.train_seconds:7.0f}"
        )
    return "\n".join(lines)


__all__ = ["HELD_OUT_SPLITS", "MASKED_DATASETS", "TaskResult", "results_table",
           "steps_per_log", "task", "task_datasets", "train_task", "translates_to_labels"]
