"""Synthetic facades: label maps of building fronts and photos rendered from them.

Introduced in notebook 01. A layout (wall, floors of windows, doors, balconies, cornices,
sills, shop fronts, sky) is sampled from a seed in fractions of the image, so the same seed
gives the same building at any size; it is then rasterised into a class mask and rendered
into a photo. The photo has its own seed: wall colour and texture (brick, plaster or stone),
lighting and shadows, reflections in the glass and sensor noise all vary, so one label map
has many plausible photos. That is what makes the task a good test for a conditional GAN:
a plain L1 regressor can only predict the blurry average of those photos.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from p2plib.datasets.painting import (
    child_rng,
    finish_photo,
    jitter,
    pick,
    pixel_centres,
    sky_colours,
    sky_gradient,
    smooth_noise,
)
from p2plib.datasets.palettes import FACADE_CLASSES, FACADE_PALETTE
from p2plib.datasets.storage import SPLIT_SEED_OFFSETS, generate_masked, parse_image_size
from p2plib.label_colours import labels_to_rgb

__all__ = [
    "GENERATOR_VERSION", "SPLIT_SIZES", "Element", "facade_mask", "generate", "render_facade",
    "render_facade_photo", "sample_facade_layout",
]

GENERATOR_VERSION = 1
"""The version of the facade generator (notebook 01): bump it when a change alters a pixel,
so that datasets on disk are made again."""

# class ids: indices into FACADE_CLASSES
SKY, WALL, WINDOW, DOOR, BALCONY, CORNICE, SILL, SHOP, PILLAR, BLIND, MOLDING = range(
    len(FACADE_CLASSES)
)

SPLIT_SIZES = {"train": 400, "val": 100, "test": 100}
"""Pairs per split of synthetic-facades (notebook 01): as many as CMP facades has for training."""


@dataclass(frozen=True)
class Element:
    """One labelled rectangle of a facade layout, in fractions of the image, 0 = top/left (tool)."""

    class_id: int
    top: float
    left: float
    bottom: float
    right: float


# ---------------------------------------------------------------- layout


def sample_facade_layout(seed: int) -> tuple[Element, ...]:
    """The rectangles of one facade, in paint order: later ones cover earlier ones (tool).

    Depends on ``seed`` only, never on the image size.
    """
    rng = np.random.default_rng([int(seed), 0])
    elements: list[Element] = []

    def add(class_id, top, left, bottom, right):
        elements.append(Element(class_id, top, max(left, 0.0), bottom, min(right, 1.0)))

    roof = rng.uniform(0.04, 0.2)
    if rng.random() < 0.5:
        left, right = 0.0, 1.0
    else:
        left, right = rng.uniform(0.0, 0.1), 1.0 - rng.uniform(0.0, 0.1)
    ground_top = 1.0 - rng.uniform(0.16, 0.26)
    add(WALL, roof, left, 1.0, right)

    if rng.random() < 0.3:  # pilasters at both edges of the building
        width = rng.uniform(0.02, 0.04)
        add(PILLAR, roof, left, 1.0, left + width)
        add(PILLAR, roof, right - width, 1.0, right)

    roof_cornice = rng.uniform(0.015, 0.035)
    overhang = rng.uniform(0.0, 0.015)
    add(CORNICE, roof, left - overhang, roof + roof_cornice, right + overhang)

    columns = int(rng.integers(3, 7))
    column_width = (right - left) / columns
    _add_upper_floors(rng, add, roof + roof_cornice, ground_top, left, right, columns)
    _add_ground_floor(rng, add, ground_top, left, right, columns, column_width)
    return tuple(elements)


@dataclass(frozen=True)
class _UpperFloors:
    """The choices shared by every upper floor of one facade (sizes in image fractions)."""

    floors: int
    floor_height: float
    column_width: float
    window_width: float
    window_height: float
    window_offset: float
    shutter_width: float
    has_molding: bool
    molding_margin: float
    has_shutters: bool
    has_blinds: bool
    has_sills: bool
    sill_height: float
    has_string_courses: bool
    balcony_chance: float
    continuous_balconies: bool


def _sample_upper_floors(rng, top, ground_top, left, right, columns) -> _UpperFloors:
    floors = int(rng.integers(2, 6))
    floors = max(1, min(floors, int((ground_top - top) / 0.09)))
    floor_height = (ground_top - top) / floors
    column_width = (right - left) / columns
    window_width = column_width * rng.uniform(0.4, 0.62)
    window_height = floor_height * rng.uniform(0.45, 0.65)
    window_offset = floor_height * rng.uniform(0.15, 0.28)
    shutter_width = 0.45 * window_width
    has_molding = rng.random() < 0.35
    molding_margin = window_width * rng.uniform(0.08, 0.16)
    has_shutters = rng.random() < 0.3 and window_width + 2 * shutter_width < 0.95 * column_width
    # The order of the draws fixes the dataset: blinds are only drawn for shutterless facades.
    has_blinds = not has_shutters and rng.random() < 0.35
    return _UpperFloors(
        floors=floors, floor_height=floor_height, column_width=column_width,
        window_width=window_width, window_height=window_height, window_offset=window_offset,
        shutter_width=shutter_width, has_molding=has_molding, molding_margin=molding_margin,
        has_shutters=has_shutters, has_blinds=has_blinds, has_sills=rng.random() < 0.8,
        sill_height=rng.uniform(0.008, 0.016), has_string_courses=rng.random() < 0.35,
        balcony_chance=rng.choice([0.0, 0.3, 0.6]), continuous_balconies=rng.random() < 0.4,
    )


def _add_upper_floors(rng, add, top, ground_top, left, right, columns):
    style = _sample_upper_floors(rng, top, ground_top, left, right, columns)
    for floor in range(style.floors):
        floor_top = top + floor * style.floor_height
        if style.has_string_courses and floor > 0:
            add(CORNICE, floor_top - 0.008, left, floor_top + 0.006, right)
        has_balcony = rng.random() < style.balcony_chance
        window_top = floor_top + style.window_offset
        # a balcony floor has French windows reaching down to the floor
        window_bottom = (floor_top + 0.97 * style.floor_height if has_balcony
                         else window_top + style.window_height)
        blind_fractions = rng.uniform(0.0, 0.6, size=columns) * (rng.random(columns) < 0.6)
        for column in range(columns):
            centre = left + (column + 0.5) * style.column_width
            _add_window_bay(add, style, centre, floor_top, window_top, window_bottom,
                            has_balcony, blind_fractions[column])
        if has_balcony and style.continuous_balconies:
            add(BALCONY, floor_top + 0.64 * style.floor_height, left + 0.01,
                floor_top + style.floor_height + 0.012, right - 0.01)


def _add_window_bay(add, style: _UpperFloors, centre, floor_top, window_top, window_bottom,
                    has_balcony, blind_fraction):
    """One window of an upper floor with its molding, shutters, blind, sill or balcony."""
    x0, x1 = centre - style.window_width / 2, centre + style.window_width / 2
    if style.has_molding:
        margin = style.molding_margin
        add(MOLDING, window_top - 1.5 * margin, x0 - margin, window_bottom + 0.5 * margin,
            x1 + margin)
    if style.has_shutters:
        add(BLIND, window_top, x0 - style.shutter_width, window_bottom, x0)
        add(BLIND, window_top, x1, window_bottom, x1 + style.shutter_width)
    add(WINDOW, window_top, x0, window_bottom, x1)
    if style.has_blinds and blind_fraction > 0.05:
        add(BLIND, window_top, x0, window_top + blind_fraction * (window_bottom - window_top), x1)
    if style.has_sills and not has_balcony:
        overhang = 0.12 * style.window_width
        add(SILL, window_bottom, x0 - overhang, window_bottom + style.sill_height, x1 + overhang)
    if has_balcony and not style.continuous_balconies:
        margin = 0.15 * style.window_width
        add(BALCONY, floor_top + 0.64 * style.floor_height, x0 - margin,
            floor_top + style.floor_height + 0.012, x1 + margin)


def _add_ground_floor(rng, add, ground_top, left, right, columns, column_width):
    ground_height = 1.0 - ground_top
    if rng.random() < 0.8:  # the belt course between ground floor and upper floors
        add(CORNICE, ground_top - rng.uniform(0.012, 0.025), left, ground_top + 0.004, right)
    if rng.random() < 0.55:
        shops = int(rng.integers(1, 4))
        segment = (right - left) / shops
        pillar = segment * rng.uniform(0.04, 0.1)
        shop_top = ground_top + ground_height * rng.uniform(0.08, 0.2)
        door_shop = int(rng.integers(shops))
        door_width = segment * rng.uniform(0.15, 0.25)
        door_left = rng.uniform(0.1, 0.9 - door_width / segment)
        for shop in range(shops):
            x0 = left + shop * segment
            add(PILLAR, ground_top, x0, 1.0, x0 + pillar)
            add(SHOP, shop_top, x0 + pillar, 1.0, x0 + segment - pillar)
            if shop == door_shop:
                door_x = x0 + door_left * segment
                add(DOOR, shop_top + 0.1 * ground_height, door_x, 1.0, door_x + door_width)
        add(PILLAR, ground_top, right - pillar, 1.0, right)
    else:
        door_column = int(rng.integers(columns))
        door_width = column_width * rng.uniform(0.45, 0.75)
        door_top = ground_top + ground_height * rng.uniform(0.1, 0.3)
        window_top = ground_top + ground_height * rng.uniform(0.15, 0.3)
        window_bottom = ground_top + ground_height * rng.uniform(0.65, 0.8)
        window_width = column_width * rng.uniform(0.35, 0.6)
        has_window = rng.random(columns) < 0.85
        for column in range(columns):
            centre = left + (column + 0.5) * column_width
            if column == door_column:
                add(DOOR, door_top, centre - door_width / 2, 1.0, centre + door_width / 2)
            elif has_window[column]:
                add(WINDOW, window_top, centre - window_width / 2, window_bottom,
                    centre + window_width / 2)


# ---------------------------------------------------------------- rasterising


def _pixel_span(start: float, stop: float, pixels: int) -> tuple[int, int]:
    """Pixels covered by [start, stop) of a side of ``pixels``; at least one if on screen."""
    first = int(round(start * pixels))
    last = int(round(stop * pixels))
    first = min(max(first, 0), pixels)
    last = min(max(last, first + 1), pixels)
    return first, last


def _element_slices(element: Element, height: int, width: int):
    rows = _pixel_span(element.top, element.bottom, height)
    cols = _pixel_span(element.left, element.right, width)
    return slice(*rows), slice(*cols)


def facade_mask(layout, image_size=256) -> np.ndarray:
    """A facade layout rasterised into a uint8 HxW mask of class ids, 0 = sky where nothing is
    (tool)."""
    height, width = parse_image_size(image_size)
    mask = np.zeros((height, width), dtype=np.uint8)
    for element in layout:
        rows, cols = _element_slices(element, height, width)
        mask[rows, cols] = element.class_id
    return mask


# ---------------------------------------------------------------- rendering

_WALL_COLOURS = {
    "brick": [(0.55, 0.25, 0.18), (0.62, 0.33, 0.22), (0.45, 0.22, 0.17), (0.66, 0.45, 0.32)],
    "plaster": [
        (0.85, 0.78, 0.62), (0.92, 0.88, 0.76), (0.82, 0.62, 0.32), (0.85, 0.62, 0.58),
        (0.62, 0.72, 0.80), (0.90, 0.90, 0.88), (0.60, 0.60, 0.60), (0.70, 0.78, 0.62),
        (0.75, 0.45, 0.30),
    ],
    "stone": [(0.72, 0.68, 0.60), (0.55, 0.55, 0.52), (0.80, 0.74, 0.62)],
}
_FRAME_COLOURS = [(0.92, 0.92, 0.9), (0.3, 0.2, 0.12), (0.2, 0.2, 0.22), (0.2, 0.35, 0.25)]
_DOOR_COLOURS = [(0.4, 0.25, 0.12), (0.15, 0.3, 0.2), (0.45, 0.1, 0.1), (0.12, 0.15, 0.3),
                 (0.1, 0.1, 0.1), (0.55, 0.4, 0.25)]
_SHUTTER_COLOURS = [(0.25, 0.45, 0.3), (0.45, 0.3, 0.18), (0.85, 0.85, 0.82),
                    (0.45, 0.55, 0.62), (0.6, 0.2, 0.15)]
_SKIES = [  # (zenith, horizon)
    ((0.35, 0.55, 0.85), (0.75, 0.85, 0.95)),
    ((0.70, 0.72, 0.75), (0.86, 0.87, 0.88)),
    ((0.30, 0.35, 0.60), (0.95, 0.70, 0.50)),
    ((0.20, 0.45, 0.80), (0.60, 0.78, 0.92)),
]


_BRIGHTNESS = (0.88, 1.1)  # how much ``jitter`` scales a facade colour
_JITTER = 0.04  # and how much noise it adds


@dataclass
class _Canvas:
    """The image being painted and the pixel-centre coordinates, in image fractions."""

    image: np.ndarray  # HxWx3 float32 in [0, 1]
    ys: np.ndarray  # H, fractions of the height
    xs: np.ndarray  # W, fractions of the width
    aspect: float  # width / height

    def local(self, element: Element):
        """Region slices and (v, u) in [0, 1] across the element, plus its size in heights."""
        height, width = self.image.shape[:2]
        rows, cols = _element_slices(element, height, width)
        el_height = max(element.bottom - element.top, 1e-6)
        el_width = max(element.right - element.left, 1e-6)
        v = ((self.ys[rows] - element.top) / el_height)[:, None]
        u = ((self.xs[cols] - element.left) / el_width)[None, :]
        return rows, cols, v, u, el_height, el_width * self.aspect


def _wall_texture(rng, height, width, aspect):
    kind = ["brick", "plaster", "stone"][int(rng.choice(3, p=[0.35, 0.45, 0.2]))]
    colour = jitter(rng, pick(rng, _WALL_COLOURS[kind]), _JITTER, _BRIGHTNESS)
    texture_rng = child_rng(rng)
    ys = pixel_centres(height)[:, None]
    xs = (pixel_centres(width) * aspect)[None, :]  # in units of the height
    shade = 1 + 0.06 * smooth_noise(texture_rng, height, width, 6)
    if kind == "plaster":
        shade = shade + 0.03 * smooth_noise(texture_rng, height, width, 24)
    else:
        course = rng.uniform(0.012, 0.022) if kind == "brick" else rng.uniform(0.04, 0.07)
        length = course * (rng.uniform(2.0, 3.0) if kind == "brick" else rng.uniform(1.5, 2.5))
        joint = rng.uniform(0.1, 0.2)
        row = np.floor(ys / course)
        along = xs / length + 0.5 * (row % 2)
        rows_count = int(np.ceil(1 / course)) + 1
        cols_count = int(np.ceil(aspect / length)) + 2
        per_block = texture_rng.normal(0, 0.07 if kind == "brick" else 0.04,
                                       (rows_count, cols_count)).astype(np.float32)
        block_shade = per_block[row.astype(int) % rows_count,
                                np.floor(along).astype(int) % cols_count]
        in_joint = ((ys / course) % 1 < joint) | ((along % 1) < joint * course / length)
        shade = shade + block_shade
        mortar = rng.uniform(1.15, 1.35) if kind == "brick" else rng.uniform(0.8, 0.9)
        shade = np.where(in_joint, mortar, shade)
    return np.clip(shade[..., None] * colour, 0, 1).astype(np.float32), colour


def _paint_sky(canvas, rng):
    zenith, horizon = sky_colours(rng, _SKIES, 0.03, _BRIGHTNESS)
    height, width = canvas.image.shape[:2]
    cloud_rng = child_rng(rng)
    clouds = np.clip(smooth_noise(cloud_rng, height, width, 5) - rng.uniform(0.3, 1.5), 0, 1)
    v = canvas.ys[:, None, None]
    sky = sky_gradient(zenith, horizon, v)
    canvas.image[:] = sky + clouds[..., None] * (0.95 - sky)


def _glass(rng, v, u, el_width, sky_colour):
    """Window glass: a reflected sky gradient or dark glass, a bright streak, or a lit room."""
    kind = rng.random()
    if kind < 0.12:
        warm = np.array((0.85, 0.68, 0.42), np.float32) * rng.uniform(0.6, 1.0)
        glass = warm * (0.8 + 0.2 * v[..., None]) * np.ones_like(u)[..., None]
    else:
        top = sky_colour * rng.uniform(0.5, 1.0) if kind < 0.6 else np.full(3, 0.15, np.float32)
        bottom = np.array((0.08, 0.1, 0.13), np.float32) * rng.uniform(0.5, 1.5)
        mix = np.clip(v * rng.uniform(0.8, 1.6), 0, 1)[..., None]
        glass = (top * (1 - mix) + bottom * mix) * np.ones_like(u)[..., None]
    angle, position, streak = rng.uniform(0.3, 1.2), rng.uniform(-0.2, 1.2), rng.uniform(0.05, 0.2)
    if rng.random() < 0.5:
        distance = np.abs(u * np.cos(angle) + v * np.sin(angle) - position)
        glass = glass + (rng.uniform(0.2, 0.5) * np.clip(1 - distance / streak, 0, 1))[..., None]
    return glass


def _frame(v, u, el_height, el_width, thickness, mullions):
    """Where a window frame (and its mullions) is, as a boolean mask over (v, u)."""
    tu = thickness / max(el_width, 1e-6)
    tv = thickness / max(el_height, 1e-6)
    frame = (u < tu) | (u > 1 - tu) | (v < tv) | (v > 1 - tv)
    if mullions:
        frame = frame | (np.abs(u - 0.5) < tu / 2) | (np.abs(v - 0.3) < tv / 2)
    return frame


@dataclass(frozen=True)
class _PaintStyle:
    """The colours and sizes one facade's photo is painted with (colours RGB in [0, 1])."""

    sky: np.ndarray
    trim: np.ndarray
    frame: np.ndarray
    frame_width: float
    mullions: bool
    door: np.ndarray
    shutter: np.ndarray
    blind: np.ndarray
    roller_blind: bool
    slat: float
    railing: np.ndarray
    bar_spacing: float
    sign: np.ndarray


