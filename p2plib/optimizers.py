"""The paper's optimizer: Adam with learning rate 2e-4 and beta_1 = 0.5 (notebook 04).

``paper_optimizer()`` is Keras's own ``Adam`` with the paper's settings. ``FusedAdam`` (a
tool, not taught) computes the same update with TensorFlow's single ``ResourceApplyAdam``
kernel per variable, where Keras's ``Adam`` runs about a dozen element-wise operations,
each reading and writing whole tensors; ``training.build_model`` uses it for speed
(``benchmarks/training_step.py`` measures the difference). It is written only with the
public API of ``keras.optimizers.Optimizer``: its own moment variables, made in ``build``,
and its own ``update_step``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from p2plib import paper

__all__ = ["FusedAdam", "paper_optimizer"]


@keras.saving.register_keras_serializable(package="p2plib")
class FusedAdam(keras.optimizers.Optimizer):
    """Adam whose per-variable update is one fused TensorFlow kernel (tool).

    The update of ``keras.optimizers.Adam`` (without ``amsgrad``):
    ``m += (1 - beta_1)(g - m)``, ``v += (1 - beta_2)(g^2 - v)``,
    ``w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)``.
    TensorFlow backend only; sparse gradients are not supported.
    """

    def __init__(self, learning_rate=paper.LEARNING_RATE, beta_1=paper.BETA_1, beta_2=0.999,
                 epsilon=1e-7, name="fused_adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables):
        """Make the two moments of each variable, and a map from the variables (and, under
        a ``tf.distribute`` strategy, their per-device copies) to them."""
        if self.built:
            return
        super().build(variables)
        self.momentums, self.velocities, self._moment_of = [], [], {}
        strategy = tf.distribute.get_strategy()
        for index, variable in enumerate(variables):
            self.momentums.append(self.add_variable_from_reference(variable, "momentum"))
            self.velocities.append(self.add_variable_from_reference(variable, "velocity"))
            for copy in strategy.experimental_local_results(variable.value):
                self._moment_of[copy.ref()] = index

    def update_step(self, gradient, variable, learning_rate):
        if isinstance(gradient, tf.IndexedSlices):
            raise NotImplementedError("FusedAdam takes dense gradients; use keras.optimizers."
                                      "Adam for sparse ones.")
        index = self._moment_of[variable.ref()]
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self.momentums[index].value.handle,
            v=self.velocities[index].value.handle, beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step), lr=tf.cast(learning_rate, dtype), beta1=beta_1,
            beta2=beta_2, epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


def paper_optimizer(learning_rate=paper.LEARNING_RATE, beta_1: float = paper.BETA_1,
                    fused: bool = False):
    """Adam with the paper's learning rate 2e-4 and beta_1 = 0.5 (notebook 04).

    ``learning_rate`` may be a schedule. Each network needs its own instance. ``fused=True``
    gives ``FusedAdam``, the same update in one kernel per variable.
    """
    if fused:
        return FusedAdam(learning_rate=learning_rate, beta_1=beta_1)
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1)
