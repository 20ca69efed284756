"""Workarounds for Keras 3.15 behaviour the tools need, each in one place (tool).

Each names the upstream issue, and ``tests/test_keras_workarounds.py`` has a test that fails
once Keras behaves, so the workaround can be deleted then:

- ``MultiWorkerPix2Pix``: ``fit`` under ``MultiWorkerMirroredStrategy`` with several workers
  (keras-team/keras#20585, tensorflow/tensorflow#72388);
- ``start_fit_at_epoch`` and ``skip_batches``: resuming ``fit`` in the middle of an epoch,
  for which a callback has no public API (keras-team/keras#19179 shows Keras's own
  ``BackupAndRestore`` moving ``fit`` only through the private ``_initial_epoch``, and it
  restarts an interrupted epoch from its first batch).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from p2plib.errors import CheckpointError
from p2plib.training import Pix2Pix

__all__ = ["MultiWorkerPix2Pix", "skip_batches", "start_fit_at_epoch"]


@keras.saving.register_keras_serializable(package="p2plib")
class MultiWorkerPix2Pix(Pix2Pix):
    """``Pix2Pix`` whose ``fit`` runs under ``MultiWorkerMirroredStrategy`` (tool).

    Two detours, for the command line's several-worker training:

    - Keras builds an unbuilt model from a first batch averaged across the replicas, which
      fails under the strategy (keras-team/keras#20585). A Pix2Pix is built when it is made
      and compiled, so a compiled one skips that step.
    - Keras averages what a step returns with ``strategy.reduce("MEAN", value, axis=0)``,
      which refuses scalars with several workers (tensorflow/tensorflow#72388). The loss
      trackers are synchronised, so each replica holds the global means: each goes out as a
      one-element vector, whose mean over axis 0 is the value again.
    """

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self.generator_optimizer is None:
            super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def train_step(self, data):
        return _reducible(super().train_step(data))

    def test_step(self, data):
        return _reducible(super().test_step(data))


def _reducible(results: dict) -> dict:
    strategy = tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if replicas == 1 or replicas == len(strategy.extended.worker_devices):
        return results  # one worker: Keras takes the scalars as they are
    return {name: tf.reshape(value, [1]) for name, value in results.items()}


def start_fit_at_epoch(model, epoch: int | None) -> None:
    """Make the ``fit`` in progress continue at ``epoch`` (0-based); call it from a
    callback's ``on_train_begin``. None makes a later ``fit`` start where it is told again.

    Keras 3.15 reads ``model._initial_epoch`` right after ``on_train_begin``, as its own
    ``BackupAndRestore`` relies on; no public API lets a callback do this.
    """
    model._initial_epoch = epoch


def skip_batches(model, iterations: int, discard: int) -> None:
    """Make the next ``iterations`` batches of ``fit`` pass untrained, after reading and
    dropping ``discard`` batches of the data; call it from ``on_train_begin``.

    Wraps ``model.train_function``, which ``fit`` calls once per ``steps_per_execution``
    batches after ``on_train_begin``, so epochs, steps and schedules line up with an
    interrupted run.
    """
    per_call = model.steps_per_execution
    if iterations % per_call:
        raise CheckpointError(f"cannot skip {iterations} batches with steps_per_execution="
                              f"{per_call}; checkpoint at multiples of it.")
    if not iterations and not discard:
        return
    train_batches = model.train_function
    left = {"iterations": iterations, "discard": discard}

    def train_or_skip(iterator):
        while left["discard"] > 0:
            next(iterator)
            left["discard"] -= 1
        if left["iterations"] > 0:
            left["iterations"] -= per_call
            return {metric.name: metric.result() for metric in model.metrics}
        return train_batches(iterator)

    model.train_function = train_or_skip
