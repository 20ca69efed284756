"""The learning-rate schedule: constant, then linear decay to zero (introduced in notebook 05).

The reference implementation's "linear" policy, the one schedule of the library: the command
line and ``training.build_model`` drive it by epochs of steps, and ``callbacks.TimeBudget``
by the share of a time budget that has passed (``continuous_decay_factor``, the same policy
with the epochs made infinitely short).
"""

from __future__ import annotations

import keras
from keras import ops

from p2plib import checks, paper

__all__ = ["LinearDecay", "continuous_decay_factor", "linear_decay_factor"]


def linear_decay_factor(epoch, n_epochs: int, n_epochs_decay: int):
    """The factor on the learning rate in (0-based) ``epoch`` (notebook 05).

    1 for the first ``n_epochs`` epochs, then falling linearly over ``n_epochs_decay``
    epochs: ``1 - (epoch + 1 - n_epochs) / (n_epochs_decay + 1)``, so the last epoch runs at
    ``1 / (n_epochs_decay + 1)`` and any later epoch at 0. Works on numbers and tensors.
    """
    passed = ops.maximum(ops.cast(epoch, "float32") + 1.0 - n_epochs, 0.0)
    return ops.maximum(1.0 - passed / (n_epochs_decay + 1.0), 0.0)


def continuous_decay_factor(passed: float, decay_fraction: float) -> float:
    """The factor when ``passed`` (0 to 1) of the training has gone by: 1 until the
    last (notebook 05).
    ``decay_fraction`` of it begins, then linearly down to 0 at the end."""
    if decay_fraction <= 0:
        return 1.0
    remaining = 1.0 - min(max(passed, 0.0), 1.0)
    return min(1.0, remaining / decay_fraction)


@keras.saving.register_keras_serializable(package="p2plib")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant learning rate for ``n_epochs``, then linear decay to zero (notebook 05).

    Driven by the optimizer's step counter (``steps_per_epoch`` steps make an epoch), so a
    run restored from a checkpoint continues at the right rate. Give the same schedule to
    both optimizers. The paper: ``LinearDecay(2e-4, 100, 100, steps_per_epoch=400)``.
    """

    def __init__(self, initial_learning_rate=paper.LEARNING_RATE, n_epochs=paper.EPOCHS
                 - paper.DECAY_EPOCHS, n_epochs_decay=paper.DECAY_EPOCHS, steps_per_epoch=1):
        self.initial_learning_rate = checks.number(
            initial_learning_rate, "initial_learning_rate", above=0, example=2e-4)
        self.n_epochs = checks.integer(n_epochs, "n_epochs", minimum=0, example=100)
        self.n_epochs_decay = checks.integer(n_epochs_decay, "n_epochs_decay", minimum=0,
                                             example=100)
        self.steps_per_epoch = checks.integer(steps_per_epoch, "steps_per_epoch", minimum=1,
                                              example=400)

    def factor(self, step):
        """The factor on the initial rate at ``step`` (a number or a tensor)."""
        epoch = ops.floor(ops.cast(step, "float32") / self.steps_per_epoch)
        return linear_decay_factor(epoch, self.n_epochs, self.n_epochs_decay)

    def __call__(self, step):
        return self.initial_learning_rate * self.factor(step)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "n_epochs": self.n_epochs,
            "n_epochs_decay": self.n_epochs_decay,
            "steps_per_epoch": self.steps_per_epoch,
        }
