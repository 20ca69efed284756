"""experiments.applications: train_task on real folders of pairs and on the named datasets."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from p2plib import data, datasets, evaluation, metrics, training
from p2plib.experiments import applications, segmentation

SIZE = 32  # the smallest size the U-Net and SSIM's 11x11 window are comfortable with
FILTERS = 4


def _noise_and_flat_pair(rng):
    """Input: random colours; target: one flat colour. Learnable fast, so training shows."""
    noise = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    flat = np.empty((SIZE, SIZE, 3), np.uint8)
    flat[...] = (230, 200, 40)
    return noise, flat


@pytest.fixture(scope="module")
def own_folder(tmp_path_factory):
    """train/ of side-by-side A|B PNGs and test/ with A/ and B/: both layouts at once."""
    root = tmp_path_factory.mktemp("own-pairs")
    rng = np.random.default_rng(0)
    (root / "train").mkdir()
    for index in range(8):
        noise, flat = _noise_and_flat_pair(rng)
        Image.fromarray(np.concatenate([noise, flat], axis=1)).save(
            root / "train" / f"{index:02d}.png")
    for side in ("A", "B"):
        (root / "test" / side).mkdir(parents=True)
    for index in range(5):
        noise, flat = _noise_and_flat_pair(rng)
        Image.fromarray(noise).save(root / "test" / "A" / f"{index:02d}.png")
        Image.fromarray(flat).save(root / "test" / "B" / f"{index:02d}.png")
    return root


@pytest.fixture(scope="module")
def short_run(own_folder):
    """Four steps on the folder with seed 1, shared by the tests that only need a result."""
    return _train(own_folder)


def _task(source, **changes):
    options = dict(image_size=SIZE, steps=4, base_filters=FILTERS, n_layers=1, seed=1)
    return applications.task(source, **{**options, **changes})


def _train(source, held_out="test", segmenter=None, samples=4, data_dir=None, **changes):
    return applications.train_task(_task(source, **changes), held_out, segmenter, samples,
                                   data_dir)


# ---------------------------------------------------------------------------- train_task


def test_train_task_trains_the_model_it_scores(own_folder):
    result = _train(own_folder, steps=100, samples=3)
    # The target is one flat colour: 100 steps take the output steadily towards it.
    assert result.after["l1"] < 0.85 * result.before["l1"]
    assert result.history["gen_l1"][-1] < 0.85 * result.history["gen_l1"][0]
    inputs, outputs, targets = result.samples
    assert inputs.shape == outputs.shape == targets.shape == (3, SIZE, SIZE, 3)
    assert np.abs(outputs).max() <= 1.0
    # The samples are the held-out pairs in file order, and the scores are of that split.
    expected = np.asarray(Image.open(own_folder / "test" / "B" / "00.png"), np.float32)
    np.testing.assert_allclose(targets[0], expected / 127.5 - 1.0, atol=1e-6)
    assert result.copy_input == evaluation.score_outputs(*_held_out_arrays(own_folder))
    assert result.history["step"] == [10 * (i + 1) for i in range(10)]
    assert set(result.history) == {"step", "gen_total", "gen_gan", "gen_l1", "disc_loss"}
    assert result.generator is result.model.generator
    assert result.ground_truth is None and result.train_seconds > 0


def _held_out_arrays(folder):
    pairs = list(data.load_paired(folder / "test", image_size=SIZE))
    return (np.concatenate([i for i, _ in pairs]), np.concatenate([t for _, t in pairs]))


def test_a_task_is_reproducible_from_its_seed(own_folder, short_run):
    # Same data, seed and settings: the same weights, samples, scores and losses.
    again = _train(own_folder)
    for a, b in zip(again.generator.get_weights(), short_run.generator.get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(again.samples, short_run.samples, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (again.before, again.after, again.copy_input, again.history, again.config) == (
        short_run.before, short_run.after, short_run.copy_input, short_run.history,
        short_run.config)


def test_a_street_task_is_scored_on_the_streets_masks(tmp_path):
    # The FCN-score of a street task must use the street masks, not the facades' default.
    segmenter = segmentation.fcn_segmenter(
        SIZE, num_classes=len(datasets.classes_of("synthetic-streets")))
    result = _train("synthetic-streets", steps=2, segmenter=segmenter, data_dir=tmp_path)
    _, test = applications.task_datasets(_task("synthetic-streets"), data_dir=tmp_path)
    targets = np.concatenate([target for _, target in test])
    masks = datasets.load_masks("test", SIZE, tmp_path, dataset="synthetic-streets")
    assert result.ground_truth == metrics.fcn_score(targets, masks, segmenter)


def test_facades_get_the_fcn_score_and_its_ground_truth_row(tmp_path):
    segmenter = segmentation.fcn_segmenter(SIZE)  # untrained, but a real segmenter
    result = _train("synthetic-facades", steps=2, segmenter=segmenter, data_dir=tmp_path)
    _, test = applications.task_datasets(_task("synthetic-facades"), data_dir=tmp_path)
    targets = np.concatenate([target for _, target in test])
    masks = datasets.load_masks("test", SIZE, tmp_path)
    assert result.ground_truth == metrics.fcn_score(targets, masks, segmenter)
    for scores in (result.before, result.after):
        assert set(metrics.SEGMENTATION_SCORE_NAMES) < set(scores)


# ---------------------------------------------------------------------------- the pieces


def test_a_task_is_a_training_configuration_logged_at_even_steps(own_folder):
    config = applications.task(own_folder, steps=30, image_size=SIZE, seed=4)
    assert (config.epochs, config.steps_per_epoch, config.total_steps) == (10, 3, 30)
    assert (config.data, config.dataset, config.seed) == (str(own_folder), None, 4)
    assert config.decay_epoch_count == 5  # the second half, as the paper's 100 + 100
    named = applications.task("photos-edges", steps=4)
    assert (named.dataset, named.data) == ("photos-edges", None)


def test_task_datasets_keep_the_held_out_order(own_folder):
    _, test = applications.task_datasets(_task(own_folder))
    model = training.build_model(_task(own_folder))
    inputs, outputs, targets = evaluation.translate_pairs(model.generator, test)
    expected_inputs, expected_targets = _held_out_arrays(own_folder)
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(targets, expected_targets)
    assert outputs.shape == (5, SIZE, SIZE, 3) and outputs.dtype == np.float32
    assert np.abs(outputs).max() <= 1.0


@pytest.mark.parametrize(("steps", "expected"), [(1200, 120), (200, 20), (30, 3), (25, 1),
                                                 (7, 1), (1, 1)])
def test_steps_per_log_divides_the_steps(steps, expected):
    assert applications.steps_per_log(steps) == expected


def test_results_table_has_a_row_per_task(own_folder, short_run):
    result = short_run
    table = applications.results_table([result, result]).splitlines()
    assert len(table) == 3 and "L1 trained" in table[0]
    assert table[1].startswith(own_folder.name) and f"{result.after['l1']:.3f}" in table[1]


# ---------------------------------------------------------------------------- bad input


def test_a_missing_folder_or_unknown_name_is_refused_clearly(tmp_path):
    with pytest.raises(data.DataError, match="neither a named dataset .* nor a folder"):
        _train(tmp_path / "nowhere")
    with pytest.raises(data.DataError, match="neither a named dataset"):
        _train("synthetic-facadez")


def test_a_folder_without_train_or_test_says_how_to_lay_it_out(tmp_path, own_folder):
    with pytest.raises(data.DataError, match=r"has no test/ folder"):
        _train(tmp_path)
    with pytest.raises(data.DataError, match=r"no val/ folder.*held-out pairs in .*val"):
        _train(own_folder, held_out="val")


@pytest.mark.parametrize(("options", "message"), [
    ({"steps": 0}, "steps must be an integer >= 1"),
    ({"steps": True}, "steps must be an integer >= 1"),
    ({"samples": 0}, "samples must be an integer >= 1"),
    ({"log_points": 0}, "log_points must be an integer >= 1"),
    ({"held_out": "train"}, "held_out must be one of"),
    ({"decay_epochs": 5}, r"decay_epochs \(5\) must be at most epochs \(4\)"),
    ({"decay_epochs": -1}, "decay_epochs must be an integer >= 0"),
])
def test_bad_arguments_are_refused(own_folder, options, message):
    with pytest.raises(ValueError, match=message):
        _train(own_folder, **options)


def test_the_fcn_score_is_refused_for_a_task_without_masks():
    with pytest.raises(ValueError, match=r"class masks of one of .*'synthetic-streets'"):
        _train("photos-edges", segmenter=segmentation.fcn_segmenter(SIZE))
