"""Callbacks for ``Pix2Pix.fit`` (introduced in notebook 05).

``SampleImages`` saves (and can show) a grid of input | target | output each epoch,
``TensorBoardImages`` writes the same grid to TensorBoard next to the scalars of
``keras.callbacks.TensorBoard``, ``StopOnNaN`` stops training as soon as any loss is not
finite, and ``TimeBudget`` trains for a set time with a learning rate that decays over its
last part. Checkpoints for exact resume are a tool: ``p2plib.tools.checkpoints``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from PIL import Image

from p2plib import checks, data, files, schedules, testtime
from p2plib.errors import ArgumentError

__all__ = [
    "SampleImages", "StopOnNaN", "TensorBoardImages", "TimeBudget", "non_finite", "sample_grid",
    "take_samples", "tensorboard_callbacks",
]

# --------------------------------------------------------------------------- sample grids


def take_samples(dataset, count: int = 4):
    """The first ``count`` (input, target) pairs of a batched dataset, as two numpy
    arrays (notebook 05)."""
    inputs, targets = [], []
    for input_batch, target_batch in dataset:
        inputs.append(np.asarray(input_batch))
        targets.append(np.asarray(target_batch))
        if sum(len(batch) for batch in inputs) >= count:
            break
    if not inputs:
        raise ArgumentError("The dataset is empty; there are no pairs to take samples from.")
    return np.concatenate(inputs)[:count], np.concatenate(targets)[:count]


def _to_rgb_uint8(images, what: str) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ArgumentError(
            f"{what} must be a batch of 1- or 3-channel images [N, H, W, C] in [-1, 1]; "
            f"got shape {images.shape}."
        )
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return np.asarray(data.denormalize(images))


def sample_grid(inputs, targets, outputs, gap: int = 2) -> np.ndarray:
    """One uint8 RGB picture: a row per example, columns input | target | output (notebook 05).

    Images are float in [-1, 1]; grey images are shown as grey RGB; ``gap`` white pixels
    separate the tiles.
    """
    columns = [
        _to_rgb_uint8(images, what)
        for images, what in ((inputs, "inputs"), (targets, "targets"), (outputs, "outputs"))
    ]
    shapes = {column.shape for column in columns}
    if len(shapes) != 1:
        raise ArgumentError(
            f"inputs, targets and outputs must have the same batch and image size; got "
            f"{[column.shape for column in columns]}."
        )
    count, height, width, _ = columns[0].shape
    grid = np.full(
        (count * height + (count - 1) * gap, 3 * width + 2 * gap, 3), 255, dtype=np.uint8
    )
    for row in range(count):
        for column, images in enumerate(columns):
            top, left = row * (height + gap), column * (width + gap)
            grid[top:top + height, left:left + width] = images[row]
    return grid


class _SampleCallback(keras.callbacks.Callback):
    def __init__(self, inputs, targets, every_epochs: int = 1, test_mode: str | None = None):
        super().__init__()
        self.every_epochs = checks.integer(every_epochs, "every_epochs", minimum=1, example=1)
        self.inputs = np.asarray(inputs, dtype=np.float32)
        self.targets = np.asarray(targets, dtype=np.float32)
        sample_grid(self.inputs, self.targets, self.targets)  # fail early on bad samples
        self.test_mode = None if test_mode is None else testtime.check_test_mode(test_mode)

    def _due(self, epoch: int) -> bool:
        return (epoch + 1) % self.every_epochs == 0

    def grid(self) -> np.ndarray:
        """The current input | target | output grid of the samples.

        Drawing the samples leaves dropout's random state as it was, so that a run with
        this callback trains on the same dropout masks as one resumed after a checkpoint.
        """
        mode = self.test_mode or getattr(self.model, "test_mode", "paper")
        with testtime.random_state_kept(self.model.generator):
            outputs = testtime.translate(self.model.generator, self.inputs, mode)
        return sample_grid(self.inputs, self.targets, np.asarray(outputs))


class SampleImages(_SampleCallback):
    """Every ``every_epochs`` epochs, save ``directory/epoch_NNNN.png`` and optionally show
    it (notebook 05).

    ``inputs``/``targets`` are a few fixed pairs (``take_samples(dataset, 4)``); the model's
    ``test_mode`` decides how the generator runs unless ``test_mode`` is given. Saved paths
    collect in ``.paths``.
    """

    def __init__(self, inputs, targets, directory=None, every_epochs: int = 1, show=False,
                 test_mode: str | None = None):
        super().__init__(inputs, targets, every_epochs, test_mode)
        if directory is None and not show:
            raise ArgumentError("SampleImages needs a directory to save to, show=True, or both.")
        self.directory = None if directory is None else Path(directory)
        self.show = show
        self.paths: list[Path] = []

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        grid = self.grid()
        if self.directory is not None:
            path = self.directory / f"epoch_{epoch + 1:04d}.png"
            with files.written_atomically(path) as temporary:
                Image.fromarray(grid).save(temporary)
            self.paths.append(path)
        if self.show:
            plt.figure(figsize=(6, 2 * len(self.inputs)))
            plt.imshow(grid)
            plt.title(f"epoch {epoch + 1}: input | target | output")
            plt.axis("off")
            plt.show()


class TensorBoardImages(_SampleCallback):
    """Write the input | target | output grid to TensorBoard under ``log_dir/images`` (notebook 10).

    Use next to ``keras.callbacks.TensorBoard(log_dir)``, which writes the scalars.
    """

    def __init__(self, log_dir, inputs, targets, every_epochs: int = 1,
                 test_mode: str | None = None, name: str = "samples"):
        super().__init__(inputs, targets, every_epochs, test_mode)
        self.log_dir = Path(log_dir)
        self.name = name
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir / "images"))
        with self._writer.as_default():
            tf.summary.image(self.name, self.grid()[None], step=epoch + 1)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def tensorboard_callbacks(log_dir, inputs, targets, every_epochs: int = 1) -> list:
    """``keras.callbacks.TensorBoard`` (scalars) plus ``TensorBoardImages`` (sample
    grids) (notebook 10)."""
    return [
        keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False),
        TensorBoardImages(log_dir, inputs, targets, every_epochs=every_epochs),
    ]


# --------------------------------------------------------------------------- NaN detection


class StopOnNaN(keras.callbacks.Callback):
    """Stop training at the first batch whose losses are not all finite (notebook 05).

    Stricter than ``keras.callbacks.TerminateOnNaN``, which only looks at a ``loss`` entry
    that Pix2Pix does not have: every logged value is checked. With ``raise_error=True`` a
    ``FloatingPointError`` is raised instead of stopping quietly. ``.stopped_at`` holds
    ``(epoch, batch)`` (0-based) where it stopped, or None.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error
        self.stopped_at = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self.stopped_at = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = non_finite(logs)
        if not bad:
            return
        self.stopped_at = (self._epoch, batch)
        message = (
            f"Stopping: {', '.join(bad)} not finite at epoch {self._epoch + 1}, batch "
            f"{batch + 1}. Lower the learning rate, check the data for NaN or infinite "
            "values, or resume from the last checkpoint."
        )
        if self.raise_error:
            raise FloatingPointError(message)
        print(message)
        self.model.stop_training = True


