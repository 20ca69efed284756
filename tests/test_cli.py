"""The command line end to end in quick mode: train, kill, resume, translate, evaluate, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from p2plib.tools import checkpoints, cli

IMAGE_SIZE = "32"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli-data")


@pytest.fixture()
def environment(data_dir):
    return {**os.environ, "P2P_DATA_DIR": str(data_dir), "P2P_QUICK": "1"}


def run_cli(arguments, environment, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "p2plib", *arguments], env=environment, capture_output=True,
        text=True, timeout=timeout,
    )


def train_arguments(run_dir, epochs=2, steps=3, extra=()):
    return ["train", "--dataset", "synthetic-facades", "--run-dir", str(run_dir),
            "--image-size", IMAGE_SIZE, "--base-filters", "4", "--epochs", str(epochs),
            "--steps-per-epoch", str(steps), "--verbose", "2", *extra]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, data_dir):
    """A run killed mid-training once a checkpoint is on disk, then resumed to the end."""
    run_dir = tmp_path_factory.mktemp("runs") / "facades"
    environment = {**os.environ, "P2P_DATA_DIR": str(data_dir), "P2P_QUICK": "1"}
    command = [sys.executable, "-m", "p2plib",
               *train_arguments(run_dir, epochs=3, steps=40, extra=("--save-every", "5"))]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    checkpoints = run_dir / "checkpoints"
    deadline = time.monotonic() + 240
    try:
        while not (checkpoints / "checkpoint").is_file():
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "no checkpoint appeared in time"
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not (run_dir / cli.GENERATOR_FILE).exists(), "the run finished before it was killed"
    resumed = run_cli(["train", "--run-dir", str(run_dir), "--resume", "--verbose", "2"],
                      environment)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    return run_dir, resumed.stdout


def test_train_writes_a_complete_run_folder(trained_run):
    run_dir, _ = trained_run
    config = json.loads((run_dir / "config.json").read_text())
    assert config["dataset"] == "synthetic-facades" and config["image_size"] == 32
    assert config["epochs"] == 3 and config["steps_per_epoch"] == 40
    assert (run_dir / cli.GENERATOR_FILE).is_file()
    samples = sorted((run_dir / "samples").glob("*.png"))
    assert samples, "no sample grids were written"
    assert any((run_dir / "logs").rglob("events.out.tfevents*")), "no TensorBoard logs"


def test_resume_continues_from_the_last_checkpoint(trained_run):

    run_dir, output = trained_run
    assert "Resuming from" in output
    position = checkpoints.read_checkpoint_position(run_dir / "checkpoints")
    assert position.step == 3 * 40, "the resumed run did not finish the planned steps"
    assert position.epoch == 3 and position.batch == 0


def test_translate_a_folder_and_evaluate(trained_run, tmp_path, data_dir, monkeypatch, capsys):
    from p2plib import datasets

    monkeypatch.setenv("P2P_DATA_DIR", str(data_dir))
    run_dir, _ = trained_run
    test_folder = datasets.path("synthetic-facades", "test", image_size=32)
    output = tmp_path / "translated"
    code = cli.main(["translate", "--model", str(run_dir / cli.GENERATOR_FILE),
                     str(test_folder), str(output), "--half", "left"])
    assert code == 0
    written = sorted(output.glob("*.png"))
    assert len(written) == len(list(test_folder.glob("*.png")))
    image = np.asarray(Image.open(written[0]))
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    capsys.readouterr()
    code = cli.main(["evaluate", "--model", str(run_dir / cli.GENERATOR_FILE),
                     "--dataset", "synthetic-facades", "--split", "test", "--fcn-score"])
    assert code == 0
    printed = capsys.readouterr().out
    scores = json.loads(printed[printed.index("{"):])  # after the segmenter's training note
    assert scores["count"] == len(written)
    assert 0.0 <= scores["l1"] < 1.0 and scores["psnr"] > 5.0
    for column in ("pixel_accuracy", "class_accuracy", "class_iou"):
        assert 0.0 <= scores[column] <= 1.0


def test_mixed_precision_run_saves_a_float16_generator_that_translates(
    tmp_path, data_dir, monkeypatch, capsys
):
    import keras

    monkeypatch.setenv("P2P_DATA_DIR", str(data_dir))
    monkeypatch.setenv("P2P_QUICK", "1")
    run_dir = tmp_path / "mixed"
    code = cli.main(train_arguments(run_dir, epochs=1, steps=2, extra=("--mixed-precision",)))
    assert code == 0, capsys.readouterr().err
    assert json.loads((run_dir / "config.json").read_text())["mixed_precision"] is True
    generator = keras.saving.load_model(run_dir / cli.GENERATOR_FILE)
    convolution = generator.layers[1].layers[0]  # the first downsample block's Conv2D
    assert (convolution.compute_dtype, convolution.variable_dtype) == ("float16", "float32")
    assert keras.config.dtype_policy().name == "float32"  # the run left the policy as it was
    source = tmp_path / "photo.png"
    Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(source)
    code = cli.main(["translate", "--model", str(run_dir / cli.GENERATOR_FILE), str(source),
                     str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    assert np.asarray(Image.open(tmp_path / "out" / "photo.png")).shape == (32, 32, 3)


def test_help_explains_every_option(environment):
    result = run_cli(["train", "--help"], environment)
    assert result.returncode == 0
    for option in ("--dataset", "--data", "--run-dir", "--resume", "--image-size",
                   "--base-filters", "--epochs", "--save-every", "--gan-mode",
                   "--mixed-precision"):
        assert option in result.stdout


def test_bad_arguments_exit_non_zero_with_one_line(environment, tmp_path):
    result = run_cli(["train", "--run-dir", str(tmp_path / "run"), "--data",
                      str(tmp_path / "missing")], environment)
    assert result.returncode == cli.EXIT_USAGE
    assert "missing" in result.stderr and "Traceback" not in result.stderr
    # One line: TensorFlow's C++ start-up lines are kept out of the terminal too.
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["train", "--run-dir", "RUN"], "--dataset NAME or --data FOLDER"),
        (["train", "--run-dir", "RUN", "--resume"], "config.json does not exist"),
        (["train", "--run-dir", "RUN", "--dataset", "no-such-set"], "no-such-set"),
        (["translate", "--model", "MODEL", "IN", "OUT"], "no such file"),
        (["datasets", "info"], "needs a dataset NAME"),
    ],
)
def test_errors_name_the_problem(arguments, expected, tmp_path, capsys):
    paths = {"RUN": tmp_path / "run", "MODEL": tmp_path / "none.keras",
             "IN": tmp_path / "in", "OUT": tmp_path / "out"}
    arguments = [str(paths.get(argument, argument)) for argument in arguments]
    assert cli.main(arguments) == cli.EXIT_USAGE
    assert expected in capsys.readouterr().err


def test_a_file_that_is_not_a_model_is_refused(tmp_path, capsys):
    fake = tmp_path / "generator.keras"
    fake.write_bytes(b"not a keras archive")
    image = tmp_path / "x.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    assert cli.main(["translate", "--model", str(fake), str(image), str(tmp_path / "o")]) == 2
    assert "not a Keras model file" in capsys.readouterr().err


def test_bad_option_values_are_refused_by_the_parser(environment):
    result = run_cli(["train", "--run-dir", "x", "--image-size", "abc"], environment)
    assert result.returncode == 2 and "256x512" in result.stderr


# --------------------------------------------------------------------------- exact resume


@pytest.fixture(scope="module")
def few_pairs(tmp_path_factory):
    """Ten side-by-side facade pairs: 120 steps of batch 1 cross twelve passes over them."""
    from p2plib.datasets import facades

    folder = tmp_path_factory.mktemp("few-pairs")
    for index in range(10):
        labels, photo, _ = facades.render_facade(500 + index, image_size=40)
        Image.fromarray(np.concatenate([labels, photo], axis=1)).save(folder / f"{index}.png")
    return folder


def _exact_arguments(run_dir, folder):
    return ["train", "--data", str(folder), "--run-dir", str(run_dir), "--image-size", "32",
            "--base-filters", "4", "--n-layers", "1", "--epochs", "4", "--steps-per-epoch",
            "30", "--save-every", "7", "--verbose", "0"]


def _generator_weights(run_dir):
    import keras

    return keras.saving.load_model(run_dir / cli.GENERATOR_FILE).get_weights()


def _kill_after(command, environment, marker, timeout=240):
    """Start ``command``, SIGKILL it as soon as ``marker`` exists, return its output."""
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            assert process.poll() is None, process.stdout.read()[-3000:]
            assert time.monotonic() < deadline, f"{marker} never appeared"
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)


@pytest.fixture(scope="module")
def uninterrupted_run(tmp_path_factory, few_pairs, data_dir):
    whole = tmp_path_factory.mktemp("whole") / "run"
    environment = {**os.environ, "P2P_DATA_DIR": str(data_dir), "P2P_QUICK": "1"}
    result = run_cli(_exact_arguments(whole, few_pairs), environment)
    assert result.returncode == 0, result.stderr[-3000:]
    return whole


# Checkpoints fall every 7 steps and at each epoch's end (30, 60, 90): 60 is an epoch
# boundary in the sixth pass over the ten pairs, 67 the middle of the third epoch and of
# the seventh pass.
@pytest.mark.parametrize("kill_after", [60, 67])
def test_a_run_killed_in_a_later_pass_resumes_to_the_uninterrupted_weights(
        kill_after, uninterrupted_run, tmp_path, few_pairs, environment):
    killed = tmp_path / "killed"
    _kill_after([sys.executable, "-m", "p2plib", *_exact_arguments(killed, few_pairs)],
                environment, killed / "checkpoints" / f"ckpt-{kill_after}.index")
    assert not (killed / cli.GENERATOR_FILE).exists(), "the run ended before the kill"
    resumed = run_cli(["train", "--run-dir", str(killed), "--resume", "--verbose", "0"],
                      environment)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout
    for first, second in zip(_generator_weights(uninterrupted_run), _generator_weights(killed),
                             strict=True):
        np.testing.assert_allclose(first, second, atol=1e-5)


# --------------------------------------------------------------------------- run folders


@pytest.mark.parametrize(("content", "expected"), [
    ('{"dataset": "synthetic-facades", "image_size": ', "is not valid JSON"),
    ("[1, 2, 3]", "must hold a JSON object of settings, got a list"),
    ('{"dataset": "synthetic-facades"}', "lacks the settings"),
])
def test_a_damaged_config_json_is_named_with_its_problem(content, expected, tmp_path, capsys):
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "config.json").write_text(content)
    assert cli.main(["train", "--run-dir", str(run_dir), "--resume"]) == cli.EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and expected in error
    assert str(run_dir / "config.json") in error


def test_a_new_run_refuses_a_folder_that_holds_one(trained_run, capsys):
    run_dir, _ = trained_run

    def run_files():  # the run's own files (the one-writer lock records who last held it)
        return {path: path.stat().st_mtime_ns for path in run_dir.rglob("*")
                if path.is_file() and path.name != cli.RUN_LOCK}

    before = run_files()
    assert cli.main(train_arguments(run_dir)) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "already holds a run" in error and "--resume" in error and "--overwrite" in error
    assert run_files() == before  # nothing was touched


def test_overwrite_starts_afresh_and_leaves_only_the_new_run(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("P2P_DATA_DIR", str(data_dir))
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "checkpoints" / "ckpt-999.index").write_bytes(b"an old run's")
    (run_dir / "config.json").write_text("{}")
    assert cli.main(train_arguments(run_dir, epochs=1, steps=2, extra=("--overwrite",))) == 0
    assert not (run_dir / "checkpoints" / "ckpt-999.index").exists()
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == 1
    assert (run_dir / cli.GENERATOR_FILE).is_file()


def test_a_run_folder_that_is_a_file_is_refused_before_any_data_loads(tmp_path, capsys):
    run_file = tmp_path / "run"
    run_file.write_text("a file")
    assert cli.main(train_arguments(run_file)) == cli.EXIT_USAGE
    assert "is a file, not a folder" in capsys.readouterr().err
    assert run_file.read_text() == "a file"


def test_a_run_that_cannot_start_leaves_no_config_behind(tmp_path, data_dir, monkeypatch,
                                                         capsys):
    monkeypatch.setenv("P2P_DATA_DIR", str(data_dir))
    run_dir = tmp_path / "run"
    arguments = train_arguments(run_dir)
    arguments[arguments.index("--image-size") + 1] = "40"  # no U-Net fits 40x40
    assert cli.main(arguments) == cli.EXIT_USAGE
    assert "40" in capsys.readouterr().err
    assert not (run_dir / "config.json").exists()


# --------------------------------------------------------------------------- system errors


def test_translating_a_folder_into_itself_is_refused_before_the_model_loads(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "a.png")
    before = (folder / "a.png").read_bytes()
    # The model path does not even exist: the folders are checked first.
    code = cli.main(["translate", "--model", str(tmp_path / "none.keras"), str(folder),
                     str(folder)])
    assert code == cli.EXIT_USAGE
    assert "folder of the input images" in capsys.readouterr().err
    assert (folder / "a.png").read_bytes() == before


def test_an_output_folder_that_is_a_file_is_one_line(tmp_path, capsys):
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    (tmp_path / "out").write_text("a file")
    assert cli.main(["translate", "--model", str(tmp_path / "none.keras"), str(image),
                     str(tmp_path / "out")]) == cli.EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "out is a file" in error


def test_a_read_only_data_folder_is_one_line_naming_it(small_tmpfs, tmp_path, environment):
    import subprocess as sp

    sp.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    result = run_cli(["datasets", "prepare", "synthetic-facades", "--image-size", "32"],
                     {**environment, "P2P_DATA_DIR": str(small_tmpfs / "data")})
    assert result.returncode == cli.EXIT_USAGE
    error = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and error[-1].startswith("error: ")
    assert str(small_tmpfs) in error[-1] and "Read-only file system" in error[-1]
    assert "choose a folder you can write to" in error[-1]


def test_a_full_data_folder_is_one_line_naming_it(small_tmpfs, environment):
    result = run_cli(["datasets", "prepare", "synthetic-facades", "--image-size", "64"],
                     {**environment, "P2P_DATA_DIR": str(small_tmpfs / "data")})
    assert result.returncode == cli.EXIT_USAGE
    last = result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr and "No space left on device" in last
    assert str(small_tmpfs) in last and "free some space" in last


def test_networks_too_large_for_memory_are_one_line(tmp_path, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("P2P_DATA_DIR", str(data_dir))
    arguments = train_arguments(tmp_path / "run")
    arguments[arguments.index("--base-filters") + 1] = "200000"
    assert cli.main(arguments) == cli.EXIT_USAGE
    assert "out of memory" in capsys.readouterr().err
    assert not (tmp_path / "run" / "config.json").exists()
