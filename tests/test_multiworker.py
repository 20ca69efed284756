"""Two worker processes on 127.0.0.1 training one model with the command line (notebook 05).

The chief's run matches one process under MirroredStrategy on two logical CPUs, a worker
started alone waits for its peer and gives up in time, a worker killed mid-run stops the other
with one line and the run resumes to the same weights, and TF_CONFIG mistakes are one line.
Every process runs in a process group of its own and is killed when its test ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from p2plib.tools import checkpoints, cli, cluster

CHILDREN = Path(__file__).parent / "children"
TIMEOUT = 300  # seconds for any one run, on a busy two-core machine
STEPS = 24  # 2 epochs of 12 steps, a checkpoint every 4


@pytest.fixture(scope="module")
def pairs_folder(tmp_path_factory):
    """Eight training and two validation pairs (32x32): smooth colours and their negation."""
    root = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(0)
    for split, count in (("train", 8), ("val", 2)):
        (root / split).mkdir()
        for index in range(count):
            coarse = rng.uniform(0, 255, (4, 4, 3)).astype(np.uint8)
            image = np.asarray(Image.fromarray(coarse).resize((32, 32), Image.BILINEAR))
            pair = np.concatenate([image, 255 - image[..., ::-1]], axis=1)
            Image.fromarray(pair).save(root / split / f"{index:02d}.png")
    return root


def train_arguments(pairs_folder, run_dir, *extra):
    return ["train", "--quick", "--data", str(pairs_folder), "--run-dir", str(run_dir),
            "--image-size", "32", "--base-filters", "4", "--n-layers", "1", "--batch-size", "2",
            "--epochs", "2", "--steps-per-epoch", str(STEPS // 2), "--save-every", "4",
            "--verbose", "2", *extra]


def environment():
    env = {**os.environ, "P2P_QUICK": "1"}
    env.pop(cluster.TF_CONFIG_ENV, None)
    return env


def workers_for(pairs_folder, run_dir, *extra, grace_seconds=60.0):
    command = [sys.executable, "-m", "p2plib", *train_arguments(pairs_folder, run_dir, *extra)]
    return cluster.LocalWorkers(command, 2, env=environment(), output=None,
                                grace_seconds=grace_seconds)


def start(command):
    return subprocess.Popen(command, env=environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def finish(process, timeout=TIMEOUT) -> str:
    """Wait for a process started by ``start``; kill its process group if it is late."""
    try:
        output, _ = process.communicate(timeout=timeout)
        return output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # p2plib.tools.cluster stops its workers
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, pairs_folder):
    """Two workers started the reader's way (python -m p2plib.tools.cluster 2 ...), and the same
    run in one process under MirroredStrategy on two logical CPUs, run side by side."""
    root = tmp_path_factory.mktemp("uninterrupted")
    launcher = start([sys.executable, "-m", "p2plib.tools.cluster", "2", sys.executable, "-m",
                      "p2plib", *train_arguments(pairs_folder, root / "workers")])
    reference = start([sys.executable, str(CHILDREN / "mirrored_train.py"),
                       *train_arguments(pairs_folder, root / "mirrored")])
    try:
        launched, referenced = finish(launcher), finish(reference)
    finally:
        for process in (launcher, reference):
            if process.poll() is None:
                finish(process, timeout=1)
    assert launcher.returncode == 0, launched[-4000:]
    assert reference.returncode == 0, referenced[-4000:]
    return {"workers": root / "workers", "mirrored": root / "mirrored", "output": launched}


def checkpoint_tensors(run_dir) -> dict:
    prefix = checkpoints.checkpoint_files(Path(run_dir) / "checkpoints")[0]
    reader = tf.train.load_checkpoint(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if name != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def assert_same_run(run_dir, expected_dir, tolerance=1e-5):
    """The final checkpoints hold the same step, weights and Adam moments, and the saved
    generators the same weights: the moments would show a gradient summed over the workers
    rather than averaged, which Adam's steps alone hide."""
    found, expected = checkpoint_tensors(run_dir), checkpoint_tensors(expected_dir)
    assert found.keys() == expected.keys()
    assert int(found["step/.ATTRIBUTES/VARIABLE_VALUE"]) == STEPS
    differences = {name: float(np.max(np.abs(np.asarray(found[name], np.float64)
                                             - np.asarray(expected[name], np.float64))))
                   for name in found if np.asarray(found[name]).dtype.kind in "fiu"}
    worst = max(differences, key=differences.get)
    assert differences[worst] < tolerance, (worst, differences[worst])
    generators = [keras.models.load_model(Path(folder) / "generator.keras", compile=False)
                  for folder in (run_dir, expected_dir)]
    for found_weight, expected_weight in zip(*(g.weights for g in generators), strict=True):
        np.testing.assert_allclose(np.asarray(found_weight), np.asarray(expected_weight),
                                   atol=tolerance)


