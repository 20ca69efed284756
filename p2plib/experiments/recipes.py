"""Named training configurations, and ``train``, which trains one (notebooks 10 and 11).

``train(config)`` is the one way the library trains a ``config.TrainingConfig``: it loads the
configuration's training pairs (shuffled and augmented the paper's way, from its seed),
builds the model (``training.build_model``) and fits it for ``epochs`` of ``steps_per_epoch``
steps, or for ``minutes`` with ``callbacks.TimeBudget``. The command line, the ablations and
the applications train through it.

The paper's configuration (256x256, 64 base filters, batch 1) takes 0.5-0.8 s a step on two
CPU cores, so 15 minutes buy it three or four passes over the 400 synthetic-facade training
pairs. ``FAST_CPU`` spends the same minutes on a network with a quarter of the parameters
that a CPU trains five times more steps of: 256x256 images, 32 base filters, the paper's
70x70 PatchGAN, Adam (2e-4, beta_1 0.5) and lambda = 100, and a learning rate that falls
linearly over the second half of the time. (128x128 with 32 filters runs more steps still,
but loses on the 256x256 FCN-score.) ``benchmarks/fast_recipe.py`` sets it against the
paper's configuration trained the tutorial way for the same time, on the facades and
(``FAST_CPU_STREETS``, the same recipe) on the street scenes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf

from p2plib import callbacks, config, data, datasets, training
from p2plib.config import TrainingConfig
from p2plib.errors import ArgumentError, DataError

FACADES = "synthetic-facades"
STREETS = "synthetic-streets"

FAST_CPU = TrainingConfig(name="fast-cpu", dataset=FACADES, base_filters=32, epochs=20,
                          decay_epochs=10, minutes=15.0)
"""The fast recipe: 15 minutes on two CPU cores (see the module docstring); without
``minutes`` it is the same run as 20 epochs of 400 steps, the last 10 decaying."""
FAST_CPU_STREETS = FAST_CPU.with_changes(name="fast-cpu-streets", dataset=STREETS)
"""The fast recipe on the street scenes: the same networks, optimiser and 15 minutes."""
PAPER_FOR_15_MINUTES = config.PAPER.with_changes(dataset=FACADES, minutes=15.0)
"""The paper's networks and optimizer, with the same time budget, for comparison."""
QUICK_RECIPE = TrainingConfig(name="quick", dataset=FACADES, image_size=64, base_filters=8,
                              n_layers=1,
                       epochs=2, minutes=0.1)
"""Quick mode (tests, nbval): the same code path, a few seconds."""


@dataclass
class TrainingRun:
    """What ``train`` returns: the configuration, the model, its steps, seconds and history.

    ``history`` maps ``"step"`` and each loss name to one value per logged epoch.
    """

    config: TrainingConfig
    model: training.Pix2Pix
    steps: int
    seconds: float
    history: dict

    @property
    def generator(self) -> keras.Model:
        """The trained generator (``model.generator``)."""
        return self.model.generator


