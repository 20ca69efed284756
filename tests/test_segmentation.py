"""The FCN-score's segmenter and scoring (experiments.segmentation), on a small real segmenter."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from p2plib import evaluation, metrics
from p2plib.datasets import facades, palettes
from p2plib.experiments import segmentation

SIZE = 32  # the segmenter and its synthetic-facades dataset, small so that the tests are quick
EPOCHS = 6
NUM_CLASSES = len(palettes.FACADE_CLASSES)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A fresh data folder for this module, where the dataset and the segmenter are made."""
    folder = tmp_path_factory.mktemp("metrics-data")
    previous = os.environ.get("P2P_DATA_DIR")
    os.environ["P2P_DATA_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("P2P_DATA_DIR")
    else:
        os.environ["P2P_DATA_DIR"] = previous


@pytest.fixture(scope="module")
def segmenter(data_dir):
    """Trained once through the cache, in the default data folder (P2P_DATA_DIR)."""
    return segmentation.load_or_train_segmenter(SIZE, epochs=EPOCHS, verbose=0)


@pytest.fixture(scope="module")
def test_photos(data_dir):
    return segmentation.facade_photos_and_masks("test", SIZE)


def test_the_segmenter_is_a_functional_model_of_stock_layers():
    model = segmentation.fcn_segmenter(64)
    assert model.input_shape == (None, 64, 64, 3)
    assert model.output_shape == (None, 64, 64, NUM_CLASSES)
    assert all(type(layer).__module__.startswith("keras.") for layer in model.layers)
    with pytest.raises(ValueError, match="multiple of 16"):
        segmentation.fcn_segmenter(72)


def test_photos_and_masks_are_aligned(data_dir, test_photos):
    photos, masks = test_photos
    assert photos.shape == (100, SIZE, SIZE, 3) and masks.shape == (100, SIZE, SIZE)
    assert photos.min() >= -1.0 and photos.max() <= 1.0
    # the i-th photo and mask are those of the i-th test facade (seed offset 2,000,000)
    for index in (0, 57):
        _, photo, mask = facades.render_facade(2_000_000 + index, SIZE)
        assert np.array_equal(mask, masks[index])
        assert np.abs((photos[index] + 1) * 127.5 - photo).max() <= 0.5


def test_ground_truth_row_is_clearly_above_blurred_photos(segmenter, test_photos):
    photos, masks = test_photos
    real = metrics.fcn_score(photos, masks, segmenter)
    blurred_photos = tf.image.resize(tf.image.resize(photos, (SIZE // 8, SIZE // 8),
                                                     antialias=True), (SIZE, SIZE))
    blurred = metrics.fcn_score(blurred_photos, masks, segmenter)
    assert real["pixel_accuracy"] > 0.7
    assert real["pixel_accuracy"] > blurred["pixel_accuracy"] + 0.15
    assert real["class_accuracy"] > blurred["class_accuracy"] + 0.15
    assert real["class_iou"] > blurred["class_iou"] + 0.15


def test_fcn_score_takes_a_dataset_of_photo_batches(segmenter, test_photos):
    photos, masks = test_photos
    dataset = tf.data.Dataset.from_tensor_slices(photos).batch(30)
    assert metrics.fcn_score(dataset, masks, segmenter) == pytest.approx(
        metrics.fcn_score(photos, masks, segmenter))
    pairs = tf.data.Dataset.from_tensor_slices((photos, photos)).batch(30)
    with pytest.raises(ValueError, match="not of \\(input, target\\) pairs"):
        metrics.fcn_score(pairs, masks, segmenter)
    with pytest.raises(ValueError, match="more photos than the 99 masks"):
        metrics.fcn_score(photos, masks[:99], segmenter)
    with pytest.raises(ValueError, match="99 photos but 100 masks"):
        metrics.fcn_score(photos[:99], masks, segmenter)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        metrics.fcn_score((photos + 1) * 127.5, masks, segmenter)


def test_the_cached_segmenter_is_loaded_not_retrained(data_dir, segmenter, capsys):
    path = segmentation.segmenter_path(SIZE)
    assert path.parent == data_dir and path.is_file()
    record = segmentation.segmenter_record(SIZE)
    assert record["epochs"] == EPOCHS and record["val_scores"]["pixel_accuracy"] > 0.5
    modified = path.stat().st_mtime_ns, path.with_suffix(".json").stat().st_mtime_ns
    loaded = segmentation.load_or_train_segmenter(SIZE, epochs=EPOCHS, verbose=1)
    assert "Training" not in capsys.readouterr().out
    assert (path.stat().st_mtime_ns, path.with_suffix(".json").stat().st_mtime_ns) == modified
    probe = np.random.default_rng(0).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    assert np.allclose(loaded(probe), segmenter(probe), atol=1e-5)


def test_a_missing_or_corrupt_segmenter_is_retrained(data_dir, segmenter, capsys):
    path = segmentation.segmenter_path(SIZE)
    path.write_bytes(b"this is not a keras archive")
    with pytest.warns(UserWarning, match="could not be loaded .*training a new one"):
        segmentation.load_or_train_segmenter(SIZE, epochs=1, verbose=1)
    assert "Training the FCN-score segmenter" in capsys.readouterr().out
    assert segmentation.segmenter_record(SIZE)["epochs"] == 1
    keras.models.load_model(path)  # a real model again

    path.unlink()
    segmentation.load_or_train_segmenter(SIZE, epochs=1, verbose=1)
    assert "not trained yet" in capsys.readouterr().out
    assert path.is_file()
    assert not list(data_dir.glob(".*tmp*"))  # the atomic write left nothing behind


def test_score_generator_adds_the_fcn_score(segmenter, test_photos):
    photos, masks = test_photos
    identity = keras.Sequential([keras.Input((SIZE, SIZE, 3)), keras.layers.Identity()])
    pairs = tf.data.Dataset.from_tensor_slices((photos, photos)).batch(16)
    scores = evaluation.score_generator(identity, pairs, segmenter=segmenter, masks=masks)
    assert scores["count"] == 100 and scores["l1"] == pytest.approx(0.0, abs=1e-6)
    real = metrics.fcn_score(photos, masks, segmenter)
    for name in metrics.SEGMENTATION_SCORE_NAMES:
        assert scores[name] == pytest.approx(real[name])
    with pytest.raises(ValueError, match="segmenter= and palette= score against the true"):
        evaluation.score_generator(identity, pairs, segmenter=segmenter)