def test_two_workers_train_as_one_process_on_two_devices(uninterrupted):
    workers, output = uninterrupted["workers"], uninterrupted["output"]
    assert "[worker 0] All 2 workers joined" in output
    assert "[worker 1] All 2 workers joined" in output
    # The chief writes the run; worker 1 only its own folder.
    for name in ("config.json", "generator.keras", "samples", "logs"):
        assert (workers / name).exists(), name
    assert checkpoints.checkpoint_files(workers / "checkpoints")
    own = workers / "workers" / "worker-1"
    assert sorted(path.name for path in own.iterdir()) == [
        "checkpoints", "discriminator.keras", "generator.keras", "logs", "samples"]
    # Beside its folder, the one-writer lock it held while it ran (cli.check_run_folder).
    assert sorted(path.name for path in (workers / "workers").iterdir()) == [
        ".worker-1.lock", "worker-1"]
    # Both workers logged the same global losses, and the chief trained on what two
    # devices of one process train on: each worker its share of every global batch.
    last = [line.split("] ", 1)[1] for line in output.splitlines()
            if line.startswith("[worker ") and "12/12" in line][-2:]
    assert len(last) == 2 and last[0].split(" - ")[3:] == last[1].split(" - ")[3:], last
    assert_same_run(workers, uninterrupted["mirrored"])


def test_a_worker_started_alone_waits_for_its_peer_then_gives_up(pairs_folder, tmp_path):
    alone = [workers_for(pairs_folder, tmp_path / f"alone-{index}", "--worker-timeout", "2")
             for index in (0, 1)]
    try:
        for index, workers in enumerate(alone):
            workers.start([index])
        codes = [workers.wait(timeout=TIMEOUT) for workers in alone]
    finally:
        for workers in alone:
            workers.stop()
    for index, (workers, code) in enumerate(zip(alone, codes, strict=True)):
        peer = 1 - index
        waited_for = f"worker {peer} ({workers.addresses[peer]})"
        text = workers.text(index)
        assert code == {index: -signal.SIGKILL}, text  # by the watchdog, after its line
        assert f"worker {index} of 2 ({workers.addresses[index]}): waiting for {waited_for}" \
            in text
        assert text.splitlines()[-1].startswith(
            f"error: worker {index} waited 2 s for {waited_for} and gave up"), text
        assert "Epoch" not in text and "Traceback" not in text
        run_dir = tmp_path / f"alone-{index}"
        assert not any((run_dir / name).exists()
                       for name in ("config.json", "checkpoints", "generator.keras"))


