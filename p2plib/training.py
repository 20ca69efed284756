"""The ``Pix2Pix`` Keras model, and building it from a training configuration (notebook 05).

``Pix2Pix(generator, discriminator)`` is a ``keras.Model`` whose ``train_step`` does one
adversarial update (``p2plib.adversarial``), so ``compile``/``fit``/``evaluate``/``predict``,
callbacks and ``tf.distribute`` strategies work (``MultiWorkerMirroredStrategy`` too, for
which Keras 3.15's ``fit`` needs two small detours, below). ``build_networks`` and
``build_model`` make the networks and the compiled model that a ``config.TrainingConfig``
describes: the one builder the command line, the recipes, the ablations and the applications
share.

The pieces it is made of live in modules of their own, and the names the notebooks use are
importable from here too: the step (``adversarial``: ``make_train_step``,
``adversarial_update``, ``compute_losses``, ``LOSS_NAMES``), the optimizers
(``optimizers.paper_optimizer``), the test-time policy (``testtime.translate``,
``TEST_MODES``), the schedule (``schedules.LinearDecay``) and mixed precision
(``precision.loss_scaled``).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from p2plib import adversarial, losses, models, optimizers, paper, schedules, testtime
from p2plib.adversarial import (  # noqa: F401 - the names notebook 04 uses
    LOSS_NAMES,
    adversarial_update,
    compute_losses,
    discriminator_inputs,
    is_conditional,
    make_train_step,
)
from p2plib.errors import ArgumentError
from p2plib.optimizers import paper_optimizer  # noqa: F401
from p2plib.paper import BETA_1, LEARNING_RATE  # noqa: F401
from p2plib.precision import computes_in_float16, loss_scaled  # noqa: F401
from p2plib.schedules import LinearDecay, linear_decay_factor  # noqa: F401
from p2plib.testtime import TEST_MODES, check_test_mode, random_states, translate  # noqa: F401


def _check_networks(generator, discriminator):
    for name, model, inputs in (("generator", generator, 1), ("discriminator", discriminator, 2)):
        if not isinstance(model, keras.Model):
            raise ArgumentError(f"{name} must be a keras.Model; got {model!r}.")
        try:
            count = len(model.inputs)
        except (AttributeError, TypeError, ValueError):  # a subclassed model has no inputs
            count = None
        if name == "discriminator" and count == 1:
            continue  # unconditional: judges images alone (the paper's "GAN" ablation)
        if count is not None and count != inputs:
            raise ArgumentError(
                f"The {name} {model.name!r} takes {count} input(s) but a Pix2Pix {name} takes "
                f"{inputs} ({'the input image' if inputs == 1 else '[input, target]'}); "
                "pass Pix2Pix(generator, discriminator) in that order."
            )


@keras.saving.register_keras_serializable(package="p2plib")
class Pix2Pix(keras.Model):
    """Pix2Pix as a Keras model: ``fit`` does one adversarial update per batch.

    Introduced in notebook 05. Holds ``.generator`` and ``.discriminator``; ``compile()``
    takes two optimizers (the paper's Adam when omitted), ``gan_mode``, ``l1_weight`` and
    ``gan_weight``. A discriminator with a single input is unconditional. ``fit``,
    ``evaluate`` and ``train_on_batch`` report ``gen_total``, ``gen_gan``, ``gen_l1`` (the
    unweighted L1 distance) and ``disc_loss``. ``test_mode`` ("paper" or "inference", see
    ``p2plib.testtime``) decides how ``evaluate``, ``predict`` and ``translate`` run the
    networks; in the paper's mode every image is normalised by its own statistics, whatever
    the batch size. Calling the model (``model(x, training=...)``) follows ``training``.
    """

    def __init__(self, generator, discriminator, test_mode="paper", **kwargs):
        super().__init__(**kwargs)
        _check_networks(generator, discriminator)
        self.generator = generator
        self.discriminator = discriminator
        self.test_mode = testtime.check_test_mode(test_mode)
        self.loss_trackers = [keras.metrics.Mean(name=name) for name in LOSS_NAMES]
        self.generator_optimizer = None
        self.discriminator_optimizer = None
        self.gan_mode = "vanilla"
        self.l1_weight = paper.L1_WEIGHT
        self.gan_weight = 1.0
        self.build(generator.input_shape)

    def build(self, input_shape=None):
        """Nothing to create: the two networks arrive built. (Keras calls this to mark the
        model built, so that saving it does not warn that it may hold no weights.)"""
        super().build(input_shape)

    @property
    def test_mode(self) -> str:
        """"paper" or "inference"; setting it makes evaluate/predict trace afresh."""
        return self._test_mode

    @test_mode.setter
    def test_mode(self, value):
        self._test_mode = testtime.check_test_mode(value)
        self.test_function = None  # traced with the old mode
        self.predict_function = None

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, gan_mode="vanilla",
                l1_weight=paper.L1_WEIGHT, gan_weight=1.0, **kwargs):
        """Set the optimizers (default: ``paper_optimizer()`` each), GAN loss and lambda.

        ``gan_weight`` scales the generator's adversarial term: 1 in the paper, 0 for the
        "L1 alone" ablation of notebook 06 (``l1_weight=0`` gives "cGAN alone").

        Other keyword arguments (``run_eagerly``, ``jit_compile``, ``steps_per_execution``)
        go to ``keras.Model.compile``; ``optimizer``, ``loss`` and ``metrics`` are not taken,
        because Pix2Pix's two optimizers and its losses are fixed by the arguments above.
        """
        taken = sorted({"optimizer", "loss", "loss_weights", "metrics"} & set(kwargs))
        if taken:
            raise ArgumentError(
                f"Pix2Pix.compile() does not take {taken}: pass generator_optimizer and "
                "discriminator_optimizer, and gan_mode / l1_weight for the losses."
            )
        self.gan_mode = losses.check_gan_mode(gan_mode)
        self.l1_weight = losses.check_l1_weight(l1_weight)
        self.gan_weight = losses.check_gan_weight(gan_weight)
        with self.distribute_strategy.scope():
            generator_optimizer = generator_optimizer or optimizers.paper_optimizer()
            discriminator_optimizer = discriminator_optimizer or optimizers.paper_optimizer()
            adversarial.check_optimizers(generator_optimizer, discriminator_optimizer)
            self.generator_optimizer = adversarial.prepare_optimizer(generator_optimizer,
                                                                     self.generator)
            self.discriminator_optimizer = adversarial.prepare_optimizer(
                discriminator_optimizer, self.discriminator)
        super().compile(optimizer=None, **kwargs)

    @property
    def metrics(self):
        return list(self.loss_trackers)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3.15 builds an unbuilt model from a first batch averaged across the replicas,
        # which fails under MultiWorkerMirroredStrategy (keras-team/keras#20585). A Pix2Pix
        # is built when it is made (networks) and compiled (optimizers; the trackers build
        # themselves), so there is nothing to build: only an uncompiled one goes on to Keras.
        if self.generator_optimizer is None:
            super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def fit(self, x=None, y=None, **kwargs):
        """``keras.Model.fit``; a ``tf.data.Dataset`` is not reshuffled by default.

        A dataset shuffles itself (``datasets.load``), and Keras ignores ``shuffle`` for one
        but warns when it is left at its default of True.
        """
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, **kwargs)

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    def translate(self, input_images, test_mode=None):
        """The generator's output at test time; ``test_mode`` defaults to ``self.test_mode``."""
        return testtime.translate(self.generator, input_images, test_mode or self.test_mode)

    def _pairs(self, data):
        input_images, target_images, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if target_images is None:
            raise ArgumentError(
                "Pix2Pix trains and evaluates on (input, target) pairs; the data gave inputs "
                "only. Pass a dataset of (input, target) batches or fit(x, y)."
            )
        if sample_weight is not None:
            raise ArgumentError("Pix2Pix does not use sample weights; pass (input, target) "
                                "only.")
        return input_images, target_images

    def _track(self, step_losses):
        for tracker in self.loss_trackers:
            tracker.update_state(step_losses[tracker.name])
        results = {tracker.name: tracker.result() for tracker in self.loss_trackers}
        return _for_several_workers(results)

    def train_step(self, data):
        if self.generator_optimizer is None:
            raise RuntimeError("Call compile() on the Pix2Pix model before training it.")
        input_images, target_images = self._pairs(data)
        step_losses = adversarial.adversarial_update(
            self.generator, self.discriminator, self.generator_optimizer,
            self.discriminator_optimizer, input_images, target_images,
            self.l1_weight, self.gan_mode, self.gan_weight,
        )
        return self._track(step_losses)

    def test_step(self, data):
        input_images, target_images = self._pairs(data)
        _, step_losses = adversarial.compute_losses(
            self.generator, self.discriminator, input_images, target_images,
            self.l1_weight, self.gan_mode, test_mode=self.test_mode,
            gan_weight=self.gan_weight,
        )
        return self._track(step_losses)

    def predict_step(self, data):
        input_images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.translate(input_images)

    def get_compile_config(self):
        if self.generator_optimizer is None:
            return None
        return {
            "generator_optimizer": keras.saving.serialize_keras_object(self.generator_optimizer),
            "discriminator_optimizer": keras.saving.serialize_keras_object(
                self.discriminator_optimizer
            ),
            "gan_mode": self.gan_mode,
            "l1_weight": self.l1_weight,
            "gan_weight": self.gan_weight,
        }

    def compile_from_config(self, config):
        config = dict(config)
        for name in ("generator_optimizer", "discriminator_optimizer"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        self.compile(**config)

    def get_config(self):
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "test_mode": self.test_mode,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        return cls(generator, discriminator, **config)


def _for_several_workers(results: dict) -> dict:
    """The step's logged losses as Keras can average them across several workers.

    Under ``MultiWorkerMirroredStrategy`` with more than one worker Keras 3.15 averages what a
    step returns with ``strategy.reduce("MEAN", value, axis=0)``, which refuses scalars
    (tensorflow/tensorflow#72388). The trackers are synchronised across replicas, so every
    replica holds the same global means: each goes out as a one-element vector, whose mean
    over axis 0 is that value again.
    """
    strategy = tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if replicas == 1 or replicas == len(strategy.extended.worker_devices):
        return results  # one worker: Keras takes the scalars as they are
    return {name: tf.reshape(value, [1]) for name, value in results.items()}


# --------------------------------------------------------------------------- building


def build_networks(config, input_channels: int = 3, target_channels: int = 3):
    """``(generator, discriminator)`` as ``config`` (a ``TrainingConfig``) describes them.

    Built under the ``mixed_float16`` policy when ``config.mixed_precision``. Introduced in
    notebook 05.
    """
    policy = "mixed_float16" if config.mixed_precision else "float32"
    build_generator = (models.unet_generator if config.generator == "unet"
                       else models.encoder_decoder_generator)
    with models.dtype_policy(policy):
        generator = build_generator(
            image_size=config.image_size, channels=input_channels,
            out_channels=target_channels, base_filters=config.base_filters, norm=config.norm,
            dropout=config.dropout, upsampling=config.upsampling,
        )
        discriminator = models.patchgan_discriminator(
            image_size=config.image_size, input_channels=input_channels,
            target_channels=target_channels, base_filters=config.base_filters,
            n_layers=config.n_layers, norm=config.norm, conditional=config.conditional,
        )
    return generator, discriminator


def learning_rate(config, steps_per_epoch: int | None = None):
    """The learning rate ``config`` trains with: its ``LinearDecay`` over epochs of steps.

    With ``config.minutes`` the rate is a plain number, which ``callbacks.TimeBudget``
    decays over the last share of the time. ``steps_per_epoch`` overrides the config's
    (the command line counts one pass over the data when the config says None).
    """
    if config.minutes is not None:
        return config.learning_rate
    steps_per_epoch = steps_per_epoch or config.steps_per_epoch
    if steps_per_epoch is None:
        raise ArgumentError("the learning-rate schedule needs the steps per epoch: set "
                            "steps_per_epoch in the config or pass steps_per_epoch=N.")
    decay = config.decay_epoch_count
    return schedules.LinearDecay(config.learning_rate, config.epochs - decay, decay,
                                 steps_per_epoch)


def build_model(config, input_channels: int = 3, target_channels: int = 3,
                steps_per_epoch: int | None = None) -> Pix2Pix:
    """A compiled ``Pix2Pix`` with the networks, objective and optimizers of ``config``.

    Introduced in notebook 05: the one builder. Keras's random generators are seeded with
    ``config.seed`` first, so one configuration always starts from the same weights. Both
    networks get the paper's Adam at ``learning_rate(config, steps_per_epoch)``. Call it
    inside ``strategy.scope()`` to train under a ``tf.distribute`` strategy.
    """
    keras.utils.set_random_seed(config.seed)
    generator, discriminator = build_networks(config, input_channels, target_channels)
    model = Pix2Pix(generator, discriminator)
    rate = learning_rate(config, steps_per_epoch)
    model.compile(optimizers.paper_optimizer(rate, config.beta_1),
                  optimizers.paper_optimizer(rate, config.beta_1), gan_mode=config.gan_mode,
                  l1_weight=config.l1_weight, gan_weight=config.gan_weight)
    return model
