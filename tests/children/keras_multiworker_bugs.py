"""Plain Keras under MultiWorkerMirroredStrategy, as one of two workers (TF_CONFIG set).

Used by tests/test_keras_workarounds.py: prints one JSON line per upstream bug that
``p2plib.tools.keras_workarounds.MultiWorkerPix2Pix`` works around, saying whether the bug
still shows, so the workaround can be deleted once neither does.
"""
import json

import p2plib

p2plib.quiet_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

strategy = tf.distribute.MultiWorkerMirroredStrategy()


def reduce_scalar():
    """tensorflow/tensorflow#72388: reducing a per-replica scalar over axis 0."""
    per_replica = strategy.run(lambda: tf.constant(1.0))
    strategy.reduce("MEAN", per_replica, axis=0)


class Doubler(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)


def fit_unbuilt_model():
    """keras-team/keras#20585: fit() builds an unbuilt model from a batch averaged across
    the replicas."""
    with strategy.scope():
        model = Doubler()
        model.compile(optimizer="sgd", loss="mse")
    inputs = np.arange(16, dtype="float32").reshape(8, 2)
    model.fit(inputs, inputs[:, :1] * 2, batch_size=4, epochs=1, verbose=0)


for name, attempt in (("tensorflow#72388", reduce_scalar), ("keras#20585", fit_unbuilt_model)):
    try:
        attempt()
        print(json.dumps({"bug": name, "shows": False}), flush=True)
    except Exception as error:  # noqa: BLE001 - whatever it raises shows the bug
        print(json.dumps({"bug": name, "shows": True,
                          "error": f"{type(error).__name__}: {str(error)[:160]}"}),
              flush=True)
