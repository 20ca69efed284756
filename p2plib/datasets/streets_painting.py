"""Painting the photo of a street: colours, sky, facades, road and pavement, cars and people.

Part of the synthetic streets introduced in notebook 01 (``streets`` renders a pair). The
photo has a seed of its own: ``render_street_photo`` samples the look of one photo (time of
day and weather, the colour of every car and building, clothes, the season of the trees),
paints every pixel of the rasterised scene (``streets_shapes``) by its part and surface
coordinates, lights it (``streets_lighting``), then adds haze, vignetting and sensor noise.
The label map stays the same whatever the photo's seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from p2plib.datasets.painting import (
    child_rng,
    finish_photo,
    jitter,
    pick,
    sky_colours,
    sky_gradient,
    value_noise,
)
from p2plib.datasets.storage import parse_image_size
from p2plib.datasets.streets_layout import StreetLayout
from p2plib.datasets.streets_lighting import light_and_shadows, street_lamp_light
from p2plib.datasets.streets_shapes import (
    P_AMBER,
    P_BODY,
    P_BUMPER,
    P_CROWN,
    P_CURB,
    P_FACADE,
    P_FAR_BUILDING,
    P_FENCE,
    P_FRAME,
    P_GLASS,
    P_GREEN,
    P_HAIR,
    P_HEAD,
    P_HEDGE,
    P_LAMP,
    P_LIGHT_BOX,
    P_PLATE,
    P_POLE,
    P_RED,
    P_ROAD,
    P_SHOE,
    P_SIDE_WALL,
    P_SIDEWALK,
    P_SIGN,
    P_SKIN,
    P_SKY,
    P_TAIL,
    P_TERRAIN,
    P_TOP,
    P_TREE_LINE,
    P_TROUSERS,
    P_TRUNK,
    P_TYRE,
    P_WALL,
    P_WHEEL,
    PARTS,
    Scene,
    rasterise,
)

__all__ = ["render_street_photo"]

_CAR_COLOURS = (  # (colour, weight): mostly neutral, a good share saturated
    ((0.90, 0.90, 0.89), 3.0), ((0.05, 0.05, 0.06), 3.0), ((0.66, 0.68, 0.70), 3.0),
    ((0.38, 0.39, 0.41), 2.5), ((0.07, 0.11, 0.30), 1.2), ((0.10, 0.30, 0.75), 1.0),
    ((0.75, 0.05, 0.05), 1.2), ((0.40, 0.04, 0.06), 0.7), ((0.95, 0.78, 0.08), 0.5),
    ((0.95, 0.42, 0.04), 0.5), ((0.08, 0.45, 0.15), 0.5), ((0.06, 0.20, 0.11), 0.5),
    ((0.45, 0.65, 0.85), 0.5), ((0.04, 0.58, 0.58), 0.4), ((0.38, 0.08, 0.50), 0.3),
    ((0.78, 0.70, 0.55), 0.6), ((0.33, 0.21, 0.11), 0.5), ((0.55, 0.80, 0.10), 0.3),
    ((0.90, 0.42, 0.58), 0.2),
)
_WALL_COLOURS = (
    (0.86, 0.80, 0.66), (0.80, 0.62, 0.35), (0.84, 0.60, 0.52), (0.90, 0.86, 0.62),
    (0.75, 0.75, 0.73), (0.92, 0.92, 0.90), (0.66, 0.76, 0.64), (0.62, 0.72, 0.82),
    (0.72, 0.42, 0.30), (0.55, 0.27, 0.20), (0.45, 0.23, 0.18), (0.50, 0.50, 0.50),
    (0.30, 0.30, 0.32), (0.64, 0.58, 0.50),
)
_CLOTHES = (
    (0.08, 0.08, 0.09), (0.15, 0.2, 0.35), (0.85, 0.85, 0.83), (0.55, 0.08, 0.08),
    (0.2, 0.35, 0.6), (0.5, 0.5, 0.5), (0.65, 0.55, 0.35), (0.15, 0.35, 0.2),
    (0.9, 0.7, 0.1), (0.75, 0.3, 0.45), (0.35, 0.25, 0.15), (0.9, 0.4, 0.1),
)
_SKIN = ((0.92, 0.76, 0.64), (0.82, 0.62, 0.48), (0.62, 0.42, 0.3), (0.42, 0.28, 0.2),
         (0.28, 0.18, 0.13))
_HAIR = ((0.06, 0.05, 0.05), (0.25, 0.15, 0.08), (0.55, 0.42, 0.22), (0.75, 0.65, 0.45),
         (0.6, 0.6, 0.6))
_SEASONS = (  # (foliage, grass)
    ((0.20, 0.36, 0.12), (0.32, 0.48, 0.18)),  # summer
    ((0.34, 0.52, 0.16), (0.38, 0.56, 0.2)),  # spring
    ((0.13, 0.25, 0.09), (0.30, 0.42, 0.16)),  # deep summer
    ((0.62, 0.44, 0.12), (0.48, 0.46, 0.24)),  # autumn
    ((0.55, 0.24, 0.07), (0.42, 0.42, 0.22)),  # late autumn
)
_SKIES = {  # (zenith, horizon)
    "sunny": (((0.22, 0.45, 0.82), (0.70, 0.82, 0.94)),
              ((0.35, 0.55, 0.85), (0.82, 0.88, 0.94))),
    "overcast": (((0.62, 0.64, 0.68), (0.82, 0.83, 0.85)),
                 ((0.50, 0.52, 0.55), (0.72, 0.72, 0.74))),
    "dusk": (((0.10, 0.14, 0.32), (0.92, 0.55, 0.32)),
             ((0.18, 0.16, 0.36), (0.95, 0.70, 0.50))),
}


@dataclass
class _Look:
    """The appearance of one photo: weather, light and the colour of every instance."""

    weather: str
    zenith: np.ndarray
    horizon: np.ndarray
    colours: np.ndarray  # [instances, parts, 3]
    noise: np.ndarray  # a random lattice for value_noise
    random: np.ndarray  # [1024, 4] uniform numbers, looked up by hashes
    foliage: np.ndarray


def _part_colours(rng, weather) -> tuple[np.ndarray, np.ndarray]:
    """Default colour of every part for this photo, and the foliage colour."""
    colours = np.zeros((len(PARTS), 3), np.float32)
    foliage, grass = (np.array(c, np.float32) for c in _SEASONS[int(rng.integers(len(_SEASONS)))])
    grey = rng.uniform(0.2, 0.42)
    colours[P_ROAD] = np.clip(grey + rng.normal(0, 0.012, 3), 0, 1)
    colours[P_CURB] = jitter(rng, np.full(3, 0.68, np.float32))
    colours[P_SIDEWALK] = jitter(rng, pick(rng, ((0.62, 0.62, 0.6), (0.55, 0.55, 0.56),
                                                   (0.62, 0.45, 0.4), (0.7, 0.65, 0.55))))
    colours[P_TERRAIN] = jitter(rng, grass)
    colours[P_WALL] = jitter(rng, pick(rng, ((0.6, 0.58, 0.55), (0.55, 0.35, 0.28),
                                               (0.75, 0.72, 0.65))))
    colours[P_FENCE] = jitter(rng, pick(rng, ((0.45, 0.32, 0.2), (0.18, 0.2, 0.2),
                                                (0.55, 0.55, 0.55), (0.15, 0.3, 0.18))))
    colours[P_HEDGE] = colours[P_TREE_LINE] = colours[P_CROWN] = jitter(rng, foliage)
    colours[P_TRUNK] = jitter(rng, np.array((0.3, 0.24, 0.18), np.float32))
    colours[P_POLE] = jitter(rng, pick(rng, ((0.45, 0.46, 0.47), (0.12, 0.13, 0.13),
                                               (0.15, 0.25, 0.2), (0.6, 0.6, 0.6))))
    colours[P_LAMP] = colours[P_POLE] * 0.9 + 0.05
    colours[P_SIGN] = (0.9, 0.9, 0.9)
    colours[P_LIGHT_BOX] = jitter(rng, pick(rng, ((0.1, 0.1, 0.1), (0.2, 0.2, 0.2),
                                                    (0.75, 0.6, 0.1))))
    colours[P_RED] = (0.22, 0.05, 0.05)
    colours[P_AMBER] = (0.22, 0.15, 0.04)
    colours[P_GREEN] = (0.04, 0.18, 0.1)
    colours[P_GLASS] = (0.1, 0.12, 0.15)
    colours[P_TAIL] = (0.55, 0.04, 0.04)
    colours[P_HEAD] = (0.8, 0.8, 0.78)
    colours[P_PLATE] = (0.88, 0.88, 0.85)
    colours[P_TYRE] = (0.05, 0.05, 0.05)
    colours[P_BUMPER] = (0.12, 0.12, 0.13)
    colours[P_SHOE] = (0.1, 0.09, 0.08)
    colours[P_WHEEL] = (0.06, 0.06, 0.06)
    return colours, foliage


def _sample_look(rng, layout: StreetLayout, n_instances: int) -> _Look:
    weather = ("sunny", "overcast", "dusk")[int(rng.choice(3, p=[0.45, 0.33, 0.22]))]
    zenith, horizon = sky_colours(rng, _SKIES[weather], 0.02)
    defaults, foliage = _part_colours(rng, weather)
    colours = np.repeat(defaults[None], n_instances, axis=0)
    blocks = layout.left.blocks + layout.right.blocks
    walls = np.array(_WALL_COLOURS, np.float32)[rng.integers(len(_WALL_COLOURS),
                                                             size=(len(blocks), 2))]
    walls = walls * rng.uniform(0.9, 1.1, (len(blocks), 2, 1)) + rng.normal(0, 0.03, walls.shape)
    walls = np.clip(walls, 0, 1)
    colours[1:1 + len(blocks), P_FACADE] = colours[1:1 + len(blocks), P_SIDE_WALL] = walls[:, 0]
    colours[1:1 + len(blocks), P_FAR_BUILDING] = walls[:, 1]
    first = 1 + len(blocks)
    car_colours, car_weights = zip(*_CAR_COLOURS, strict=True)
    for index, thing in enumerate(layout.things):
        row = colours[first + index]
        if thing.kind in ("car", "truck"):
            body = jitter(rng, pick(rng, car_colours, car_weights), 0.02)
            row[P_BODY] = body
            if rng.random() < 0.4:
                row[P_BUMPER] = body * 0.9
        elif thing.kind in ("person", "cyclist"):
            row[P_SKIN] = jitter(rng, pick(rng, _SKIN), 0.02)
            row[P_HAIR] = jitter(rng, pick(rng, _HAIR), 0.02)
            row[P_TOP] = jitter(rng, pick(rng, _CLOTHES))
            row[P_TROUSERS] = jitter(rng, pick(rng, _CLOTHES[:7]))
            row[P_FRAME] = np.clip(rng.uniform(0, 1, 3) ** 1.5, 0, 1)
        elif thing.kind == "tree":
            row[P_CROWN] = jitter(rng, foliage, 0.025)
    return _Look(weather=weather, zenith=zenith, horizon=horizon, colours=colours,
                 noise=rng.standard_normal((64, 64)).astype(np.float32),
                 random=rng.random((1024, 4)).astype(np.float32), foliage=foliage)


def _paint_sky(image, scene, layout, look, rng):
    sky = np.flatnonzero(scene.part.ravel() == P_SKY)
    height, width = scene.part.shape
    rows, cols = np.divmod(sky, width)
    t = np.clip(scene.ys[rows] / layout.camera.horizon, 0, 1)[:, None] ** 1.6
    colour = sky_gradient(look.zenith, look.horizon, t)
    cover = {"sunny": rng.uniform(0.6, 1.6), "overcast": rng.uniform(-0.6, 0.2),
             "dusk": rng.uniform(0.2, 1.2)}[look.weather]
    offset = rng.uniform(0, 64, 2)
    clouds = value_noise(look.noise, scene.xs[cols] * 6 + offset[0], scene.ys[rows] * 10
                          + offset[1]) + 0.5 * value_noise(look.noise, scene.xs[cols] * 17,
                                                            scene.ys[rows] * 29 + offset[1])
    amount = np.clip((clouds - cover) * 0.8, 0, 0.85)[:, None]
    tint = {"sunny": np.float32(0.96), "overcast": look.horizon * 0.92,
            "dusk": look.horizon * 0.8 + 0.1}[look.weather]
    image.reshape(-1, 3)[sky] = colour * (1 - amount) + tint * amount


def _hash(look, *indices):
    """One of ``look.random``'s rows for each combination of integer indices."""
    key = np.zeros_like(indices[0], dtype=np.int64)
    for multiplier, index in zip((73856093, 19349663, 83492791), indices, strict=False):
        key = key ^ (index.astype(np.int64) * multiplier)
    return look.random[key & 1023]


