"""The upstream behaviour behind each Keras workaround (p2plib.tools.keras_workarounds).

Each test shows the upstream bug or gap still there; when one fails, Keras behaves and the
workaround it names can be deleted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import keras
import numpy as np

from p2plib.tools import cluster

CHILDREN = Path(__file__).parent / "children"


class StopAt(keras.callbacks.Callback):
    """Raise after ``batches`` batches of the first epoch: a run killed mid-epoch."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == self.batches:
            raise KeyboardInterrupt


class CountBatches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.per_epoch = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch[epoch] = 0

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[max(self.per_epoch)] += 1


def test_keras_restarts_an_interrupted_epoch_from_its_first_batch(tmp_path):
    """start_fit_at_epoch and skip_batches: Keras's own BackupAndRestore, saving every 2
    batches, resumes a run killed after 6 of 8 batches by training the epoch's 8 batches
    again (keras-team/keras#19179 covers whole epochs only)."""
    inputs = np.arange(32, dtype="float32").reshape(16, 2)

    def model():
        keras.utils.set_random_seed(0)
        built = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        built.compile(optimizer="sgd", loss="mse")
        return built

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"), save_freq=2)
    try:
        model().fit(inputs, inputs[:, :1], batch_size=2, epochs=2, verbose=0,
                    callbacks=[backup, StopAt(6)])
    except KeyboardInterrupt:
        pass
    counter = CountBatches()
    model().fit(inputs, inputs[:, :1], batch_size=2, epochs=2, verbose=0,
                callbacks=[backup, counter])
    assert counter.per_epoch[0] == 8, (
        "Keras now resumes in the middle of an epoch: delete skip_batches and use its "
        f"BackupAndRestore instead (batches trained in the resumed epoch: {counter.per_epoch})")


def test_plain_keras_fit_fails_under_two_workers():
    """MultiWorkerPix2Pix: both bugs it works around still show with two real workers."""
    env = {**os.environ, "P2P_QUICK": "1"}
    env.pop(cluster.TF_CONFIG_ENV, None)
    with cluster.LocalWorkers([sys.executable, str(CHILDREN / "keras_multiworker_bugs.py")],
                              2, env=env, output=None, grace_seconds=30) as workers:
        workers.start()
        codes = workers.wait(timeout=240)
    assert codes == {0: 0, 1: 0}, workers.text(0)[-3000:]
    reports = [json.loads(line) for line in workers.lines[0] if line.startswith('{"bug"')]
    shown = {report["bug"]: report["shows"] for report in reports}
    assert shown == {"tensorflow#72388": True, "keras#20585": True}, (
        f"an upstream bug is fixed ({shown}): drop its detour from MultiWorkerPix2Pix")
