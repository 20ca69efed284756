"""Light on a street: sun and shade, cast shadows, the dark road under cars, lamp light at dusk.

Part of the synthetic streets introduced in notebook 01 (``streets`` renders a pair).
``light_and_shadows`` gives how much light reaches each pixel of a rasterised scene
(``streets_shapes``): in sunshine the buildings on the sun's side shade the street and every
thing casts a shadow swept along the sun's direction on the ground; ``street_lamp_light``
adds pools of warm light under the lamps at dusk. ``streets_painting`` applies both.
"""

from __future__ import annotations

import numpy as np

from p2plib.datasets.streets_layout import Side, Thing
from p2plib.datasets.streets_shapes import GROUND_PARTS, P_FACADE, P_SIDE_WALL, covered_pixels

__all__ = ["light_and_shadows", "street_lamp_light"]


def _shadow_of(thing: Thing) -> tuple[tuple[float, float, float, float], float]:
    """The footprint rectangle (x0, x1, z0, z1) a thing's shadow is swept from, and its height."""
    if thing.kind in ("car", "truck"):
        return (thing.x - thing.width / 2, thing.x + thing.width / 2, thing.z,
                thing.z + thing.length), thing.height
    if thing.kind in ("lamp", "sign", "light"):
        return (thing.x - 0.1, thing.x + 0.1, thing.z - 0.1, thing.z + 0.1), thing.height
    if thing.kind == "tree":
        return (thing.x - thing.width / 3, thing.x + thing.width / 3, thing.z - thing.length / 2,
                thing.z + thing.length / 2), thing.height
    return (thing.x - 0.2, thing.x + 0.2, thing.z - 0.15, thing.z + 0.15), thing.height


def _in_sweep(x, z, footprint, sweep):
    """Whether ground points lie in the footprint swept along the vector ``sweep`` (t in 0..1)."""
    low = np.zeros_like(x)
    high = np.ones_like(x)
    for point, (start, stop), step in ((x, footprint[:2], sweep[0]), (z, footprint[2:], sweep[1])):
        if abs(step) < 1e-6:
            inside = (point >= start) & (point <= stop)
            high = np.where(inside, high, -1.0)
        else:
            t0, t1 = (point - stop) / step, (point - start) / step
            low = np.maximum(low, np.minimum(t0, t1))
            high = np.minimum(high, np.maximum(t0, t1))
    return low <= high


def _heights_along(side: Side, z):
    starts = np.array([b.start for b in side.blocks])
    heights = np.array([b.height if b.kind == "building" else 0.0 for b in side.blocks])
    return heights[np.clip(np.searchsorted(starts, z, side="right") - 1, 0, None)]


def _ground_window(cam, footprint, height, width):
    x0, x1, z0, z1 = footprint
    z0, z1 = max(z0, 1.0), max(z1, 1.0)
    columns = [cam.column(x, z) for x in (x0, x1) for z in (z0, z1)]
    c0, c1 = covered_pixels(min(columns), max(columns), width)
    r0, r1 = covered_pixels(cam.row(0, z1), cam.row(0, z0), height)
    return slice(r0, r1), slice(c0, c1)


