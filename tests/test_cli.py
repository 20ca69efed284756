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

from p2plib import cli

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
    from p2plib import callbacks

    run_dir, output = trained_run
    assert "Resuming from" in output
    position = callbacks.read_checkpoint_position(run_dir / "checkpoints")
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