def _sample_style(rng, sky, wall_colour) -> _PaintStyle:
    # The order of the draws fixes the dataset; keep it when adding a field.
    trim_kind = rng.random()
    drawn = dict(
        frame=pick(rng, _FRAME_COLOURS), frame_width=rng.uniform(0.004, 0.009),
        mullions=rng.random() < 0.6,
        door=jitter(rng, pick(rng, _DOOR_COLOURS), _JITTER, _BRIGHTNESS),
        shutter=jitter(rng, pick(rng, _SHUTTER_COLOURS), _JITTER, _BRIGHTNESS),
        blind=jitter(rng, np.array((0.85, 0.82, 0.74), np.float32), _JITTER, _BRIGHTNESS),
        roller_blind=rng.random() < 0.5, slat=rng.uniform(0.006, 0.012),
        railing=np.full(3, rng.choice([0.08, 0.2, 0.85]), np.float32),
        bar_spacing=rng.uniform(0.015, 0.03),
        sign=np.clip(rng.uniform(0.1, 1.0, 3) ** 2 * 1.3, 0, 1).astype(np.float32),
    )
    stone = jitter(rng, np.array((0.85, 0.82, 0.75), np.float32), 0.03, _BRIGHTNESS)
    trim = (stone if trim_kind < 0.5 else
            np.clip(wall_colour * (1.35 if trim_kind < 0.8 else 0.7), 0, 1))
    return _PaintStyle(sky=sky, trim=trim, **drawn)


