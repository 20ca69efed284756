"""Nothing is lost: the faults a user meets, each with a real process, kill, mount or server.

One writer per run folder; bounded image sizes; a full or read-only disk named as such with
its path; whole files or none, and the leftovers of killed writes removed; a run killed at
any point resumable; arguments refused before anything is downloaded, generated or loaded;
downloads that end; and the small ones (channel counts, a folder named config.json, a
size-free model, a dangling link, an ONNX opset out of range).
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import mounted_tmpfs
from p2plib import callbacks, checks, export, files, models, training
from p2plib.errors import ArgumentError
from p2plib.tools import checkpoints, cli

TIMEOUT = 300


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("faults-data")


@pytest.fixture()
def environment(data_dir):
    return {**os.environ, "P2P_DATA_DIR": str(data_dir), "P2P_QUICK": "1"}


def train_arguments(run_dir, steps=4, epochs=1, extra=()):
    return ["train", "--dataset", "synthetic-facades", "--run-dir", str(run_dir),
            "--image-size", "32", "--base-filters", "4", "--n-layers", "1",
            "--epochs", str(epochs), "--steps-per-epoch", str(steps), "--samples", "1",
            "--verbose", "2", *extra]


def start(arguments, environment):
    return subprocess.Popen([sys.executable, "-m", "p2plib", *arguments], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def run_cli(arguments, environment):
    return subprocess.run([sys.executable, "-m", "p2plib", *arguments], env=environment,
                          capture_output=True, text=True, timeout=TIMEOUT)


def one_line_error(result) -> str:
    """The error line of a command that failed as a user's mistake (exit 2, no traceback)."""
    assert result.returncode == cli.EXIT_USAGE, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr.strip().splitlines()[-1]


def wait_for(condition, process=None, seconds=TIMEOUT):
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(process.stdout.read() + process.stderr.read())
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.fixture(scope="module")
def prepared(data_dir):
    """The 32x32 synthetic facades, generated once for the module's trainings."""
    environment = {**os.environ, "P2P_DATA_DIR": str(data_dir), "P2P_QUICK": "1"}
    result = run_cli(["datasets", "prepare", "synthetic-facades", "--image-size", "32"],
                     environment)
    assert result.returncode == 0, result.stderr
    return data_dir


# ----------------------------------------------------------- 1. one writer per run folder


def test_two_trainings_started_together_on_one_folder_leave_one_run(tmp_path, prepared,
                                                                     environment):
    run_dir = tmp_path / "run"
    first = start(train_arguments(run_dir, extra=("--seed", "1")), environment)
    second = start(train_arguments(run_dir, extra=("--seed", "2")), environment)
    outputs = [process.communicate(timeout=TIMEOUT) for process in (first, second)]
    codes = sorted(process.returncode for process in (first, second))
    assert codes == [0, cli.EXIT_USAGE], outputs
    loser = next(i for i, p in enumerate((first, second)) if p.returncode == cli.EXIT_USAGE)
    winner = (first, second)[1 - loser]
    message = outputs[loser][1].strip().splitlines()[-1]
    assert f"{run_dir} is being written by another training (process {winner.pid})" in message
    seed = json.loads((run_dir / "config.json").read_text())["seed"]
    assert seed == (1, 2)[1 - loser]


def test_resume_and_overwrite_wait_for_the_training_that_holds_the_folder(
        tmp_path, prepared, environment):
    run_dir = tmp_path / "run"
    running = start(train_arguments(run_dir, steps=5000, extra=("--save-every", "2")),
                    environment)
    try:
        wait_for(lambda: checkpoints.checkpoint_files(run_dir / "checkpoints"), running)
        for flag in ("--resume", "--overwrite"):
            arguments = ["train", "--run-dir", str(run_dir), flag, "--verbose", "0"]
            if flag == "--overwrite":
                arguments = train_arguments(run_dir, extra=("--overwrite",))
            line = one_line_error(run_cli(arguments, environment))
            assert f"(process {running.pid})" in line, line
        assert running.poll() is None  # untouched by the refused commands
    finally:
        running.kill()
        running.wait()
    # A killed process releases its lock: the folder can be written again.
    replaced = run_cli(train_arguments(run_dir, steps=2, extra=("--overwrite",)), environment)
    assert replaced.returncode == 0, replaced.stderr[-3000:]


# ------------------------------------------------------------------ 2. bounded sizes


