"""Cityscapes for real: its colour label maps read back to classes, the photo -> labels
scores, and the paper's tables on a small archive in the real layout served on 127.0.0.1.

The archive is made like the pix2pix authors' ``cityscapes.tar.gz``: ``cityscapes/train/N.jpg``
and ``cityscapes/val/N.jpg`` (no test split), each a JPEG with the photo on the left (A) and
its colour label map on the right (B), drawn in Cityscapes' colours, void colours included.
The street scenes come from the library's street renderer, relabelled with Cityscapes' ids.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from conftest import make_archive
from p2plib import datasets, evaluation, label_colours
from p2plib.datasets import downloads, palettes, streets
from p2plib.tools import cli

SIZE = 64
SPLITS = {"train": 6, "val": 4}
EGO_VEHICLE_ROWS = 6  # Cityscapes labels the car's own bonnet black: void
GROUND = (81, 0, 81)  # another void colour


def cityscapes_ids(street_mask: np.ndarray) -> np.ndarray:
    """The street renderer's class ids as Cityscapes' training ids (by class name)."""
    lookup = np.array([palettes.CITYSCAPES_CLASSES.index(name)
                       for name in palettes.STREET_CLASSES], np.uint8)
    return lookup[street_mask]


def cityscapes_pair(seed: int):
    """``(jpeg bytes, true mask)`` of one pair in the real archive's layout."""
    _, photo, street_mask = streets.render_street(seed, image_size=SIZE)
    mask = cityscapes_ids(street_mask)
    mask[-EGO_VEHICLE_ROWS:] = label_colours.VOID_ID
    mask[:4, :8] = label_colours.VOID_ID
    labels = label_colours.labels_to_rgb(mask, palettes.CITYSCAPES_PALETTE)
    labels[:4, :8] = GROUND
    buffer = io.BytesIO()
    Image.fromarray(np.concatenate([photo, labels], axis=1)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue(), mask


@pytest.fixture(scope="module")
def archive_pairs():
    """{split: [(jpeg bytes, mask)]}, the files numbered 1..N as in the real archive."""
    return {split: [cityscapes_pair(1000 * k + index) for index in range(count)]
            for k, (split, count) in enumerate(SPLITS.items())}


@pytest.fixture()
def cityscapes_site(server, archive_pairs, tmp_path, monkeypatch):
    """The archive served on 127.0.0.1, P2P_DATASETS_URL pointing at it, a fresh data dir."""
    site, url = server
    (site / "datasets").mkdir()
    members = [(f"cityscapes/{split}/{index + 1}.jpg", jpeg)
               for split, pairs in archive_pairs.items()
               for index, (jpeg, _) in enumerate(pairs)]
    make_archive(site / "datasets" / "cityscapes.tar.gz", members)
    monkeypatch.setenv(downloads.BASE_URL_ENV, url)
    monkeypatch.setenv("P2P_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_the_colour_label_maps_are_read_back_to_their_classes(cityscapes_site, archive_pairs):
    masks = datasets.load_masks("val", SIZE, dataset="cityscapes")
    # file order 1.jpg, 2.jpg, ... is the order load() reads the pairs in
    true = np.stack([mask for _, mask in archive_pairs["val"]])
    assert masks.shape == true.shape and masks.dtype == np.uint8
    # JPEG blurs colours across class borders only: away from them every pixel is right
    interior = ndimage.minimum_filter(true, 5) == ndimage.maximum_filter(true, 5)
    assert (masks == true)[interior].mean() > 0.995
    assert (masks == true).mean() > 0.85
    assert (masks[:, -EGO_VEHICLE_ROWS:] == label_colours.VOID_ID).mean() > 0.9
    assert (masks[:, :3, :7] == label_colours.VOID_ID).mean() > 0.9  # "ground" is void too
    car = palettes.CITYSCAPES_CLASSES.index("car")
    assert (masks == car).any()
    # cached beside the download, and resized (nearest) to another size
    assert (cityscapes_site / "cityscapes" / "val_masks" / "dataset.json").is_file()
    small = datasets.load_masks("val", 32, dataset="cityscapes")
    np.testing.assert_array_equal(small, masks[:, 1::2, 1::2])  # the centre of each 2x2
    # the photos are the pairs' A halves, the labels -> photo direction's targets
    labels, photos = next(iter(datasets.load("cityscapes", "val", image_size=SIZE)))
    assert labels.shape == photos.shape == (1, SIZE, SIZE, 3)


def test_cityscapes_has_no_test_split_so_it_is_scored_on_val():
    assert datasets.held_out_split("cityscapes") == "val"
    assert datasets.held_out_split("synthetic-streets") == "test"
    assert datasets.classes_of("cityscapes")[13] == "car"
    assert datasets.palette_of("cityscapes").shape == (19, 3)


def test_the_ablations_run_on_the_downloaded_cityscapes(cityscapes_site, tmp_path, capsys):
    out = tmp_path / "ablations-cityscapes.json"
    code = cli.main(["ablations", "--dataset", "cityscapes", "--quick", "--only", "l1",
                     "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    results = json.loads(out.read_text())
    assert results["complete"] and results["dataset"] == "cityscapes"
    assert results["test_pairs"] == SPLITS["val"]
    assert results["segmenter"]["dataset"] == "cityscapes"
    assert results["segmenter"]["num_classes"] == 19
    assert (cityscapes_site / "fcn-segmenter-cityscapes-64.keras").is_file()
    truth, run = results["ground_truth"], results["settings"][0]["scores"]
    for column in ("pixel_accuracy", "class_accuracy", "class_iou"):
        assert 0.0 < truth[column] <= 1.0 and 0.0 <= run[column] <= 1.0
    assert "car_colour_spread" in truth and "car_colour_spread" in run


def test_photo_to_labels_scores_read_the_label_maps_back(cityscapes_site, archive_pairs):
    palette = datasets.palette_of("cityscapes")
    masks = datasets.load_masks("val", SIZE, dataset="cityscapes")
    drawn = label_colours.labels_to_rgb(masks, palette).astype(np.float32) / 127.5 - 1.0
    perfect = evaluation.label_map_scores(drawn, masks, palette)
    assert perfect == {"pixel_accuracy": 1.0, "class_accuracy": 1.0, "class_iou": 1.0}
    road, car = (palettes.CITYSCAPES_CLASSES.index(name) for name in ("road", "car"))
    wrong = np.where(masks == road, car, masks)
    scores = evaluation.label_map_scores(
        label_colours.labels_to_rgb(wrong, palette).astype(np.float32) / 127.5 - 1.0,
        masks, palette)
    road_share = (masks == road).sum() / (masks != label_colours.VOID_ID).sum()
    assert scores["pixel_accuracy"] == pytest.approx(1.0 - road_share, abs=1e-6)
    assert scores["class_iou"] < 1.0


def test_evaluate_scores_a_photo_to_labels_generator(tmp_path, monkeypatch, capsys):
    from p2plib import models

    monkeypatch.setenv("P2P_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(streets, "SPLIT_SIZES", {"train": 2, "val": 2, "test": 3})
    generator = models.unet_generator(32, base_filters=4)
    generator.save(tmp_path / "labels.keras")
    arguments = ["evaluate", "--model", str(tmp_path / "labels.keras"),
                 "--dataset", "synthetic-streets", "--label-scores"]
    assert cli.main(arguments) == cli.EXIT_USAGE  # labels -> photo is the default direction
    assert "--direction BtoA" in capsys.readouterr().err
    assert cli.main([*arguments, "--direction", "BtoA"]) == 0
    scores = json.loads(capsys.readouterr().out)
    photos, label_maps = (np.concatenate(part) for part in zip(*datasets.load(
        "synthetic-streets", "test", image_size=32, direction="BtoA"), strict=True))
    outputs = evaluation.translate_images(generator, photos, "inference")
    expected = evaluation.label_map_scores(
        outputs, datasets.load_masks("test", 32, dataset="synthetic-streets"),
        palettes.STREET_PALETTE)
    assert scores["count"] == 3
    for column, value in expected.items():
        assert scores[column] == pytest.approx(value, abs=1e-6), column
    assert cli.main([*arguments, "--direction", "BtoA", "--fcn-score"]) == cli.EXIT_USAGE
    assert "pass the one that fits" in capsys.readouterr().err
