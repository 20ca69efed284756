"""Quick and full mode, and where datasets live (introduced in notebook 00).

Full mode is the default: the settings that a reader runs and that the prose describes.
Quick mode (``P2P_QUICK=1``, set by the test configuration) shrinks image size, filter
counts and step counts but runs the same code path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

QUICK_ENV = "P2P_QUICK"
DATA_DIR_ENV = "P2P_DATA_DIR"


def is_quick() -> bool:
    """True when the environment variable ``P2P_QUICK`` is set to 1/true/yes."""
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def choose(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise: ``steps = choose(2000, 20)``."""
    return quick if is_quick() else full


@dataclass(frozen=True)
class Settings:
    """Sizes shared by the notebooks; each notebook picks its own step counts."""

    quick: bool
    image_size: int
    base_filters: int
    batch_size: int


def settings(quick: bool | None = None) -> Settings:
    """The shared sizes for full mode, or quick mode when ``quick`` (default: from env)."""
    quick = is_quick() if quick is None else quick
    if quick:
        return Settings(quick=True, image_size=64, base_filters=8, batch_size=1)
    return Settings(quick=False, image_size=256, base_filters=64, batch_size=1)


def project_root() -> Path | None:
    """The repository checkout that holds this package, or None for a plain install."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def data_dir() -> Path:
    """Where datasets are generated or downloaded.

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
