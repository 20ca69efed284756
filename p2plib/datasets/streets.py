"""Synthetic streets: Cityscapes-like label maps of a street seen from a car, and photos.

Introduced in notebook 01, beside the synthetic facades. A layout is sampled from a seed in
world units (metres): a camera at driver's height looking down a straight street, a road
with lanes, curbs and sidewalks on both sides, blocks of buildings (with gaps behind walls,
fences or hedges, and sometimes a junction), and things standing on the ground: parked and
moving cars, vans and trucks, pedestrians, cyclists, trees, street lamps, signs and traffic
lights. Everything is projected with the same pinhole camera, in fractions of the image, so
the same seed gives the same street at any size (a rectangular image is the square one
stretched, as the 2:1 Cityscapes frames are squeezed into the pix2pix 256x256 pairs).
Things are drawn from far to near, so nearer ones hide farther ones.

The photo has a seed of its own: time of day and weather (sun with cast shadows, overcast,
dusk with lit windows and lamps), the colour of every car, the material of every building,
the windows on the facades, the season of the trees, clothes, the state of the traffic
lights, haze and sensor noise all change while the label map stays the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .palettes import nearest_class_ids
from .storage import generate_masked, parse_image_size

GENERATOR_VERSION = 1

STREET_CLASSES = (
    "road",
    "sidewalk",
    "building",
    "wall",
    "fence",
    "pole",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bicycle",
)
"""Class names; a class id is the index into this tuple (and into ``STREET_PALETTE``). The
order is that of the Cityscapes training ids, without bus, train and motorcycle."""

STREET_PALETTE = np.array(
    [
        (128, 64, 128),  # road
        (244, 35, 232),  # sidewalk (curbs included, as in Cityscapes)
        (70, 70, 70),  # building
        (102, 102, 156),  # wall
        (190, 153, 153),  # fence
        (153, 153, 153),  # pole
        (250, 170, 30),  # traffic light
        (220, 220, 0),  # traffic sign
        (107, 142, 35),  # vegetation (tree trunks included)
        (152, 251, 152),  # terrain
        (70, 130, 180),  # sky
        (220, 20, 60),  # person
        (255, 0, 0),  # rider
        (0, 0, 142),  # car
        (0, 0, 70),  # truck
        (119, 11, 32),  # bicycle
    ],
    dtype=np.uint8,
)
"""Label colour of each class, uint8 [K, 3]: the colours of the Cityscapes labels."""

(ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, TRAFFIC_LIGHT, TRAFFIC_SIGN, VEGETATION,
 TERRAIN, SKY, PERSON, RIDER, CAR, TRUCK, BICYCLE) = range(len(STREET_CLASSES))

SPLIT_SIZES = {"train": 400, "val": 100, "test": 100}
"""Pairs per split, as for the synthetic facades."""

SPLIT_SEED_OFFSETS = {"train": 0, "val": 1_000_000, "test": 2_000_000}
"""Pair ``i`` of a split uses seed ``offset + i``, so the splits never share a street."""

_FAR = 1e4  # depth given to the sky, metres
_INF = float("inf")

# ---------------------------------------------------------------- layout


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking along the street (+z), level, ``height`` metres above the road.

    A point ``x`` metres to the right and ``y`` metres above the road at depth ``z`` lands on
    column ``centre + focal_x * x / z`` and row ``horizon + focal_y * (height - y) / z``, both
    in fractions of the image (0 = left/top).
    """

    horizon: float
    centre: float
    height: float
    focal_y: float
    focal_x: float

    def column(self, x, z):
        return self.centre + self.focal_x * x / z

    def row(self, y, z):
        return self.horizon + self.focal_y * (self.height - y) / z


@dataclass(frozen=True)
class Block:
    """A stretch ``[start, stop)`` metres along one side of the street.

    ``kind`` is ``"building"`` (a facade on the building line, ``height`` metres tall),
    ``"open"`` (a gap: a ``barrier`` class -- WALL, FENCE, VEGETATION for a hedge, or -1 --
    ``height`` metres tall on the building line, grass and trees ``backdrop`` metres tall
    behind it) or ``"junction"`` (a cross street, buildings ``backdrop`` metres tall across it).
    """

    start: float
    stop: float
    kind: str
    height: float
    barrier: int = -1
    backdrop: float = 0.0


