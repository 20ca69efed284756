"""Image metrics and confusion-matrix scores on known values (p2plib.metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from p2plib import metrics


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


def test_void_pixels_are_left_out_of_the_confusion_matrix():
    true = np.array([[0, 1, 255, 255]], np.uint8)
    predicted = np.array([[0, 0, 1, 0]], np.uint8)
    np.testing.assert_array_equal(metrics.confusion_matrix(predicted, true, 2), [[1, 0], [1, 0]])
    scores = metrics.segmentation_scores(predicted, true, 2)
    assert scores["pixel_accuracy"] == 0.5  # two scored pixels, one right
    with pytest.raises(ValueError, match="predicted masks hold the class id 255"):
        metrics.confusion_matrix(np.array([[255, 0]], np.uint8), np.array([[0, 0]], np.uint8), 2)


def test_colour_spread_tells_varied_cars_from_cars_painted_one_average_colour():
    rng = np.random.default_rng(0)
    masks = np.zeros((6, 24, 24), np.uint8)
    masks[:, 4:10, 3:11] = 1  # two cars an image, apart
    masks[:, 14:20, 12:22] = 1
    images = np.full((6, 24, 24, 3), -0.2, np.float32)
    for index in range(6):
        for rows, cols in ((slice(4, 10), slice(3, 11)), (slice(14, 20), slice(12, 22))):
            images[index, rows, cols] = rng.uniform(-1, 1, 3)
    varied = metrics.class_colour_spread(images, masks, 1)
    assert varied["instances"] == 12
    average = images.copy()
    average[masks == 1] = images[masks == 1].mean(axis=0)
    painted = metrics.class_colour_spread(average, masks, 1)
    assert varied["spread"] > 0.15 and painted["spread"] < 1e-6
    assert painted["saturation"] < varied["saturation"]
    assert np.isnan(metrics.class_colour_spread(images, masks, 2)["spread"])  # no such class
    with pytest.raises(ValueError, match="same pixels"):
        metrics.class_colour_spread(images, masks[:, :12], 1)
