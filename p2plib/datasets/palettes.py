"""Every dataset's classes and the colours its label maps are drawn in (notebook 01).

The synthetic facades (``FACADE_CLASSES``, ``FACADE_PALETTE``), the synthetic streets
(``STREET_CLASSES``, ``STREET_PALETTE``) and Cityscapes (``CITYSCAPES_CLASSES``,
``CITYSCAPES_PALETTE``, and the colours of its unscored labels, ``CITYSCAPES_VOID_COLOURS``).
``p2plib.labels`` turns class maps into these colours and back. Every class also has a name in
Simplified Chinese (``CHINESE_CLASS_NAMES``), which the drawing demos show in their Chinese
edition (``class_names``).
"""

from __future__ import annotations

import numpy as np

from p2plib.errors import ArgumentError

__all__ = [
    "CHINESE_CLASS_NAMES", "CITYSCAPES_CLASSES", "CITYSCAPES_PALETTE", "CITYSCAPES_VOID_COLOURS",
    "FACADE_CLASSES", "FACADE_PALETTE", "LANGUAGES", "STREET_CLASSES", "STREET_PALETTE",
    "class_names",
]

FACADE_CLASSES = (
    "sky",
    "wall",
    "window",
    "door",
    "balcony",
    "cornice",
    "sill",
    "shop",
    "pillar",
    "blind",
    "molding",
)
"""The synthetic facades' class names (notebook 01); a class id is the index into this tuple
(and into ``FACADE_PALETTE``)."""

FACADE_PALETTE = np.array(
    [
        (0, 0, 170),  # sky: dark blue, like the background of the CMP labels
        (0, 0, 255),  # wall
        (0, 117, 255),  # window
        (0, 220, 255),  # door
        (85, 255, 170),  # balcony
        (170, 255, 85),  # cornice
        (255, 255, 0),  # sill
        (255, 170, 0),  # shop
        (255, 85, 0),  # pillar
        (255, 0, 0),  # blind (shutters and roller blinds)
        (170, 0, 0),  # molding (window surrounds)
    ],
    dtype=np.uint8,
)
"""The synthetic facades' label colour of each class, uint8 [K, 3] (notebook 01): a jet-like
ramp in the spirit of CMP facades."""

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
"""The synthetic streets' class names (notebook 01); a class id is the index into this tuple
(and into ``STREET_PALETTE``). The order is that of the Cityscapes training ids, without bus,
train and motorcycle."""

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
"""The synthetic streets' label colour of each class, uint8 [K, 3] (notebook 01): the colours
of the Cityscapes labels."""

CITYSCAPES_CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
    "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
    "motorcycle", "bicycle",
)
"""The 19 classes Cityscapes scores, in the order of its training ids (notebook 01)."""

CITYSCAPES_PALETTE = np.array(
    [(128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
     (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
     (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100),
     (0, 80, 100), (0, 0, 230), (119, 11, 32)],
    dtype=np.uint8,
)
"""The label colour of each of ``CITYSCAPES_CLASSES`` (Cityscapes' ``labels.py``; notebook
01)."""

CITYSCAPES_VOID_COLOURS = np.array(
    [(0, 0, 0), (111, 74, 0), (81, 0, 81), (250, 170, 160), (230, 150, 140),
     (180, 165, 180), (150, 100, 100), (150, 120, 90), (0, 0, 90), (0, 0, 110)],
    dtype=np.uint8,
)
"""Colours of Cityscapes' labels that are not scored (notebook 01): unlabeled/ego
vehicle/static (black), dynamic, ground, parking, rail track, guard rail, bridge, tunnel,
caravan, trailer."""

LANGUAGES = ("en", "zh")
"""The languages the class names are given in: English (the names above) and Simplified
Chinese (``CHINESE_CLASS_NAMES``)."""

CHINESE_CLASS_NAMES = {
    # the synthetic facades
    "sky": "天空",
    "wall": "墙",
    "window": "窗户",
    "door": "门",
    "balcony": "阳台",
    "cornice": "檐口",
    "sill": "窗台",
    "shop": "店面",
    "pillar": "柱子",
    "blind": "百叶窗",
    "molding": "线脚",
    # the synthetic streets and Cityscapes (with sky and wall above)
    "road": "道路",
    "sidewalk": "人行道",
    "building": "建筑",
    "fence": "围栏",
    "pole": "杆",
    "traffic light": "交通灯",
    "traffic sign": "交通标志",
    "vegetation": "植被",
    "terrain": "地面",
    "person": "行人",
    "rider": "骑车人",
    "car": "汽车",
    "truck": "卡车",
    "bus": "公交车",
    "train": "火车",
    "motorcycle": "摩托车",
    "bicycle": "自行车",
}
"""The Simplified Chinese name of every class of every dataset above, by its English name: the
one table the drawing demos (the Gradio app and the page in the browser) take their Chinese
class names from."""


def class_names(classes, language: str = "en") -> tuple[str, ...]:
    """The names of ``classes`` (English class names, e.g. ``FACADE_CLASSES``) in ``language``
    (one of ``LANGUAGES``)."""
    if language not in LANGUAGES:
        raise ArgumentError(f"language must be one of {LANGUAGES}; got {language!r}.")
    classes = tuple(classes)
    if language == "en":
        return classes
    missing = [name for name in classes if name not in CHINESE_CLASS_NAMES]
    if missing:
        raise ArgumentError(f"no Chinese name for the class {missing[0]!r}: add it to "
                            "palettes.CHINESE_CLASS_NAMES.")
    return tuple(CHINESE_CLASS_NAMES[name] for name in classes)