@dataclass(frozen=True)
class Side:
    """One side of the street: distances from the camera's line, in metres."""

    curb: float  # the road's edge
    curb_width: float
    verge: float  # a grass strip between curb and sidewalk (0: none)
    frontage: float  # the building line
    depth: float  # how deep the buildings are
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Marking:
    """A painted line along the road at ``x``; dashed when ``dash < period`` (metres)."""

    x: float
    width: float
    period: float = 1.0
    dash: float = 1.0
    phase: float = 0.0


@dataclass(frozen=True)
class Band:
    """A painted band across the road: a stop line, or zebra stripes every ``period`` metres."""

    start: float
    stop: float
    left: float
    right: float
    period: float = 0.0


@dataclass(frozen=True)
class Thing:
    """Something standing on the ground at (``x``, ``z``), seen as a billboard facing the camera.

    ``facing`` +1 shows a vehicle's rear (or a person's back), -1 its front; ``length`` is the
    extent along the street (for shadows); ``params`` hold the kind's own shape numbers.
    """

    kind: str  # "car", "truck", "person", "cyclist", "tree", "lamp", "sign" or "light"
    x: float
    z: float
    width: float
    height: float
    length: float
    variant: int = 0
    facing: int = 1
    params: tuple[float, ...] = ()


@dataclass(frozen=True)
class StreetLayout:
    """One street: camera, the two sides, paint on the road and the things, far to near."""

    camera: Camera
    left: Side
    right: Side
    road_left: float
    road_right: float
    junction: tuple[float, float] | None
    markings: tuple[Marking, ...]
    bands: tuple[Band, ...]
    things: tuple[Thing, ...]


# car variants: name, width, height, length, shoulder (top of the body, fraction of the height
# from the top) and half-width of the roof (fraction of the width)
_CAR_VARIANTS = (
    ("sedan", 1.80, 1.45, 4.6, 0.50, 0.30),
    ("hatchback", 1.74, 1.52, 4.1, 0.48, 0.36),
    ("van", 1.95, 1.95, 4.9, 0.55, 0.42),
)


def _in_junction(z, junction, margin=0.0):
    return junction is not None and junction[0] - margin < z < junction[1] + margin


def _sample_blocks(rng, junction, park: bool) -> tuple[Block, ...]:
    spans = [(0.0, _INF)] if junction is None else [(0.0, junction[0]), (junction[1], _INF)]
    blocks: list[Block] = []
    for index, (start, stop) in enumerate(spans):
        z = start
        while z < min(stop, 700.0):
            if park or rng.random() < 0.22:
                length = rng.uniform(40, 120) if park else rng.uniform(6, 25)
                barrier = (WALL, FENCE, VEGETATION, -1)[int(rng.choice(4, p=[.3, .3, .25, .15]))]
                barrier_height = {WALL: rng.uniform(0.6, 2.2), FENCE: rng.uniform(1.0, 2.0),
                                  VEGETATION: rng.uniform(1.0, 2.6), -1: 0.0}[barrier]
                block = Block(z, min(z + length, stop), "open", barrier_height, barrier,
                              rng.uniform(5, 15))
            else:
                length = rng.uniform(8, 35)
                block = Block(z, min(z + length, stop), "building", rng.uniform(8, 28))
            blocks.append(block)
            z += length
        if junction is not None and index == 0:
            blocks.append(Block(junction[0], junction[1], "junction", 0.0, -1,
                                rng.uniform(8, 25)))
    last = blocks[-1]
    blocks[-1] = Block(last.start, _INF, last.kind, last.height, last.barrier, last.backdrop)
    return tuple(blocks)


def _sample_side(rng, curb, junction) -> Side:
    curb_width = rng.uniform(0.15, 0.3)
    verge = rng.uniform(1.0, 3.0) if rng.random() < 0.35 else 0.0
    walk = rng.uniform(2.0, 5.5)
    park = rng.random() < 0.12
    return Side(curb=curb, curb_width=curb_width, verge=verge,
                frontage=curb + curb_width + verge + walk, depth=rng.uniform(10, 20),
                blocks=_sample_blocks(rng, junction, park))