def _paint_glass(region, local, rng, style: _PaintStyle, shop: bool):
    _, _, v, u, el_height, el_width = local
    glass = _glass(rng, v, u, el_width, style.sky)
    if shop:
        sign = v < rng.uniform(0.12, 0.25)
        glass = np.where(sign[..., None], style.sign, glass)
        frame = _frame(v, u, el_height, el_width, style.frame_width, False)
        frame = frame | ((u * 4) % 1 < 0.02)
    else:
        frame = _frame(v, u, el_height, el_width, style.frame_width, style.mullions)
    region[:] = np.where(frame[..., None], style.frame, glass)


def _paint_door(region, local, rng, style: _PaintStyle):
    _, _, v, u, _, _ = local
    colour = style.door * rng.uniform(0.85, 1.15)
    panels = ((np.abs(u - 0.27) < 0.15) | (np.abs(u - 0.73) < 0.15)) & (
        (np.abs(v - 0.28) < 0.18) | (np.abs(v - 0.72) < 0.18))
    region[:] = colour * np.where(panels, 0.78, 1.0)[..., None]


def _paint_balcony(region, local, style: _PaintStyle):
    _, _, v, u, _, el_width = local
    rail = ((u * el_width / style.bar_spacing) % 1 < 0.3) | (v < 0.12)
    railing = np.where(rail[..., None], style.railing, region * 0.45)
    region[:] = np.where((v > 0.85)[..., None], style.trim * 0.9, railing)


