"""One recipe for every paired task: train Pix2Pix on it and score it on held-out pairs.

Introduced in notebook 07, which builds ``train_task`` from the pieces below and uses it for
labels -> facade, inpainting, colourisation and edges -> photo. A task is a named dataset
(``p2plib.datasets.names()``) or a folder of your own holding ``train/`` and ``test/`` (or
``val/``) folders of pairs in either layout that ``p2plib.data.load_paired`` reads.
Held-out pairs are translated the paper's way (``Pix2Pix``'s default ``test_mode="paper"``:
dropout on, each image normalised by its own statistics, one image at a time as in training)
and scored with L1, PSNR and SSIM; synthetic facades can also get the FCN-score.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from p2plib import config, data, datasets, metrics, models, training

FACADES = "synthetic-facades"
HELD_OUT_SPLITS = ("test", "val")


@dataclass
class TaskResult:
    """What ``train_task`` returns: the trained model, its scores and a few translations.

    ``before``/``after``: mean ``l1``, ``psnr``, ``ssim`` (and with a segmenter the FCN-score's
    ``pixel_accuracy``, ``class_accuracy``, ``class_iou``) of the untrained and the trained
    generator on the held-out split; ``copy_input``: the same scores for the input itself
    taken as the answer (the bar a useful model must clear where input and target look
    alike, as in inpainting); ``ground_truth``: the FCN-score of the real held-out photos,
    or None. ``history`` maps each loss name (and ``"step"``) to one value per
    ``log_every`` steps. ``samples`` is ``(inputs, outputs, targets)`` of the first held-out
    pairs, float32 in [-1, 1].
    """

    name: str
    model: training.Pix2Pix
    before: dict
    after: dict
    history: dict
    samples: tuple
    train_seconds: float
    steps: int
    copy_input: dict = field(default_factory=dict)
    ground_truth: dict | None = None
    settings: dict = field(default_factory=dict)

    @property
    def generator(self) -> keras.Model:
        """The trained generator (``model.generator``)."""
        return self.model.generator


# ---------------------------------------------------------------------------- data


def _is_named(source) -> bool:
    return isinstance(source, str) and source in datasets.names()


def split_folder(folder, split: str = "test") -> Path:
    """``folder/split`` of a folder of your own, or a clear error saying how to lay it out.

    The folder must hold ``train/`` as well as ``split/``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise data.DataError(
            f"{folder} is neither a named dataset ({', '.join(datasets.names())}) nor a "
            "folder; pass a name or a folder holding train/ and test/ folders of pairs."
        )
    missing = [name for name in dict.fromkeys(("train", split)) if not (folder / name).is_dir()]
    if missing:
        raise data.DataError(
            f"{folder} has no {' or '.join(name + '/' for name in missing)} folder; a task "
            f"folder holds the training pairs in {folder / 'train'} and the held-out pairs in "
            f"{folder / split}, each as side-by-side A|B images or A/ and B/ folders."
        )
    return folder / split


def split_dataset(source, split: str, image_size=None, batch_size: int = 1, seed: int = 0,
                  direction: str | None = None, data_dir=None):
    """One split of a task: a named dataset's split or ``folder/split`` of your own.

    Introduced in notebook 07. ``"train"`` is augmented (the paper's resize, random crop and
    mirror) and reshuffled every epoch; any other split is only resized and keeps its file
    order (the order of ``datasets.load_masks``). ``direction`` defaults to the dataset's
    labels -> photo direction, ``"AtoB"`` for a folder.
    """
    image_size = config.settings().image_size if image_size is None else image_size
    training_split = split == "train"
    if _is_named(source):
        return datasets.load(source, split, image_size=image_size, direction=direction,
                             augment=training_split, batch_size=batch_size,
                             shuffle=training_split, seed=seed, data_dir=data_dir)
    return data.load_paired(split_folder(source, split), direction or "AtoB", image_size,
                            augment=training_split, batch_size=batch_size,
                            shuffle=training_split, seed=seed)


def task_datasets(source, image_size=None, batch_size: int = 1, seed: int = 0,
                  held_out: str = "test", direction: str | None = None, data_dir=None):
    """``(train, held_out)`` datasets of a task (see ``split_dataset``); introduced in 07."""
    if held_out not in HELD_OUT_SPLITS:
        raise ValueError(f"held_out must be one of {HELD_OUT_SPLITS}; got {held_out!r}.")
    if not _is_named(source):
        split_folder(source, held_out)  # both folders checked before either is read
    return tuple(split_dataset(source, split, image_size, batch_size if split == "train" else 1,
                               seed, direction, data_dir) for split in ("train", held_out))