def _paint_facades(image, glow, scene, layout, look, rng):
    """Windows in rows, shop fronts, doors and cornices on the facades (fading with distance)."""
    cam = layout.camera
    height, width = scene.part.shape
    blocks = layout.left.blocks + layout.right.blocks
    n_blocks = len(blocks)
    # per-block style, drawn for every block so the draws do not depend on what is visible
    floor = rng.uniform(2.9, 3.6, n_blocks)
    ground = floor * rng.uniform(1.1, 1.5, n_blocks)
    bay = rng.uniform(2.2, 3.6, n_blocks)
    bay_offset = rng.uniform(0, 3.6, n_blocks)
    glassy = rng.random(n_blocks) < 0.12
    window_width = np.where(glassy, 0.9, rng.uniform(0.35, 0.6, n_blocks))
    window_height = np.where(glassy, 0.8, rng.uniform(0.42, 0.62, n_blocks))
    sill = np.where(glassy, 0.1, rng.uniform(0.22, 0.32, n_blocks))
    frames = np.array(((0.92, 0.92, 0.9), (0.25, 0.2, 0.15), (0.2, 0.2, 0.22)), np.float32)
    frame_colour = frames[rng.integers(len(frames), size=n_blocks)]
    glass_tint = np.clip(np.array((0.25, 0.33, 0.38), np.float32)
                         * rng.uniform(0.9, 1.1, (n_blocks, 1))
                         + rng.normal(0, 0.05, (n_blocks, 3)), 0, 1).astype(np.float32)
    trim = rng.uniform(1.05, 1.25, n_blocks)
    lit_share = rng.uniform(0.25, 0.6) if look.weather == "dusk" else 0.0
    roofs = np.array([b.height if b.kind == "building" else b.backdrop for b in blocks])
    lines = np.array([layout.left.frontage] * len(layout.left.blocks)
                     + [layout.right.frontage] * len(layout.right.blocks))
    backs = np.array([layout.left.frontage + layout.left.depth] * len(layout.left.blocks)
                     + [layout.right.frontage + layout.right.depth] * len(layout.right.blocks))

    part = scene.part.ravel()
    pixels = np.flatnonzero((part == P_FACADE) | (part == P_FAR_BUILDING))
    if pixels.size == 0:
        return
    block = scene.inst.ravel()[pixels] - 1
    along, up = scene.coord_a.ravel()[pixels], scene.coord_b.ravel()[pixels]
    lateral = np.where(part[pixels] == P_FACADE, lines[block], backs[block])
    step_along = along * along / (cam.focal_x * width * lateral)  # metres per pixel
    step_up = along / (cam.focal_y * height)
    detail = (np.clip((bay[block] / step_along - 2.5) / 2.5, 0, 1)
              * np.clip((floor[block] / step_up - 2.5) / 2.5, 0, 1))[:, None]

    q = (along - bay_offset[block]) / bay[block]
    column = np.floor(q)
    fu = q - column
    level = (up - ground[block]) / floor[block]
    storey = np.floor(level)
    fv = level - storey
    wall = image.reshape(-1, 3)[pixels]
    base = wall * (1 + 0.05 * value_noise(look.noise, along * 0.15, up * 0.15))[:, None]
    roof = roofs[block]
    upper = (up > ground[block]) & (up < roof - 0.9)
    in_window = upper & (np.abs(fu - 0.5) < window_width[block] / 2) & (fv > sill[block]) & (
        fv < sill[block] + window_height[block])
    margin = 0.12 / bay[block]
    in_frame = upper & (np.abs(fu - 0.5) < window_width[block] / 2 + margin) & (
        fv > sill[block] - 0.12 / floor[block]) & (
        fv < sill[block] + window_height[block] + 0.12 / floor[block]) & ~in_window
    shop = _hash(look, column, block)[:, 0] < 0.6
    in_shop = (up > 0.5) & (up < ground[block] - 0.6) & (np.abs(fu - 0.5) < 0.42) & shop
    in_door = (up < 2.3) & (np.abs(fu - 0.5) < 0.17) & ~shop
    cornice = (up > roof - 0.6) | (np.abs(up - ground[block]) < 0.15)

    random = _hash(look, column, storey.astype(np.int64), block)
    v_in = np.clip((fv - sill[block]) / window_height[block], 0, 1)
    sky_part = look.horizon * (0.35 + 0.5 * random[:, 1:2])
    glass = (glass_tint[block] * (1 - 0.5 * v_in[:, None]) * (0.6 + 0.6 * random[:, 2:3])
             + sky_part * (1 - v_in[:, None]) * 0.5)
    colour = np.where(cornice[:, None], np.clip(base * trim[block][:, None], 0, 1), base)
    colour = np.where(in_frame[:, None], frame_colour[block], colour)
    colour = np.where(in_window[:, None], glass, colour)
    colour = np.where(in_shop[:, None], glass * 0.8 + 0.05, colour)
    colour = np.where(in_door[:, None], base * 0.35, colour)
    window_share = (window_width * window_height)[block][:, None]
    average = base * (1 - window_share) + glass_tint[block] * 0.8 * window_share
    image.reshape(-1, 3)[pixels] = colour * detail + average * (1 - detail)
    if lit_share:
        lit = (in_window | in_shop) & (random[:, 3] < lit_share)
        warm = np.array((1.0, 0.78, 0.45), np.float32) * (0.5 + 0.4 * random[:, 0:1])
        glow.reshape(-1, 3)[pixels] += lit[:, None] * warm * detail * 0.8


