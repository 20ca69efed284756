"""Projecting a street layout into the image and drawing it into a label map, part by part.

Part of the synthetic streets introduced in notebook 01 (``streets`` renders a pair).
``rasterise`` projects a layout (``streets_layout``, in metres) through its pinhole camera:
for every pixel column it finds where the ray meets the ground, a facade, the side wall of
the next building through a gap, or what stands behind, then draws the things from far to
near, each from its shape function in metres, so nearer ones hide farther ones. The result
(``Scene``) holds per pixel the class (the label map), a finer part (what the photo paints:
a car's glass, a person's shoes), the instance, the depth and surface coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from p2plib.datasets.painting import pixel_centres
from p2plib.datasets.storage import parse_image_size
from p2plib.datasets.streets_layout import (
    BICYCLE,
    BUILDING,
    CAR,
    CAR_VARIANTS,
    FENCE,
    PERSON,
    POLE,
    RIDER,
    ROAD,
    SIDEWALK,
    SKY,
    TERRAIN,
    TRAFFIC_LIGHT,
    TRAFFIC_SIGN,
    TRUCK,
    VEGETATION,
    WALL,
    Camera,
    Side,
    StreetLayout,
    Thing,
)

__all__ = ["GROUND_PARTS", "PARTS", "Scene", "covered_pixels", "rasterise", "street_mask"]

_FAR = 1e4  # depth given to the sky, metres

PARTS = (
    ("none", SKY), ("sky", SKY), ("road", ROAD), ("curb", SIDEWALK), ("sidewalk", SIDEWALK),
    ("terrain", TERRAIN), ("facade", BUILDING), ("side wall", BUILDING),
    ("far building", BUILDING), ("wall", WALL), ("fence", FENCE), ("hedge", VEGETATION),
    ("tree line", VEGETATION), ("crown", VEGETATION), ("trunk", VEGETATION), ("pole", POLE),
    ("lamp", POLE), ("sign", TRAFFIC_SIGN), ("light box", TRAFFIC_LIGHT),
    ("red lamp", TRAFFIC_LIGHT), ("amber lamp", TRAFFIC_LIGHT), ("green lamp", TRAFFIC_LIGHT),
    ("body", CAR), ("glass", CAR), ("tail light", CAR), ("head light", CAR), ("plate", CAR),
    ("tyre", CAR), ("bumper", CAR), ("skin", PERSON), ("hair", PERSON), ("top", PERSON),
    ("trousers", PERSON), ("shoe", PERSON), ("frame", BICYCLE), ("wheel", BICYCLE),
)
"""The parts, (name, class id) (tool): what each pixel shows, finer than its class; the photo
is painted by part. A part id is the index into this tuple (``P_NONE``, ``P_SKY``, ...)."""
(P_NONE, P_SKY, P_ROAD, P_CURB, P_SIDEWALK, P_TERRAIN, P_FACADE, P_SIDE_WALL, P_FAR_BUILDING,
 P_WALL, P_FENCE, P_HEDGE, P_TREE_LINE, P_CROWN, P_TRUNK, P_POLE, P_LAMP, P_SIGN, P_LIGHT_BOX,
 P_RED, P_AMBER, P_GREEN, P_BODY, P_GLASS, P_TAIL, P_HEAD, P_PLATE, P_TYRE, P_BUMPER, P_SKIN,
 P_HAIR, P_TOP, P_TROUSERS, P_SHOE, P_FRAME, P_WHEEL) = range(len(PARTS))
_PART_CLASS = np.array([class_id for _, class_id in PARTS], dtype=np.uint8)
_BARRIER_PART = {WALL: P_WALL, FENCE: P_FENCE, VEGETATION: P_HEDGE}
GROUND_PARTS = (P_ROAD, P_CURB, P_SIDEWALK, P_TERRAIN)
"""The parts that are the ground itself (tool)."""
_KINDS = {"building": 0, "open": 1, "junction": 2}


@dataclass
class Scene:
    """A rasterised layout: per pixel part, class, instance, depth, surface coordinates (tool).

    Instance 0 is the street itself (ground and sky), 1.. the blocks of the left then the right
    side, then the things in layout order. The coordinates are, in metres: (x, z) on the
    ground, (z, height) on facades and what stands on the building line or behind it, (x,
    height) on side walls; on things (u, v) across their box (0..1, v down).
    """

    part: np.ndarray
    mask: np.ndarray
    inst: np.ndarray
    depth: np.ndarray
    coord_a: np.ndarray
    coord_b: np.ndarray
    marking: np.ndarray  # how much of each road pixel is covered by paint, 0..1
    xs: np.ndarray
    ys: np.ndarray


def _block_arrays(side: Side):
    blocks = side.blocks
    starts = np.array([b.start for b in blocks])
    kinds = np.array([_KINDS[b.kind] for b in blocks])
    heights = np.array([b.height for b in blocks], np.float32)
    barrier_parts = np.array([_BARRIER_PART.get(b.barrier, P_NONE) for b in blocks], np.uint8)
    backdrops = np.array([b.backdrop for b in blocks], np.float32)
    next_start = np.full(len(blocks), math.inf)
    next_height = np.zeros(len(blocks), np.float32)
    next_index = np.arange(len(blocks))
    upcoming = None
    for index in range(len(blocks) - 1, -1, -1):
        if upcoming is not None:
            next_start[index] = blocks[upcoming].start
            next_height[index] = blocks[upcoming].height
            next_index[index] = upcoming
        if blocks[index].kind == "building":
            upcoming = index
    return starts, kinds, heights, barrier_parts, backdrops, next_start, next_height, next_index


def _ground_parts(x_abs, z, side: Side, junction):
    """Parts of ground points inside the street on one side, by distance from the centre."""
    curb, outer = side.curb, side.curb + side.curb_width
    part = np.where(x_abs < curb, P_ROAD, P_CURB)
    part = np.where(x_abs >= outer, np.where(x_abs < outer + side.verge, P_TERRAIN, P_SIDEWALK),
                    part)
    if junction is not None:
        corner = min(4.0, side.frontage - curb)
        in_junction = (z > junction[0]) & (z < junction[1])
        middle = (z > junction[0] + corner) & (z < junction[1] - corner)
        part = np.where(in_junction & (middle | (x_abs < curb)), P_ROAD,
                        np.where(in_junction, P_SIDEWALK, part))
    return part.astype(np.uint8)


def _surfaces(scene: Scene, layout: StreetLayout, side: Side, sign: int, cols: slice,
              first_inst: int) -> None:
    """Ground, facades and what lies beyond the building line, for the columns of one side."""
    cam = layout.camera
    xs = scene.xs[cols]
    if xs.size == 0:
        return
    starts, kinds, heights, barriers, backdrops, next_start, next_height, next_index = (
        _block_arrays(side))
    lateral = np.maximum(sign * (xs - cam.centre) / cam.focal_x, 1e-6)[None, :]  # x / z
    drop = ((scene.ys - cam.horizon) / cam.focal_y)[:, None]  # (camera height - y) / z
    with np.errstate(divide="ignore"):
        z_ground = np.where(drop > 0, cam.height / np.maximum(drop, 1e-9), math.inf)
    z_front = side.frontage / lateral
    block = np.searchsorted(starts, z_front[0], side="right") - 1
    kind, height = kinds[block][None, :], heights[block][None, :]
    y_front = cam.height - drop * z_front
    inside = y_front < 0  # the ray meets the ground before the building line

    part = np.full(y_front.shape, P_SKY, np.uint8)
    inst = np.zeros(y_front.shape, np.int32)
    depth = np.full(y_front.shape, _FAR, np.float32)
    coord_a = np.zeros(y_front.shape, np.float32)
    coord_b = np.zeros(y_front.shape, np.float32)

    x_ground = lateral * z_ground
    ground = np.broadcast_to(z_ground, y_front.shape)
    part = np.where(inside, _ground_parts(x_ground, z_ground, side, layout.junction), part)

    front_part = np.where(kind == 0, P_FACADE, barriers[block][None, :])
    front = ~inside & (y_front < height) & (front_part != P_NONE)
    part = np.where(front, front_part, part)

    # Through a gap: the side wall of the next building, the ground, or what stands behind.
    beyond = ~inside & ~front & (kind != 0)
    z_side = next_start[block][None, :]
    valid = z_side * lateral <= side.frontage + side.depth
    y_side = cam.height - drop * np.where(valid, z_side, 0.0)
    side_hit = beyond & valid & (y_side >= 0) & (y_side < next_height[block][None, :])
    z_back = (side.frontage + side.depth) / lateral
    y_back = cam.height - drop * z_back
    ground_beyond = beyond & ~side_hit & (y_back < 0)
    back_hit = beyond & ~side_hit & ~ground_beyond & (y_back < backdrops[block][None, :])
    if layout.junction is not None:
        start, stop = layout.junction
        corner = min(4.0, side.frontage - side.curb)
        cross_road = (z_ground > start + corner) & (z_ground < stop - corner)
        beyond_part = np.where(kind == 2, np.where(cross_road, P_ROAD, P_SIDEWALK), P_TERRAIN)
    else:
        beyond_part = np.full(kind.shape, P_TERRAIN)
    part = np.where(ground_beyond, beyond_part, part)
    part = np.where(side_hit, P_SIDE_WALL, part)
    part = np.where(back_hit, np.where(kind == 2, P_FAR_BUILDING, P_TREE_LINE), part)

    on_ground = inside | ground_beyond
    depth = np.where(on_ground, ground, depth)
    coord_a = np.where(on_ground, sign * x_ground, coord_a)
    coord_b = np.where(on_ground, ground, coord_b)
    on_front = front | back_hit
    z_plane = np.where(front, z_front, z_back)
    depth = np.where(on_front, z_plane, depth)
    coord_a = np.where(on_front, z_plane, coord_a)
    coord_b = np.where(on_front, np.where(front, y_front, y_back), coord_b)
    inst = np.where(on_front, first_inst + block[None, :], inst)
    depth = np.where(side_hit, z_side, depth)
    coord_a = np.where(side_hit, sign * lateral * z_side, coord_a)
    coord_b = np.where(side_hit, y_side, coord_b)
    inst = np.where(side_hit, first_inst + next_index[block][None, :], inst)

    scene.part[:, cols] = part
    scene.inst[:, cols] = inst
    scene.depth[:, cols] = depth
    scene.coord_a[:, cols] = coord_a
    scene.coord_b[:, cols] = coord_b


def _cover_road_markings(scene: Scene, layout: StreetLayout) -> None:
    """How much lane markings, zebras and stop lines cover each road pixel (anti-aliased)."""
    cam = layout.camera
    height, width = scene.part.shape
    road = np.flatnonzero(scene.part == P_ROAD)
    x = scene.coord_a.ravel()[road]
    z = scene.coord_b.ravel()[road]
    across = z / (cam.focal_x * width)  # metres per pixel across the road
    along = z * z / (cam.height * cam.focal_y * height)  # metres per pixel along it
    cover = np.zeros(road.size, np.float32)
    for marking in layout.markings:
        line = np.clip((marking.width / 2 - np.abs(x - marking.x)) / across + 0.5, 0, 1)
        if marking.dash < marking.period:
            on = ((z + marking.phase) % marking.period) < marking.dash
            duty = marking.dash / marking.period
            line = line * np.where(along > marking.period / 3, duty, on)
        cover = np.maximum(cover, line)
    if layout.junction is not None:
        cover[(z > layout.junction[0]) & (z < layout.junction[1])] = 0
    for band in layout.bands:
        inside = (z >= band.start) & (z < band.stop) & (x >= band.left) & (x < band.right)
        if band.period:
            stripe = np.where(across > band.period / 3, 0.5,
                              ((x - band.left) % band.period) < band.period / 2)
        else:
            stripe = 1.0
        cover = np.maximum(cover, inside * stripe)
    scene.marking.ravel()[road] = cover


def covered_pixels(start: float, stop: float, pixels: int) -> tuple[int, int]:
    """The pixels whose centres lie in [start, stop), in fractions of a side of ``pixels``
    (tool)."""
    first = math.ceil(min(max(start, -1.0), 2.0) * pixels - 0.5)
    last = math.ceil(min(max(stop, -1.0), 2.0) * pixels - 0.5)
    return max(first, 0), min(last, pixels)


def _near_segment(m, y, p, q, half):
    """Whether points (m, y) lie within ``half`` of the segment from ``p`` to ``q``."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    t = np.clip(((m - p[0]) * dx + (y - p[1]) * dy) / (dx * dx + dy * dy), 0, 1)
    return (m - p[0] - t * dx) ** 2 + (y - p[1] - t * dy) ** 2 < half * half