# ---------------------------------------------------------------------------- model


def build_pix2pix(image_size=None, base_filters: int | None = None, n_layers: int = 3,
                  channels: int = 3, out_channels: int = 3,
                  learning_rate=training.LEARNING_RATE) -> training.Pix2Pix:
    """A compiled ``Pix2Pix``: the paper's U-Net and PatchGAN, Adam 2e-4 / 0.5, lambda 100.

    Introduced in notebook 07. ``image_size`` and ``base_filters`` default to
    ``config.settings()``; ``n_layers`` 3 is the paper's 70x70 PatchGAN at 256x256.
    ``learning_rate`` (a number or a schedule such as ``training.LinearDecay``) goes to
    both networks' Adam.
    """
    settings = config.settings()
    image_size = settings.image_size if image_size is None else image_size
    base_filters = settings.base_filters if base_filters is None else base_filters
    generator = models.unet_generator(image_size, channels, out_channels, base_filters)
    discriminator = models.patchgan_discriminator(image_size, channels, out_channels,
                                                  base_filters, n_layers)
    model = training.Pix2Pix(generator, discriminator)
    model.compile(training.paper_optimizer(learning_rate),
                  training.paper_optimizer(learning_rate))
    return model


def decaying_learning_rate(steps: int, decay_steps: int | None = None):
    """2e-4 for ``steps - decay_steps`` steps, then falling linearly towards 0 (notebook 07).

    The reference implementation's schedule (100 epochs constant, 100 decaying) counted in
    steps; ``decay_steps`` defaults to half of ``steps``. With ``decay_steps=0`` the rate
    stays constant.
    """
    decay_steps = steps // 2 if decay_steps is None else decay_steps
    if isinstance(decay_steps, bool) or not isinstance(decay_steps, (int, np.integer)) \
            or not 0 <= decay_steps <= steps:
        raise ValueError(f"decay_steps must be an integer from 0 to steps ({steps}); "
                         f"got {decay_steps!r}.")
    return training.LinearDecay(training.LEARNING_RATE, n_epochs=steps - int(decay_steps),
                                n_epochs_decay=int(decay_steps), steps_per_epoch=1)


# ---------------------------------------------------------------------------- evaluation


def translate_split(model: training.Pix2Pix, dataset):
    """``(inputs, outputs, targets)`` float32 arrays of a whole held-out dataset.

    Introduced in notebook 07. Each image is translated on its own (batch size 1, as in
    training) the model's ``test_mode`` way; the paper's mode keeps dropout on, so two calls
    give slightly different outputs.
    """
    inputs, targets = [], []
    for input_batch, target_batch in dataset:
        inputs.append(np.asarray(input_batch))
        targets.append(np.asarray(target_batch))
    if not inputs:
        raise ValueError("The held-out dataset is empty: there are no pairs to translate.")
    inputs, targets = np.concatenate(inputs), np.concatenate(targets)
    outputs = model.predict(inputs, batch_size=1, verbose=0)
    return inputs, np.asarray(outputs, dtype=np.float32), targets


def score_outputs(outputs, targets) -> dict:
    """Mean ``l1`` (on [-1, 1]), ``psnr`` (dB) and ``ssim`` of outputs against targets.

    Introduced in notebook 07; the per-image metrics are ``p2plib.metrics.image_metrics``.
    """
    per_image = metrics.image_metrics(tf.convert_to_tensor(outputs, tf.float32),
                                      tf.convert_to_tensor(targets, tf.float32))
    return {name: float(tf.reduce_mean(values)) for name, values in per_image.items()}


def _check_segmenter_task(source, segmenter):
    if segmenter is not None and source != FACADES:
        raise ValueError(
            f"the FCN-score needs the class masks of {FACADES!r}; {source!r} has none. "
            "Pass segmenter=None for other tasks."
        )


# ---------------------------------------------------------------------------- training


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(value)