def _paint_blind(region, local, style: _PaintStyle):
    _, _, v, _, el_height, _ = local
    if style.roller_blind:
        region[:] = style.blind * (0.9 + 0.1 * v)[..., None]
    else:
        slats = (v * el_height / style.slat) % 1 < 0.5
        region[:] = style.shutter * np.where(slats, 0.85, 1.0)[..., None]


# How the trim-coloured elements are shaded, from their local coordinates (v down, u across).
_TRIM_SHADING = {
    CORNICE: lambda v, u: 1.1 - 0.35 * v,
    SILL: lambda v, u: np.where(v > 0.65, 0.7, 1.05),
    PILLAR: lambda v, u: 0.8 + 0.3 * np.sin(np.pi * u),
    MOLDING: lambda v, u: np.where(v < 0.2, 1.12, 0.95),
}


def _paint_element(canvas, element, rng, style: _PaintStyle, wall):
    """Paint one layout element into the canvas in its class's way."""
    local = canvas.local(element)
    rows, cols, v, u = local[:4]
    region = canvas.image[rows, cols]  # a view: assigning to region[:] paints the canvas
    kind = element.class_id
    if kind == WALL:
        region[:] = wall[rows, cols]
    elif kind in (WINDOW, SHOP):
        _paint_glass(region, local, rng, style, shop=kind == SHOP)
    elif kind == DOOR:
        _paint_door(region, local, rng, style)
    elif kind == BALCONY:
        _paint_balcony(region, local, style)
    elif kind == BLIND:
        _paint_blind(region, local, style)
    elif kind in _TRIM_SHADING:
        region[:] = style.trim * _TRIM_SHADING[kind](v, u)[..., None]


