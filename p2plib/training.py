"""Pix2Pix as a Keras model, and building it from a training configuration (notebook 05).

``Pix2Pix(generator, discriminator)`` is a ``keras.Model`` whose ``train_step`` runs notebook
04's ``step.adversarial_step``, so ``compile``/``fit``/``evaluate``/``predict``, callbacks and
``tf.distribute`` strategies work. Around the step, and only here: the losses' share of a
batch split over several devices, loss scaling under mixed precision, the losses it reports,
and the test-time policy of ``evaluate``. ``build_model`` makes the networks and the compiled
model that a ``config.TrainingConfig`` describes: the one builder the command line, the
recipes, the ablations and the applications share.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from p2plib import losses, models, optimizers, paper, schedules, step, testtime
from p2plib.errors import ArgumentError

__all__ = ["Pix2Pix", "build_model", "build_networks", "computes_in_float16",
           "learning_rate", "loss_scaled"]


def computes_in_float16(model) -> bool:
    """Whether any layer of ``model`` computes in float16 (mixed precision; tool).

    A loaded model keeps its layers' policies, while the model object itself takes the
    current global one, so the layers are asked.
    """
    return model.compute_dtype == "float16" or any(
        computes_in_float16(layer) for layer in getattr(model, "layers", ()))


def loss_scaled(optimizer, model):
    """``optimizer`` wrapped in Keras's dynamic loss scaling when ``model`` computes in
    float16, so small float16 gradients do not underflow; else ``optimizer`` (tool)."""
    if computes_in_float16(model) and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


class _ImageOnly:
    """An unconditional discriminator (the paper's "GAN" ablation, notebook 06) called as the
    step calls every discriminator, on ``[input, image]``: it judges the image alone."""

    def __init__(self, discriminator):
        self.discriminator = discriminator

    def __call__(self, pair, training=None):
        return self.discriminator(pair[1], training=training)

    @property
    def trainable_variables(self):
        return self.discriminator.trainable_variables

    @property
    def weights(self):
        return self.discriminator.weights

    @property
    def variables(self):
        return self.discriminator.variables


def _check_networks(generator, discriminator) -> None:
    try:
        models.check_generator(generator, "generator")
    except ArgumentError as error:
        raise ArgumentError(f"{error} Pass Pix2Pix(generator, discriminator) in that "
                            "order.") from None
    if not isinstance(discriminator, keras.Model) or len(discriminator.inputs) not in (1, 2):
        raise ArgumentError(
            f"discriminator must be a functional keras.Model taking [input, target] (or the "
            f"image alone, unconditional); got {discriminator!r}. Pass Pix2Pix(generator, "
            "discriminator) in that order.")


@keras.saving.register_keras_serializable(package="p2plib")
class Pix2Pix(keras.Model):
    """Pix2Pix as a Keras model: ``fit`` runs one adversarial step per batch (notebook 05).

    Holds ``.generator`` and ``.discriminator``; ``compile()`` takes two optimizers (the
    paper's Adam when omitted), ``gan_mode``, ``l1_weight`` and ``gan_weight``. ``fit``,
    ``evaluate`` and ``train_on_batch`` report ``gen_total``, ``gen_gan``, ``gen_l1`` (the
    unweighted L1 distance) and ``disc_loss``. ``test_mode`` ("paper" or "inference", see
    ``p2plib.testtime``) decides how ``evaluate``, ``predict`` and ``translate`` run the
    networks. A discriminator with a single input is unconditional.
    """

    def __init__(self, generator, discriminator, test_mode="paper", **kwargs):
        super().__init__(**kwargs)
        _check_networks(generator, discriminator)
        self.generator = generator
        self.discriminator = discriminator
        # A plain object, which Keras does not track: it holds no weights of its own.
        self._image_only = None if len(discriminator.inputs) == 2 else _ImageOnly(discriminator)
        self.test_mode = testtime.check_test_mode(test_mode)
        self.loss_trackers = [keras.metrics.Mean(name=name) for name in step.LOSS_NAMES]
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
        """Set the optimizers (default: ``optimizers.paper_optimizer()`` each) and the
        objective: ``gan_mode``, ``l1_weight`` (lambda) and ``gan_weight`` (0 for the
        "L1 alone" ablation of notebook 06; ``l1_weight=0`` gives "cGAN alone").

        Other keyword arguments (``run_eagerly``, ``jit_compile``, ``steps_per_execution``)
        go to ``keras.Model.compile``; ``optimizer``, ``loss`` and ``metrics`` are not taken.
        """
        taken = sorted({"optimizer", "loss", "loss_weights", "metrics"} & set(kwargs))
        if taken:
            raise ArgumentError(
                f"Pix2Pix.compile() does not take {taken}: pass generator_optimizer and "
                "discriminator_optimizer, and gan_mode / l1_weight for the losses.")
        self.gan_mode = losses.check_gan_mode(gan_mode)
        self.l1_weight = losses.check_l1_weight(l1_weight)
        self.gan_weight = losses.check_gan_weight(gan_weight)
        with self.distribute_strategy.scope():
            self.generator_optimizer, self.discriminator_optimizer = self._prepared(
                generator_optimizer or optimizers.paper_optimizer(),
                discriminator_optimizer or optimizers.paper_optimizer())
        super().compile(optimizer=None, **kwargs)

    def _prepared(self, generator_optimizer, discriminator_optimizer):
        """Two distinct optimizers, loss-scaled where a network computes in float16 and
        built, so their state exists (and can be checkpointed) before the first step."""
        for name, optimizer in (("generator_optimizer", generator_optimizer),
                                ("discriminator_optimizer", discriminator_optimizer)):
            if not isinstance(optimizer, keras.optimizers.Optimizer):
                raise ArgumentError(f"{name} must be a keras optimizer such as "
                                    f"p2plib.optimizers.paper_optimizer(); got {optimizer!r}.")
        if generator_optimizer is discriminator_optimizer:
            raise ArgumentError(
                "The generator and the discriminator need two optimizer instances (each keeps "
                "its own moments); pass two, e.g. paper_optimizer() twice.")
        prepared = []
        for optimizer, network in ((generator_optimizer, self.generator),
                                   (discriminator_optimizer, self.discriminator)):
            optimizer = loss_scaled(optimizer, network)
            if not optimizer.built:
                optimizer.build(network.trainable_variables)
            prepared.append(optimizer)
        return prepared

    @property
    def _judge_pairs(self):
        """The discriminator as the step calls it, on ``[input, image]``."""
        return self._image_only or self.discriminator

    @property
    def metrics(self):
        return list(self.loss_trackers)

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
                "only. Pass a dataset of (input, target) batches or fit(x, y).")
        if sample_weight is not None:
            raise ArgumentError("Pix2Pix does not use sample weights; pass (input, target) "
                                "only.")
        return input_images, target_images

    def _batch_losses(self, fake_logits, generated, target_images, real_logits):
        """The four losses of a batch, as ``compile`` set the objective."""
        gen_total, gen_gan, gen_l1 = losses.generator_loss(
            fake_logits, generated, target_images, self.l1_weight, self.gan_mode,
            self.gan_weight)
        disc_loss = losses.discriminator_loss(real_logits, fake_logits, self.gan_mode)
        return {"gen_total": gen_total, "gen_gan": gen_gan, "gen_l1": gen_l1,
                "disc_loss": disc_loss}

    def _track(self, batch_losses):
        for tracker in self.loss_trackers:
            tracker.update_state(batch_losses[tracker.name])
        return {tracker.name: tracker.result() for tracker in self.loss_trackers}

    def train_step(self, data):
        if self.generator_optimizer is None:
            raise RuntimeError("Call compile() on the Pix2Pix model before training it.")
        input_images, target_images = self._pairs(data)
        # Gradients from the replicas of a tf.distribute strategy are summed, so each
        # replica's objective is its share of the global batch's mean; under mixed
        # precision the optimizers also scale it up (scale_loss is the identity otherwise).
        share = 1.0 / tf.distribute.get_strategy().num_replicas_in_sync
        reported = {}

        def generator_objective(fake_logits, generated, target):
            total, gan, l1 = losses.generator_loss(fake_logits, generated, target,
                                                   self.l1_weight, self.gan_mode,
                                                   self.gan_weight)
            reported.update(gen_total=total, gen_gan=gan, gen_l1=l1)
            return self.generator_optimizer.scale_loss(total * share), gan, l1

        def discriminator_objective(real_logits, fake_logits):
            loss = losses.discriminator_loss(real_logits, fake_logits, self.gan_mode)
            reported["disc_loss"] = loss
            return self.discriminator_optimizer.scale_loss(loss * share)

        step.adversarial_step(self.generator, self._judge_pairs,
                              self.generator_optimizer, self.discriminator_optimizer,
                              input_images, target_images, generator_objective,
                              discriminator_objective)
        return self._track(reported)

    def test_step(self, data):
        input_images, target_images = self._pairs(data)
        generated = testtime.run_for_test(self.generator, input_images, self.test_mode)
        real_logits, fake_logits = (
            testtime.run_for_test(self._judge_pairs, [input_images, images],
                                  self.test_mode)
            for images in (target_images, generated))
        return self._track(self._batch_losses(fake_logits, generated, target_images, real_logits))

    def predict_step(self, data):
        input_images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.translate(input_images)

    def get_compile_config(self):
        if self.generator_optimizer is None:
            return None
        return {
            "generator_optimizer": keras.saving.serialize_keras_object(self.generator_optimizer),
            "discriminator_optimizer": keras.saving.serialize_keras_object(
                self.discriminator_optimizer),
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
            dropout=config.dropout, upsampling=config.upsampling)
        discriminator = models.patchgan_discriminator(
            image_size=config.image_size, input_channels=input_channels,
            target_channels=target_channels, base_filters=config.base_filters,
            n_layers=config.n_layers, norm=config.norm, conditional=config.conditional)
    return generator, discriminator


def learning_rate(config, steps_per_epoch: int | None = None):
    """The learning rate ``config`` trains with: its ``LinearDecay`` over epochs of
    steps (notebook 05).

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
                steps_per_epoch: int | None = None, model_class=None) -> Pix2Pix:
    """A compiled ``Pix2Pix`` with the networks, objective and optimizers of ``config``.

    Introduced in notebook 05: the one builder. Keras's random generators are seeded with
    ``config.seed`` first, so one configuration always starts from the same weights. Both
    networks get the paper's Adam at ``learning_rate(config, steps_per_epoch)``, computed by
    one fused kernel per variable (``optimizers.FusedAdam``: the same numbers, faster).
    ``model_class`` replaces ``Pix2Pix`` by a subclass (the command line's several-worker
    one). Call it inside ``strategy.scope()`` to train under a ``tf.distribute`` strategy.
    """
    keras.utils.set_random_seed(config.seed)
    generator, discriminator = build_networks(config, input_channels, target_channels)
    model = (model_class or Pix2Pix)(generator, discriminator)
    rate = learning_rate(config, steps_per_epoch)
    model.compile(optimizers.paper_optimizer(rate, config.beta_1, fused=True),
                  optimizers.paper_optimizer(rate, config.beta_1, fused=True),
                  gan_mode=config.gan_mode, l1_weight=config.l1_weight,
                  gan_weight=config.gan_weight)
    return model