def test_a_killed_worker_stops_the_other_and_the_run_resumes(pairs_folder, tmp_path,
                                                              uninterrupted):
    run_dir = tmp_path / "killed"
    saved = run_dir / "checkpoints" / "ckpt-8.index"
    with workers_for(pairs_folder, run_dir) as workers:
        workers.start()
        deadline = time.monotonic() + TIMEOUT
        while not saved.exists():
            assert workers.running() == [0, 1], workers.text(0) + workers.text(1)
            assert time.monotonic() < deadline, "no checkpoint in time"
            time.sleep(0.05)
        for index in (0, 1):  # hold both still, so that the kill lands mid-run
            workers.signal(index, signal.SIGSTOP)
        assert not (run_dir / "generator.keras").exists()
        workers.signal(1, signal.SIGKILL)
        workers.signal(0, signal.SIGCONT)
        codes = workers.wait(timeout=TIMEOUT)
        survivor = workers.text(0)
    assert codes == {0: 2, 1: -signal.SIGKILL}, survivor
    assert "Traceback" not in survivor
    last_line = survivor.splitlines()[-1]
    assert last_line.startswith(
        f"error: worker 0 lost worker 1 ({workers.addresses[1]}) during training"), survivor
    newest = checkpoints.newest_readable(run_dir / "checkpoints")
    assert 8 <= newest.step < STEPS
    assert last_line.endswith(f"restart every worker with --resume to continue from "
                              f"{checkpoints.checkpoint_files(run_dir / 'checkpoints')[0]}.")

    with workers_for(pairs_folder, run_dir, "--resume") as resumed:
        resumed.start()
        codes = resumed.wait(timeout=TIMEOUT)
    assert codes == {0: 0, 1: 0}, resumed.text(0)[-3000:] + resumed.text(1)[-3000:]
    for index in (0, 1):
        assert f"Resuming from {newest.path}: epoch" in resumed.text(index)
    assert_same_run(run_dir, uninterrupted["workers"])


@pytest.mark.parametrize("tf_config, message", [
    ("{'cluster': 1", "TF_CONFIG is not JSON"),
    ('{"cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]}}', "TF_CONFIG names no task"),
    ('{"cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]}, '
     '"task": {"type": "worker", "index": 2}}',
     "TF_CONFIG: the task index 2 is outside the cluster"),
])
def test_tf_config_mistakes_are_one_line(tf_config, message, pairs_folder, tmp_path,
                                         monkeypatch, capsys):
    monkeypatch.setenv(cluster.TF_CONFIG_ENV, tf_config)
    run_dir = tmp_path / "run"
    assert cli.main(train_arguments(pairs_folder, run_dir)) == cli.EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {message}") and "\n" not in error, error
    assert not run_dir.exists()


@pytest.mark.parametrize("options, message", [
    (["--workers", "127.0.0.1:2222,127.0.0.1:2223", "--worker-index", "2"],
     "--worker-index 2 is outside --workers, which lists 2 (indices 0 to 1)"),
    (["--worker-index", "1"], "--workers and --worker-index go together"),
])
def test_worker_option_mistakes_are_one_line(options, message, pairs_folder, tmp_path,
                                             monkeypatch, capsys):
    monkeypatch.delenv(cluster.TF_CONFIG_ENV, raising=False)
    assert cli.main(train_arguments(pairs_folder, tmp_path / "run", *options)) == cli.EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {message}") and "\n" not in error, error


def test_a_malformed_worker_address_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["train", "--run-dir", "run", "--workers", "127.0.0.1:2222,host-without-port",
                  "--worker-index", "0"])
    assert stopped.value.code == cli.EXIT_USAGE
    assert "must be HOST:PORT with a port from 1 to 65535" in capsys.readouterr().err


def test_tf_config_with_a_chief_names_the_tasks():
    setup = cluster.read_tf_config(
        '{"cluster": {"chief": ["10.0.0.1:2222"], "worker": ["10.0.0.2:2222"]}, '
        '"task": {"type": "worker", "index": 0}}')
    assert (setup.name, setup.count, setup.is_chief) == ("worker 0", 2, False)
    assert setup.others() == ["chief (10.0.0.1:2222)"]
    assert cluster.read_tf_config(setup.tf_config()) == setup
    assert cluster.read_tf_config("") is None
