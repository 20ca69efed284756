"""p2plib.applications: train_task on real folders of pairs, and notebook 07's copy of it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from p2plib import applications, data, datasets, metrics, segmentation

SIZE = 32  # the smallest size the U-Net and SSIM's 11x11 window are comfortable with
FILTERS = 4
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_applications.ipynb"


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


def _train(source, **kwargs):
    options = dict(image_size=SIZE, steps=4, base_filters=FILTERS, n_layers=1, seed=1)
    return applications.train_task(source, **{**options, **kwargs})


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
    assert result.copy_input == applications.score_outputs(*_held_out_arrays(own_folder))
    assert result.history["step"] == [10 * (i + 1) for i in range(10)]
    assert set(result.history) == {"step", "gen_total", "gen_gan", "gen_l1", "disc_loss"}
    assert result.generator is result.model.generator
    assert result.ground_truth is None and result.train_seconds > 0


def _held_out_arrays(folder):
    pairs = list(data.load_paired(folder / "test", image_size=SIZE))
    return (np.concatenate([i for i, _ in pairs]), np.concatenate([t for _, t in pairs]))


def _notebook_function(name: str):
    """Run notebook 07's set-up cell and the cell defining ``name``; return the function."""
    cells = [cell for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
             if cell["cell_type"] == "code"]
    sources = ["".join(cell["source"]) for cell in cells]
    setup = next(source for source in sources if "from p2plib import" in source)
    definition = next(source for source in sources if source.startswith(f"def {name}("))
    namespace: dict = {}
    exec(compile(setup + "\n" + definition, str(NOTEBOOK), "exec"), namespace)  # noqa: S102
    return namespace[name]


def test_the_notebooks_train_task_is_the_librarys(own_folder, short_run):
    # Same data, seed and settings: the same weights, samples, scores and losses. (This also
    # shows that a run is reproducible from its seed.)
    notebook_train_task = _notebook_function("train_task")
    ours = notebook_train_task(own_folder, SIZE, 4, FILTERS, n_layers=1, seed=1)
    theirs = short_run
    for a, b in zip(ours.generator.get_weights(), theirs.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(ours.samples, theirs.samples, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (ours.before, ours.after, ours.copy_input, ours.history, ours.settings) == (
        theirs.before, theirs.after, theirs.copy_input, theirs.history, theirs.settings)


def test_facades_get_the_fcn_score_and_its_ground_truth_row(tmp_path):
    segmenter = segmentation.fcn_segmenter(SIZE)  # untrained, but a real segmenter
    result = _train("synthetic-facades", steps=2, segmenter=segmenter, data_dir=tmp_path)
    _, test = applications.task_datasets("synthetic-facades", SIZE, data_dir=tmp_path)
    targets = np.concatenate([target for _, target in test])
    masks = datasets.load_masks("test", SIZE, tmp_path)
    assert result.ground_truth == metrics.fcn_score(targets, masks, segmenter)
    for scores in (result.before, result.after):
        assert set(metrics.SEGMENTATION_SCORE_NAMES) < set(scores)


# ---------------------------------------------------------------------------- the pieces


def test_score_outputs_on_known_values():
    target = np.linspace(-1.0, 0.8, 2 * 16 * 16 * 3, dtype=np.float32).reshape(2, 16, 16, 3)
    same = applications.score_outputs(target, target)
    assert same["l1"] == 0.0 and math.isinf(same["psnr"]) and same["ssim"] == pytest.approx(1.0)
    shifted = applications.score_outputs(target + 0.2, target)
    # 0.2 on [-1, 1] is 0.1 on [0, 1]: MSE 0.01, so PSNR 20 dB.
    assert shifted["l1"] == pytest.approx(0.2, abs=1e-6)
    assert shifted["psnr"] == pytest.approx(20.0, abs=1e-3)


def test_translate_split_keeps_the_order_and_one_output_per_pair(own_folder):
    model = applications.build_pix2pix(SIZE, FILTERS, n_layers=1)
    test = data.load_paired(own_folder / "test", image_size=SIZE, batch_size=2)
    inputs, outputs, targets = applications.translate_split(model, test)
    expected_inputs, expected_targets = _held_out_arrays(own_folder)
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(targets, expected_targets)
    assert outputs.shape == (5, SIZE, SIZE, 3) and outputs.dtype == np.float32
    assert np.abs(outputs).max() <= 1.0


def test_the_learning_rate_is_constant_then_falls_linearly():
    schedule = applications.decaying_learning_rate(10, decay_steps=4)
    rates = [float(schedule(step)) / 2e-4 for step in range(12)]
    # Six constant steps, then the reference implementation's linear factor per step:
    # 1 - (step + 1 - 6) / (4 + 1).
    np.testing.assert_allclose(rates, [1] * 6 + [0.8, 0.6, 0.4, 0.2, 0, 0], atol=1e-6)
    constant = applications.decaying_learning_rate(10, decay_steps=0)
    assert float(constant(9)) == pytest.approx(2e-4)
    assert applications.decaying_learning_rate(10).n_epochs_decay == 5


def test_build_pix2pix_is_compiled_with_two_paper_optimizers():
    model = applications.build_pix2pix(SIZE, FILTERS, n_layers=1)
    assert model.generator.input.shape[1:] == (SIZE, SIZE, 3)
    optimizers = (model.generator_optimizer, model.discriminator_optimizer)
    assert optimizers[0] is not optimizers[1]
    for optimizer in optimizers:
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert float(optimizer.beta_1) == pytest.approx(0.5)
    assert model.l1_weight == 100.0
    schedule = applications.decaying_learning_rate(10)
    decaying = applications.build_pix2pix(SIZE, FILTERS, n_layers=1, learning_rate=schedule)
    for optimizer in (decaying.generator_optimizer, decaying.discriminator_optimizer):
        optimizer.iterations.assign(9)  # the last of 10 steps: 1/6 of the rate, by the schedule
        assert float(optimizer.learning_rate) == pytest.approx(2e-4 / 6)


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
    with pytest.raises(data.DataError, match=r"no train/ or test/ folder"):
        _train(tmp_path)
    with pytest.raises(data.DataError, match=r"no val/ folder.*held-out pairs in .*val"):
        _train(own_folder, held_out="val")


@pytest.mark.parametrize(("options", "message"), [
    ({"steps": 0}, "steps must be an integer >= 1"),
    ({"steps": True}, "steps must be an integer >= 1"),
    ({"samples": 0}, "samples must be an integer >= 1"),
    ({"steps": 4, "log_every": 3}, r"multiple of log_every \(3\)"),
    ({"held_out": "train"}, "held_out must be one of"),
    ({"steps": 4, "decay_steps": 5}, r"decay_steps must be an integer from 0 to steps \(4\)"),
    ({"decay_steps": -1}, "decay_steps must be an integer from 0"),
])
def test_bad_arguments_are_refused(own_folder, options, message):
    with pytest.raises(ValueError, match=message):
        _train(own_folder, **options)


def test_the_fcn_score_is_refused_for_a_task_without_masks():
    with pytest.raises(ValueError, match="class masks of 'synthetic-facades'"):
        _train("photos-edges", segmenter=segmentation.fcn_segmenter(SIZE))