def _car_shape(m, y, thing, pixel):
    _, _, _, _, shoulder, roof = CAR_VARIANTS[thing.variant]
    du = np.abs(m) / thing.width  # 0 at the centre line, 0.5 at the sides
    v = 1 - y / thing.height  # 0 at the roof, 1 on the road
    parts = np.zeros(np.broadcast_shapes(du.shape, v.shape), np.uint8)
    cabin_half = (roof + (0.45 - roof) * np.clip(v / shoulder, 0, 1) ** 0.7
                  - 0.06 * np.clip(1 - v / 0.07, 0, 1))
    cabin = (v >= 0) & (v < shoulder) & (du < cabin_half)
    body = (v >= shoulder) & (v < 0.88) & (
        du < 0.47 - 0.03 * np.clip(1 - (v - shoulder) / 0.08, 0, 1))
    mirror = (v >= shoulder - 0.09) & (v < shoulder - 0.02) & (du >= 0.38) & (du < 0.5)
    parts[cabin | body | mirror] = P_BODY
    parts[cabin & (v > 0.07) & (v < shoulder - 0.04) & (du < cabin_half - 0.06)] = P_GLASS
    if thing.facing > 0:
        lights = (v > shoulder + 0.03) & (v < shoulder + 0.15) & (du > 0.3) & (du < 0.45)
        plate = (v > 0.64) & (v < 0.73) & (du < 0.13)
        parts[lights] = P_TAIL
    else:
        lights = (v > shoulder + 0.1) & (v < shoulder + 0.2) & (du > 0.26) & (du < 0.43)
        plate = (v > 0.7) & (v < 0.78) & (du < 0.13)
        parts[(v > shoulder + 0.1) & (v < shoulder + 0.24) & (du < 0.2)] = P_BUMPER
        parts[lights] = P_HEAD
    parts[body & (v > 0.77) & ~plate] = P_BUMPER
    parts[plate] = P_PLATE
    parts[(v >= 0.78) & (v < 1.0) & (du > 0.29) & (du < 0.45)] = P_TYRE
    return parts