def _paint_ground(image, scene, layout, look, rng):
    cam = layout.camera
    height, width = scene.part.shape
    part = scene.part.ravel()
    flat = image.reshape(-1, 3)
    road = np.flatnonzero(part == P_ROAD)
    x, z = scene.coord_a.ravel()[road], scene.coord_b.ravel()[road]
    patches = 1 + 0.07 * value_noise(look.noise, x * 0.25 + 7, z * 0.25)
    grain_rng = child_rng(rng)
    grain = 1 + 0.03 * grain_rng.standard_normal(road.size, dtype=np.float32)
    paint = np.array((0.88, 0.88, 0.86), np.float32) * rng.uniform(0.8, 1.0)
    wear = scene.marking.ravel()[road] * rng.uniform(0.6, 1.0)
    flat[road] = (flat[road] * (patches * grain)[:, None] * (1 - wear[:, None])
                  + paint * wear[:, None])

    walk = np.flatnonzero(part == P_SIDEWALK)
    x, z = scene.coord_a.ravel()[walk], scene.coord_b.ravel()[walk]
    slab = rng.uniform(0.3, 1.0)
    across = z / (cam.focal_x * width)
    along = z * z / (cam.height * cam.focal_y * height)
    joints = (((np.abs(x) % slab) < 0.04) * np.clip(slab / across / 3 - 1, 0, 1)
              + ((z % slab) < 0.04) * np.clip(slab / along / 3 - 1, 0, 1))
    shade = (1 - 0.2 * np.clip(joints, 0, 1)) * (1 + 0.05 * value_noise(look.noise, x, z * 0.5))
    flat[walk] *= shade[:, None]

    grass = np.flatnonzero((part == P_TERRAIN) | (part == P_HEDGE) | (part == P_TREE_LINE))
    a, b = scene.coord_a.ravel()[grass], scene.coord_b.ravel()[grass]
    leaves = value_noise(look.noise, a * 1.5, b * 1.5) + 0.5 * value_noise(look.noise, a * 4,
                                                                            b * 4 + 9)
    flat[grass] *= (1 + 0.14 * leaves)[:, None]