def _lane_markings(rng, lanes, lane_left, lane_width, oncoming, parking) -> list[Marking]:
    markings = []
    for k in range(1, lanes):
        x = lane_left + k * lane_width
        if k == oncoming:  # between the two directions
            style = int(rng.integers(3))
            if style == 2:
                markings += [Marking(x - 0.13, 0.12), Marking(x + 0.13, 0.12)]
            elif style == 1:
                markings.append(Marking(x, 0.15))
            else:
                markings.append(Marking(x, 0.13, 12.0, 6.0, rng.uniform(0, 12)))
        else:
            period = rng.uniform(9, 13)
            markings.append(Marking(x, 0.12, period, rng.uniform(3, 6), rng.uniform(0, period)))
    for has_parking, x in ((parking[0], lane_left), (parking[1], lane_left + lanes * lane_width)):
        if has_parking and rng.random() < 0.7:
            markings.append(Marking(x, 0.12))
    return markings


def _sample_things(rng, layout_parts) -> list[Thing]:
    (left, right, lanes, lane_left, lane_width, oncoming, ego, parking, road_left, road_right,
     junction) = layout_parts
    things: list[Thing] = []
    sides = ((-1, left), (1, right))

    for sign, side in sides:  # street lamps, in a row
        if rng.random() < 0.7:
            spacing = rng.uniform(20, 35)
            arm = rng.uniform(0.8, 2.0)
            lamp_height = rng.uniform(6, 9)
            z = rng.uniform(6, 6 + spacing)
            while z < 160:
                if not _in_junction(z, junction, 1.0):
                    things.append(Thing("lamp", sign * (side.curb + side.curb_width + 0.5), z,
                                        2 * (arm + 0.45), lamp_height, 0.3,
                                        params=(arm, -sign)))
                z += spacing

    for sign, side in sides:  # trees in the verge, or on the sidewalk by the curb
        if side.verge > 0:
            x = side.curb + side.curb_width + side.verge / 2
        elif rng.random() < 0.4:
            x = side.curb + side.curb_width + 0.9
        else:
            continue
        spacing = rng.uniform(7, 14)
        z = rng.uniform(4, 4 + spacing)
        while z < 120:
            if rng.random() < 0.85 and not _in_junction(z, junction, 2.0):
                things.append(_sample_tree(rng, sign * x, z))
            z += spacing

    for _ in range(int(rng.integers(0, 4))):  # signs
        sign, side = sides[int(rng.integers(2))]
        z = rng.uniform(8, 80)
        if _in_junction(z, junction, 1.0):
            continue
        size = rng.uniform(0.55, 0.85)
        shape = int(rng.integers(3))
        second = float(rng.random() < 0.3)
        things.append(Thing("sign", sign * (side.curb + side.curb_width + 0.4), z, size * 1.1,
                            rng.uniform(2.2, 3.2) + size / 2, 0.2, shape,
                            params=(size, second)))

    if junction is not None:  # traffic lights at the corners
        for z, chance in ((junction[0] - 0.5, 1.0), (junction[1] + 0.5, 0.7)):
            for sign, side in sides:
                if rng.random() < chance:
                    things.append(_sample_light(rng, sign, side, z))
    elif rng.random() < 0.25:
        sign, side = sides[int(rng.integers(2))]
        things.append(_sample_light(rng, sign, side, rng.uniform(10, 60)))

    for k in range(lanes):  # moving traffic, in every lane
        facing = -1 if k < oncoming else 1
        x = lane_left + (k + 0.5) * lane_width
        z = rng.uniform(9 if k == ego else 6, 25)
        while z < 110:
            if rng.random() < 0.55 and not _in_junction(z, junction, -3.0):
                things.append(_sample_vehicle(rng, x + rng.uniform(-0.3, 0.3), z, facing, 0.12))
            z += rng.uniform(9, 35)

    for (sign, _side), has_parking in zip(sides, parking, strict=True):  # parked cars
        if not has_parking:
            continue
        x = road_left + 1.1 if sign < 0 else road_right - 1.1
        facing = -1 if sign < 0 and oncoming > 0 else 1
        z = rng.uniform(3, 9)
        while z < 90:
            car = _sample_vehicle(rng, x + rng.uniform(-0.15, 0.15), z, facing, 0.0)
            if rng.random() < 0.8 and not _in_junction(z, junction, 3.0):
                things.append(car)
            z += car.length + rng.uniform(0.6, 3.5)

    for sign, side in sides:  # pedestrians on the sidewalks
        inner = side.curb + side.curb_width + side.verge + 0.3
        for _ in range(int(rng.integers(0, 6))):
            z = rng.uniform(5, 60)
            if not _in_junction(z, junction, 0.5):
                things.append(_sample_person(rng, sign * rng.uniform(inner, side.frontage - 0.3),
                                             z))
    if junction is not None:  # and on the zebra crossing
        for _ in range(int(rng.integers(0, 4))):
            things.append(_sample_person(rng, rng.uniform(road_left + 0.5, road_right - 0.5),
                                         rng.uniform(junction[0] + 0.8, junction[0] + 3.2)))

    if rng.random() < 0.35:  # a cyclist riding ahead by the right edge of the lanes
        things.append(Thing("cyclist", lane_left + lanes * lane_width - rng.uniform(0.6, 1.0),
                            rng.uniform(8, 45), 0.66, rng.uniform(1.65, 1.85), 1.7, 0, 1))
    if junction is not None and rng.random() < 0.35:  # one crossing the junction
        things.append(Thing("cyclist", rng.uniform(road_left, road_right),
                            rng.uniform(junction[0] + 5, junction[1] - 3), 1.9,
                            rng.uniform(1.75, 1.9), 0.5, 1, int(rng.choice([-1, 1]))))

    if not any(thing.kind in ("car", "truck") for thing in things):
        x = lane_left + (ego + 0.5) * lane_width
        things.append(_sample_vehicle(rng, x, rng.uniform(10, 30), 1, 0.0))
    things = [thing for thing in things if thing.z > 3.5]
    return sorted(things, key=lambda thing: -thing.z)