def _truck_shape(m, y, thing, pixel):
    du = np.abs(m) / thing.width
    v = 1 - y / thing.height
    parts = np.zeros(np.broadcast_shapes(du.shape, v.shape), np.uint8)
    parts[(v >= 0) & (v < 0.84) & (du < 0.5)] = P_BODY
    if thing.facing > 0:
        parts[(v > 0.74) & (v < 0.81) & (du > 0.36) & (du < 0.47)] = P_TAIL
        parts[(v > 0.74) & (v < 0.82) & (du < 0.1)] = P_PLATE
    else:
        parts[(v > 0.34) & (v < 0.55) & (du < 0.42)] = P_GLASS
        parts[(v > 0.6) & (v < 0.78) & (du < 0.25)] = P_BUMPER
        parts[(v > 0.7) & (v < 0.77) & (du > 0.3) & (du < 0.44)] = P_HEAD
    parts[(v >= 0.84) & (v < 0.9) & (du < 0.46)] = P_BUMPER
    parts[(v >= 0.8) & (v < 1.0) & (du > 0.18) & (du < 0.45)] = P_TYRE
    return parts


def _head(parts, m, y, centre, radius, front):
    head = (m - centre[0]) ** 2 + (y - centre[1]) ** 2 < radius * radius
    parts[head] = P_SKIN
    hair = head & ((y > centre[1] + 0.02) if front else (y > centre[1] - 0.07))
    parts[hair] = P_HAIR