# --------------------------------------------------------------------------- time budget


class TimeBudget(keras.callbacks.Callback):
    """Stop ``fit`` once ``seconds`` of training have passed, decaying the learning
    rate (notebook 11).

    Introduced with the fast CPU recipe (``p2plib.experiments.recipes``). The clock
    starts at the first batch, so tracing counts as training time. Over the last
    ``decay_fraction`` of the time both optimizers' learning rate falls linearly towards 0:
    the library's one schedule (``schedules``) driven by the share of the budget that has
    passed (``schedules.continuous_decay_factor``) instead of by steps, because the steps
    that fit in a budget depend on the machine. Give the optimizers a plain number as
    learning rate, not a schedule. ``.steps`` and ``.seconds`` hold how many batches ran and
    how long they took.
    """

    def __init__(self, seconds: float, decay_fraction: float = 0.0):
        super().__init__()
        self.budget = checks.number(seconds, "seconds", above=0, example=900)
        self.decay_fraction = checks.number(decay_fraction, "decay_fraction", minimum=0,
                                            maximum=1, example=0.5)
        self.steps = 0
        self.seconds = 0.0
        self._started = None
        self._initial_rates = []

    def _optimizers(self) -> list:
        found = [getattr(self.model, name, None)
                 for name in ("generator_optimizer", "discriminator_optimizer")]
        found = [optimizer for optimizer in found if optimizer is not None]
        return found or [self.model.optimizer]

    def on_train_begin(self, logs=None):
        self.steps, self.seconds, self._started = 0, 0.0, None
        self._initial_rates = []
        if self.decay_fraction == 0:
            return
        for optimizer in self._optimizers():
            if _has_schedule(optimizer):
                raise ArgumentError(
                    "TimeBudget decays the learning rate itself; compile with optimizers "
                    "whose learning_rate is a number, not a schedule (or decay_fraction=0)."
                )
            self._initial_rates.append((optimizer, float(optimizer.learning_rate)))

    def learning_rate_factor(self, elapsed: float) -> float:
        """1 until the decay starts, then linearly down towards 0 at the end of the budget."""
        return schedules.continuous_decay_factor(elapsed / self.budget, self.decay_fraction)

    def on_train_batch_begin(self, batch, logs=None):
        if self._started is None:
            self._started = time.perf_counter() - self.seconds
        factor = self.learning_rate_factor(time.perf_counter() - self._started)
        for optimizer, rate in self._initial_rates:
            optimizer.learning_rate = rate * factor

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.seconds = time.perf_counter() - self._started
        if self.seconds >= self.budget:
            self.model.stop_training = True


def _has_schedule(optimizer) -> bool:
    """Whether the optimizer's learning rate is a schedule (its config serialises one)."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's
    return isinstance(inner.get_config().get("learning_rate"), dict)


def non_finite(logs) -> list[str]:
    """Names of the logged values that are numbers but not finite (notebook 05)."""
    bad = []
    for name, value in (logs or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(number):
            bad.append(name)
    return bad