def split_folder(folder, split: str) -> Path:
    """The folder of one split of a folder of your own: ``folder/split``; for ``"train"``,
    the folder itself when it holds no ``train/`` (then it has no held-out split)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"{folder} is neither a named dataset ({', '.join(datasets.names())}) nor a "
            "folder; pass a name or a folder of pairs (or one holding train/ and test/)."
        )
    if (folder / split).is_dir():
        return folder / split
    if split == "train" and not (folder / "train").exists():
        return folder
    raise DataError(
        f"{folder} has no {split}/ folder; a task folder holds the training pairs in "
        f"{folder / 'train'} and the held-out pairs in {folder / split}, each as side-by-side "
        "A|B images or A/ and B/ folders."
    )


def _split_folder_of(config: TrainingConfig, split: str, data_dir=None) -> Path:
    if config.dataset is not None:
        return datasets.path(config.dataset, split, config.image_size, data_dir)
    if config.data is None:
        raise ArgumentError("the config names no data: set dataset= (one of "
                            f"{datasets.names()}) or data= (a folder of pairs).")
    return split_folder(config.data, split)


def split_pairs(config: TrainingConfig, split: str = "train", data_dir=None):
    """One split of the config's data: ``config.dataset``'s split or ``config.data/split``.

    Any split but ``"train"`` is only resized, keeps its file order (the order of
    ``datasets.load_masks``) and comes one image per batch. ``config.direction`` defaults
    to the dataset's labels -> photo direction, ``"AtoB"`` for a folder. For the training
    split see ``training_pairs``.
    """
    if split == "train":
        return training_pairs(config, data_dir)
    return _load(config, split, data_dir, augment=False, shuffle=False, batch_size=1)


def _load(config: TrainingConfig, split: str, data_dir, **options):
    options = dict(image_size=config.image_size, seed=config.seed, **options)
    if config.dataset is not None:
        return datasets.load(config.dataset, split, direction=config.direction,
                             data_dir=data_dir, **options)
    return data.load_paired(_split_folder_of(config, split, data_dir),
                            config.direction or "AtoB", **options)


def training_pairs(config: TrainingConfig, data_dir=None, start_step: int = 0):
    """The endless stream of training batches, from step ``start_step`` on.

    Augmented the paper's way (resize to 286/256 of the size, random crop and mirror) and
    shuffled pass after pass, in batches of ``config.batch_size``, with the order and the
    augmentation a function of ``config.seed`` and the position alone
    (``data.load_paired(..., repeat=True)``): a run resumed at step N on
    ``start_step=N`` sees the same batches as one that never stopped. Under
    ``MultiWorkerMirroredStrategy`` every worker reads this one stream and keeps its share of
    each global batch (``shared_between_workers``).
    """
    pairs = _load(config, "train", data_dir, augment=True, shuffle=True,
                  batch_size=config.batch_size, repeat=True, start_batch=start_step)
    return shared_between_workers(pairs)


def shared_between_workers(dataset):
    """``dataset`` split between several workers batch by batch, each worker taking its share
    of every global batch (tf.data's ``AutoShardPolicy.DATA``), rather than file by file,
    which would give each worker other pairs than one machine sees. Nothing changes on one
    machine."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def steps_per_pass(config: TrainingConfig, data_dir=None) -> int:
    """Batches in one pass over the training pairs (at least 1): an "epoch" when the
    config's ``steps_per_epoch`` is None."""
    pairs = len(data.find_pairs(_split_folder_of(config, "train", data_dir)))
    return max(1, pairs // config.batch_size)


def train(config: TrainingConfig, pairs=None, data_dir=None, extra_callbacks=(),
          validation_data=None, log_every: int = 100, verbose: int = 0,
          model: training.Pix2Pix | None = None) -> TrainingRun:
    """Train ``config`` and return the ``TrainingRun`` (introduced in notebook 11).

    ``pairs`` (default ``training_pairs(config)``) is a dataset of (input, target) batches,
    repeated as needed. Without ``config.minutes``: ``epochs`` of ``steps_per_epoch`` steps
    (None: one pass over ``pairs``), the rate decaying over the last ``decay_epochs``. With
    it: until the minutes have passed (``callbacks.TimeBudget``), logging every
    ``log_every`` steps, the rate decaying over ``config.decay_fraction`` of the time.
    ``model`` (default: ``training.build_model(config)``) is trained in place.
    """
    pairs = training_pairs(config, data_dir) if pairs is None else pairs
    input_spec, target_spec = pairs.element_spec
    steps_per_epoch = config.steps_per_epoch or log_every
    if config.minutes is None and config.steps_per_epoch is None:
        steps_per_epoch = _pass_length(pairs, config, data_dir)
    if model is None:
        model = training.build_model(config, input_spec.shape[-1], target_spec.shape[-1],
                                     steps_per_epoch=steps_per_epoch)
    run_callbacks = list(extra_callbacks)
    epochs = config.epochs
    if config.minutes is not None:
        budget = callbacks.TimeBudget(config.minutes * 60.0, config.decay_fraction)
        run_callbacks.insert(0, budget)
        epochs = 10**9  # the budget stops it
    started = time.perf_counter()
    if pairs.cardinality() != tf.data.INFINITE_CARDINALITY:
        pairs = pairs.repeat()
    fitted = model.fit(pairs, epochs=epochs, steps_per_epoch=steps_per_epoch,
                       callbacks=run_callbacks, validation_data=validation_data,
                       shuffle=False, verbose=verbose)  # the dataset shuffles itself
    seconds = time.perf_counter() - started
    steps = int(model.generator_optimizer.iterations.numpy())
    if config.minutes is not None:
        seconds = budget.seconds
    losses = {name: [float(value) for value in values]
              for name, values in fitted.history.items()}
    logged = [min(steps_per_epoch * (epoch + 1), steps) for epoch in fitted.epoch]
    return TrainingRun(config, model, steps, seconds, {"step": logged, **losses})


def _pass_length(pairs, config: TrainingConfig, data_dir) -> int:
    """Batches per epoch when the config does not say: one pass over the pairs."""
    count = int(pairs.cardinality())
    if count == tf.data.INFINITE_CARDINALITY:
        return steps_per_pass(config, data_dir)
    if count < 1:
        raise ArgumentError("the training pairs hold no batches (or an unknown number); "
                            "set steps_per_epoch in the config.")
    return count


def train_within(recipe: TrainingConfig = FAST_CPU, minutes: float | None = None,
                 dataset: str | None = None, seed: int | None = None, log_every: int = 100,
                 data_dir=None, verbose: int = 0, extra_callbacks=()) -> TrainingRun:
    """Train a recipe on a named dataset until ``minutes`` (default: the recipe's) pass.

    Introduced in notebook 11: ``train`` with the budget, dataset and seed changed.
    """
    changes = {"minutes": recipe.minutes if minutes is None else minutes,
               "dataset": dataset or recipe.dataset or FACADES,
               "seed": recipe.seed if seed is None else seed}
    if changes["minutes"] is None:
        raise ArgumentError(f"the recipe {recipe.name!r} has no time budget; pass minutes=.")
    return train(recipe.with_changes(**changes), data_dir=data_dir, log_every=log_every,
                 verbose=verbose, extra_callbacks=extra_callbacks)


def fast_recipe_for(dataset: str = FACADES) -> TrainingConfig:
    """The fast CPU recipe of a dataset: ``FAST_CPU`` (facades), ``FAST_CPU_STREETS``
    (streets), or ``FAST_CPU`` pointed at any other named dataset."""
    for recipe in (FAST_CPU, FAST_CPU_STREETS):
        if recipe.dataset == dataset:
            return recipe
    datasets.info(dataset)  # an unknown name gets the list of names
    return FAST_CPU.with_changes(name=f"fast-cpu-{dataset}", dataset=dataset)


__all__ = ["FAST_CPU", "FAST_CPU_STREETS", "PAPER_FOR_15_MINUTES", "QUICK_RECIPE", "TrainingRun",
           "fast_recipe_for", "shared_between_workers",
           "split_folder", "split_pairs", "steps_per_pass", "train", "train_within",
           "training_pairs"]