def _person_shape(m, y, thing, pixel):
    height, stride = thing.height, thing.params[0]
    am = np.abs(m)
    parts = np.zeros(np.broadcast_shapes(m.shape, y.shape), np.uint8)
    hip = 0.52 * height
    shoulder = height - 0.24
    thin = 0.51 * pixel[0]  # nothing narrower than a pixel
    spread = 0.085 + stride * np.clip(1 - y / hip, 0, 1)
    legs = (y >= 0) & (y < hip) & (np.abs(am - spread) < max(0.07, thin))
    parts[legs] = P_TROUSERS if thing.variant != 1 else P_SKIN
    parts[legs & (y < 0.07)] = P_SHOE
    waist = 0.3 * height if thing.variant else hip
    torso_half = 0.16 + 0.035 * np.clip((y - hip) / (shoulder - hip), 0, 1)
    torso_half = np.where(y < hip, 0.19 + 0.08 * np.clip((hip - y) / (hip - waist + 1e-6), 0, 1),
                          torso_half)
    torso = (y >= waist) & (y < shoulder) & (am < np.maximum(torso_half, thin))
    parts[torso] = P_TOP
    if thing.variant == 1:
        parts[torso & (y < hip)] = P_TROUSERS  # a skirt
    arms = (am >= 0.15) & (am < 0.245) & (y >= 0.45 * height) & (y < height - 0.27)
    parts[arms] = P_TOP
    parts[(am >= 0.16) & (am < 0.24) & (y >= 0.4 * height) & (y < 0.45 * height)] = P_SKIN
    parts[(am < 0.05) & (y >= height - 0.26) & (y < height - 0.2)] = P_SKIN
    _head(parts, m, y, (0.0, height - 0.115), 0.105, thing.facing < 0)
    return parts


