"""One Pix2Pix step on one device against the same step under MirroredStrategy on two.

Used by tests/test_training.py. The CPU is split into two logical devices before anything
else touches TensorFlow; the result is printed as one JSON line.
"""
import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from p2plib import optimizers, training  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import smooth_pairs, tiny_networks  # noqa: E402


def build(strategy, optimizer):
    with strategy.scope():
        model = training.Pix2Pix(*tiny_networks(seed=2, dropout=False, norm="instance"))
        model.compile(generator_optimizer=optimizer(), discriminator_optimizer=optimizer())
    return model


def sgd():
    return keras.optimizers.SGD(0.1)  # unlike Adam, its step shows a wrongly scaled gradient


def fast_adam():
    return optimizers.paper_optimizer(1e-3)  # a few steps are enough to see it learn


mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
batch = tf.data.Dataset.from_tensor_slices(smooth_pairs(4, seed=0)).batch(4)
one, two = build(tf.distribute.get_strategy(), sgd), build(mirrored, sgd)
initial = [np.array(w) for w in one.generator.weights]
logs_one = one.fit(batch, epochs=1, verbose=0).history
logs_two = two.fit(batch, epochs=1, verbose=0).history


def difference(first, second):
    pairs = zip(first, second, strict=True)
    return max(float(np.abs(np.array(a) - np.array(b)).max()) for a, b in pairs)


learner = build(mirrored, fast_adam)
train = tf.data.Dataset.from_tensor_slices(smooth_pairs(32, seed=0)).batch(2)
held_out = tf.data.Dataset.from_tensor_slices(smooth_pairs(8, seed=1)).batch(2)
before = learner.evaluate(held_out, verbose=0, return_dict=True)["gen_l1"]
learner.fit(train, epochs=2, verbose=0)
after = learner.evaluate(held_out, verbose=0, return_dict=True)["gen_l1"]
print(json.dumps({
    "replicas": two.distribute_strategy.num_replicas_in_sync,
    "generator_moved": difference(initial, one.generator.weights),
    "generator_difference": difference(one.generator.weights, two.generator.weights),
    "discriminator_difference": difference(one.discriminator.weights, two.discriminator.weights),
    "logs_one": logs_one, "logs_two": logs_two, "l1_before": before, "l1_after": after,
}))