def _thing_arrays(layout: StreetLayout, n_instances: int):
    first = 1 + len(layout.left.blocks) + len(layout.right.blocks)
    size = np.ones((n_instances, 2), np.float32)
    for index, thing in enumerate(layout.things):
        size[first + index] = (thing.width, thing.height)
    return first, size


def _paint_things(image, glow, scene, layout, look, rng):
    """Shading on car bodies and glass, leaves on trees, sign faces, lamps and lights."""
    first, size = _thing_arrays(layout, look.colours.shape[0])
    part = scene.part.ravel()
    inst = scene.inst.ravel()
    u, v = scene.coord_a.ravel(), scene.coord_b.ravel()
    flat, glowing = image.reshape(-1, 3), glow.reshape(-1, 3)
    dusk = look.weather == "dusk"

    body = np.flatnonzero(part == P_BODY)
    vb, ub = v[body], u[body]
    shine = 1.08 - 0.3 * vb + 0.12 * np.exp(-((vb - 0.45) / 0.06) ** 2)
    flat[body] *= (shine * (1 - 0.2 * np.abs(ub - 0.5) ** 3 * 8))[:, None]
    glass = np.flatnonzero(part == P_GLASS)
    reflection = np.clip(1 - v[glass] * 2.2, 0, 1)[:, None]
    flat[glass] = flat[glass] + look.horizon * 0.35 * reflection

    crown = np.flatnonzero(part == P_CROWN)
    metres_u = u[crown] * size[inst[crown], 0]
    metres_v = v[crown] * size[inst[crown], 1]
    leaves = (value_noise(look.noise, metres_u * 2.5, metres_v * 2.5)
              + 0.5 * value_noise(look.noise, metres_u * 6 + 3, metres_v * 6))
    flat[crown] *= ((1 + 0.18 * leaves) * (1.1 - 0.35 * v[crown]))[:, None]

    n_things = len(layout.things)
    state = rng.choice(3, size=max(n_things, 1), p=[0.45, 0.1, 0.45])
    braking = rng.random(max(n_things, 1)) < 0.3
    schemes = rng.integers(0, 3, max(n_things, 1))
    for lamp, lit_colour in ((P_RED, (1.0, 0.15, 0.1)), (P_AMBER, (1.0, 0.7, 0.1)),
                             (P_GREEN, (0.2, 1.0, 0.5))):
        pixels = np.flatnonzero(part == lamp)
        lit = state[inst[pixels] - first] == lamp - P_RED
        glowing[pixels] += lit[:, None] * np.array(lit_colour, np.float32)
    tail = np.flatnonzero(part == P_TAIL)
    on = braking[inst[tail] - first] | dusk
    glowing[tail] += on[:, None] * np.array((0.8, 0.08, 0.05), np.float32)
    if dusk:
        head = np.flatnonzero(part == P_HEAD)
        glowing[head] += np.array((1.0, 0.95, 0.8), np.float32)
        lamps = np.flatnonzero(part == P_LAMP)
        glowing[lamps] += np.array((1.0, 0.85, 0.55), np.float32)

    sign = np.flatnonzero(part == P_SIGN)
    if sign.size:
        index = inst[sign] - first
        shape = np.array([t.variant for t in layout.things])[index]
        plate = np.array([t.params[0] if t.kind == "sign" else 1.0 for t in layout.things])[index]
        m = (u[sign] - 0.5) * size[inst[sign], 0]
        y = (1 - v[sign]) * size[inst[sign], 1]
        dy = y - (size[inst[sign], 1] - plate / 2)
        r = np.sqrt(m * m + dy * dy) / (plate / 2)
        border = np.where(shape == 0, r > 0.78, np.where(
            shape == 1, (dy < -0.3 * plate) | (np.abs(m) > (0.36 * plate - dy) * 0.45),
            np.maximum(np.abs(m) / 0.45, np.abs(dy) / 0.32) / plate > 0.85))
        symbol = (np.abs(m) < 0.12 * plate) & (np.abs(dy) < 0.12 * plate)
        scheme = schemes[index]
        red, blue, white = (np.array(c, np.float32) for c in ((0.8, 0.08, 0.08),
                                                              (0.08, 0.25, 0.65), (0.92,) * 3))
        edge = np.where((scheme == 1)[:, None], blue, red)
        face = np.where(((shape == 2) & (scheme != 2))[:, None], blue, white)
        colour = np.where(border[:, None], np.where((shape == 2)[:, None], white, edge), face)
        colour = np.where(symbol[:, None], np.float32(0.08), colour)
        colour = np.where((dy < -plate / 2)[:, None], white, colour)  # the extra plate below
        flat[sign] = colour