def _cyclist_shape(m, y, thing, pixel):
    parts = np.zeros(np.broadcast_shapes(m.shape, y.shape), np.uint8)
    height = thing.height
    if thing.variant == 0:  # from behind
        am = np.abs(m)
        thin = 0.51 * pixel[0]
        parts[(am < max(0.035, thin)) & (y >= 0) & (y < 0.68)] = P_WHEEL
        parts[(am < 0.1) & (y >= 0.62) & (y < 0.7)] = P_FRAME
        parts[(am < 0.31) & (np.abs(y - 1.04) < max(0.025, 0.51 * pixel[1]))] = P_FRAME
        for side, low in ((-1, 0.25), (1, 0.45)):
            leg = (np.abs(m - side * 0.1) < max(0.055, thin)) & (y >= low) & (y < 1.0)
            parts[leg] = P_TROUSERS
            parts[leg & (y < low + 0.07)] = P_SHOE
        parts[(am < 0.2) & (y >= 0.98) & (y < height - 0.24)] = P_TOP
        parts[(am >= 0.19) & (am < 0.27) & (y >= 1.06) & (y < height - 0.3)] = P_TOP
        parts[(am >= 0.24) & (am < 0.31) & (y >= 1.0) & (y < 1.07)] = P_SKIN
        _head(parts, m, y, (0.0, height - 0.12), 0.11, False)
        return parts
    mm = m * thing.facing  # from the side, riding towards +mm
    scale = height / 1.85
    ring = max(0.05, 0.51 * pixel[0])
    for hub in (-0.53, 0.53):
        distance = np.sqrt((mm - hub) ** 2 + (y - 0.34) ** 2)
        parts[(distance < 0.34) & (distance > 0.34 - ring)] = P_WHEEL
    rear, front, crank = (-0.53, 0.34), (0.53, 0.34), (0.0, 0.3)
    seat, head_tube, bar = (-0.16, 0.9), (0.4, 0.88), (0.45, 1.02)
    tube = max(0.025, 0.51 * pixel[0])
    for p, q in ((rear, crank), (rear, seat), (seat, crank), (seat, head_tube),
                 (head_tube, crank), (head_tube, front), (head_tube, bar)):
        parts[_near_segment(mm, y, p, q, tube)] = P_FRAME
    hip, shoulder = (-0.14, 0.98 * scale), (0.18, 1.42 * scale)
    for knee, foot in (((0.14, 0.68), (0.05, 0.24)), ((0.02, 0.62), (-0.06, 0.36))):
        leg = _near_segment(mm, y, hip, knee, 0.065) | _near_segment(mm, y, knee, foot, 0.055)
        parts[leg] = P_TROUSERS
    parts[_near_segment(mm, y, hip, shoulder, 0.08)] = P_TOP
    parts[_near_segment(mm, y, shoulder, bar, max(0.04, tube))] = P_TOP
    _head(parts, mm, y, (0.3, 1.6 * scale), 0.11, True)
    return parts


