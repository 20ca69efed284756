"""Callbacks for ``Pix2Pix.fit`` (introduced in notebook 05).

``SampleImages`` saves (and can show) a grid of input | target | output each epoch,
``TensorBoardImages`` writes the same grid to TensorBoard next to the scalars of
``keras.callbacks.TensorBoard``, ``TrainingCheckpoint`` saves everything training changes
and resumes an interrupted run exactly where its last checkpoint stood, ``StopOnNaN``
stops training as soon as any loss is not finite, and ``TimeBudget`` trains for a set
time with a learning rate that decays over its last part.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from p2plib import training

# --------------------------------------------------------------------------- sample grids


def take_samples(dataset, count: int = 4):
    """The first ``count`` (input, target) pairs of a batched dataset, as two numpy arrays."""
    inputs, targets = [], []
    for input_batch, target_batch in dataset:
        inputs.append(np.asarray(input_batch))
        targets.append(np.asarray(target_batch))
        if sum(len(batch) for batch in inputs) >= count:
            break
    if not inputs:
        raise ValueError("The dataset is empty; there are no pairs to take samples from.")
    return np.concatenate(inputs)[:count], np.concatenate(targets)[:count]


def _to_rgb_uint8(images, what: str) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"{what} must be a batch of 1- or 3-channel images [N, H, W, C] in [-1, 1]; "
            f"got shape {images.shape}."
        )
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


def sample_grid(inputs, targets, outputs, gap: int = 2) -> np.ndarray:
    """One uint8 RGB picture: a row per example, columns input | target | output.

    Images are float in [-1, 1]; grey images are shown as grey RGB; ``gap`` white pixels
    separate the tiles.
    """
    columns = [
        _to_rgb_uint8(images, what)
        for images, what in ((inputs, "inputs"), (targets, "targets"), (outputs, "outputs"))
    ]
    shapes = {column.shape for column in columns}
    if len(shapes) != 1:
        raise ValueError(
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
        if isinstance(every_epochs, bool) or not isinstance(every_epochs, int) or every_epochs < 1:
            raise ValueError(f"every_epochs must be an integer >= 1; got {every_epochs!r}.")
        self.inputs = np.asarray(inputs, dtype=np.float32)
        self.targets = np.asarray(targets, dtype=np.float32)
        sample_grid(self.inputs, self.targets, self.targets)  # fail early on bad samples
        self.every_epochs = every_epochs
        self.test_mode = None if test_mode is None else training.check_test_mode(test_mode)

    def _due(self, epoch: int) -> bool:
        return (epoch + 1) % self.every_epochs == 0

    def grid(self) -> np.ndarray:
        """The current input | target | output grid of the samples."""
        mode = self.test_mode or getattr(self.model, "test_mode", "paper")
        outputs = training.translate(self.model.generator, self.inputs, mode)
        return sample_grid(self.inputs, self.targets, np.asarray(outputs))


class SampleImages(_SampleCallback):
    """Every ``every_epochs`` epochs, save ``directory/epoch_NNNN.png`` and optionally show it.

    ``inputs``/``targets`` are a few fixed pairs (``take_samples(dataset, 4)``); the model's
    ``test_mode`` decides how the generator runs unless ``test_mode`` is given. Saved paths
    collect in ``.paths``.
    """

    def __init__(self, inputs, targets, directory=None, every_epochs: int = 1, show=False,
                 test_mode: str | None = None):
        super().__init__(inputs, targets, every_epochs, test_mode)
        if directory is None and not show:
            raise ValueError("SampleImages needs a directory to save to, show=True, or both.")
        self.directory = None if directory is None else Path(directory)
        self.show = show
        self.paths: list[Path] = []

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        grid = self.grid()
        if self.directory is not None:
            from PIL import Image

            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"epoch_{epoch + 1:04d}.png"
            Image.fromarray(grid).save(path)
            self.paths.append(path)
        if self.show:
            import matplotlib.pyplot as plt

            plt.figure(figsize=(6, 2 * len(self.inputs)))
            plt.imshow(grid)
            plt.title(f"epoch {epoch + 1}: input | target | output")
            plt.axis("off")
            plt.show()


class TensorBoardImages(_SampleCallback):
    """Write the input | target | output grid to TensorBoard under ``log_dir/images``.

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
    """``keras.callbacks.TensorBoard`` (scalars) plus ``TensorBoardImages`` (sample grids)."""
    return [
        keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False),
        TensorBoardImages(log_dir, inputs, targets, every_epochs=every_epochs),
    ]