def render_street_photo(layout: StreetLayout, image_size=256, seed: int = 0,
                        scene: Scene | None = None) -> np.ndarray:
    """A photo (uint8 HxWx3) of a street layout; ``seed`` picks the appearance only (tool).

    ``scene`` is the layout's ``rasterise`` at this size, when the caller has it already.
    """
    height, width = parse_image_size(image_size)
    if scene is None:
        scene = rasterise(layout, (height, width))
    rng = np.random.default_rng([int(seed), 1])
    n_instances = 1 + len(layout.left.blocks) + len(layout.right.blocks) + len(layout.things)
    look = _sample_look(rng, layout, n_instances)
    image = look.colours[scene.inst, scene.part]
    glow = np.zeros_like(image)
    _paint_sky(image, scene, layout, look, rng)
    _paint_facades(image, glow, scene, layout, look, rng)
    _paint_ground(image, scene, layout, look, rng)
    _paint_things(image, glow, scene, layout, look, rng)
    shade = light_and_shadows(scene, layout, look, rng)
    if look.weather == "dusk":
        street_lamp_light(glow, scene, layout)

    exposure = {"sunny": rng.uniform(0.95, 1.12), "overcast": rng.uniform(0.82, 1.0),
                "dusk": rng.uniform(0.4, 0.6)}[look.weather]
    cast = {"sunny": (1.04, 1.0, 0.95), "overcast": (0.97, 1.0, 1.03),
            "dusk": (0.85, 0.9, 1.12)}[look.weather] * rng.uniform(0.97, 1.03, 3)
    is_sky = (scene.part == P_SKY)[..., None]
    lit = image * np.where(is_sky, 1.0, shade[..., None] * exposure * cast) + glow
    visibility = {"sunny": rng.uniform(300, 900), "overcast": rng.uniform(120, 500),
                  "dusk": rng.uniform(200, 600)}[look.weather]
    haze = (1 - np.exp(-scene.depth / visibility))[..., None]
    haze_colour = look.horizon * (exposure if look.weather == "dusk" else 1.0)
    image = np.where(is_sky, lit, lit * (1 - haze) + haze_colour * haze)
    if look.weather == "overcast":
        grey = image.mean(axis=-1, keepdims=True)
        image = grey + (image - grey) * rng.uniform(0.7, 0.9)
    rows = (scene.ys - 0.5)[:, None]
    cols = (scene.xs - 0.5)[None, :]
    image = image * (1 - rng.uniform(0.05, 0.2) * (rows * rows + cols * cols))[..., None]
    sigma = rng.uniform(0.004, 0.02)
    return finish_photo(image, sigma, child_rng(rng))