def _lamp_shape(m, y, thing, pixel):
    arm, direction = thing.params
    top = thing.height
    parts = np.zeros(np.broadcast_shapes(m.shape, y.shape), np.uint8)
    reach = m * direction
    parts[(np.abs(m) < max(0.09, 0.51 * pixel[0])) & (y >= 0) & (y < top)] = P_POLE
    parts[(reach > 0) & (reach < arm) & (np.abs(y - top + 0.06) < max(0.05, 0.51 * pixel[1]))] = (
        P_POLE)
    parts[(np.abs(reach - arm) < 0.35) & (y > top - 0.22) & (y < top)] = P_LAMP
    return parts


def _sign_shape(m, y, thing, pixel):
    size, second = thing.params
    centre = thing.height - size / 2
    parts = np.zeros(np.broadcast_shapes(m.shape, y.shape), np.uint8)
    parts[(np.abs(m) < max(0.035, 0.51 * pixel[0])) & (y >= 0) & (y < centre)] = P_POLE
    if thing.variant == 0:  # round
        plate = m * m + (y - centre) ** 2 < (size / 2) ** 2
    elif thing.variant == 1:  # triangle, point up
        apex, base = centre + 0.45 * size, centre - 0.42 * size
        plate = (y >= base) & (y < apex) & (np.abs(m) < (apex - y) / (apex - base) * 0.55 * size)
    else:  # rectangle
        plate = (np.abs(m) < 0.45 * size) & (np.abs(y - centre) < 0.32 * size)
    parts[plate] = P_SIGN
    if second:
        parts[(np.abs(m) < 0.45 * size) & (np.abs(y - (centre - size / 2 - 0.2)) < 0.15)] = P_SIGN
    return parts


def _light_shape(m, y, thing, pixel):
    arm, direction = thing.params
    top = thing.height
    parts = np.zeros(np.broadcast_shapes(m.shape, y.shape), np.uint8)
    reach = m * direction
    if thing.variant == 1:  # mast arm, the signal hanging over the road
        parts[(np.abs(m) < max(0.1, 0.51 * pixel[0])) & (y >= 0) & (y < top)] = P_POLE
        parts[(reach > 0) & (reach < arm) & (np.abs(y - top + 0.1) < max(0.07, pixel[1]))] = P_POLE
        box_centre, box_top = arm, top - 0.2
    else:
        parts[(np.abs(m) < max(0.07, 0.51 * pixel[0])) & (y >= 0) & (y < top - 0.9)] = P_POLE
        box_centre, box_top = 0.0, top
    across = reach - box_centre
    parts[(np.abs(across) < 0.17) & (y < box_top) & (y >= box_top - 0.95)] = P_LIGHT_BOX
    for offset, lamp in ((0.17, P_RED), (0.47, P_AMBER), (0.77, P_GREEN)):
        parts[across ** 2 + (y - box_top + offset) ** 2 < 0.1 ** 2] = lamp
    return parts


