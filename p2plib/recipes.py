"""Training within a time budget, and the fast recipe for a laptop CPU (notebook 07).

The paper's configuration (256x256, 64 base filters, batch 1) takes 0.5-0.8 s a step on
two CPU cores, so 15 minutes buy it three or four passes over the 400 synthetic-facade
training pairs. ``FAST_CPU`` spends the same minutes on a network with a quarter of the
parameters that a CPU trains five times more steps of: 256x256 images, 32 base filters,
the paper's 70x70 PatchGAN, Adam (2e-4, beta_1 0.5) and lambda = 100, and a learning rate
that falls linearly over the second half of the time (``callbacks.TimeBudget``).
(128x128 with 32 filters runs more steps still, but loses on the 256x256 FCN-score.)
``benchmarks/fast_recipe.py`` sets it against the paper's configuration trained the
tutorial way for the same time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import keras

from p2plib import callbacks, config, datasets, models, training

FACADES = "synthetic-facades"


@dataclass(frozen=True)
class Recipe:
    """A training configuration with a time budget instead of a step count (notebook 07).

    ``n_layers`` is the PatchGAN's depth; ``decay_fraction`` the share of the time over
    which the learning rate falls to 0; ``minutes`` the training time.
    """

    name: str
    image_size: int
    base_filters: int
    n_layers: int
    batch_size: int = 1
    learning_rate: float = training.LEARNING_RATE
    decay_fraction: float = 0.5
    minutes: float = 15.0

    def with_changes(self, **changes) -> Recipe:
        """A copy with some fields changed: ``FAST_CPU.with_changes(minutes=5)``."""
        return replace(self, **changes)


FAST_CPU = Recipe("fast-cpu", image_size=256, base_filters=32, n_layers=3)
"""The fast recipe: 15 minutes on two CPU cores (see the module docstring)."""
PAPER = Recipe("paper", image_size=256, base_filters=64, n_layers=3)
"""The paper's networks and optimizer, with the same time budget, for comparison."""
QUICK = Recipe("quick", image_size=64, base_filters=8, n_layers=1, minutes=0.1)
"""Quick mode (tests, nbval): the same code path, a few seconds."""


@dataclass
class BudgetRun:
    """What ``train_within`` returns: the model, the steps it trained and their seconds."""

    recipe: Recipe
    model: training.Pix2Pix
    steps: int
    seconds: float
    history: dict

    @property
    def generator(self) -> keras.Model:
        """The trained generator (``model.generator``)."""
        return self.model.generator


def build_model(recipe: Recipe, channels: int = 3, out_channels: int = 3) -> training.Pix2Pix:
    """A compiled ``Pix2Pix`` of the recipe's size, with the paper's Adam at its rate."""
    generator = models.unet_generator(recipe.image_size, channels, out_channels,
                                      recipe.base_filters)
    discriminator = models.patchgan_discriminator(recipe.image_size, channels, out_channels,
                                                  recipe.base_filters, recipe.n_layers)
    model = training.Pix2Pix(generator, discriminator)
    model.compile(training.paper_optimizer(recipe.learning_rate),
                  training.paper_optimizer(recipe.learning_rate))
    return model


def train_within(recipe: Recipe = FAST_CPU, minutes: float | None = None,
                 dataset: str = FACADES, seed: int = 0, log_every: int = 100,
                 data_dir=None, verbose: int = 0, extra_callbacks=()) -> BudgetRun:
    """Train the recipe on a named dataset's train split until ``minutes`` have passed.

    Introduced in notebook 07. ``minutes`` defaults to ``recipe.minutes``; the pairs are
    augmented the paper's way and drawn with ``seed``, which also fixes the weights. The
    history holds the four losses averaged over each ``log_every`` steps (and ``"step"``).
    """
    minutes = recipe.minutes if minutes is None else minutes
    budget = callbacks.TimeBudget(float(minutes) * 60.0, recipe.decay_fraction)
    keras.utils.set_random_seed(seed)
    pairs = datasets.load(dataset, "train", image_size=recipe.image_size,
                          batch_size=recipe.batch_size, seed=seed, data_dir=data_dir)
    model = build_model(recipe)
    fitted = model.fit(pairs.repeat(), epochs=10**9, steps_per_epoch=log_every,
                       callbacks=[budget, *extra_callbacks], shuffle=False,
                       verbose=verbose)  # the dataset shuffles itself
    losses = {name: [float(value) for value in values]
              for name, values in fitted.history.items()}
    logged = len(next(iter(losses.values()), []))
    steps = [min(log_every * (index + 1), budget.steps) for index in range(logged)]
    return BudgetRun(recipe, model, budget.steps, budget.seconds, {"step": steps, **losses})


def default_results_path() -> Path:
    """``docs/results/fast_recipe.json``: the committed figures of ``benchmarks/fast_recipe.py``."""
    return (config.project_root() or Path.cwd()) / "docs" / "results" / "fast_recipe.json"


def load_results(path=None) -> dict:
    """Read the fast-recipe benchmark's JSON (default: ``default_results_path()``).

    A missing file gets a FileNotFoundError that gives the command to regenerate it.
    """
    path = default_results_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist; regenerate it with `python benchmarks/fast_recipe.py "
            f"--out {path}` (about 40 minutes on two CPU cores)."
        )
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = ["FAST_CPU", "PAPER", "QUICK", "BudgetRun", "Recipe", "build_model",
           "default_results_path", "load_results", "train_within"]