def steps_per_log(steps: int, points: int = 10) -> int:
    """The largest number of steps at most ``steps // points`` (>= 1) that divides ``steps``."""
    size = max(1, steps // points)
    while steps % size:
        size -= 1
    return size


def train_task(source, image_size=None, steps: int = 1000, base_filters: int | None = None,
               n_layers: int = 3, batch_size: int = 1, seed: int = 0, held_out: str = "test",
               segmenter=None, samples: int = 4, log_every: int | None = None,
               decay_steps: int | None = None, direction: str | None = None, data_dir=None,
               verbose: int = 0) -> TaskResult:
    """Train Pix2Pix on a task for ``steps`` updates and score it on its held-out pairs.

    Introduced in notebook 07. ``source`` is a named dataset or a folder holding ``train/``
    and ``test/`` (see ``task_datasets``). The generator is scored before and after
    training (``translate_split``, ``score_outputs``); with the FCN-score ``segmenter``
    (synthetic facades only, ``segmentation.load_or_train_segmenter``) the FCN-score of the
    generated and of the real held-out photos is added. ``seed`` fixes the weights, the
    dropout masks and the order and augmentation of the data. The learning rate is the
    paper's 2e-4, falling linearly towards 0 over the last ``decay_steps`` steps (default:
    the second half, as the reference implementation's 100 + 100 epochs).
    """
    steps = _check_count(steps, "steps")
    samples = _check_count(samples, "samples")
    log_every = steps_per_log(steps) if log_every is None else _check_count(log_every,
                                                                            "log_every")
    if steps % log_every:
        raise ValueError(f"steps ({steps}) must be a multiple of log_every ({log_every}).")
    _check_segmenter_task(source, segmenter)
    learning_rate = decaying_learning_rate(steps, decay_steps)
    settings = config.settings()
    image_size = settings.image_size if image_size is None else image_size
    base_filters = settings.base_filters if base_filters is None else base_filters
    keras.utils.set_random_seed(seed)
    train, test = task_datasets(source, image_size, batch_size, seed, held_out, direction,
                                data_dir)
    model = build_pix2pix(image_size, base_filters, n_layers,
                          learning_rate=learning_rate)
    masks = datasets.load_masks(held_out, image_size, data_dir) if segmenter else None

    def evaluate():
        inputs, outputs, targets = translate_split(model, test)
        scores = score_outputs(outputs, targets)
        if segmenter is not None:
            scores.update(metrics.fcn_score(outputs, masks, segmenter))
        return scores, (inputs, outputs, targets)

    before, _ = evaluate()
    started = time.perf_counter()
    fitted = model.fit(train.repeat(), epochs=steps // log_every, steps_per_epoch=log_every,
                       shuffle=False, verbose=verbose)  # the dataset shuffles itself
    seconds = time.perf_counter() - started
    after, (inputs, outputs, targets) = evaluate()
    copy_input = score_outputs(inputs, targets)
    ground_truth = metrics.fcn_score(targets, masks, segmenter) if segmenter else None
    history = {"step": [log_every * (i + 1) for i in range(steps // log_every)],
               **{name: [float(v) for v in values] for name, values in fitted.history.items()}}
    return TaskResult(
        name=str(source), model=model, before=before, after=after, history=history,
        samples=(inputs[:samples], outputs[:samples], targets[:samples]),
        train_seconds=seconds, steps=steps, copy_input=copy_input, ground_truth=ground_truth,
        settings={"image_size": image_size, "base_filters": base_filters, "n_layers": n_layers,
                  "batch_size": batch_size, "seed": seed,
                  "decay_steps": learning_rate.n_epochs_decay},
    )


def results_table(results) -> str:
    """A plain-text table of ``TaskResult``s: held-out L1 untrained / copying the input /
    trained, PSNR and SSIM trained, and the training time in seconds."""
    lines = [f"{'task':22s} {'L1 untrained':>12s} {'L1 copy input':>13s} {'L1 trained':>10s} "
             f"{'PSNR':>6s} {'SSIM':>6s} {'train s':>7s}"]
    for result in results:
        lines.append(
            f"{Path(result.name).name:22s} {result.before['l1']:12.3f} "
            f"{result.copy_input['l1']:13.3f} {result.after['l1']:10.3f} "
            f"{result.after['psnr']:6.2f} {result.after['ssim']:6.3f} "
            f"{result.train_seconds:7.0f}"
        )
    return "\n".join(lines)


__all__ = [
    "FACADES", "HELD_OUT_SPLITS", "TaskResult", "build_pix2pix",
    "decaying_learning_rate", "results_table", "score_outputs", "split_dataset", "split_folder",
    "steps_per_log", "task_datasets", "train_task", "translate_split",
]
