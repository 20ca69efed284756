"""A training run that pauses at a given step so that a test can SIGKILL it, then resumes.

Used by tests/test_training.py: ``python killed_run.py WORKDIR RUN [PAUSE_AT]`` trains a
tiny Pix2Pix for 3 epochs of 8 pairs with a TrainingCheckpoint every 5 steps, logging each
batch to WORKDIR/batches.jsonl and saving its variables at the start, at the pause and at
the end.
"""
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from p2plib import training
from p2plib.tools import checkpoints

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import smooth_pairs, tiny_networks  # noqa: E402


def state(model):
    parts = {
        "generator": model.generator.variables,
        "discriminator": model.discriminator.variables,
        "generator_optimizer": model.generator_optimizer.variables,
        "discriminator_optimizer": model.discriminator_optimizer.variables,
    }
    return {
        f"{part}/{i}": np.array(v) for part, vs in parts.items() for i, v in enumerate(vs)
    }


class Record(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        np.savez(workdir / f"start_{run}.npz", **state(self.model))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.generator_optimizer.iterations)
        with open(workdir / "batches.jsonl", "a") as log:
            log.write(json.dumps([run, self.epoch, batch, step]) + "\n")
        if step == pause_at:  # TrainingCheckpoint, listed first, has saved this step
            np.savez(workdir / "paused.npz", **state(self.model))
            (workdir / "paused").write_text("waiting to be killed")
            time.sleep(600)


workdir, run = Path(sys.argv[1]), sys.argv[2]
pause_at = int(sys.argv[3]) if len(sys.argv) > 3 else None
model = training.Pix2Pix(*tiny_networks(seed=1))
model.compile()
dataset = tf.data.Dataset.from_tensor_slices(smooth_pairs(8, seed=0)).batch(1)
checkpoint = checkpoints.TrainingCheckpoint(workdir / "checkpoints", save_every_steps=5)
model.fit(dataset, epochs=3, verbose=0, callbacks=[checkpoint, Record()])
np.savez(workdir / "final.npz", **state(model))