def light_and_shadows(scene, layout, look, rng) -> np.ndarray:
    """How much light reaches each pixel: sun and shade, cast and contact shadows (tool)."""
    cam = layout.camera
    height, width = scene.part.shape
    shade = np.ones((height, width), np.float32)
    part, inst = scene.part, scene.inst
    a, b = scene.coord_a, scene.coord_b
    ground = np.isin(part, GROUND_PARTS) & (inst == 0)
    first = 1 + len(layout.left.blocks) + len(layout.right.blocks)
    n_left = len(layout.left.blocks)

    sunny = look.weather == "sunny"
    if sunny:
        sun = int(rng.choice([-1, 1]))  # the side the sun shines from
        slope = rng.uniform(0.4, 1.6)  # shadow length per metre of height, across the street
        forward = rng.uniform(-0.6, 0.6) * slope  # and along it
        dark = rng.uniform(0.42, 0.6)
        caster, other = (layout.left, layout.right) if sun < 0 else (layout.right, layout.left)
        z_rows = np.where(ground, b, 0.0)
        reach = _heights_along(caster, z_rows - forward * _heights_along(caster, z_rows))
        shadowed = ground & (sun * a > caster.frontage - slope * reach)
        shade[shadowed] = dark
        facade = part == P_FACADE
        block = inst - 1
        on_caster = (block < n_left) if sun < 0 else (block >= n_left)
        shade[facade & on_caster] = rng.uniform(0.6, 0.75)
        across = caster.frontage + other.frontage
        opposite = facade & ~on_caster
        lit_from = _heights_along(caster, np.where(opposite, a, 0.0)) - across / slope
        shade[opposite & (b < lit_from)] = dark
        shade[part == P_SIDE_WALL] = 0.8
        for index, thing in enumerate(layout.things):
            base_height = _heights_along(caster, np.array([thing.z]))[0]
            if sun * thing.x > caster.frontage - slope * base_height:
                shade[inst == first + index] = dark
        sweep_dir = (-sun * slope, forward)
    else:
        shade[part == P_FACADE] = 0.9 if look.weather == "overcast" else 1.0
        shade[part == P_SIDE_WALL] = 0.85

    for thing in layout.things:
        if thing.z > 90:
            continue
        if sunny:
            footprint, tall = _shadow_of(thing)
            sweep = (sweep_dir[0] * tall, sweep_dir[1] * tall)
            reach = (min(footprint[0], footprint[0] + sweep[0]),
                     max(footprint[1], footprint[1] + sweep[0]),
                     min(footprint[2], footprint[2] + sweep[1]),
                     max(footprint[3], footprint[3] + sweep[1]))
            rows, cols = _ground_window(cam, reach, height, width)
            if thing.kind == "tree":  # the trunk's line and the crown's blob
                trunk = (thing.x - 0.15, thing.x + 0.15, thing.z - 0.15, thing.z + 0.15)
                hit = _in_sweep(a[rows, cols], b[rows, cols], trunk, sweep)
                crown = thing.params[3] / thing.height
                cx, cz = thing.x + sweep[0] * crown, thing.z + sweep[1] * crown
                hit |= ((a[rows, cols] - cx) ** 2 + (b[rows, cols] - cz) ** 2
                        < (thing.length / 2) ** 2)
            else:
                hit = _in_sweep(a[rows, cols], b[rows, cols], footprint, sweep)
            region = shade[rows, cols]
            region[hit & ground[rows, cols]] = np.minimum(region[hit & ground[rows, cols]], dark)
        if thing.kind in ("car", "truck"):  # the dark road under a vehicle
            inner = (thing.x - thing.width / 2 + 0.1, thing.x + thing.width / 2 - 0.1,
                     thing.z - 0.2, thing.z + thing.length * 0.9)
            outer = (inner[0] - 0.35, inner[1] + 0.35, inner[2] - 0.35, inner[3] + 0.35)
            rows, cols = _ground_window(cam, outer, height, width)
            ga, gb, on = a[rows, cols], b[rows, cols], ground[rows, cols]
            region = shade[rows, cols]
            near = on & (ga > outer[0]) & (ga < outer[1]) & (gb > outer[2]) & (gb < outer[3])
            region[near] *= 0.8
            under = on & (ga > inner[0]) & (ga < inner[1]) & (gb > inner[2]) & (gb < inner[3])
            region[under] *= 0.45
    return shade


def street_lamp_light(glow, scene, layout):
    """Add pools of warm light on the ground under the street lamps to ``glow`` (tool)."""
    cam = layout.camera
    height, width = scene.part.shape
    ground = np.isin(scene.part, GROUND_PARTS) & (scene.inst == 0)
    for thing in layout.things:
        if thing.kind != "lamp" or thing.z > 80:
            continue
        arm, direction = thing.params
        cx = thing.x + arm * direction
        rows, cols = _ground_window(cam, (cx - 7, cx + 7, thing.z - 7, thing.z + 7), height, width)
        da = scene.coord_a[rows, cols] - cx
        db = scene.coord_b[rows, cols] - thing.z
        pool = np.exp(-(da * da + db * db) / 18.0) * ground[rows, cols]
        glow[rows, cols] += pool[..., None] * np.array((0.45, 0.35, 0.2), np.float32)
