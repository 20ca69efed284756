"""Running a generator on a drawing (notebook 09).

``translate_drawing`` is the whole way from a drawing to a picture: ``generator_input`` (the
drawing resized and snapped), ``data.normalize``, ``testtime.translate`` once in the chosen
test-time mode ("paper" or "inference"), and ``data.denormalize``. The demo runs the
forward pass through a ``Translator``, which traces it once per mode. Which generator:
``resolve_generator`` takes a model, a ``.keras`` path or a pretrained name, and
``check_generator`` refuses one that cannot translate the task's drawings.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import keras
import numpy as np

from p2plib import data, export, models, pretrained, testtime
from p2plib.demo.drawings import LABEL_TASKS, generator_input, get_task
from p2plib.errors import ArgumentError, ModelFileError

__all__ = ["Translator", "check_generator", "default_task", "load_pretrained",
           "resolve_generator", "translate_drawing", "translator_for"]


class Translator:
    """A generator's ``testtime.translate``, which traces the forward pass once per test-time
    mode and image size (notebook 09): the same arithmetic without Python's per-layer
    overhead, a good part of a 256x256 forward pass on a CPU (benchmarks/demo_latency.py
    measures it). It holds the generator weakly, so a translator never keeps a model alive.
    """

    def __init__(self, generator):
        self._generator = weakref.ref(generator)

    @property
    def generator(self):
        return self._generator()

    def __call__(self, batch, test_mode: str = "inference"):
        return testtime.translate(self.generator, batch, test_mode)

    def picture(self, image, test_mode: str = "inference") -> np.ndarray:
        """The generator's picture (uint8 HxWx3) of one uint8 image: ``data.normalize``, one
        traced forward pass, ``data.denormalize``."""
        batch = data.normalize(np.asarray(image)[None])
        return np.asarray(data.denormalize(self(batch, test_mode)))[0]


_TRANSLATORS: dict[int, Translator] = {}


def translator_for(generator) -> Translator:
    """The ``Translator`` of ``generator``: one per model, dropped with the model (notebook 09)."""
    key = id(generator)
    found = _TRANSLATORS.get(key)
    if found is None or found.generator is not generator:
        found = _TRANSLATORS[key] = Translator(generator)
        weakref.finalize(generator, _TRANSLATORS.pop, key, None)
    return found


def translate_drawing(generator, drawing, task, test_mode: str = "inference") -> np.ndarray:
    """A drawing -> the generator's picture, uint8 HxWx3 (notebook 09): ``generator_input``,
    then ``Translator.picture`` (``testtime.translate`` once, in ``test_mode``)."""
    prepared = generator_input(drawing, task, export.input_shape(generator)[:2])
    return translator_for(generator).picture(prepared, test_mode)


def check_generator(generator, task, name: str = "the generator") -> None:
    """Refuse a model that cannot translate drawings of ``task`` (notebook 09): RGB in and
    out, and a fixed input size to draw at (``models.check_generator``)."""
    models.check_generator(generator, f"{name} (for the {get_task(task).name} demo)",
                           ModelFileError, channels=3, out_channels=3, fixed_size=True)


def load_pretrained(name: str):
    """A shipped generator by name, through ``p2plib.pretrained.load`` (notebook 09)."""
    if name not in pretrained.names():
        raise ModelFileError(f"no pretrained generator called {name!r}; choose one of "
                             f"{list(pretrained.names())}, or give a .keras file.")
    return pretrained.load(name)


def resolve_generator(generator):
    """A ``keras.Model`` from a model, a ``.keras`` path or a pretrained name (notebook 09)."""
    if isinstance(generator, keras.Model):
        return generator
    if isinstance(generator, (str, os.PathLike)):
        path = Path(generator)
        if path.suffix == ".keras" or path.exists() or len(path.parts) > 1:
            return export.load_generator(path)
        return load_pretrained(str(generator))
    raise ArgumentError("generator must be a keras.Model, a .keras path or a pretrained name "
                        f"such as 'facades'; got {type(generator).__name__}.")


def default_task(generator) -> str:
    """The task of a pretrained name (it is the name), else "facades" (notebook 09)."""
    return generator if isinstance(generator, str) and generator in LABEL_TASKS else "facades"
