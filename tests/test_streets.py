"""Tests of the generated street scenes (p2plib.datasets.streets, "synthetic-streets")."""

import colorsys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import pixels_hash
from p2plib import datasets, label_colours
from p2plib.datasets import (
    palettes,
    storage,
    streets,
    streets_layout,
    streets_painting,
    streets_shapes,
)
from p2plib.errors import DatasetError

SMALL = 32  # image size of the dataset written to disk here
SMALL_SPLITS = {"train": 3, "val": 2, "test": 5}  # pairs per split on disk here: quick

CITYSCAPES_COLOURS = {
    "road": (128, 64, 128), "sidewalk": (244, 35, 232), "building": (70, 70, 70),
    "wall": (102, 102, 156), "fence": (190, 153, 153), "pole": (153, 153, 153),
    "traffic light": (250, 170, 30), "traffic sign": (220, 220, 0),
    "vegetation": (107, 142, 35), "terrain": (152, 251, 152), "sky": (70, 130, 180),
    "person": (220, 20, 60), "rider": (255, 0, 0), "car": (0, 0, 142), "truck": (0, 0, 70),
    "bicycle": (119, 11, 32),
}


def class_id(name: str) -> int:
    return palettes.STREET_CLASSES.index(name)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data folder holding synthetic-streets at SMALL, made by ``prepare`` with small splits."""
    folder = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(streets, "SPLIT_SIZES", SMALL_SPLITS)
        datasets.prepare("synthetic-streets", image_size=SMALL, data_dir=folder)
    return folder


def test_palette_is_cityscapes():
    assert palettes.STREET_PALETTE.dtype == np.uint8
    assert palettes.STREET_PALETTE.shape == (len(palettes.STREET_CLASSES), 3)
    assert set(palettes.STREET_CLASSES) == set(CITYSCAPES_COLOURS)
    for index, name in enumerate(palettes.STREET_CLASSES):
        assert tuple(palettes.STREET_PALETTE[index]) == CITYSCAPES_COLOURS[name], name


def test_masks_use_the_classes_and_the_main_ones_appear():
    seen = set()
    for seed in range(8):
        labels, photo, mask = streets.render_street(seed, image_size=64)
        assert labels.shape == photo.shape == (64, 64, 3) and mask.shape == (64, 64)
        assert labels.dtype == photo.dtype == mask.dtype == np.uint8
        assert mask.max() < len(palettes.STREET_CLASSES)
        seen |= set(np.unique(mask).tolist())
    for name in ("road", "sidewalk", "building", "sky", "car", "vegetation"):
        assert class_id(name) in seen, name


def test_every_class_appears_across_layouts():
    seen = set()
    for seed in range(40):
        seen |= set(np.unique(streets.render_street(seed, image_size=64)[2]).tolist())
    assert seen == set(range(len(palettes.STREET_CLASSES)))


def test_labels_are_the_palette_colours_of_the_mask():
    labels, _, mask = streets.render_street(5, image_size=(48, 80))
    np.testing.assert_array_equal(labels, palettes.STREET_PALETTE[mask])
    palette = palettes.STREET_PALETTE
    np.testing.assert_array_equal(label_colours.labels_to_rgb(mask, palette), labels)
    np.testing.assert_array_equal(label_colours.rgb_to_labels(labels, palette), mask)


# Rendered with the generator before p2plib.datasets was split into modules.
STREET_HASHES = {(0, 64): "cf1a23d757c76138", (7, 64): "8559783dab05e9db",
                 (2_000_011, 256): "fb8310b4f4291502"}


def test_generated_pixels_are_pinned():
    """The streets are what they were, pixel for pixel (labels, photo and mask).

    A change that alters a single pixel must be deliberate: bump streets.GENERATOR_VERSION (so
    that datasets on disk are made again) and update these hashes. A mismatch with the
    generator untouched means this machine's numpy computes some pixel differently.
    """
    for (seed, size), expected in STREET_HASHES.items():
        assert pixels_hash(streets.render_street(seed, size)) == expected, (seed, size)


def test_same_seed_same_street_and_photo_seed_changes_only_the_photo():
    first = streets.render_street(11, image_size=64)
    again = streets.render_street(11, image_size=64)
    for a, b in zip(first, again, strict=True):
        assert a.tobytes() == b.tobytes()
    labels, photo, mask = streets.render_street(11, image_size=64, photo_seed=99)
    np.testing.assert_array_equal(labels, first[0])
    np.testing.assert_array_equal(mask, first[2])
    assert np.abs(photo.astype(int) - first[1].astype(int)).mean() > 10
    other_mask = streets.render_street(12, image_size=64)[2]
    assert (other_mask != mask).mean() > 0.05


def test_rectangular_size_and_same_street_at_any_size():
    labels, photo, mask = streets.render_street(3, image_size=(128, 256))
    assert labels.shape == photo.shape == (128, 256, 3) and mask.shape == (128, 256)
    for seed in range(4):
        large = streets.render_street(seed, image_size=256)[2]
        for small_size in (64, (64, 128)):
            small = streets.render_street(seed, image_size=small_size)[2]
            height, width = small.shape
            shrunk = np.asarray(Image.fromarray(large).resize((width, height), Image.NEAREST))
            assert (shrunk == small).mean() > 0.85


def test_road_is_low_and_sky_is_high():
    for seed in range(6):
        _, _, mask = streets.render_street(seed, image_size=64)
        road_rows = np.nonzero(mask == class_id("road"))[0]
        sky_rows = np.nonzero(mask == class_id("sky"))[0]
        assert road_rows.size and sky_rows.size
        assert road_rows.min() >= 64 * 0.35  # all below the horizon
        assert sky_rows.max() < 64 * 0.5  # all above it
        assert road_rows.mean() > 64 * 0.6 and sky_rows.mean() < 64 * 0.35
        assert (mask[-1] == class_id("road")).mean() > 0.3  # the car drives on the road


def test_a_layout_has_many_car_colours():
    """The one-to-many intent: the labels of one street fix where the cars are, not their
    colour. The body of the layout's largest car (the rasteriser's own part map) is white or
    silver in some photos and saturated, in clearly different hues, in others -- which no
    single fixed car colour under changing light gives."""
    layout = streets_layout.sample_street_layout(6)
    scene = streets_shapes.rasterise(layout, 64)
    body = scene.part == streets_shapes.P_BODY
    ids, counts = np.unique(scene.inst[body], return_counts=True)
    assert counts.max() > 60
    car = body & (scene.inst == ids[counts.argmax()])
    neutral, hues = 0, []
    for photo_seed in range(12):
        photo = streets_painting.render_street_photo(layout, 64, photo_seed, scene=scene)
        r, g, b = np.median(photo[car].astype(float), axis=0) / 255
        value, low = max(r, g, b), min(r, g, b)
        saturation = (value - low) / max(value, 1e-6)
        if saturation < 0.15 and value > 0.5:
            neutral += 1
        elif saturation > 0.6 and value > 0.2:
            hues.append(colorsys.rgb_to_hsv(r, g, b)[0] * 360)
    assert neutral >= 1 and len(hues) >= 2
    apart = max(min(abs(a - b), 360 - abs(a - b)) for a in hues for b in hues)
    assert apart > 90, hues


def test_weather_varies_with_the_photo_seed():
    layout = streets_layout.sample_street_layout(2)
    brightness = [streets_painting.render_street_photo(layout, 48, seed).mean()
                  for seed in range(12)]
    assert max(brightness) - min(brightness) > 30  # dusk is darker than noon


def test_registered_like_the_facades():
    item = datasets.info("synthetic-streets")
    assert "synthetic-streets" in datasets.names()
    assert item.kind == "generated" and item.direction == "AtoB"
    assert (item.a, item.b) == ("label map", "photo")
    assert item.splits == streets.SPLIT_SIZES == {"train": 400, "val": 100, "test": 100}


def test_load_gives_pairs_and_masks_in_order(data_dir):
    folder = datasets.dataset_dir("synthetic-streets", SMALL, data_dir)
    assert storage.is_complete(folder, streets.GENERATOR_VERSION)
    assert storage.read_metadata(folder)["splits"] == SMALL_SPLITS
    pairs = list(datasets.load("synthetic-streets", "test", image_size=SMALL,
                               data_dir=data_dir))
    assert len(pairs) == SMALL_SPLITS["test"]
    masks = datasets.load_masks("test", image_size=SMALL, data_dir=data_dir,
                                dataset="synthetic-streets")
    assert masks.shape == (SMALL_SPLITS["test"], SMALL, SMALL) and masks.dtype == np.uint8
    for index, ((labels, photo), mask) in enumerate(zip(pairs, masks, strict=True)):
        assert labels.dtype == photo.dtype == np.float32
        assert labels.shape == photo.shape == (1, SMALL, SMALL, 3)
        for image in (labels, photo):
            assert -1.0 <= float(np.min(image)) and float(np.max(image)) <= 1.0
        expected_labels, expected_photo, expected_mask = streets.render_street(
            storage.SPLIT_SEED_OFFSETS["test"] + index, SMALL)
        np.testing.assert_array_equal(mask, expected_mask)
        as_uint8 = np.round((labels.numpy()[0] + 1) * 127.5).astype(np.uint8)
        np.testing.assert_array_equal(as_uint8, expected_labels)  # A is the label map
        as_uint8 = np.round((photo.numpy()[0] + 1) * 127.5).astype(np.int32)
        assert np.abs(as_uint8 - expected_photo).max() <= 1  # B is the photo


def test_load_masks_keeps_the_facades_default(data_dir):
    with pytest.raises(DatasetError, match="keeps no class masks"):
        datasets.load_masks("test", SMALL, data_dir, dataset="photos-edges")
    with pytest.raises(DatasetError, match="no split 'training'"):
        datasets.load_masks("training", SMALL, data_dir, dataset="synthetic-streets")
    assert not datasets.dataset_dir("synthetic-facades", SMALL, data_dir).exists()