def _shadows(canvas, layout, mask, rng):
    """Darken the wall below cornices, sills and balconies, offset by the light direction."""
    height, width = mask.shape
    strength = rng.uniform(0.55, 0.85)
    depth = rng.uniform(0.006, 0.02)
    shift = rng.uniform(-0.015, 0.015)
    shade = np.ones((height, width), np.float32)
    for element in layout:
        if element.class_id in (CORNICE, SILL, BALCONY, MOLDING):
            below = Element(SKY, element.bottom, element.left + shift,
                            element.bottom + depth, element.right + shift)
            rows, cols = _element_slices(below, height, width)
            shade[rows, cols] = strength
    receives = np.isin(mask, (WALL, PILLAR, WINDOW))
    return np.where(receives, shade, 1.0)


def render_facade_photo(layout, image_size=256, seed: int = 0, mask=None) -> np.ndarray:
    """A photo (uint8 HxWx3) of a facade layout; ``seed`` picks the appearance only (tool).

    ``mask`` is the layout's ``facade_mask`` at this size, when the caller has it already.
    """
    height, width = parse_image_size(image_size)
    rng = np.random.default_rng([int(seed), 1])
    canvas = _Canvas(
        image=np.zeros((height, width, 3), np.float32),
        ys=pixel_centres(height).astype(np.float32),
        xs=pixel_centres(width).astype(np.float32),
        aspect=width / height,
    )
    _paint_sky(canvas, rng)
    wall, wall_colour = _wall_texture(rng, height, width, canvas.aspect)
    style = _sample_style(rng, sky=canvas.image[0, 0].copy(), wall_colour=wall_colour)
    for element in layout:
        _paint_element(canvas, element, rng, style, wall)

    if mask is None:
        mask = facade_mask(layout, (height, width))
    light = (1 + rng.uniform(-0.35, 0.35) * (canvas.xs[None, :] - 0.5)
             + rng.uniform(-0.25, 0.15) * (canvas.ys[:, None] - 0.5))
    shade = _shadows(canvas, layout, mask, rng) * np.where(mask == SKY, 1.0, light)
    warmth = rng.uniform(-0.06, 0.06)
    cast = np.array([1 + warmth, 1.0, 1 - warmth], np.float32)
    exposure = rng.uniform(0.85, 1.1)
    noise_rng = child_rng(rng)
    sigma = rng.uniform(0.005, 0.025)
    return finish_photo(canvas.image * shade[..., None] * cast * exposure, sigma, noise_rng)


def render_facade(seed: int, image_size=256, photo_seed: int | None = None):
    """One synthetic facade: ``(labels_rgb, photo, mask)`` at ``image_size`` (notebook 01).

    ``image_size`` is an int or (height, width). ``seed`` fixes the layout; ``photo_seed``
    (default: ``seed``) fixes the appearance, so the same labels can be rendered into many
    different photos.
    """
    layout = sample_facade_layout(seed)
    mask = facade_mask(layout, image_size)
    photo_seed = seed if photo_seed is None else photo_seed
    photo = render_facade_photo(layout, image_size, photo_seed, mask=mask)
    return labels_to_rgb(mask, FACADE_PALETTE), photo, mask


# ---------------------------------------------------------------- writing to disk


def generate(final_dir: Path, image_size, split_sizes=None) -> Path:
    """Generate every split of synthetic-facades into ``final_dir`` atomically (tool)."""
    return generate_masked(
        final_dir, image_size, name="synthetic-facades", render=render_facade,
        split_sizes=SPLIT_SIZES if split_sizes is None else split_sizes,
        seed_offsets=SPLIT_SEED_OFFSETS, classes=FACADE_CLASSES, palette=FACADE_PALETTE,
        version=GENERATOR_VERSION,
    )
