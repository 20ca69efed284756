"""Training Pix2Pix: the adversarial step, the ``Pix2Pix`` Keras model and the paper's optimizers.

The explicit step (``adversarial_update``, ``make_train_step``) is introduced in notebook 04;
the ``Pix2Pix`` model, test-time behaviour and the learning-rate schedule in notebook 05.
Callbacks (sample images, TensorBoard images, exact-resume checkpoints, NaN detection) live
in ``p2plib.callbacks``.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from p2plib import losses, optimizers

LOSS_NAMES = ("gen_total", "gen_gan", "gen_l1", "disc_loss")
TEST_MODES = ("paper", "inference")
LEARNING_RATE = 2e-4
BETA_1 = 0.5


def paper_optimizer(learning_rate=LEARNING_RATE) -> keras.optimizers.Adam:
    """Adam with beta_1 = 0.5, as in the paper; ``learning_rate`` may be a schedule.

    Introduced in notebook 04. Each network needs its own instance. It is a
    ``keras.optimizers.Adam`` with the same update done by one fused kernel
    (``p2plib.optimizers.FusedAdam``), which makes a 256x256 step faster on a CPU.
    """
    return optimizers.FusedAdam(learning_rate=learning_rate, beta_1=BETA_1)


def check_test_mode(test_mode: str) -> str:
    """Return ``test_mode`` if it is one of ``TEST_MODES``, else raise a ValueError."""
    if test_mode not in TEST_MODES:
        raise ValueError(
            f"test_mode must be one of {TEST_MODES} ('paper': dropout and batch statistics "
            "stay on at test time as in the paper, 'inference': dropout off and moving "
            f"averages, Keras's usual inference); got {test_mode!r}."
        )
    return test_mode


def random_states(model) -> list:
    """Dropout's random-number state: variables of ``model`` that are not among its weights."""
    weights = {id(weight) for weight in model.weights}
    return [variable for variable in model.variables if id(variable) not in weights]


def run_with_batch_statistics(model, inputs):
    """``model(inputs, training=True)`` that leaves the batch-norm moving averages alone.

    Dropout is on and batch normalisation uses the batch's own statistics; the moving
    averages are not updated (they belong to inference mode), while dropout's random state
    advances so that each call draws fresh masks.
    """
    with keras.StatelessScope() as scope:
        outputs = model(inputs, training=True)
    for variable in random_states(model):
        advanced = scope.get_current_value(variable)
        if advanced is not None:
            variable.assign(advanced)
    return outputs


def run_for_test(model, inputs, test_mode: str = "paper"):
    """Run a network at test time, the paper's way or Keras's inference way (notebook 05).

    ``"paper"``: dropout stays on (the paper's only source of noise) and batch
    normalisation uses the statistics of the test batch, as in the paper and the reference
    implementation's test script (see ``run_with_batch_statistics``). ``"inference"``:
    ``training=False``, no dropout and the moving averages.
    """
    if check_test_mode(test_mode) == "paper":
        return run_with_batch_statistics(model, inputs)
    return model(inputs, training=False)


def translate(generator, input_images, test_mode: str = "paper"):
    """The generator's output for a batch of images at test time (introduced in notebook 05).

    In ``"paper"`` mode each image is translated on its own, as the paper tests at batch
    size 1, so that batch normalisation uses that image's statistics and an output does not
    depend on the other images of the batch. (``evaluate`` and ``predict`` use the batches
    they are given: pass ``batch_size=1`` for the same effect.)
    """
    input_images = ops.convert_to_tensor(input_images, "float32")
    count = input_images.shape[0]
    if check_test_mode(test_mode) == "paper" and count is not None and count > 1:
        outputs = ops.concatenate(
            [run_for_test(generator, input_images[i:i + 1], test_mode) for i in range(count)],
            axis=0,
        )
    else:
        outputs = run_for_test(generator, input_images, test_mode)
    return ops.cast(outputs, "float32")  # float16 under mixed precision


