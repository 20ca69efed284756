"""Quick and full mode, where datasets live, and the one training configuration.

Introduced in notebook 00. Full mode is the default: the settings that a reader runs and that
the prose describes. Quick mode (``P2P_QUICK=1``, set by the test configuration) shrinks image
size, filter counts and step counts but runs the same code path.

``TrainingConfig`` is every setting of a training run in one frozen dataclass whose defaults
are the paper's constants (``p2plib.paper``). The command line's ``config.json`` is its
serialised form (``to_json``/``from_json``); a recipe (``recipes.FAST_CPU``) and an ablation
setting (``ablations.SETTINGS``) are named instances of it; ``training.build_model`` builds
the networks and the compiled ``Pix2Pix`` it describes (notebook 05).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path

from p2plib import checks, data, losses, models, paper
from p2plib.errors import ArgumentError, ConfigError

__all__ = [
    "DATA_DIR_ENV", "PAPER", "QUICK", "QUICK_ENV", "REQUIRED_JSON_KEYS", "TrainingConfig",
    "choose", "data_dir", "is_quick", "project_root", "settings",
]

QUICK_ENV = "P2P_QUICK"
"""The environment variable that turns quick mode on (``P2P_QUICK=1``) (notebook 00)."""
DATA_DIR_ENV = "P2P_DATA_DIR"
"""The environment variable that moves the datasets' folder (``P2P_DATA_DIR``) (tool)."""


def is_quick() -> bool:
    """True when the environment variable ``P2P_QUICK`` is set to 1/true/yes (notebook 00)."""
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def choose(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise: ``steps =
    choose(2000, 20)`` (notebook 00)."""
    return quick if is_quick() else full


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines a training run; the defaults are the paper's (notebook 05).

    Data: ``dataset`` (a name of ``p2plib.datasets.names()``) or ``data`` (a folder of pairs),
    ``direction`` (None: the dataset's labels -> photo direction, AtoB for a folder).
    Networks: ``image_size`` (int or (height, width)), ``base_filters``, ``generator``
    ("unet" or "encoder-decoder"), ``n_layers`` (PatchGAN depth: 0/1/3/5 give 1/16/70/286 at
    256x256), ``conditional`` (False: the discriminator sees the photo alone), ``norm``,
    ``upsampling``, ``dropout``, ``mixed_precision``. Objective: ``l1_weight`` (lambda),
    ``gan_weight`` (0 for L1 alone), ``gan_mode``. Optimisation: ``batch_size``,
    ``learning_rate``, ``beta_1``, ``epochs`` of ``steps_per_epoch`` steps (None: one pass
    over the data), the last ``decay_epochs`` of them with the rate falling linearly to 0
    (None: half of ``epochs``, as the reference's 100 + 100), or ``minutes`` of training with
    the rate decaying over the same share of the time. Run: ``seed`` (weights, dropout and
    the data's order and augmentation), ``save_every`` (checkpoint every N steps too),
    ``samples`` (pairs in each sample grid). ``name`` labels named instances.
    """

    name: str | None = None
    dataset: str | None = None
    data: str | None = None
    direction: str | None = None
    image_size: int | tuple[int, int] = paper.IMAGE_SIZE
    base_filters: int = paper.BASE_FILTERS
    generator: str = "unet"
    n_layers: int = paper.N_LAYERS
    conditional: bool = True
    norm: str = "batch"
    upsampling: str = "transpose"
    dropout: bool = True
    mixed_precision: bool = False
    l1_weight: float = paper.L1_WEIGHT
    gan_weight: float = 1.0
    gan_mode: str = "vanilla"
    batch_size: int = paper.BATCH_SIZE
    learning_rate: float = paper.LEARNING_RATE
    beta_1: float = paper.BETA_1
    epochs: int = paper.EPOCHS
    steps_per_epoch: int | None = None
    decay_epochs: int | None = None
    minutes: float | None = None
    seed: int = 0
    save_every: int | None = None
    samples: int = 4

    def __post_init__(self):
        size = checks.image_size(self.image_size, "image_size", minimum=8)
        object.__setattr__(self, "image_size", checks.square_or_pair(size))
        for name, low, example in (("base_filters", 1, 64), ("n_layers", 0, 3),
                                   ("batch_size", 1, 1), ("epochs", 1, 200), ("samples", 1, 4)):
            object.__setattr__(self, name, checks.integer(getattr(self, name), name,
                                                          minimum=low, example=example))
        object.__setattr__(self, "seed", checks.integer(self.seed, "seed", example=0))
        for name, low, example in (("steps_per_epoch", 1, 400), ("save_every", 1, 500),
                                   ("decay_epochs", 0, 100)):
            object.__setattr__(self, name, checks.optional_integer(
                getattr(self, name), name, minimum=low, example=example))
        for name, options in (("generator", models.GENERATORS), ("norm", models.NORMS),
                              ("upsampling", models.UPSAMPLINGS),
                              ("gan_mode", losses.GAN_MODES)):
            checks.choice(getattr(self, name), name, options)
        if self.direction is not None:
            checks.choice(self.direction, "direction", data.DIRECTIONS)
        for name in ("conditional", "dropout", "mixed_precision"):
            object.__setattr__(self, name, checks.boolean(getattr(self, name), name))
        object.__setattr__(self, "l1_weight", checks.number(self.l1_weight, "l1_weight",
                                                            minimum=0, example=100))
        object.__setattr__(self, "gan_weight", checks.number(self.gan_weight, "gan_weight",
                                                             minimum=0, example=1))
        object.__setattr__(self, "learning_rate", checks.number(
            self.learning_rate, "learning_rate", above=0, example=2e-4))
        object.__setattr__(self, "beta_1", checks.number(self.beta_1, "beta_1", minimum=0,
                                                         maximum=0.999, example=0.5))
        if self.minutes is not None:
            object.__setattr__(self, "minutes", checks.number(self.minutes, "minutes",
                                                              above=0, example=15))
        if self.decay_epochs is not None and self.decay_epochs > self.epochs:
            raise ArgumentError(f"decay_epochs ({self.decay_epochs}) must be at most epochs "
                                f"({self.epochs}), e.g. decay_epochs={self.epochs // 2}.")
        if self.dataset is not None and self.data is not None:
            raise ArgumentError("give dataset (a name) or data (a folder), not both; got "
                                f"dataset={self.dataset!r} and data={self.data!r}.")

    @property
    def size(self) -> tuple[int, int]:
        """``image_size`` as (height, width)."""
        return checks.image_size(self.image_size)

    @property
    def decay_epoch_count(self) -> int:
        """``decay_epochs``, or half of ``epochs`` when it is None."""
        return self.epochs // 2 if self.decay_epochs is None else self.decay_epochs

    @property
    def decay_fraction(self) -> float:
        """The share of training (in epochs, or in time with ``minutes``) spent decaying."""
        return self.decay_epoch_count / self.epochs

    @property
    def total_steps(self) -> int | None:
        """``epochs * steps_per_epoch``, or None while the steps per epoch are unknown."""
        return None if self.steps_per_epoch is None else self.epochs * self.steps_per_epoch

    def with_changes(self, **changes) -> TrainingConfig:
        """A copy with some fields changed: ``FAST_CPU.with_changes(minutes=5)``."""
        unknown = sorted(set(changes) - {field.name for field in fields(self)})
        if unknown:
            raise ArgumentError(f"TrainingConfig has no field(s) {unknown}; the fields are "
                                f"{[field.name for field in fields(self)]}.")
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict:
        """The serialised form (``config.json`` of a run folder): plain JSON values."""
        values = dataclasses.asdict(self)
        if isinstance(values["image_size"], tuple):
            values["image_size"] = list(values["image_size"])
        return values

    @classmethod
    def from_json(cls, values, source: str = "the configuration") -> TrainingConfig:
        """The configuration a ``to_json`` dict describes; ``source`` names it in errors.

        Keys that older versions did not write take their defaults, so old run folders
        still resume; a key this version does not know is refused.
        """
        if not isinstance(values, dict):
            raise ConfigError(f"{source} must hold a JSON object of settings, got a "
                              f"{type(values).__name__}; delete it and start a new run.")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{source} holds unknown settings {unknown}; it was written by "
                              "another version of p2plib or edited by hand.")
        missing = sorted(REQUIRED_JSON_KEYS - set(values))
        if missing:
            raise ConfigError(f"{source} lacks the settings {missing}; it is damaged or not "
                              "a p2plib run's config.json.")
        try:
            return cls(**values)
        except ArgumentError as error:
            raise ConfigError(f"{source}: {error}") from None