@pytest.mark.parametrize("arguments", [
    ["datasets", "prepare", "synthetic-facades", "--image-size", "8x99999999"],
    ["train", "--dataset", "synthetic-facades", "--run-dir", "RUN", "--image-size", "16384"],
])
def test_an_image_size_over_the_limit_is_refused_before_any_memory_is_spent(
        arguments, tmp_path, environment, capsys):
    arguments = [str(tmp_path / "run") if part == "RUN" else part for part in arguments]
    with pytest.raises(SystemExit) as exit_code:
        cli.main(arguments)
    assert exit_code.value.code == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "pixels, more than the 16,777,216 allowed (P2P_MAX_PIXELS)" in error
    assert not (tmp_path / "run").exists()


def test_the_pixel_limit_is_one_setting(monkeypatch):
    assert checks.image_size(4096) == (4096, 4096)
    monkeypatch.setenv(checks.MAX_PIXELS_ENV, str(64 * 64))
    assert checks.image_size(64) == (64, 64)
    with pytest.raises(ArgumentError, match="64x128, 8,192 pixels"):
        checks.image_size((64, 128))
    monkeypatch.setenv(checks.MAX_PIXELS_ENV, "lots")
    with pytest.raises(ArgumentError, match="P2P_MAX_PIXELS='lots'"):
        checks.max_pixels()


def test_out_of_memory_advice_fits_the_command():
    parser_commands = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert set(cli.OUT_OF_MEMORY_ADVICE) == parser_commands
    assert "--base-filters" not in cli.OUT_OF_MEMORY_ADVICE["datasets"]


# ------------------------------------- 3, 4, 11. a full or read-only disk, whole files or none


def test_a_full_disk_during_a_checkpoint_is_named_with_its_folder(tmp_path, prepared,
                                                                  environment):
    run_dir = tmp_path / "full"
    run_dir.mkdir()
    with mounted_tmpfs(run_dir, "size=96k"):
        line = one_line_error(run_cli(train_arguments(run_dir, extra=("--save-every", "2")),
                                      environment))
        assert "No space left on device" in line and "out of memory" not in line
        assert str(run_dir / "checkpoints") in line and "free some space" in line


def test_a_read_only_run_folder_is_refused_before_anything_loads(tmp_path, environment):
    run_dir = tmp_path / "ro"
    run_dir.mkdir()
    with mounted_tmpfs(run_dir, "size=64k,ro"):
        line = one_line_error(run_cli(train_arguments(run_dir), environment))
    assert str(run_dir) in line and "Read-only file system" in line


def test_a_full_disk_leaves_no_sample_and_names_it(tmp_path):
    folder = tmp_path / "samples"
    folder.mkdir()
    keras.utils.set_random_seed(0)
    model = training.Pix2Pix(models.unet_generator(32, base_filters=4),
                             models.patchgan_discriminator(32, base_filters=4, n_layers=1))
    images = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    sampler = callbacks.SampleImages(images, images, directory=folder)
    sampler.set_model(model)
    with mounted_tmpfs(folder, "size=4k"):
        with pytest.raises(OSError) as raised:
            for epoch in range(50):  # until the 4 KB are used up
                sampler.on_epoch_end(epoch)
        assert raised.value.filename == str(folder / f"epoch_{epoch + 1:04d}.png")
        assert not (folder / f"epoch_{epoch + 1:04d}.png").exists()
        assert not [path for path in folder.iterdir() if files.is_temporary(path)]


def test_a_full_disk_leaves_no_generator_file(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    generator = models.unet_generator(32, base_filters=4)
    with mounted_tmpfs(folder, "size=16k"):
        with pytest.raises(OSError) as raised, \
                files.written_atomically(folder / "generator.keras") as temporary:
            generator.save(temporary)
        assert raised.value.filename == str(folder / "generator.keras")
        assert "No space left" in raised.value.strerror
        assert list(folder.iterdir()) == []


def test_a_full_disk_while_translating_names_the_image_and_leaves_no_part(tmp_path,
                                                                          environment):
    keras.utils.set_random_seed(0)
    model_path = tmp_path / "g.keras"
    models.unet_generator(32, base_filters=4).save(model_path)
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), np.uint8)).save(
            images / f"{index}.png")
    output = tmp_path / "out"
    output.mkdir()
    with mounted_tmpfs(output, "size=4k"):
        line = one_line_error(run_cli(["translate", "--model", str(model_path), str(images),
                                       str(output)], environment))
        assert "No space left on device" in line and str(output) in line
        assert all(path.stat().st_size > 0 and not files.is_temporary(path)
                   for path in output.iterdir())


