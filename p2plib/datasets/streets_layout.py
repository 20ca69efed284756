"""Sampling a street in world units: the camera, the road, both sides and what stands on them.

Part of the synthetic streets introduced in notebook 01 (``streets`` renders a pair).
``sample_street_layout(seed)`` draws, in metres, a pinhole camera at driver's height
looking down a straight street, a road with lanes, markings, curbs and sidewalks on both
sides, blocks of buildings (with gaps behind walls, fences or hedges, and sometimes a
junction), and the things standing on the ground, far to near: parked and moving cars,
vans and trucks, pedestrians, cyclists, trees, street lamps, signs and traffic lights. It
depends on the seed only, never on the image size; ``streets_shapes`` projects it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from p2plib.datasets.palettes import STREET_CLASSES

__all__ = [
    "CAR_VARIANTS", "Band", "Block", "Camera", "Marking", "Side", "StreetLayout", "Thing",
    "sample_street_layout",
]

# class ids: indices into STREET_CLASSES
(ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, TRAFFIC_LIGHT, TRAFFIC_SIGN, VEGETATION,
 TERRAIN, SKY, PERSON, RIDER, CAR, TRUCK, BICYCLE) = range(len(STREET_CLASSES))


@dataclass(frozen=True)
class Camera:
    """A level pinhole camera looking along the street (+z), ``height`` metres up (tool).

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
    """A stretch ``[start, stop)`` metres along one side of the street (tool).

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
    """One side of the street: distances from the camera's line, in metres (tool)."""

    curb: float  # the road's edge
    curb_width: float
    verge: float  # a grass strip between curb and sidewalk (0: none)
    frontage: float  # the building line
    depth: float  # how deep the buildings are
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Marking:
    """A painted line along the road at ``x``, dashed when ``dash < period``, metres (tool)."""

    x: float
    width: float
    period: float = 1.0
    dash: float = 1.0
    phase: float = 0.0


@dataclass(frozen=True)
class Band:
    """A painted band across the road: a stop line, or zebra stripes every ``period`` metres
    (tool)."""

    start: float
    stop: float
    left: float
    right: float
    period: float = 0.0


@dataclass(frozen=True)
class Thing:
    """Something standing on the ground at (``x``, ``z``), a billboard facing the camera (tool).

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
    """One street: camera, the two sides, paint on the road and the things, far to near (tool)."""

    camera: Camera
    left: Side
    right: Side
    road_left: float
    road_right: float
    junction: tuple[float, float] | None
    markings: tuple[Marking, ...]
    bands: tuple[Band, ...]
    things: tuple[Thing, ...]


CAR_VARIANTS = (
    ("sedan", 1.80, 1.45, 4.6, 0.50, 0.30),
    ("hatchback", 1.74, 1.52, 4.1, 0.48, 0.36),
    ("van", 1.95, 1.95, 4.9, 0.55, 0.42),
)
"""The car shapes (tool): name, width, height, length (metres), shoulder (the top of the body,
a fraction of the height from the top) and half-width of the roof (a fraction of the width)."""


def _in_junction(z, junction, margin=0.0):
    return junction is not None and junction[0] - margin < z < junction[1] + margin


def _sample_blocks(rng, junction, park: bool) -> tuple[Block, ...]:
    spans = [(0.0, math.inf)] if junction is None else [(0.0, junction[0]), (junction[1], math.inf)]
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
    blocks[-1] = Block(last.start, math.inf, last.kind, last.height, last.barrier, last.backdrop)
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
    _, width, height, length, _, _ = CAR_VARIANTS[variant]
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
    """The street of ``seed``: camera, sides, road paint and things, in metres, far to near
    (tool).

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
