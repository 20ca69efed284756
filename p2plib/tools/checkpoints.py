"""Checkpoints for exact resume: everything training changes, and where it stood (notebook 10).

``TrainingCheckpoint`` is a ``fit`` callback that saves the generator, the discriminator, both
optimizers (moments, step counter, learning rate), dropout's random state and the position
(epoch, batch within it, step), and, when ``fit`` starts, restores the newest checkpoint that
can be read and makes ``fit`` continue from that position. Checkpoints are found by their
files (``ckpt-N.index``), not only through TensorFlow's ``checkpoint`` state file; a damaged
one (a truncated file, a kill during the write) is named in one line and the one before it
is used; half-written ``ckpt-N_temp`` folders are removed. All of the resume logic lives here.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf

from p2plib import checks, files, testtime
from p2plib.callbacks import non_finite
from p2plib.errors import CheckpointError
from p2plib.tools import keras_workarounds

__all__ = [
    "CheckpointPosition", "DATA_ORDERS", "TrainingCheckpoint", "checkpoint_files",
    "newest_readable", "prune", "read_checkpoint_position", "remove_partial_writes",
]


@dataclass(frozen=True)
class CheckpointPosition:
    """Where a checkpoint stands: ``epoch`` (0-based, the one in progress), ``batch`` (batches
    of that epoch already trained) and ``step`` (optimizer updates in all)."""

    epoch: int
    batch: int
    step: int
    path: str


def _position_of(path: str) -> CheckpointPosition:
    reader = tf.train.load_checkpoint(path)
    values = [int(reader.get_tensor(f"{name}/.ATTRIBUTES/VARIABLE_VALUE"))
              for name in ("epoch", "batch", "step")]
    return CheckpointPosition(*values, path=path)


DATA_ORDERS = ("epoch", "stream", "positioned")
_CHECKPOINT_INDEX = re.compile(r"^ckpt-(\d+)\.index$")


def checkpoint_files(directory) -> list[str]:
    """The checkpoint prefixes (``.../ckpt-N``) in ``directory``, newest (largest N) first,
    found by their ``.index`` files."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    numbered = [(int(match.group(1)), directory / f"ckpt-{match.group(1)}")
                for match in map(_CHECKPOINT_INDEX.match, (p.name for p in directory.iterdir()))
                if match]
    return [str(prefix) for _, prefix in sorted(numbered, reverse=True)]


def _read_whole(prefix: str) -> tuple[CheckpointPosition | None, str | None]:
    """``(position, None)`` when every tensor of the checkpoint at ``prefix`` reads back,
    else ``(None, why)`` in one line."""
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
        return _position_of(prefix), None
    except Exception as error:  # noqa: BLE001 - whatever the reader raises means damage
        text = str(error).strip().splitlines()
        return None, f"{type(error).__name__}: {text[0][:200] if text else 'unreadable'}"


def newest_readable(directory, log=print) -> CheckpointPosition | None:
    """The position of the newest checkpoint in ``directory`` that can be read.

    Each damaged newer one is named in one ``log`` line. None when there is no checkpoint;
    a ``CheckpointError`` saying what to do when there are some and none can be read.
    """
    prefixes = checkpoint_files(directory)
    reasons = []
    for prefix in prefixes:
        position, reason = _read_whole(prefix)
        if position is not None:
            return position
        reasons.append(reason)
        if log:
            log(f"Checkpoint {prefix} cannot be read ({reason}); trying the one before it.")
    if prefixes:
        raise CheckpointError(
            f"none of the {len(prefixes)} checkpoints in {directory} can be read (the newest: "
            f"{reasons[0]}); they are damaged, so this run cannot be resumed: start it again "
            "in a new run folder (or delete the checkpoints).")
    return None


def read_checkpoint_position(directory) -> CheckpointPosition | None:
    """The position of the newest readable checkpoint in ``directory``, or None."""
    return newest_readable(directory, log=None)


def prune(directory, keep: int = 3) -> list[Path]:
    """Delete the checkpoints older than the newest ``keep`` readable ones (tool).

    TensorFlow's rotation deletes only the checkpoints its state file lists; a kill after a
    checkpoint's files are written but before that file is updated leaves one it never
    deletes. Damaged checkpoints newer than those kept are left for the run to write over.
    """
    kept = []
    for prefix in checkpoint_files(directory):
        if len(kept) == keep:
            break
        if _read_whole(prefix)[0] is not None:
            kept.append(prefix)
    if len(kept) < keep:
        return []
    oldest = _number_of(kept[-1])
    removed = [path for path in Path(directory).glob("ckpt-*")
               if (number := _number_of(path)) is not None and number < oldest]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _number_of(path) -> int | None:
    match = re.match(r"^ckpt-(\d+)(\.|$)", Path(path).name)
    return int(match.group(1)) if match else None


def remove_partial_writes(directory) -> list[Path]:
    """Delete the ``ckpt-N_temp`` folders a save interrupted by a kill leaves behind."""
    directory = Path(directory)
    partial = [path for path in directory.glob("ckpt-*_temp") if path.is_dir()]
    for path in partial:
        shutil.rmtree(path, ignore_errors=True)
    return partial


