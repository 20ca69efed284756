"""Training within a time budget: callbacks.TimeBudget and p2plib.experiments.recipes."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from p2plib import callbacks, optimizers, schedules, training
from p2plib.experiments import recipes

SIZE = 32


def tiny_recipe(**changes):
    options = dict(image_size=SIZE, base_filters=4, n_layers=1, minutes=0.02)
    return recipes.QUICK_RECIPE.with_changes(**{**options, **changes})


def random_pairs(count=8, seed=0):
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(-1, 1, (count, SIZE, SIZE, 3)).astype("float32")
    return inputs, -inputs


class RecordRates(keras.callbacks.Callback):
    """The generator optimizer's learning rate at the start of every batch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(self.model.generator_optimizer.learning_rate))


def traced_model(recipe):
    """A compiled model whose train function is already traced, so budgets count steps."""
    model = training.build_model(recipe)
    inputs, targets = random_pairs(1)
    model.fit(inputs, targets, batch_size=1, verbose=0)
    return model


def test_time_budget_stops_fit_once_the_time_is_spent():
    model = traced_model(tiny_recipe())
    budget = callbacks.TimeBudget(1.5)
    inputs, targets = random_pairs()
    model.fit(inputs, targets, batch_size=1, epochs=10_000, callbacks=[budget], verbose=0)
    assert budget.seconds >= 1.5
    assert budget.steps == int(model.generator_optimizer.iterations) - 1
    assert budget.steps > 1


def test_time_budget_decays_the_learning_rate_over_the_last_part():
    model = traced_model(tiny_recipe(learning_rate=1e-3))
    budget = callbacks.TimeBudget(2.0, decay_fraction=0.5)
    rates = RecordRates()
    inputs, targets = random_pairs()
    model.fit(inputs, targets, batch_size=1, epochs=10_000, callbacks=[budget, rates],
              verbose=0)
    assert rates.rates[0] == pytest.approx(1e-3)
    assert rates.rates[-1] < 0.5e-3  # the last batch starts late in the decaying half
    assert all(later <= earlier + 1e-12
               for earlier, later in zip(rates.rates, rates.rates[1:], strict=False))
    assert float(model.discriminator_optimizer.learning_rate) == pytest.approx(rates.rates[-1])


@pytest.mark.parametrize("elapsed, factor", [(0, 1.0), (4, 1.0), (5, 1.0), (7.5, 0.5),
                                             (10, 0.0), (12, 0.0)])
def test_the_learning_rate_factor_is_constant_then_linear(elapsed, factor):
    assert callbacks.TimeBudget(10, 0.5).learning_rate_factor(elapsed) == pytest.approx(factor)


@pytest.mark.parametrize("seconds, fraction", [(0, 0.5), (-1, 0.5), (float("inf"), 0.5),
                                               ("15", 0.5), (10, 1.5), (10, -0.1)])
def test_bad_budgets_are_refused_by_value(seconds, fraction):
    with pytest.raises(ValueError, match="seconds|decay_fraction"):
        callbacks.TimeBudget(seconds, fraction)


def test_a_schedule_cannot_be_decayed_twice():
    model = training.Pix2Pix(*_networks())
    schedule = schedules.LinearDecay(2e-4, 10, 10)
    model.compile(optimizers.paper_optimizer(schedule), optimizers.paper_optimizer(schedule))
    inputs, targets = random_pairs(2)
    with pytest.raises(ValueError, match="not a schedule"):
        model.fit(inputs, targets, batch_size=1, callbacks=[callbacks.TimeBudget(1, 0.5)],
                  verbose=0)


def _networks():
    recipe = tiny_recipe()
    model = training.build_model(recipe)
    return model.generator, model.discriminator


def test_train_within_trains_the_recipe_on_a_named_dataset(tmp_path):
    recipe = tiny_recipe()
    run = recipes.train_within(recipe, minutes=0.03, log_every=3, data_dir=tmp_path)
    assert run.seconds >= 0.03 * 60
    assert run.steps == int(run.model.generator_optimizer.iterations) > 0
    assert run.generator.input_shape == (None, SIZE, SIZE, 3)
    assert run.history["step"][-1] == run.steps
    assert len(run.history["step"]) == len(run.history["gen_l1"])
    assert all(np.isfinite(value) for value in run.history["gen_l1"])
    assert float(run.model.generator_optimizer.learning_rate) < recipe.learning_rate


def test_the_fast_recipe_is_the_documented_one():
    fast = recipes.FAST_CPU
    assert (fast.image_size, fast.base_filters, fast.n_layers, fast.batch_size) == (256, 32, 3, 1)
    assert (fast.learning_rate, fast.decay_fraction, fast.minutes) == (2e-4, 0.5, 15.0)
    model = training.build_model(fast)
    # The paper's 70x70 PatchGAN, with a quarter of the generator's parameters.
    from p2plib import models

    assert models.arithmetic_receptive_field(model.discriminator) == 70
    assert 13.0e6 < model.generator.count_params() < 14.0e6  # the paper's has 54.4 million
