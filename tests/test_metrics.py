"""Metrics on known values, and the FCN-score with a real (small) segmenter trained once."""

from __future__ import annotations

import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from p2plib import datasets, metrics, segmentation

SIZE = 32  # the segmenter and its synthetic-facades dataset, small so that the tests are quick
EPOCHS = 6
NUM_CLASSES = len(datasets.FACADE_CLASSES)


def ramp_images(batch=2, size=16, low=-1.0, high=0.8):
    """Images whose values spread over [low, high] so that an offset is never clipped."""
    values = np.linspace(low, high, batch * size * size * 3, dtype=np.float32)
    return values.reshape(batch, size, size, 3)


# ---------------------------------------------------------------------------- L1 / PSNR / SSIM


def test_identical_images_score_perfectly():
    images = ramp_images()
    assert np.allclose(metrics.l1_distance(images, images), 0.0)
    assert np.all(np.isinf(metrics.psnr(images, images)))  # no cap: documented as inf
    assert np.allclose(metrics.ssim(images, images), 1.0, atol=1e-6)


def test_a_known_offset_gives_the_hand_computed_l1_and_psnr():
    target = ramp_images()
    generated = target + 0.2
    # L1 on the [-1, 1] scale is the offset; on [0, 1] it is 0.1, so MSE 0.01 and PSNR 20 dB.
    assert np.allclose(metrics.l1_distance(generated, target), [0.2, 0.2], atol=1e-6)
    assert np.allclose(metrics.psnr(generated, target), [20.0, 20.0], atol=1e-3)


def test_ssim_of_flat_images_is_the_luminance_term():
    a, b = 0.25, 0.75  # on [0, 1], exact in float32: flat images have only the luminance term
    first = np.full((1, 16, 16, 3), 2 * a - 1, np.float32)
    second = np.full((1, 16, 16, 3), 2 * b - 1, np.float32)
    c1 = 0.01**2
    expected = (2 * a * b + c1) / (a * a + b * b + c1)
    # float32 sums over the Gaussian window leave an error of about 1e-4; on the [-1, 1]
    # scale (the mistake this guards against) the value would be near -1.
    assert metrics.ssim(first, second).numpy() == pytest.approx([expected], abs=2e-4)


def test_image_metrics_refuse_mismatched_and_too_small_images():
    with pytest.raises(ValueError, match="same size"):
        metrics.l1_distance(np.zeros((1, 16, 16, 3)), np.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match="at least 11x11"):
        metrics.ssim(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 8, 3)))


def offset_model(size, offset):
    """A real Keras model that adds ``offset`` to its input."""
    image = keras.Input((size, size, 3))
    return keras.Model(image, keras.layers.Rescaling(1.0, offset=offset)(image))


def test_evaluate_generator_averages_over_a_dataset():
    targets = ramp_images(batch=3)
    pairs = tf.data.Dataset.from_tensor_slices((targets, targets)).batch(2)
    scores = metrics.evaluate_generator(offset_model(16, 0.0), pairs)
    assert scores["count"] == 3
    assert scores["l1"] == 0.0
    assert math.isinf(scores["psnr"]) and scores["ssim"] == pytest.approx(1.0, abs=1e-5)
    shifted = metrics.evaluate_generator(offset_model(16, 0.2), pairs)
    assert shifted["l1"] == pytest.approx(0.2, abs=1e-5)
    assert shifted["psnr"] == pytest.approx(20.0, abs=1e-3)


# ---------------------------------------------------------------------------- confusion scores


def test_segmentation_scores_of_hand_made_masks():
    true = np.array([[0, 0, 1, 1],
                     [0, 0, 1, 2]])
    predicted = np.array([[0, 1, 1, 1],
                          [0, 0, 2, 2]])
    confusion = metrics.confusion_matrix(predicted, true, 4)
    assert confusion[:3, :3].tolist() == [[3, 1, 0], [0, 2, 1], [0, 0, 1]]
    assert confusion[3].sum() == 0 and confusion[:, 3].sum() == 0
    scores = metrics.segmentation_scores(predicted, true, 4)
    assert scores["pixel_accuracy"] == pytest.approx(6 / 8)
    # class 3 never occurs nor is predicted: left out of both means
    assert scores["class_accuracy"] == pytest.approx((3 / 4 + 2 / 3 + 1 / 1) / 3)
    assert scores["class_iou"] == pytest.approx((3 / 4 + 2 / 4 + 1 / 2) / 3)


def test_a_class_predicted_but_absent_counts_with_iou_zero():
    true = np.zeros((2, 2), np.uint8)
    predicted = np.array([[0, 0], [0, 1]], np.uint8)
    scores = metrics.segmentation_scores(predicted, true, 2)
    assert scores["pixel_accuracy"] == pytest.approx(3 / 4)
    assert scores["class_accuracy"] == pytest.approx(3 / 4)  # only class 0 is present
    assert scores["class_iou"] == pytest.approx((3 / 4 + 0) / 2)
    assert metrics.segmentation_scores(true, true, 2) == {
        "pixel_accuracy": 1.0, "class_accuracy": 1.0, "class_iou": 1.0}


def test_segmentation_scores_refuse_bad_masks():
    with pytest.raises(ValueError, match="class id 5, outside 0..3"):
        metrics.segmentation_scores(np.array([[5]]), np.array([[0]]), 4)
    with pytest.raises(ValueError, match="integer class ids"):
        metrics.segmentation_scores(np.array([[0.5]]), np.array([[0]]), 4)
    with pytest.raises(ValueError, match="shape"):
        metrics.segmentation_scores(np.zeros((2, 2), int), np.zeros((2, 3), int), 4)


# ---------------------------------------------------------------------------- the segmenter


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
        _, photo, mask = datasets.render_facade(2_000_000 + index, SIZE)
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


def test_evaluate_generator_adds_the_fcn_score(segmenter, test_photos):
    photos, masks = test_photos
    identity = keras.Sequential([keras.Input((SIZE, SIZE, 3)), keras.layers.Identity()])
    pairs = tf.data.Dataset.from_tensor_slices((photos, photos)).batch(16)
    scores = metrics.evaluate_generator(identity, pairs, segmenter=segmenter, masks=masks)
    assert scores["count"] == 100 and scores["l1"] == pytest.approx(0.0, abs=1e-6)
    real = metrics.fcn_score(photos, masks, segmenter)
    for name in metrics.SEGMENTATION_SCORE_NAMES:
        assert scores[name] == pytest.approx(real[name])
    with pytest.raises(ValueError, match="both segmenter= and masks="):
        metrics.evaluate_generator(identity, pairs, segmenter=segmenter)


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
