"""Argument checks shared by the whole library: one rule, one wording.

Integers include numpy integers; ``True``/``False`` are refused where a number is expected
(``isinstance(True, int)`` holds in Python, but ``image_size=True`` is a mistake). Every
message names the argument, shows the value received and gives a valid example. The checks
raise ``p2plib.errors.ArgumentError`` (a ``ValueError``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from p2plib.errors import ArgumentError

__all__ = [
    "DEFAULT_MAX_PIXELS", "MAX_PIXELS_ENV", "check_pixels", "max_pixels",
    "boolean", "choice", "image_size", "integer", "number", "optional_integer", "square_or_pair",
]


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _bound_text(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def integer(value, name: str, *, minimum: int | None = None, maximum: int | None = None,
            example=None) -> int:
    """``value`` as an int if it is an integer within the bounds, else an
    ``ArgumentError`` (tool)."""
    if not _is_integer(value) or (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum):
        hint = f", e.g. {example}" if example is not None else ""
        raise ArgumentError(
            f"{name} must be an integer{_bound_text(minimum, maximum)}{hint}; got {value!r}."
        )
    return int(value)


def optional_integer(value, name: str, **bounds) -> int | None:
    """``None``, or ``value`` checked by ``integer`` (tool)."""
    return None if value is None else integer(value, name, **bounds)


def number(value, name: str, *, minimum: float | None = None, above: float | None = None,
           maximum: float | None = None, example=None) -> float:
    """``value`` as a finite float within the bounds (``above``: strictly greater) (tool)."""
    valid = _is_number(value) and math.isfinite(float(value))
    if valid:
        value_float = float(value)
        valid = ((minimum is None or value_float >= minimum)
                 and (above is None or value_float > above)
                 and (maximum is None or value_float <= maximum))
    if not valid:
        bounds = _bound_text(minimum, maximum) if above is None else f" > {above}"
        hint = f", e.g. {example}" if example is not None else ""
        raise ArgumentError(f"{name} must be a number{bounds}{hint}; got {value!r}.")
    return float(value)


def boolean(value, name: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (numpy bools too) (tool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def choice(value, name: str, options: Sequence):
    """``value`` if it is one of ``options``, else an error listing them (tool)."""
    if value not in tuple(options):
        raise ArgumentError(f"{name} must be one of {tuple(options)}; got {value!r}.")
    return value


def image_size(value, name: str = "image_size", *, minimum: int = 1) -> tuple[int, int]:
    """``256`` or ``(height, width)`` -> ``(height, width)``, each side at least
    ``minimum`` (tool)."""
    example = f"{max(minimum, 256)} or ({max(minimum, 256)}, {2 * max(minimum, 256)})"
    if _is_integer(value):
        pair = (int(value), int(value))
    elif (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2
          and all(_is_integer(side) for side in value)):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ArgumentError(
            f"{name} must be an integer or a (height, width) pair of integers, e.g. {example}; "
            f"got {value!r}."
        )
    if min(pair) < minimum:
        raise ArgumentError(
            f"{name} must be at least {minimum} pixels each way, e.g. {example}; got {value!r}."
        )
    check_pixels(pair, name)
    return pair


MAX_PIXELS_ENV = "P2P_MAX_PIXELS"
"""The environment variable that sets ``max_pixels()`` (tool)."""
DEFAULT_MAX_PIXELS = 4096 * 4096
"""The largest image, in pixels, the library makes or reads unless told otherwise: 4096x4096,
64 times the paper's 256x256 (tool)."""


def max_pixels() -> int:
    """The most pixels an image size may ask for: ``$P2P_MAX_PIXELS`` or 4096x4096 (tool).

    One limit for generating, training and translating, checked before any memory is spent,
    so a mistyped size ends with a message instead of the machine's out-of-memory killer.
    """
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    if not text.isdigit() or int(text) < 1:
        raise ArgumentError(f"{MAX_PIXELS_ENV}={text!r} is not a positive whole number of "
                            f"pixels; e.g. {MAX_PIXELS_ENV}={DEFAULT_MAX_PIXELS}.")
    return int(text)


def check_pixels(size: tuple[int, int], name: str = "the image") -> None:
    """Refuse a ``(height, width)`` over ``max_pixels()`` with a message naming ``name``
    (tool)."""
    height, width = size
    limit = max_pixels()
    if height * width > limit:
        raise ArgumentError(
            f"{name} is {height}x{width}, {height * width:,} pixels, more than the "
            f"{limit:,} allowed ({MAX_PIXELS_ENV}); choose a smaller size, or raise "
            f"{MAX_PIXELS_ENV} if this machine has the memory for it.")


def square_or_pair(size: tuple[int, int]):
    """``(256, 256)`` -> ``256``; ``(128, 256)`` stays a pair: how a size is written back (tool)."""
    height, width = size
    return height if height == width else (height, width)
