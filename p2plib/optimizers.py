"""The paper's optimizer: Adam with beta_1 = 0.5, done by TensorFlow's fused kernel.

``paper_optimizer`` (introduced in notebook 04) returns a ``FusedAdam``. Keras's ``Adam``
updates each variable with about a dozen separate element-wise operations, each reading and
writing whole tensors; for the 54-million-parameter U-Net that streams several gigabytes per
step. TensorFlow's ``ResourceApplyAdam`` kernel does the same update in one pass over the
variable and its two moments (see ``benchmarks/training_step.py`` for the measurement).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from p2plib import paper


@keras.saving.register_keras_serializable(package="p2plib")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose per-variable update is one fused TensorFlow kernel.

    Same arguments, same variables (so checkpoints are interchangeable with ``Adam``'s) and
    the same update: ``m += (1 - beta_1)(g - m)``, ``v += (1 - beta_2)(g^2 - v)``,
    ``w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)``. Sparse
    gradients, ``amsgrad`` and backends other than TensorFlow take Keras's own update.
    """

    def update_step(self, gradient, variable, learning_rate):
        if (self.amsgrad or keras.backend.backend() != "tensorflow"
                or isinstance(gradient, tf.IndexedSlices)):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        momentum = self._momentums[index].value
        velocity = self._velocities[index].value
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=momentum.handle, v=velocity.handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype),
        )


def paper_optimizer(learning_rate=paper.LEARNING_RATE, beta_1: float = paper.BETA_1) -> FusedAdam:
    """Adam with beta_1 = 0.5, as in the paper; ``learning_rate`` may be a schedule.

    Introduced in notebook 04. Each network needs its own instance.
    """
    return FusedAdam(learning_rate=learning_rate, beta_1=beta_1)