def _sample_vehicle(rng, x, z, facing, truck_chance) -> Thing:
    if rng.random() < truck_chance:
        return Thing("truck", x, z, 2.5, rng.uniform(3.0, 3.6), 8.0, 0, facing)
    variant = int(rng.choice(3, p=[0.45, 0.33, 0.22]))
    _, width, height, length, _, _ = _CAR_VARIANTS[variant]
    scale = rng.uniform(0.96, 1.04)
    return Thing("car", x, z, width * scale, height * scale, length, variant, facing)


def _sample_person(rng, x, z) -> Thing:
    return Thing("person", x, z, 0.62, rng.uniform(1.55, 1.95), 0.4, int(rng.integers(3)),
                 int(rng.choice([-1, 1])), params=(rng.uniform(0.0, 0.1),))


def _sample_tree(rng, x, z) -> Thing:
    radius = rng.uniform(1.4, 3.2)
    base = rng.uniform(1.8, 3.2)
    blobs = [(0.0, base + radius, radius, rng.uniform(0, 6.3))]
    for _ in range(int(rng.integers(2, 4))):
        blobs.append((rng.uniform(-0.6, 0.6) * radius, base + radius * rng.uniform(0.7, 1.5),
                      radius * rng.uniform(0.55, 0.8), rng.uniform(0, 6.3)))
    width = 2.2 * max(abs(dm) + r for dm, _, r, _ in blobs)
    height = 1.05 * max(y + r for _, y, r, _ in blobs)
    params = (rng.uniform(0.25, 0.45), base) + tuple(v for blob in blobs for v in blob)
    return Thing("tree", x, z, width, height, 2 * radius, 0, 1, params)


def _sample_light(rng, sign, side, z) -> Thing:
    x = sign * (side.curb + 0.4)
    if rng.random() < 0.5:  # a mast arm reaching over the road
        arm = rng.uniform(3.0, 6.0)
        return Thing("light", x, z, 2 * (arm + 0.3), rng.uniform(5.0, 6.5), 0.3, 1,
                     params=(arm, -sign))
    return Thing("light", x, z, 0.4, rng.uniform(2.8, 4.0), 0.3, 0, params=(0.0, -sign))


