"""Generators that ship with the package, trained by the project's own command line.

Introduced in notebook 08 (and used by the demo of notebook 09): ``load("facades")`` and
``load("streets")`` return 256x256 labels -> photo U-Nets, so a reader sees translations
before training anything. Each ``<name>.keras`` is a plain functional model of stock Keras
layers: ``keras.models.load_model`` reads it in a program that never imports p2plib.
``info(name)`` says how it was trained (the exact command) and how well it scores;
``README.md`` in this folder gives the same for people.
"""

from __future__ import annotations

import json
from pathlib import Path

from p2plib.errors import ArgumentError, ModelFileError

FOLDER = Path(__file__).resolve().parent
GENERATORS = ("facades", "streets")
"""The shipped generators, by name: the dataset each translates labels -> photo from."""
DATASETS = {"facades": "synthetic-facades", "streets": "synthetic-streets"}


def names() -> list[str]:
    """The names ``load`` accepts."""
    return list(GENERATORS)


def path(name: str) -> Path:
    """The ``.keras`` file of a shipped generator."""
    if name not in GENERATORS:
        raise ArgumentError(f"no pretrained generator {name!r}; choose one of {names()}.")
    return FOLDER / f"{name}.keras"


def info(name: str) -> dict:
    """How a shipped generator was trained and scored (``<name>.json`` beside it)."""
    record = path(name).with_suffix(".json")
    try:
        return json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelFileError(f"{record} cannot be read ({error}); reinstall p2plib or "
                             "restore the file from the repository.") from None


def load(name: str):
    """The shipped generator ``name`` ("facades" or "streets") as a ``keras.Model``."""
    from p2plib import export

    file = path(name)
    if not file.is_file():
        raise ModelFileError(f"{file} is missing; reinstall p2plib or restore the file from "
                             "the repository (see p2plib/pretrained/README.md).")
    return export.load_generator(file)


__all__ = ["DATASETS", "GENERATORS", "info", "load", "names", "path"]