# ------------------------- 5, 7, 10. leftovers removed; a run killed at any point resumes


def test_checkpoints_no_rotation_deletes_are_pruned(tmp_path):
    step = tf.Variable(0)
    position = tf.train.Checkpoint(step=step, epoch=tf.Variable(0), batch=tf.Variable(0))
    manager = tf.train.CheckpointManager(position, str(tmp_path), 10)
    for number in range(1, 7):
        step.assign(number)
        manager.save(checkpoint_number=number)
    (tmp_path / "ckpt-6.data-00000-of-00001").write_bytes(b"damaged")
    removed = checkpoints.prune(tmp_path, keep=3)
    assert sorted(path.name.split(".")[0] for path in removed) == ["ckpt-1", "ckpt-1",
                                                                   "ckpt-2", "ckpt-2"]
    assert [Path(p).name for p in checkpoints.checkpoint_files(tmp_path)] == [
        "ckpt-6", "ckpt-5", "ckpt-4", "ckpt-3"]


def test_a_run_killed_before_its_first_checkpoint_resumes_afresh(tmp_path, prepared,
                                                                 environment):
    run_dir = tmp_path / "run"
    running = start(train_arguments(run_dir, steps=400), environment)
    try:
        wait_for(lambda: (run_dir / "config.json").is_file(), running)
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.wait()
    assert not checkpoints.checkpoint_files(run_dir / "checkpoints")
    (run_dir / "samples").mkdir(exist_ok=True)
    (run_dir / "samples" / "epoch_0001.png").write_bytes(b"")  # a write cut short
    leftover = run_dir / f".generator.partial-{dead_pid()}.keras"
    leftover.write_bytes(b"partial")
    plain = one_line_error(run_cli(train_arguments(run_dir, steps=2), environment))
    assert "stopped before its first checkpoint; pass --resume" in plain
    config = json.loads((run_dir / "config.json").read_text())
    config["steps_per_epoch"] = 2  # shorten the recorded run for the test
    (run_dir / "config.json").write_text(json.dumps(config))
    resumed = run_cli(["train", "--run-dir", str(run_dir), "--resume", "--verbose", "0"],
                      environment)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "stopped before its first checkpoint: starting it afresh" in resumed.stdout
    assert not leftover.exists()
    assert (run_dir / "samples" / "epoch_0001.png").stat().st_size > 0
    again = run_cli(["train", "--run-dir", str(run_dir), "--resume", "--verbose", "0"],
                    environment)
    assert again.returncode == 0 and f"The run in {run_dir} is finished" in again.stdout
    generator = keras.models.load_model(run_dir / "generator.keras", compile=False)
    assert generator.output.shape[-1] == 3


