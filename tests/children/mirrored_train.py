"""``python -m p2plib ARGUMENTS...`` in one process under MirroredStrategy on two logical CPUs.

Used by tests/test_multiworker.py as the one-process reference for two workers, as
two_devices.py is for test_training.py: the CPU is split into two logical devices before
anything else touches TensorFlow, and the command line runs inside the strategy's scope, so it
trains exactly as under one worker per device.
"""
import sys

import p2plib

p2plib.quiet_tensorflow()

import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from p2plib.tools import cli  # noqa: E402

with tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]).scope():
    sys.exit(cli.main(sys.argv[1:]))