def is_conditional(discriminator) -> bool:
    """True for a discriminator of ``[input, target]`` pairs, False for one of images alone.

    The unconditional discriminator (``patchgan_discriminator(..., conditional=False)``)
    judges the target or generated image without seeing the input: the paper's "GAN"
    ablation, introduced in notebook 06.
    """
    try:
        return len(discriminator.inputs) != 1
    except (AttributeError, TypeError, ValueError):  # a subclassed model has no inputs
        return True


def discriminator_inputs(discriminator, input_images, images):
    """What ``discriminator`` judges: ``[input_images, images]``, or ``images`` alone."""
    return [input_images, images] if is_conditional(discriminator) else images


def compute_losses(
    generator, discriminator, input_images, target_images, l1_weight=losses.L1_WEIGHT,
    gan_mode="vanilla", training=True, test_mode=None, gan_weight=1.0,
):
    """Generate once, score the real and the generated pair, and return both losses.

    Introduced in notebook 04. Returns ``(generated, losses)`` where ``losses`` maps
    ``LOSS_NAMES`` to scalars: ``gen_total = gan_weight * gen_gan + l1_weight * gen_l1``
    (``gen_l1`` is the unweighted L1 distance) and the discriminator's halved cross-entropy
    ``disc_loss``. The networks run with ``training``, or, when ``test_mode`` is given, as
    ``run_for_test`` runs them. An unconditional discriminator (one input) sees the images
    without the input (see ``is_conditional``).
    """
    input_images = ops.convert_to_tensor(input_images, "float32")
    target_images = ops.convert_to_tensor(target_images, "float32")

    def run(model, inputs):
        if test_mode is not None:
            return run_for_test(model, inputs, test_mode)
        return model(inputs, training=training)

    generated = run(generator, input_images)
    real_logits = run(discriminator, discriminator_inputs(discriminator, input_images,
                                                          target_images))
    fake_logits = run(discriminator, discriminator_inputs(discriminator, input_images,
                                                          generated))
    gen_total, gen_gan, gen_l1 = losses.generator_loss(
        fake_logits, generated, target_images, l1_weight, gan_mode, gan_weight
    )
    disc_loss = losses.discriminator_loss(real_logits, fake_logits, gan_mode)
    step_losses = dict(zip(LOSS_NAMES, (gen_total, gen_gan, gen_l1, disc_loss), strict=True))
    return generated, step_losses


def _replica_fraction() -> float:
    # Gradients from the replicas of a tf.distribute strategy are summed, so each replica's
    # mean loss is scaled down to make the sum the mean over the global batch.
    return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync


def adversarial_update(
    generator, discriminator, generator_optimizer, discriminator_optimizer,
    input_images, target_images, l1_weight=losses.L1_WEIGHT, gan_mode="vanilla",
    gan_weight=1.0,
):
    """One Pix2Pix update: generate once, then update both networks from that same batch.

    Introduced in notebook 04. Both networks run with ``training=True`` (dropout on, batch
    statistics); the discriminator learns from the very images the generator is updated
    on. Returns the four losses as a dict (see ``compute_losses``). With ``gan_weight=0``
    the discriminator still learns, but its verdict no longer reaches the generator.
    """
    with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
        _, step_losses = compute_losses(
            generator, discriminator, input_images, target_images, l1_weight, gan_mode,
            gan_weight=gan_weight,
        )
        fraction = _replica_fraction()
        # scale_loss is the identity except under mixed precision (see loss_scaled).
        generator_objective = generator_optimizer.scale_loss(step_losses["gen_total"] * fraction)
        discriminator_objective = discriminator_optimizer.scale_loss(
            step_losses["disc_loss"] * fraction
        )
    generator_weights = generator.trainable_variables
    discriminator_weights = discriminator.trainable_variables
    generator_gradients = generator_tape.gradient(generator_objective, generator_weights)
    discriminator_gradients = discriminator_tape.gradient(
        discriminator_objective, discriminator_weights
    )
    generator_optimizer.apply_gradients(
        zip(generator_gradients, generator_weights, strict=True)
    )
    discriminator_optimizer.apply_gradients(
        zip(discriminator_gradients, discriminator_weights, strict=True)
    )
    return step_losses


