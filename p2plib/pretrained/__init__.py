"""Generators (and one discriminator) that ship with the package, trained by the project's own
command line.

Labels -> photo U-Nets at 256x256 for the synthetic facades and street scenes. The street
generator comes in three objectives, trained on the same network and budget so that they
differ only in the objective: L1 alone, the conditional GAN alone, and L1 + cGAN, the
paper's (notebooks 03 and 06 show them); the facade generator is L1 + cGAN. ``load(name)``
returns one; ``load_discriminator("streets-cgan")`` the 70x70 PatchGAN trained beside the
street cGAN generator (notebook 03 shows its view). Each
``<name>.keras`` is a plain functional model of stock Keras layers:
``keras.models.load_model`` reads it in a program that never imports p2plib. ``info(name)``
says how it was trained (the exact command) and how well it scores; ``README.md`` in this
folder gives the same for people.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

from p2plib import export
from p2plib.errors import ArgumentError, ModelFileError

__all__ = ["ALIASES", "DATASETS", "DISCRIMINATORS", "FOLDER", "GENERATORS", "OBJECTIVES",
           "discriminator_path", "info", "load", "load_discriminator", "names", "path"]

FOLDER = Path(__file__).resolve().parent
"""Where the shipped files are (tool)."""
GENERATORS = ("facades", "streets", "streets-l1", "streets-cgan")
"""The shipped generators, by name (notebook 06); ``facades`` and ``streets`` are L1 + cGAN."""
DATASETS = {name: "synthetic-" + name.split("-")[0] for name in GENERATORS}
"""The dataset each generator translates labels -> photo from (notebook 06)."""
OBJECTIVES = {name: {"l1": "L1", "cgan": "cGAN"}.get(name.partition("-")[2], "L1 + cGAN")
              for name in GENERATORS}
"""The objective each generator was trained with (notebook 06)."""
ALIASES = {"facades-l1-cgan": "facades", "streets-l1-cgan": "streets"}
"""Names that carry the objective for the two L1 + cGAN generators (notebook 06)."""
DISCRIMINATORS = ("streets-cgan",)
"""The generators whose discriminator ships too (notebook 03)."""


def names() -> list[str]:
    """The names ``load`` accepts (notebook 06)."""
    return [*GENERATORS, *ALIASES]


def _shipped_name(name: str) -> str:
    name = ALIASES.get(name, name)
    if name not in GENERATORS:
        raise ArgumentError(f"no pretrained generator {name!r}; choose one of {names()}.")
    return name


def path(name: str) -> Path:
    """The ``.keras`` file of a shipped generator (notebook 06)."""
    return FOLDER / f"{_shipped_name(name)}.keras"


def discriminator_path(name: str = "streets-cgan") -> Path:
    """The ``.keras`` file of a shipped discriminator (notebook 03)."""
    name = _shipped_name(name)
    if name not in DISCRIMINATORS:
        raise ArgumentError(f"no discriminator ships with {name!r}; choose one of "
                            f"{list(DISCRIMINATORS)}.")
    return FOLDER / f"{name}-discriminator.keras"


def info(name: str) -> dict:
    """How a shipped generator was trained and scored (``<name>.json`` beside it; notebook
    06)."""
    record = path(name).with_suffix(".json")
    try:
        return json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelFileError(f"{record} cannot be read ({error}); reinstall p2plib or "
                             "restore the file from the repository.") from None


def _check_present(file: Path) -> Path:
    if not file.is_file():
        raise ModelFileError(f"{file} is missing; reinstall p2plib or restore the file from "
                             "the repository (see p2plib/pretrained/README.md).")
    return file


def load(name: str):
    """The shipped generator ``name`` (see ``names()``) as a ``keras.Model`` (notebook 06)."""
    return export.load_generator(_check_present(path(name)))


def load_discriminator(name: str = "streets-cgan"):
    """The 70x70 PatchGAN trained beside the shipped generator ``name`` (notebook 03):
    ``[labels, photo]`` in [-1, 1] -> a 30x30 map of logits."""
    file = _check_present(discriminator_path(name))
    return keras.models.load_model(file, compile=False)