class TrainingCheckpoint(keras.callbacks.Callback):
    """Save every ``save_every_steps`` batches and at each epoch's end; resume exactly.

    Each checkpoint (``tf.train.Checkpoint``, the newest ``max_to_keep`` kept in
    ``directory``) holds the generator, the discriminator, both optimizers, dropout's
    random state and the position. When ``fit`` starts and ``resume`` is true, the latest
    readable checkpoint is restored (``newest_readable``; or the ``CheckpointPosition``
    given as ``resume``) and training continues at its epoch and batch. ``data_order`` says
    how the data lines up with the interrupted run:

    - ``"epoch"``: the data starts over each epoch in the same order (unshuffled); the
      batches of the epoch that were already trained are read and skipped;
    - ``"stream"``: one stream from the start of training, in the same order every time
      (``data.load_paired(..., repeat=True)`` from batch 0); all ``step`` trained batches
      are read and skipped;
    - ``"positioned"``: the data already starts at the checkpoint's step
      (``load_paired(..., repeat=True, start_batch=step)``); nothing is skipped.

    A batch with a non-finite loss is never saved. ``.restored`` holds the
    ``CheckpointPosition`` restored at the start of the last ``fit``, or None. With
    ``resume=False`` existing checkpoints are ignored (and pruned as new ones are saved).

    Under ``MultiWorkerMirroredStrategy`` every worker takes part in each save, but only the
    chief writes to ``directory``; the others write to ``worker_directory`` (default: a new
    temporary folder), and every worker restores from the chief's ``directory``, which they
    must all reach.
    """

    def __init__(self, directory, save_every_steps: int | None = None, max_to_keep: int = 3,
                 resume: bool | CheckpointPosition = True, data_order: str = "epoch",
                 worker_directory=None):
        super().__init__()
        self.directory = Path(directory)
        self.worker_directory = None if worker_directory is None else Path(worker_directory)
        self.save_every_steps = checks.optional_integer(
            save_every_steps, "save_every_steps", minimum=1, example=500)
        self.max_to_keep = checks.integer(max_to_keep, "max_to_keep", minimum=1, example=3)
        self.resume = resume if isinstance(resume, CheckpointPosition) else checks.boolean(
            resume, "resume")
        self.data_order = checks.choice(data_order, "data_order", DATA_ORDERS)
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
        if getattr(model, "generator_optimizer", None) is None:
            raise CheckpointError("TrainingCheckpoint works with a compiled "
                                  "p2plib.training.Pix2Pix; call compile() first.")
        checkpoint = tf.train.Checkpoint(
            generator=model.generator,
            discriminator=model.discriminator,
            generator_optimizer=model.generator_optimizer,
            discriminator_optimizer=model.discriminator_optimizer,
            generator_random_state=testtime.random_states(model.generator),
            discriminator_random_state=testtime.random_states(model.discriminator),
            epoch=self._epoch,
            batch=self._batch,
            step=self._step,
        )
        directory = self.directory
        if not model.distribute_strategy.extended.should_checkpoint:
            # A non-chief worker of MultiWorkerMirroredStrategy takes part in saving but
            # writes to a folder of its own; every worker restores from the chief's.
            directory = self.worker_directory or Path(
                tempfile.mkdtemp(prefix="p2plib-worker-checkpoints-"))
        return tf.train.CheckpointManager(checkpoint, str(directory), self.max_to_keep)

    def _restore(self, path: str):
        try:
            self._manager.checkpoint.restore(path).assert_consumed()
        except (AssertionError, ValueError, tf.errors.OpError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise CheckpointError(
                f"The checkpoint {path} does not fit this model ({type(error).__name__}: "
                f"{first_line[:300]}). It was saved by a run with other networks or "
                "optimizers: resume with the same settings, or pass another directory (or "
                "resume=False)."
            ) from error

    def on_train_begin(self, logs=None):
        self._manager = self._make_manager()
        if self.model.distribute_strategy.extended.should_checkpoint:
            remove_partial_writes(self.directory)
            prune(self.directory, self.max_to_keep)
        self.restored = None
        position = self.resume
        if position is True:
            position = newest_readable(self.directory)
        if position:
            self._restore(position.path)
            self.restored = position
            keras_workarounds.start_fit_at_epoch(self.model, position.epoch)
            discard = {"epoch": position.batch, "stream": position.step, "positioned": 0}
            keras_workarounds.skip_batches(self.model, position.batch, discard[self.data_order])
            print(f"Resuming from {position.path}: epoch {position.epoch + 1}, after batch "
                  f"{position.batch} of it (step {position.step}).")
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
        keras_workarounds.start_fit_at_epoch(self.model, None)

    def save(self, epoch: int, batch: int, logs=None):
        """Save a checkpoint at ``epoch`` (0-based) after ``batch`` of its batches."""
        if non_finite(logs):
            return None
        step = self._current_step()
        self._epoch.assign(epoch)
        self._batch.assign(batch)
        self._step.assign(step)
        self._last_saved_step = step
        try:
            return self._manager.save(checkpoint_number=step)
        except tf.errors.OpError as error:
            # TensorFlow reports a full or read-only disk in its own error types (a full one
            # as ResourceExhaustedError, like lack of memory): say what it is, and where.
            system = files.as_system_error(error, self._manager.directory)
            if system is None:
                raise
            raise system from None