def _check_optimizers(generator_optimizer, discriminator_optimizer):
    for name, optimizer in (
        ("generator_optimizer", generator_optimizer),
        ("discriminator_optimizer", discriminator_optimizer),
    ):
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                f"{name} must be a keras optimizer such as "
                f"p2plib.training.paper_optimizer(); got {optimizer!r}."
            )
    if generator_optimizer is discriminator_optimizer:
        raise ValueError(
            "The generator and the discriminator need two optimizer instances (each keeps "
            "its own moments); pass two, e.g. paper_optimizer() twice."
        )


def _build_optimizer(optimizer, model):
    if not optimizer.built:
        optimizer.build(model.trainable_variables)


def loss_scaled(optimizer, model):
    """``optimizer`` wrapped in dynamic loss scaling when ``model`` computes in float16.

    Introduced in notebook 05. Networks built under Keras's ``mixed_float16`` policy (the
    GPU option: float16 arithmetic, float32 weights) need their losses scaled up so that
    small float16 gradients do not underflow, as ``keras.Model.compile`` does for one
    optimizer; other networks get ``optimizer`` back unchanged.
    """
    if computes_in_float16(model) and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def computes_in_float16(model) -> bool:
    """Whether any layer of ``model`` computes in float16 (a loaded model keeps its layers'
    policies, while the model object itself takes the current global one)."""
    return model.compute_dtype == "float16" or any(
        computes_in_float16(layer) for layer in getattr(model, "layers", ())
    )


def make_train_step(
    generator, discriminator, generator_optimizer, discriminator_optimizer,
    l1_weight=losses.L1_WEIGHT, gan_mode="vanilla", gan_weight=1.0,
):
    """A compiled ``train_step(input_images, target_images) -> dict of the four losses``.

    Introduced in notebook 04: the explicit step that ``Pix2Pix.fit`` also runs. The
    optimizers are built here, so their state exists before the first step (and can be
    checkpointed).
    """
    gan_mode = losses.check_gan_mode(gan_mode)
    l1_weight = losses.check_l1_weight(l1_weight)
    gan_weight = losses.check_gan_weight(gan_weight)
    _check_optimizers(generator_optimizer, discriminator_optimizer)
    generator_optimizer = loss_scaled(generator_optimizer, generator)
    discriminator_optimizer = loss_scaled(discriminator_optimizer, discriminator)
    _build_optimizer(generator_optimizer, generator)
    _build_optimizer(discriminator_optimizer, discriminator)

    @tf.function
    def train_step(input_images, target_images):
        return adversarial_update(
            generator, discriminator, generator_optimizer, discriminator_optimizer,
            input_images, target_images, l1_weight, gan_mode, gan_weight,
        )

    return train_step


def linear_decay_factor(epoch, n_epochs: int, n_epochs_decay: int):
    """The reference implementation's "linear" policy: the factor on the learning rate.

    Introduced in notebook 05. 1 for the first ``n_epochs`` epochs (0-based ``epoch``),
    then falling linearly over ``n_epochs_decay`` epochs: ``1 - (epoch + 1 - n_epochs) /
    (n_epochs_decay + 1)``, so the last epoch runs at ``1 / (n_epochs_decay + 1)`` and any
    later epoch at 0. Works on Python numbers and on tensors.
    """
    passed = ops.maximum(ops.cast(epoch, "float32") + 1.0 - n_epochs, 0.0)
    return ops.maximum(1.0 - passed / (n_epochs_decay + 1.0), 0.0)