def sample_street_layout(seed: int) -> StreetLayout:
    """The street of ``seed``: camera, sides, road paint and things (metres, far to near).

    Depends on ``seed`` only, never on the image size.
    """
    rng = np.random.default_rng([int(seed), 0])
    focal_y = rng.uniform(1.5, 1.8)
    camera = Camera(horizon=rng.uniform(0.38, 0.47), centre=rng.uniform(0.4, 0.6),
                    height=rng.uniform(1.3, 1.6), focal_y=focal_y,
                    focal_x=focal_y * rng.uniform(0.45, 0.55))
    lanes = int(rng.choice([2, 2, 3, 4]))
    lane_width = rng.uniform(3.0, 3.6)
    oncoming = 0 if rng.random() < 0.25 else lanes // 2  # 0: a one-way street
    ego = int(rng.integers(oncoming, lanes))  # the camera's lane, counted from the left
    lane_left = -(ego + 0.5) * lane_width
    parking = (bool(rng.random() < 0.5), bool(rng.random() < 0.6))
    road_left = lane_left - 2.2 * parking[0]
    road_right = lane_left + lanes * lane_width + 2.2 * parking[1]
    junction = None
    if rng.random() < 0.4:
        start = rng.uniform(22, 60)
        junction = (start, start + rng.uniform(12, 20))
    left = _sample_side(rng, -road_left, junction)
    right = _sample_side(rng, road_right, junction)

    markings = _lane_markings(rng, lanes, lane_left, lane_width, oncoming, parking)
    bands = []
    own_left = lane_left + oncoming * lane_width
    if junction is not None:
        bands.append(Band(junction[0] + 0.6, junction[0] + 3.4, road_left, road_right, 1.0))
        bands.append(Band(junction[0] - 1.0, junction[0] - 0.6, own_left,
                          lane_left + lanes * lane_width))
    elif rng.random() < 0.15:
        start = rng.uniform(15, 45)
        bands.append(Band(start, start + rng.uniform(3, 4), road_left, road_right, 1.0))
    things = _sample_things(rng, (left, right, lanes, lane_left, lane_width, oncoming, ego,
                                  parking, road_left, road_right, junction))
    return StreetLayout(camera, left, right, road_left, road_right, junction, tuple(markings),
                        tuple(bands), tuple(things))


# ---------------------------------------------------------------- rasterising