REQUIRED_JSON_KEYS = frozenset({
    "dataset", "data", "direction", "image_size", "base_filters", "generator", "n_layers",
    "norm", "upsampling", "dropout", "batch_size", "epochs", "steps_per_epoch",
    "decay_epochs", "learning_rate", "l1_weight", "gan_mode", "seed", "save_every", "samples",
})
"""The settings every run's ``config.json`` has held since the first version (tool)."""

PAPER = TrainingConfig(name="paper")
"""The paper's configuration: 256x256, 64 filters, U-Net, 70x70 PatchGAN, 200
epochs (notebook 00)."""
QUICK = TrainingConfig(name="quick", image_size=64, base_filters=8, epochs=2,
                       steps_per_epoch=4, samples=2)
"""Quick mode's sizes (tests, nbval): the same code path, seconds instead of days (notebook 00)."""


def settings(quick: bool | None = None) -> TrainingConfig:
    """The shared sizes: ``PAPER`` in full mode, ``QUICK`` in quick mode (default: from
    env) (notebook 00)."""
    quick = is_quick() if quick is None else quick
    return QUICK if quick else PAPER


def project_root() -> Path | None:
    """The repository checkout that holds this package, or None for a plain install (tool)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def data_dir() -> Path:
    """Where datasets are generated or downloaded (tool).

    ``P2P_DATA_DIR`` when set; else ``data/`` of the repository checkout; else
    ``~/.cache/p2plib/data`` for a plain install.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    root = project_root()
    if root is not None:
        return root / "data"
    return Path.home() / ".cache" / "p2plib" / "data"