def test_leftovers_of_a_killed_generation_and_translation_are_removed(tmp_path,
                                                                      environment):
    data = tmp_path / "data"
    data.mkdir()
    stale = data / f".synthetic-facades-32.partial-{dead_pid()}"
    stale.mkdir()
    (stale / "0000.png").write_bytes(b"half")
    live = data / f".synthetic-facades-16.partial-{os.getpid()}"
    live.mkdir()  # a writer still running: kept
    result = run_cli(["datasets", "prepare", "synthetic-facades", "--image-size", "32"],
                     {**environment, "P2P_DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and live.exists()
    output = tmp_path / "out"
    output.mkdir()
    partial = output / f".0.partial-{dead_pid()}.png"
    partial.write_bytes(b"half")
    keras.utils.set_random_seed(0)
    model_path = tmp_path / "g.keras"
    models.unet_generator(32, base_filters=4).save(model_path)
    pairs = data / "synthetic-facades-32" / "test"
    result = run_cli(["translate", "--model", str(model_path), "--half", "left", str(pairs),
                      str(output)], environment)
    assert result.returncode == 0, result.stderr
    assert not partial.exists() and len(list(output.glob("*.png"))) == 100


# ------------------------------------------------------- 8. refuse before spending


@pytest.mark.parametrize("dataset", ["facades", "photos-edges"])
def test_a_score_that_does_not_apply_is_refused_before_any_download(dataset, tmp_path,
                                                                     environment):
    data = tmp_path / "data"
    model_path = tmp_path / "missing.keras"  # not even loaded
    line = one_line_error(run_cli(["evaluate", "--model", str(model_path), "--dataset",
                                   dataset, "--fcn-score"],
                                  {**environment, "P2P_DATA_DIR": str(data),
                                   "P2P_DATASETS_URL": "http://127.0.0.1:9/"}))
    assert "--fcn-score needs --dataset" in line
    assert not data.exists() or not any(data.iterdir())


# ------------------------------------------------------------------ 9. downloads end


class _Stalling(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server name
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self.wfile.write(b"\x1f\x8b")
        self.wfile.flush()
        time.sleep(TIMEOUT)  # longer than the test waits: only the timeout ends it

    def log_message(self, *args):
        pass


def test_a_stalled_download_ends_with_one_line_and_leaves_nothing(tmp_path, environment):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Stalling)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = tmp_path / "data"
    try:
        line = one_line_error(run_cli(
            ["datasets", "prepare", "facades", "--timeout", "2", "--base-url",
             f"http://127.0.0.1:{server.server_address[1]}/"],
            {**environment, "P2P_DATA_DIR": str(data)}))
    finally:
        server.shutdown()
    assert f"http://127.0.0.1:{server.server_address[1]}/facades.tar.gz sent nothing" in line
    assert "for 2 s" in line and "P2P_DOWNLOAD_TIMEOUT" in line
    assert not data.exists() or not any(data.iterdir())


# ------------------------------------------------------------- 6, 12 and small ones


def test_a_generator_of_other_channel_counts_is_refused_before_translating(tmp_path,
                                                                         environment):
    model_path = tmp_path / "two.keras"
    models.unet_generator(32, base_filters=4, out_channels=2).save(model_path)
    image = tmp_path / "in.png"
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(image)
    line = one_line_error(run_cli(["translate", "--model", str(model_path), str(image),
                                   str(tmp_path / "out")], environment))
    assert "has 2 output channels; this needs 1 or 3 or 4" in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_grey_generator_scores_a_folder_of_cmyk_jpegs(tmp_path, environment):
    folder = tmp_path / "pairs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(2):
        pair = rng.integers(0, 255, (32, 64, 3), np.uint8)
        Image.fromarray(pair).convert("CMYK").save(folder / f"{index}.jpg")
    model_path = tmp_path / "grey.keras"
    models.unet_generator(32, channels=1, out_channels=1, base_filters=4).save(model_path)
    result = run_cli(["evaluate", "--model", str(model_path), "--data", str(folder)],
                     environment)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout)["count"] == 2


def test_a_size_free_generator_asks_for_a_size_to_score_at(tmp_path, environment, capsys,
                                                           monkeypatch):
    monkeypatch.setenv("P2P_QUICK", "1")
    model_path = tmp_path / "any.keras"
    models.with_any_input_size(models.unet_generator(32, base_filters=4)).save(model_path)
    assert cli.main(["evaluate", "--model", str(model_path), "--data", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "takes images of any size; say at which size to score it with --image-size" in error
    assert "None" not in error


def test_a_folder_named_config_json_is_named_as_a_folder(tmp_path, capsys):
    (tmp_path / "config.json").mkdir()
    (tmp_path / "checkpoints").mkdir()
    assert cli.main(["train", "--run-dir", str(tmp_path), "--resume"]) == cli.EXIT_USAGE
    assert "config.json is a folder, not the run's configuration file" in capsys.readouterr().err


def test_a_dangling_link_is_named_when_translating(tmp_path, environment):
    images = tmp_path / "images"
    images.mkdir()
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(images / "real.png")
    (images / "gone.png").symlink_to(tmp_path / "deleted.png")
    model_path = tmp_path / "g.keras"
    models.unet_generator(32, base_filters=4).save(model_path)
    result = run_cli(["translate", "--model", str(model_path), str(images),
                      str(tmp_path / "out")], environment)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Skipped {images / 'gone.png'}: a link to" in result.stdout
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["real.png"]


@pytest.mark.parametrize("opset", [-1, 999])
def test_an_onnx_opset_out_of_range_is_one_line_before_converting(opset, tmp_path):
    generator = models.unet_generator(32, base_filters=4)
    supported = export.onnx_opsets()
    with pytest.raises(ArgumentError, match=rf"opset must be an integer from {supported.start} "
                       rf"to {supported.stop - 1}"):
        export.export_onnx(generator, tmp_path / "g.onnx", opset=opset)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("host", ["192.0.2.1", "no-such-host.invalid"])
def test_a_demo_host_that_cannot_be_bound_is_named(host, capsys):
    assert cli.main(["demo", "--host", host, "--port", "0"]) == cli.EXIT_USAGE
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"--host {host}: not an address of this machine" in error