@keras.saving.register_keras_serializable(package="p2plib")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant learning rate for ``n_epochs``, then linear decay to zero (notebook 05).

    The schedule of the reference PyTorch implementation (100 + 100 epochs there), driven by
    the optimizer's step counter, so a run restored from a checkpoint continues at the
    right rate. Give the same schedule to both optimizers.
    """

    def __init__(self, initial_learning_rate=LEARNING_RATE, n_epochs=100, n_epochs_decay=100,
                 steps_per_epoch=1):
        for name, value, low in (
            ("n_epochs", n_epochs, 0), ("n_epochs_decay", n_epochs_decay, 0),
            ("steps_per_epoch", steps_per_epoch, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
        if not float(initial_learning_rate) > 0:
            raise ValueError(
                f"initial_learning_rate must be > 0 (2e-4 in the paper); got "
                f"{initial_learning_rate!r}."
            )
        self.initial_learning_rate = float(initial_learning_rate)
        self.n_epochs = n_epochs
        self.n_epochs_decay = n_epochs_decay
        self.steps_per_epoch = steps_per_epoch

    def __call__(self, step):
        epoch = ops.floor(ops.cast(step, "float32") / self.steps_per_epoch)
        factor = linear_decay_factor(epoch, self.n_epochs, self.n_epochs_decay)
        return self.initial_learning_rate * factor

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "n_epochs": self.n_epochs,
            "n_epochs_decay": self.n_epochs_decay,
            "steps_per_epoch": self.steps_per_epoch,
        }


def _check_networks(generator, discriminator):
    for name, model, inputs in (("generator", generator, 1), ("discriminator", discriminator, 2)):
        if not isinstance(model, keras.Model):
            raise TypeError(f"{name} must be a keras.Model; got {model!r}.")
        try:
            count = len(model.inputs)
        except (AttributeError, TypeError, ValueError):  # a subclassed model has no inputs
            count = None
        if name == "discriminator" and count == 1:
            continue  # unconditional: judges images alone (the paper's "GAN" ablation)
        if count is not None and count != inputs:
            raise ValueError(
                f"The {name} {model.name!r} takes {count} input(s) but a Pix2Pix {name} takes "
                f"{inputs} ({'the input image' if inputs == 1 else '[input, target]'}); "
                "pass Pix2Pix(generator, discriminator) in that order."
            )


@keras.saving.register_keras_serializable(package="p2plib")
class Pix2Pix(keras.Model):
    """Pix2Pix as a Keras model: ``fit`` does one adversarial update per batch.

    Introduced in notebook 05. Holds ``.generator`` and ``.discriminator``; ``compile()``
    takes two optimizers (the paper's Adam when omitted), ``gan_mode`` and ``l1_weight``.
    A discriminator with a single input is unconditional and judges images alone.
    ``fit``/``evaluate``/``train_on_batch`` report ``gen_total``, ``gen_gan``, ``gen_l1`` (the
    unweighted L1 distance) and ``disc_loss``. ``test_mode`` ("paper" or "inference", see
    ``translate``) decides how ``evaluate``, ``predict`` and ``translate`` run the networks;
    calling the model (``model(x, training=...)``) follows ``training`` as usual.
    """

    def __init__(self, generator, discriminator, test_mode="paper", **kwargs):
        super().__init__(**kwargs)
        _check_networks(generator, discriminator)
        self.generator = generator
        self.discriminator = discriminator
        self.test_mode = check_test_mode(test_mode)
        self.loss_trackers = [keras.metrics.Mean(name=name) for name in LOSS_NAMES]
        self.generator_optimizer = None
        self.discriminator_optimizer = None
        self.gan_mode = "vanilla"
        self.l1_weight = losses.L1_WEIGHT
        self.gan_weight = 1.0
        self._batches_to_skip = 0
        self.built = True

    @property
    def test_mode(self) -> str:
        """"paper" or "inference"; setting it makes evaluate/predict trace afresh."""
        return self._test_mode

    @test_mode.setter
    def test_mode(self, value):
        self._test_mode = check_test_mode(value)
        self.test_function = None  # traced with the old mode
        self.predict_function = None

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, gan_mode="vanilla",
                l1_weight=losses.L1_WEIGHT, gan_weight=1.0, **kwargs):
        """Set the optimizers (default: ``paper_optimizer()`` each), GAN loss and lambda.

        ``gan_weight`` scales the generator's adversarial term: 1 in the paper, 0 for the
        "L1 alone" ablation of notebook 06 (``l1_weight=0`` gives "cGAN alone").

        Other keyword arguments (``run_eagerly``, ``jit_compile``, ``steps_per_execution``)
        go to ``keras.Model.compile``; ``optimizer``, ``loss`` and ``metrics`` are not taken,
        because Pix2Pix's two optimizers and its losses are fixed by the arguments above.
        """
        taken = sorted({"optimizer", "loss", "loss_weights", "metrics"} & set(kwargs))
        if taken:
            raise TypeError(
                f"Pix2Pix.compile() does not take {taken}: pass generator_optimizer and "
                "discriminator_optimizer, and gan_mode / l1_weight for the losses."
            )
        self.gan_mode = losses.check_gan_mode(gan_mode)
        self.l1_weight = losses.check_l1_weight(l1_weight)
        self.gan_weight = losses.check_gan_weight(gan_weight)
        with self.distribute_strategy.scope():
            generator_optimizer = generator_optimizer or paper_optimizer()
            discriminator_optimizer = discriminator_optimizer or paper_optimizer()
            _check_optimizers(generator_optimizer, discriminator_optimizer)
            generator_optimizer = loss_scaled(generator_optimizer, self.generator)
            discriminator_optimizer = loss_scaled(discriminator_optimizer, self.discriminator)
            # Built now so that checkpoints hold (and restore) their state from the start.
            _build_optimizer(generator_optimizer, self.generator)
            _build_optimizer(discriminator_optimizer, self.discriminator)
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        super().compile(optimizer=None, **kwargs)

    @property
    def metrics(self):
        return list(self.loss_trackers)

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    def translate(self, input_images, test_mode=None):
        """The generator's output at test time; ``test_mode`` defaults to ``self.test_mode``."""
        return translate(self.generator, input_images, test_mode or self.test_mode)

    def _pairs(self, data):
        input_images, target_images, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if target_images is None:
            raise ValueError(
                "Pix2Pix trains and evaluates on (input, target) pairs; the data gave inputs "
                "only. Pass a dataset of (input, target) batches or fit(x, y)."
            )
        if sample_weight is not None:
            raise ValueError("Pix2Pix does not use sample weights; pass (input, target) only.")
        return input_images, target_images

    def _track(self, step_losses):
        for tracker in self.loss_trackers:
            tracker.update_state(step_losses[tracker.name])
        return {tracker.name: tracker.result() for tracker in self.loss_trackers}

    def train_step(self, data):
        if self.generator_optimizer is None:
            raise RuntimeError("Call compile() on the Pix2Pix model before training it.")
        input_images, target_images = self._pairs(data)
        step_losses = adversarial_update(
            self.generator, self.discriminator, self.generator_optimizer,
            self.discriminator_optimizer, input_images, target_images,
            self.l1_weight, self.gan_mode, self.gan_weight,
        )
        return self._track(step_losses)

    def test_step(self, data):
        input_images, target_images = self._pairs(data)
        _, step_losses = compute_losses(
            self.generator, self.discriminator, input_images, target_images,
            self.l1_weight, self.gan_mode, test_mode=self.test_mode,
            gan_weight=self.gan_weight,
        )
        return self._track(step_losses)

    def predict_step(self, data):
        input_images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.translate(input_images)

    def fast_forward(self, batches: int):
        """Let the next ``batches`` batches of ``fit`` pass without training.

        Used by ``p2plib.callbacks.TrainingCheckpoint`` to resume in the middle of an
        epoch: the batches the interrupted run had already trained on in that epoch are
        read and dropped, so epochs, steps and schedules line up with the planned run.
        """
        if isinstance(batches, bool) or not isinstance(batches, int) or batches < 0:
            raise ValueError(f"batches must be an integer >= 0; got {batches!r}.")
        if batches % self.steps_per_execution:
            raise ValueError(
                f"Cannot skip {batches} batches with steps_per_execution="
                f"{self.steps_per_execution}; checkpoint at multiples of it."
            )
        self._batches_to_skip = batches

    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return self.train_function
        super().make_train_function(force=True)
        train_batches = self.train_function

        def train_or_skip(iterator):
            if self._batches_to_skip > 0:
                for _ in range(self.steps_per_execution):
                    next(iterator)
                self._batches_to_skip -= self.steps_per_execution
                return {tracker.name: tracker.result() for tracker in self.loss_trackers}
            return train_batches(iterator)

        self.train_function = train_or_skip
        return self.train_function

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