# Parts: what each pixel shows, finer than its class (the photo paints by part).
_PARTS = (
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
(P_NONE, P_SKY, P_ROAD, P_CURB, P_SIDEWALK, P_TERRAIN, P_FACADE, P_SIDE_WALL, P_FAR_BUILDING,
 P_WALL, P_FENCE, P_HEDGE, P_TREE_LINE, P_CROWN, P_TRUNK, P_POLE, P_LAMP, P_SIGN, P_LIGHT_BOX,
 P_RED, P_AMBER, P_GREEN, P_BODY, P_GLASS, P_TAIL, P_HEAD, P_PLATE, P_TYRE, P_BUMPER, P_SKIN,
 P_HAIR, P_TOP, P_TROUSERS, P_SHOE, P_FRAME, P_WHEEL) = range(len(_PARTS))
_PART_CLASS = np.array([class_id for _, class_id in _PARTS], dtype=np.uint8)
_BARRIER_PART = {WALL: P_WALL, FENCE: P_FENCE, VEGETATION: P_HEDGE}
_GROUND_PARTS = (P_ROAD, P_CURB, P_SIDEWALK, P_TERRAIN)
_KINDS = {"building": 0, "open": 1, "junction": 2}


@dataclass
class _Scene:
    """A layout rasterised: per pixel its part, class, instance, depth and surface coordinates.

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
    next_start = np.full(len(blocks), _INF)
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


def _surfaces(scene: _Scene, layout: StreetLayout, side: Side, sign: int, cols: slice,
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
        z_ground = np.where(drop > 0, cam.height / np.maximum(drop, 1e-9), _INF)
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


def _paint_road(scene: _Scene, layout: StreetLayout) -> None:
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


def _covered(start: float, stop: float, pixels: int) -> tuple[int, int]:
    """The pixels whose centres lie in [start, stop) (fractions of a side of ``pixels``)."""
    first = math.ceil(min(max(start, -1.0), 2.0) * pixels - 0.5)
    last = math.ceil(min(max(stop, -1.0), 2.0) * pixels - 0.5)
    return max(first, 0), min(last, pixels)


def _near_segment(m, y, p, q, half):
    """Whether points (m, y) lie within ``half`` of the segment from ``p`` to ``q``."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    t = np.clip(((m - p[0]) * dx + (y - p[1]) * dy) / (dx * dx + dy * dy), 0, 1)
    return (m - p[0] - t * dx) ** 2 + (y - p[1] - t * dy) ** 2 < half * half


def _car_shape(m, y, thing, pixel):
    _, _, _, _, shoulder, roof = _CAR_VARIANTS[thing.variant]
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


def _draw_thing(scene: _Scene, cam: Camera, thing: Thing, inst: int) -> None:
    height, width = scene.part.shape
    z = thing.z
    pixel = (z / (cam.focal_x * width), z / (cam.focal_y * height))  # metres per pixel
    half = thing.width / 2 + pixel[0]
    c0, c1 = _covered(cam.column(thing.x - half, z), cam.column(thing.x + half, z), width)
    r0, r1 = _covered(cam.row(thing.height + pixel[1], z), cam.row(0.0, z), height)
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


def _rasterise(layout: StreetLayout, image_size) -> _Scene:
    height, width = parse_image_size(image_size)
    scene = _Scene(
        part=np.full((height, width), P_SKY, np.uint8),
        mask=np.zeros((height, width), np.uint8),
        inst=np.zeros((height, width), np.int32),
        depth=np.full((height, width), _FAR, np.float32),
        coord_a=np.zeros((height, width), np.float32),
        coord_b=np.zeros((height, width), np.float32),
        marking=np.zeros((height, width), np.float32),
        xs=((np.arange(width) + 0.5) / width).astype(np.float32),
        ys=((np.arange(height) + 0.5) / height).astype(np.float32),
    )
    split = int(np.searchsorted(scene.xs, layout.camera.centre))
    _surfaces(scene, layout, layout.left, -1, slice(0, split), 1)
    _surfaces(scene, layout, layout.right, 1, slice(split, width), 1 + len(layout.left.blocks))
    _paint_road(scene, layout)
    scene.mask[:] = _PART_CLASS[scene.part]
    first = 1 + len(layout.left.blocks) + len(layout.right.blocks)
    for index, thing in enumerate(layout.things):
        _draw_thing(scene, layout.camera, thing, first + index)
    return scene


def street_mask(layout: StreetLayout, image_size=256) -> np.ndarray:
    """Rasterise a layout into a uint8 HxW mask of class ids."""
    return _rasterise(layout, image_size).mask


def labels_to_rgb(mask: np.ndarray) -> np.ndarray:
    """Colour a street class mask with ``STREET_PALETTE`` (uint8 HxWx3)."""
    return STREET_PALETTE[mask]


def rgb_to_labels(labels_rgb: np.ndarray) -> np.ndarray:
    """Class ids of a street label image, each pixel taking the nearest palette colour."""
    return nearest_class_ids(labels_rgb, STREET_PALETTE)


# ---------------------------------------------------------------- rendering

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


def _pick(rng, options, weights=None):
    if weights is None:
        return np.array(options[int(rng.integers(len(options)))], np.float32)
    p = np.asarray(weights, float) / np.sum(weights)
    return np.array(options[int(rng.choice(len(options), p=p))], np.float32)


def _jitter(rng, colour, amount=0.03):
    return np.clip(colour * rng.uniform(0.9, 1.1) + rng.normal(0, amount, 3), 0, 1)


def _value_noise(table, a, b):
    """Smooth noise about [-1, 1] at coordinates (a, b), from a random lattice that wraps."""
    size = table.shape[0]
    a0, b0 = np.floor(a), np.floor(b)
    fa, fb = a - a0, b - b0
    fa, fb = fa * fa * (3 - 2 * fa), fb * fb * (3 - 2 * fb)
    i0, j0 = a0.astype(np.int64) % size, b0.astype(np.int64) % size
    i1, j1 = (i0 + 1) % size, (j0 + 1) % size
    top = table[i0, j0] * (1 - fa) + table[i1, j0] * fa
    bottom = table[i0, j1] * (1 - fa) + table[i1, j1] * fa
    return top * (1 - fb) + bottom * fb


@dataclass
class _Look:
    """The appearance of one photo: weather, light and the colour of every instance."""

    weather: str
    zenith: np.ndarray
    horizon: np.ndarray
    colours: np.ndarray  # [instances, parts, 3]
    noise: np.ndarray  # a random lattice for _value_noise
    random: np.ndarray  # [1024, 4] uniform numbers, looked up by hashes
    foliage: np.ndarray


def _part_colours(rng, weather) -> tuple[np.ndarray, np.ndarray]:
    """Default colour of every part for this photo, and the foliage colour."""
    colours = np.zeros((len(_PARTS), 3), np.float32)
    foliage, grass = (np.array(c, np.float32) for c in _SEASONS[int(rng.integers(len(_SEASONS)))])
    grey = rng.uniform(0.2, 0.42)
    colours[P_ROAD] = np.clip(grey + rng.normal(0, 0.012, 3), 0, 1)
    colours[P_CURB] = _jitter(rng, np.full(3, 0.68, np.float32))
    colours[P_SIDEWALK] = _jitter(rng, _pick(rng, ((0.62, 0.62, 0.6), (0.55, 0.55, 0.56),
                                                   (0.62, 0.45, 0.4), (0.7, 0.65, 0.55))))
    colours[P_TERRAIN] = _jitter(rng, grass)
    colours[P_WALL] = _jitter(rng, _pick(rng, ((0.6, 0.58, 0.55), (0.55, 0.35, 0.28),
                                               (0.75, 0.72, 0.65))))
    colours[P_FENCE] = _jitter(rng, _pick(rng, ((0.45, 0.32, 0.2), (0.18, 0.2, 0.2),
                                                (0.55, 0.55, 0.55), (0.15, 0.3, 0.18))))
    colours[P_HEDGE] = colours[P_TREE_LINE] = colours[P_CROWN] = _jitter(rng, foliage)
    colours[P_TRUNK] = _jitter(rng, np.array((0.3, 0.24, 0.18), np.float32))
    colours[P_POLE] = _jitter(rng, _pick(rng, ((0.45, 0.46, 0.47), (0.12, 0.13, 0.13),
                                               (0.15, 0.25, 0.2), (0.6, 0.6, 0.6))))
    colours[P_LAMP] = colours[P_POLE] * 0.9 + 0.05
    colours[P_SIGN] = (0.9, 0.9, 0.9)
    colours[P_LIGHT_BOX] = _jitter(rng, _pick(rng, ((0.1, 0.1, 0.1), (0.2, 0.2, 0.2),
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
    zenith, horizon = (_jitter(rng, np.array(c, np.float32), 0.02)
                       for c in _SKIES[weather][int(rng.integers(2))])
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
            body = _jitter(rng, _pick(rng, car_colours, car_weights), 0.02)
            row[P_BODY] = body
            if rng.random() < 0.4:
                row[P_BUMPER] = body * 0.9
        elif thing.kind in ("person", "cyclist"):
            row[P_SKIN] = _jitter(rng, _pick(rng, _SKIN), 0.02)
            row[P_HAIR] = _jitter(rng, _pick(rng, _HAIR), 0.02)
            row[P_TOP] = _jitter(rng, _pick(rng, _CLOTHES))
            row[P_TROUSERS] = _jitter(rng, _pick(rng, _CLOTHES[:7]))
            row[P_FRAME] = np.clip(rng.uniform(0, 1, 3) ** 1.5, 0, 1)
        elif thing.kind == "tree":
            row[P_CROWN] = _jitter(rng, foliage, 0.025)
    return _Look(weather=weather, zenith=zenith, horizon=horizon, colours=colours,
                 noise=rng.standard_normal((64, 64)).astype(np.float32),
                 random=rng.random((1024, 4)).astype(np.float32), foliage=foliage)


def _paint_sky(image, scene, layout, look, rng):
    sky = np.flatnonzero(scene.part.ravel() == P_SKY)
    height, width = scene.part.shape
    rows, cols = np.divmod(sky, width)
    t = np.clip(scene.ys[rows] / layout.camera.horizon, 0, 1)[:, None] ** 1.6
    colour = look.zenith * (1 - t) + look.horizon * t
    cover = {"sunny": rng.uniform(0.6, 1.6), "overcast": rng.uniform(-0.6, 0.2),
             "dusk": rng.uniform(0.2, 1.2)}[look.weather]
    offset = rng.uniform(0, 64, 2)
    clouds = _value_noise(look.noise, scene.xs[cols] * 6 + offset[0], scene.ys[rows] * 10
                          + offset[1]) + 0.5 * _value_noise(look.noise, scene.xs[cols] * 17,
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
    base = wall * (1 + 0.05 * _value_noise(look.noise, along * 0.15, up * 0.15))[:, None]
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
    patches = 1 + 0.07 * _value_noise(look.noise, x * 0.25 + 7, z * 0.25)
    grain_rng = np.random.default_rng(rng.integers(2**63))
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
    shade = (1 - 0.2 * np.clip(joints, 0, 1)) * (1 + 0.05 * _value_noise(look.noise, x, z * 0.5))
    flat[walk] *= shade[:, None]

    grass = np.flatnonzero((part == P_TERRAIN) | (part == P_HEDGE) | (part == P_TREE_LINE))
    a, b = scene.coord_a.ravel()[grass], scene.coord_b.ravel()[grass]
    leaves = _value_noise(look.noise, a * 1.5, b * 1.5) + 0.5 * _value_noise(look.noise, a * 4,
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
    leaves = (_value_noise(look.noise, metres_u * 2.5, metres_v * 2.5)
              + 0.5 * _value_noise(look.noise, metres_u * 6 + 3, metres_v * 6))
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
    c0, c1 = _covered(min(columns), max(columns), width)
    r0, r1 = _covered(cam.row(0, z1), cam.row(0, z0), height)
    return slice(r0, r1), slice(c0, c1)


def _light_and_shadows(scene, layout, look, rng) -> np.ndarray:
    """How much light reaches each pixel: sun and shade, cast and contact shadows."""
    cam = layout.camera
    height, width = scene.part.shape
    shade = np.ones((height, width), np.float32)
    part, inst = scene.part, scene.inst
    a, b = scene.coord_a, scene.coord_b
    ground = np.isin(part, _GROUND_PARTS) & (inst == 0)
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


def _street_lamp_light(glow, scene, layout):
    """Pools of warm light on the ground under the street lamps at dusk."""
    cam = layout.camera
    height, width = scene.part.shape
    ground = np.isin(scene.part, _GROUND_PARTS) & (scene.inst == 0)
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


def render_street_photo(layout: StreetLayout, image_size=256, seed: int = 0,
                        scene: _Scene | None = None) -> np.ndarray:
    """Render a photo (uint8 HxWx3) of a layout; ``seed`` picks the appearance only."""
    height, width = parse_image_size(image_size)
    if scene is None:
        scene = _rasterise(layout, (height, width))
    rng = np.random.default_rng([int(seed), 1])
    n_instances = 1 + len(layout.left.blocks) + len(layout.right.blocks) + len(layout.things)
    look = _sample_look(rng, layout, n_instances)
    image = look.colours[scene.inst, scene.part]
    glow = np.zeros_like(image)
    _paint_sky(image, scene, layout, look, rng)
    _paint_facades(image, glow, scene, layout, look, rng)
    _paint_ground(image, scene, layout, look, rng)
    _paint_things(image, glow, scene, layout, look, rng)
    shade = _light_and_shadows(scene, layout, look, rng)
    if look.weather == "dusk":
        _street_lamp_light(glow, scene, layout)

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
    noise_rng = np.random.default_rng(rng.integers(2**63))
    image = image + sigma * noise_rng.standard_normal(image.shape, dtype=np.float32)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


def render_street(seed: int, image_size=256, photo_seed: int | None = None):
    """One synthetic street: ``(labels_rgb, photo, mask)`` at ``image_size`` (int or (h, w)).

    ``seed`` fixes the layout; ``photo_seed`` (default: ``seed``) fixes the appearance, so
    the same labels can be rendered into many different photos.
    """
    layout = sample_street_layout(seed)
    scene = _rasterise(layout, image_size)
    photo_seed = seed if photo_seed is None else photo_seed
    photo = render_street_photo(layout, image_size, photo_seed, scene=scene)
    return labels_to_rgb(scene.mask), photo, scene.mask


# ---------------------------------------------------------------- writing to disk


def generate(final_dir: Path, image_size, split_sizes=None) -> Path:
    """Generate every split into ``final_dir`` atomically (``storage.generate_masked``)."""
    return generate_masked(
        final_dir, image_size, name="synthetic-streets", render=render_street,
        split_sizes=SPLIT_SIZES if split_sizes is None else split_sizes,
        seed_offsets=SPLIT_SEED_OFFSETS, classes=STREET_CLASSES, palette=STREET_PALETTE,
        version=GENERATOR_VERSION,
    )