def _tree_shape(m, y, thing, pixel):
    trunk, base = thing.params[:2]
    parts = np.zeros(np.broadcast_shapes(m.shape, y.shape), np.uint8)
    parts[(np.abs(m) < max(trunk / 2, 0.51 * pixel[0])) & (y >= 0) & (y < base + 0.8)] = P_TRUNK
    blobs = thing.params[2:]
    for index in range(0, len(blobs), 4):
        dm, centre, radius, phase = blobs[index:index + 4]
        dx, dy = m - dm, y - centre
        angle = np.arctan2(dy, dx)
        wobble = 1 + 0.08 * np.sin(7 * angle + phase) + 0.05 * np.sin(13 * angle + 2 * phase)
        parts[dx * dx + dy * dy < (radius * wobble) ** 2] = P_CROWN
    return parts


_SHAPES = {"car": _car_shape, "truck": _truck_shape, "person": _person_shape,
           "cyclist": _cyclist_shape, "lamp": _lamp_shape, "sign": _sign_shape,
           "light": _light_shape, "tree": _tree_shape}
_CLASS_OVERRIDES = {"truck": (CAR, TRUCK), "cyclist": (PERSON, RIDER)}


def _draw_thing(scene: Scene, cam: Camera, thing: Thing, inst: int) -> None:
    height, width = scene.part.shape
    z = thing.z
    pixel = (z / (cam.focal_x * width), z / (cam.focal_y * height))  # metres per pixel
    half = thing.width / 2 + pixel[0]
    c0, c1 = covered_pixels(cam.column(thing.x - half, z), cam.column(thing.x + half, z), width)
    r0, r1 = covered_pixels(cam.row(thing.height + pixel[1], z), cam.row(0.0, z), height)
    if c0 >= c1 or r0 >= r1:
        return
    m = ((scene.xs[c0:c1] - cam.centre) * z / cam.focal_x - thing.x)[None, :]
    y = (cam.height - (scene.ys[r0:r1] - cam.horizon) * z / cam.focal_y)[:, None]
    parts = _SHAPES[thing.kind](m, y, thing, pixel)
    covered = parts != P_NONE
    if not covered.any():
        return
    classes = _PART_CLASS[parts]
    if thing.kind in _CLASS_OVERRIDES:
        old, new = _CLASS_OVERRIDES[thing.kind]
        classes[classes == old] = new
    window = (slice(r0, r1), slice(c0, c1))
    u = np.broadcast_to(m / thing.width + 0.5, parts.shape)
    v = np.broadcast_to(1 - y / thing.height, parts.shape)
    for array, values in ((scene.part, parts), (scene.mask, classes), (scene.inst, inst),
                          (scene.depth, z), (scene.coord_a, u), (scene.coord_b, v),
                          (scene.marking, 0.0)):
        region = array[window]
        region[covered] = values[covered] if isinstance(values, np.ndarray) else values


def rasterise(layout: StreetLayout, image_size) -> Scene:
    """A street layout projected and drawn at ``image_size``, far to near (tool)."""
    height, width = parse_image_size(image_size)
    scene = Scene(
        part=np.full((height, width), P_SKY, np.uint8),
        mask=np.zeros((height, width), np.uint8),
        inst=np.zeros((height, width), np.int32),
        depth=np.full((height, width), _FAR, np.float32),
        coord_a=np.zeros((height, width), np.float32),
        coord_b=np.zeros((height, width), np.float32),
        marking=np.zeros((height, width), np.float32),
        xs=pixel_centres(width).astype(np.float32),
        ys=pixel_centres(height).astype(np.float32),
    )
    split = int(np.searchsorted(scene.xs, layout.camera.centre))
    _surfaces(scene, layout, layout.left, -1, slice(0, split), 1)
    _surfaces(scene, layout, layout.right, 1, slice(split, width), 1 + len(layout.left.blocks))
    _cover_road_markings(scene, layout)
    scene.mask[:] = _PART_CLASS[scene.part]
    first = 1 + len(layout.left.blocks) + len(layout.right.blocks)
    for index, thing in enumerate(layout.things):
        _draw_thing(scene, layout.camera, thing, first + index)
    return scene


def street_mask(layout: StreetLayout, image_size=256) -> np.ndarray:
    """A street layout rasterised into a uint8 HxW mask of class ids (tool)."""
    return rasterise(layout, image_size).mask
