"""Painting helpers that the generated datasets share (facades, streets, photo holes).

Part of the generated datasets introduced in notebook 01; no notebook teaches these tools.
They draw colours from tables with a little jitter, make the independent random generators
a photo's texture and noise come from, smooth lattice noise (clouds, plaster, leaves), the
sky's gradient, the pixel grid in fractions of the image, and the finished photo (sensor
noise, then uint8). Every function draws from ``rng`` in a fixed order: that order fixes
the datasets, so a change here changes pixels and must bump their ``GENERATOR_VERSION``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "child_rng", "finish_photo", "jitter", "pick", "pixel_centres", "sky_colours",
    "sky_gradient", "smooth_noise", "value_noise",
]


def pick(rng, options, weights=None) -> np.ndarray:
    """One of ``options`` as a float32 array, uniformly or by ``weights`` (tool)."""
    if weights is None:
        return np.array(options[int(rng.integers(len(options)))], np.float32)
    p = np.asarray(weights, float) / np.sum(weights)
    return np.array(options[int(rng.choice(len(options), p=p))], np.float32)


def jitter(rng, colour, amount=0.03, brightness=(0.9, 1.1)) -> np.ndarray:
    """``colour`` scaled by a random brightness and shifted by noise, clipped to [0, 1] (tool)."""
    return np.clip(colour * rng.uniform(*brightness) + rng.normal(0, amount, 3), 0, 1)


def sky_colours(rng, skies, amount, brightness=(0.9, 1.1)):
    """A jittered ``(zenith, horizon)`` pair picked from ``skies`` (tool)."""
    return tuple(jitter(rng, np.array(colour, np.float32), amount, brightness)
                 for colour in pick(rng, skies))


def sky_gradient(zenith, horizon, t):
    """The sky's colour at ``t`` from the zenith (0) to the horizon (1), linearly (tool)."""
    return zenith * (1 - t) + horizon * t


def child_rng(rng) -> np.random.Generator:
    """An independent generator seeded by one draw of ``rng``, for a texture or noise (tool)."""
    return np.random.default_rng(rng.integers(2**63))


def pixel_centres(count: int) -> np.ndarray:
    """The centres of ``count`` pixels along a side, in fractions of it (float64) (tool)."""
    return (np.arange(count) + 0.5) / count


def _smooth_lattice(table, i0, i1, j0, j1, fa, fb):
    """Smoothstep interpolation of ``table`` between rows i0, i1 and columns j0, j1."""
    fa, fb = fa * fa * (3 - 2 * fa), fb * fb * (3 - 2 * fb)  # smoothstep: no creases
    top = table[i0, j0] * (1 - fa) + table[i1, j0] * fa
    bottom = table[i0, j1] * (1 - fa) + table[i1, j1] * fa
    return top * (1 - fb) + bottom * fb


def smooth_noise(rng, height, width, cells) -> np.ndarray:
    """Low-frequency noise on a ``cells`` grid, interpolated: the same field at any size
    (tool)."""
    grid = rng.standard_normal((cells + 1, cells + 1)).astype(np.float32)
    ys = pixel_centres(height) * cells
    xs = pixel_centres(width) * cells
    y0 = np.minimum(ys.astype(int), cells - 1)
    x0 = np.minimum(xs.astype(int), cells - 1)
    fy = (ys - y0)[:, None].astype(np.float32)
    fx = (xs - x0)[None, :].astype(np.float32)
    return _smooth_lattice(grid, y0[:, None], y0[:, None] + 1, x0[None, :], x0[None, :] + 1,
                           fy, fx)


def value_noise(table, a, b):
    """Smooth noise about [-1, 1] at coordinates (a, b), from a random lattice that wraps
    (tool)."""
    size = table.shape[0]
    a0, b0 = np.floor(a), np.floor(b)
    i0, j0 = a0.astype(np.int64) % size, b0.astype(np.int64) % size
    return _smooth_lattice(table, i0, (i0 + 1) % size, j0, (j0 + 1) % size, a - a0, b - b0)


def finish_photo(image, sigma, noise_rng) -> np.ndarray:
    """A float photo in [0, 1] with Gaussian sensor noise of ``sigma`` added, as uint8 (tool)."""
    image = image + sigma * noise_rng.standard_normal(image.shape, dtype=np.float32)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