# --------------------------------------------------------------------------- NaN detection


def _non_finite(logs) -> list[str]:
    bad = []
    for name, value in (logs or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(number):
            bad.append(name)
    return bad


class StopOnNaN(keras.callbacks.Callback):
    """Stop training at the first batch whose losses are not all finite.

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
        bad = _non_finite(logs)
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
    """Stop ``fit`` once ``seconds`` of training have passed, decaying the learning rate.

    Introduced with the fast CPU recipe (notebook 07, ``p2plib.recipes``). The clock starts
    at the first batch, so tracing counts as training time. Over the last
    ``decay_fraction`` of the time both optimizers' learning rate falls linearly towards 0:
    the reference implementation's constant-then-linear schedule, measured in seconds
    instead of epochs, because the steps that fit in a budget depend on the machine. Give
    the optimizers a plain number as learning rate, not a schedule. ``.steps`` and
    ``.seconds`` hold how many batches ran and how long they took.
    """

    def __init__(self, seconds: float, decay_fraction: float = 0.0):
        super().__init__()
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
                seconds > 0 and math.isfinite(seconds)):
            raise ValueError(f"seconds must be a positive number; got {seconds!r}.")
        if isinstance(decay_fraction, bool) or not isinstance(decay_fraction, (int, float)) \
                or not 0 <= decay_fraction <= 1:
            raise ValueError(f"decay_fraction must be a number from 0 to 1; got "
                             f"{decay_fraction!r}.")
        self.budget = float(seconds)
        self.decay_fraction = float(decay_fraction)
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
            if isinstance(optimizer._learning_rate,
                          keras.optimizers.schedules.LearningRateSchedule):
                raise ValueError(
                    "TimeBudget decays the learning rate itself; compile with optimizers "
                    "whose learning_rate is a number, not a schedule (or decay_fraction=0)."
                )
            self._initial_rates.append((optimizer, float(optimizer.learning_rate)))

    def learning_rate_factor(self, elapsed: float) -> float:
        """1 until the decay starts, then linearly down to 0 at the end of the budget."""
        if self.decay_fraction == 0:
            return 1.0
        remaining = max(0.0, 1.0 - elapsed / self.budget)
        return min(1.0, remaining / self.decay_fraction)

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


# --------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class CheckpointPosition:
    """Where a checkpoint stands: ``epoch`` (0-based, the one in progress), ``batch`` (batches
    of that epoch already trained) and ``step`` (optimizer updates in all)."""

    epoch: int
    batch: int
    step: int
    path: str


def read_checkpoint_position(directory) -> CheckpointPosition | None:
    """The position of the latest checkpoint in ``directory``, or None when there is none."""
    latest = tf.train.latest_checkpoint(str(directory))
    if latest is None:
        return None
    reader = tf.train.load_checkpoint(latest)
    values = [
        int(reader.get_tensor(f"{name}/.ATTRIBUTES/VARIABLE_VALUE"))
        for name in ("epoch", "batch", "step")
    ]
    return CheckpointPosition(*values, path=latest)


class TrainingCheckpoint(keras.callbacks.Callback):
    """Checkpoints for exact resume: save every ``save_every_steps`` batches and each epoch.

    Each checkpoint (``tf.train.Checkpoint``, the newest ``max_to_keep`` kept in
    ``directory``) holds the generator, the discriminator, both optimizers (moments, step
    counter, learning rate), dropout's random state, and the position: epoch, batch within
    it and step. When ``fit`` starts and ``resume`` is true, the latest checkpoint is
    restored and training continues at its epoch and batch: the batches of that epoch that
    were already trained are read from the data and skipped. With an unshuffled dataset,
    or one whose order each epoch is fixed, the resumed run matches an uninterrupted one.
    A batch with a non-finite loss is never saved. ``.restored`` holds the
    ``CheckpointPosition`` restored at the start of the last ``fit``, or None. With
    ``resume=False`` existing checkpoints are ignored (and pruned as new ones are saved).
    """

    def __init__(self, directory, save_every_steps: int | None = None, max_to_keep: int = 3,
                 resume: bool = True):
        super().__init__()
        if save_every_steps is not None and (
            isinstance(save_every_steps, bool) or not isinstance(save_every_steps, int)
            or save_every_steps < 1
        ):
            raise ValueError(
                f"save_every_steps must be an integer >= 1, or None to save once per epoch; "
                f"got {save_every_steps!r}."
            )
        self.directory = Path(directory)
        self.save_every_steps = save_every_steps
        self.max_to_keep = max_to_keep
        self.resume = resume
        self.restored: CheckpointPosition | None = None
        self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self._batch = tf.Variable(0, dtype=tf.int64, trainable=False, name="batch")
        self._step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self._manager = None
        self._current_epoch = 0
        self._batches_in_epoch = 0
        self._last_saved_step = 0

    def _make_manager(self):
        model = self.model
        if not isinstance(model, training.Pix2Pix) or model.generator_optimizer is None:
            raise TypeError("TrainingCheckpoint works with a compiled p2plib.training.Pix2Pix.")
        checkpoint = tf.train.Checkpoint(
            generator=model.generator,
            discriminator=model.discriminator,
            generator_optimizer=model.generator_optimizer,
            discriminator_optimizer=model.discriminator_optimizer,
            generator_random_state=training.random_states(model.generator),
            discriminator_random_state=training.random_states(model.discriminator),
            epoch=self._epoch,
            batch=self._batch,
            step=self._step,
        )
        directory = self.directory
        if not model.distribute_strategy.extended.should_checkpoint:
            # A non-chief worker of MultiWorkerMirroredStrategy takes part in saving but
            # writes to a folder of its own; every worker restores from the chief's.
            directory = Path(tempfile.mkdtemp(prefix="p2plib-worker-checkpoints-"))
        return tf.train.CheckpointManager(checkpoint, str(directory), self.max_to_keep)

    def _restore(self, path: str):
        try:
            self._manager.checkpoint.restore(path).assert_consumed()
        except (AssertionError, ValueError, tf.errors.OpError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ValueError(
                f"The checkpoint {path} does not fit this model ({type(error).__name__}: "
                f"{first_line[:300]}). It was saved by a run with other networks or "
                "optimizers: resume with the same settings, or pass another directory (or "
                "resume=False)."
            ) from error

    def on_train_begin(self, logs=None):
        self._manager = self._make_manager()
        self.restored = None
        latest = tf.train.latest_checkpoint(str(self.directory))
        if self.resume and latest:
            self._restore(latest)
            self.restored = read_checkpoint_position(self.directory)
            epoch, batch = self.restored.epoch, self.restored.batch
            self.model._initial_epoch = epoch  # what fit() reads, as BackupAndRestore does
            self.model.fast_forward(batch)
            print(
                f"Resuming from {latest}: epoch {epoch + 1}, after batch {batch} of it "
                f"(step {self.restored.step})."
            )
        self._last_saved_step = self._current_step()

    def _current_step(self) -> int:
        return int(self.model.generator_optimizer.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self._batches_in_epoch = 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches_in_epoch = batch + 1
        if self.save_every_steps is None:
            return
        if self._current_step() - self._last_saved_step >= self.save_every_steps:
            self.save(self._current_epoch, batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        steps = (self.params or {}).get("steps")
        stopped_early = self.model.stop_training and (
            steps is None or self._batches_in_epoch < steps
        )
        if stopped_early:  # e.g. by StopOnNaN or EarlyStopping: the epoch is not complete
            self.save(epoch, self._batches_in_epoch, logs)
        else:
            self.save(epoch + 1, 0, logs)

    def on_train_end(self, logs=None):
        self.model._initial_epoch = None  # a later fit() starts where it is told again

    def save(self, epoch: int, batch: int, logs=None):
        """Save a checkpoint at ``epoch`` (0-based) after ``batch`` of its batches."""
        if _non_finite(logs):
            return None
        step = self._current_step()
        self._epoch.assign(epoch)
        self._batch.assign(batch)
        self._step.assign(step)
        self._last_saved_step = step
        return self._manager.save(checkpoint_number=step)
