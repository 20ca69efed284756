"""The adversarial step, the Pix2Pix Keras model and its callbacks, on tiny real models."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import smooth_pairs, tiny_networks
from p2plib import callbacks, errors, losses, models, optimizers, schedules, step, training
from p2plib.tools import checkpoints

SIZE = 32


def compiled_pix2pix(seed=0, **network_options):
    model = training.Pix2Pix(*tiny_networks(seed, **network_options))
    model.compile()
    return model


def as_arrays(variables):
    return [np.array(variable) for variable in variables]


def max_difference(first, second):
    assert len(first) == len(second)
    pairs = zip(first, second, strict=True)
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)


# --------------------------------------------------------------------------- the step


def losses_of(generator, discriminator, inputs, targets, **objective):
    """The four losses of a batch, computed here from the networks' outputs."""
    inputs, targets = tf.constant(inputs), tf.constant(targets)
    generated = generator(inputs, training=True)
    real_logits = discriminator([inputs, targets], training=True)
    fake_logits = discriminator([inputs, generated], training=True)
    total, gan, l1 = losses.generator_loss(fake_logits, generated, targets, **objective)
    disc = losses.discriminator_loss(real_logits, fake_logits,
                                     objective.get("gan_mode", "vanilla"))
    return generated, {"gen_total": total, "gen_gan": gan, "gen_l1": l1, "disc_loss": disc}


def test_train_step_function_and_pix2pix_make_the_same_update():
    inputs, targets = smooth_pairs(2, seed=0)
    explicit = tiny_networks(seed=3, dropout=False)
    model = training.Pix2Pix(*tiny_networks(seed=3, dropout=False))
    model.compile()
    _, expected = losses_of(*tiny_networks(seed=3, dropout=False), inputs, targets)
    train_step = step.make_train_step(
        *explicit, optimizers.paper_optimizer(), optimizers.paper_optimizer()
    )
    step_losses = train_step(inputs, targets)
    logs = model.train_on_batch(inputs, targets, return_dict=True)
    for name in step.LOSS_NAMES:  # losses of the batch before the update
        assert float(step_losses[name]) == pytest.approx(float(expected[name]), rel=1e-5)
        assert logs[name] == pytest.approx(float(expected[name]), rel=1e-5)
    assert max_difference(explicit[0].weights, model.generator.weights) < 1e-6
    assert max_difference(explicit[1].weights, model.discriminator.weights) < 1e-6


def test_train_on_batch_updates_both_networks_once():
    model = compiled_pix2pix()
    inputs, targets = smooth_pairs(2, seed=0)
    generator_before = as_arrays(model.generator.trainable_weights)
    discriminator_before = as_arrays(model.discriminator.trainable_weights)
    logs = model.train_on_batch(inputs, targets, return_dict=True)
    assert sorted(logs) == sorted(step.LOSS_NAMES)
    assert all(np.isfinite(value) for value in logs.values())
    assert logs["gen_total"] == pytest.approx(logs["gen_gan"] + 100 * logs["gen_l1"], rel=1e-5)
    assert int(model.generator_optimizer.iterations) == 1
    assert int(model.discriminator_optimizer.iterations) == 1
    assert max_difference(generator_before, model.generator.trainable_weights) > 0
    assert max_difference(discriminator_before, model.discriminator.trainable_weights) > 0


def test_fit_lowers_the_held_out_l1():
    model = compiled_pix2pix()
    inputs, targets = smooth_pairs(32, seed=0)
    held_out = smooth_pairs(8, seed=1)
    before = model.evaluate(*held_out, verbose=0, return_dict=True)
    history = model.fit(
        inputs, targets, batch_size=1, epochs=5, validation_data=held_out, verbose=0
    ).history
    assert set(history) == set(step.LOSS_NAMES) | {f"val_{n}" for n in step.LOSS_NAMES}
    assert history["val_gen_l1"][-1] < 0.7 * before["gen_l1"]
    assert history["gen_l1"][-1] < history["gen_l1"][0]


def test_least_squares_mode_trains_with_its_own_losses():
    model = training.Pix2Pix(*tiny_networks(dropout=False))
    model.compile(gan_mode="lsgan", l1_weight=10.0)
    inputs, targets = (tf.constant(images) for images in smooth_pairs(2, seed=0))
    _, expected = losses_of(model.generator, model.discriminator, inputs, targets,
                            l1_weight=10.0, gan_mode="lsgan")
    gan, total = expected["gen_gan"], expected["gen_total"]
    logs = model.train_on_batch(inputs, targets, return_dict=True)
    assert logs["gen_gan"] == pytest.approx(float(gan), rel=1e-5)
    assert logs["gen_total"] == pytest.approx(float(total), rel=1e-5)


def test_compile_defaults_to_the_papers_optimizers_built_before_training():
    model = compiled_pix2pix()
    optimizers = (model.generator_optimizer, model.discriminator_optimizer)
    assert optimizers[0] is not optimizers[1]
    for optimizer, network in zip(optimizers, (model.generator, model.discriminator), strict=True):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == pytest.approx(0.5)
        assert optimizer.built  # so a checkpoint written before the first step holds them
        assert len(optimizer.variables) > len(network.trainable_weights)
    assert model.gan_mode == "vanilla" and model.l1_weight == 100.0


def test_compile_rejects_what_pix2pix_does_not_take():
    model = training.Pix2Pix(*tiny_networks())
    with pytest.raises(errors.ArgumentError, match="generator_optimizer"):
        model.compile(optimizer="adam")
    shared = optimizers.paper_optimizer()
    with pytest.raises(ValueError, match="two optimizer instances"):
        model.compile(generator_optimizer=shared, discriminator_optimizer=shared)
    with pytest.raises(ValueError, match="gan_mode"):
        model.compile(gan_mode="hinge")


def test_networks_in_the_wrong_order_are_reported():
    generator, discriminator = tiny_networks()
    with pytest.raises(ValueError, match="Pix2Pix\\(generator, discriminator\\)"):
        training.Pix2Pix(discriminator, generator)


def test_fit_without_targets_says_what_it_needs():
    model = compiled_pix2pix()
    inputs, _ = smooth_pairs(2, seed=0)
    with pytest.raises(ValueError, match="\\(input, target\\) pairs"):
        model.fit(inputs, epochs=1, verbose=0)


def test_saved_model_file_restores_networks_optimizers_and_settings(tmp_path):
    model = training.Pix2Pix(*tiny_networks(), test_mode="inference")
    model.compile(gan_mode="lsgan", l1_weight=10.0)
    model.train_on_batch(*smooth_pairs(2, seed=0))
    model.save(tmp_path / "pix2pix.keras")
    loaded = keras.models.load_model(tmp_path / "pix2pix.keras")
    assert (loaded.test_mode, loaded.gan_mode, loaded.l1_weight) == ("inference", "lsgan", 10.0)
    assert max_difference(model.generator.weights, loaded.generator.weights) == 0
    assert max_difference(
        model.discriminator_optimizer.variables, loaded.discriminator_optimizer.variables
    ) == 0


# --------------------------------------------------------------------------- test time


def test_paper_mode_keeps_dropout_and_batch_statistics_inference_mode_does_not():
    model = compiled_pix2pix()
    inputs, targets = smooth_pairs(4, seed=0)
    model.fit(inputs, targets, batch_size=1, epochs=1, verbose=0)
    weights = as_arrays(model.generator.weights)
    inference = [np.asarray(model.translate(inputs, "inference")) for _ in range(2)]
    paper = [np.asarray(model.translate(inputs, "paper")) for _ in range(2)]
    np.testing.assert_array_equal(inference[0], inference[1])
    assert np.abs(paper[0] - paper[1]).max() > 1e-3  # fresh dropout masks each call
    assert np.abs(paper[0] - inference[0]).max() > 1e-3
    assert max_difference(weights, model.generator.weights) == 0  # moving averages untouched
    np.testing.assert_array_equal(model.translate(inputs, "inference"), inference[0])

    without_dropout = compiled_pix2pix(dropout=False)
    first, second = (np.asarray(without_dropout.translate(inputs, "paper")) for _ in range(2))
    np.testing.assert_allclose(first, second, atol=1e-6)  # batch statistics: deterministic
    one_by_one = [without_dropout.generator(image[None], training=True)[0] for image in inputs]
    np.testing.assert_allclose(first, one_by_one, atol=1e-6)  # each image on its own


def test_predict_follows_the_test_mode():
    inputs, _ = smooth_pairs(2, seed=0)
    model = training.Pix2Pix(*tiny_networks(), test_mode="inference")
    np.testing.assert_allclose(
        model.predict(inputs, verbose=0), model.generator(inputs, training=False), atol=1e-6
    )
    with pytest.raises(ValueError, match="test_mode"):
        model.translate(inputs, "eval")
    model.test_mode = "paper"  # a new mode is traced afresh
    first, second = (model.predict(inputs, verbose=0) for _ in range(2))
    assert np.abs(first - second).max() > 1e-3  # dropout on


# --------------------------------------------------------------------------- learning rate


def test_linear_decay_factor_matches_the_reference_policy():
    # 3 constant epochs then 4 decaying: 1 - (epoch + 1 - 3) / 5 from epoch 3 on.
    factors = [float(schedules.linear_decay_factor(epoch, 3, 4)) for epoch in range(9)]
    assert factors == pytest.approx([1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0])


def test_linear_decay_schedule_drives_both_optimizers_during_fit():
    schedule = schedules.LinearDecay(2e-4, n_epochs=1, n_epochs_decay=3, steps_per_epoch=2)
    assert [float(schedule(step)) for step in range(0, 10, 2)] == pytest.approx(
        [2e-4, 1.5e-4, 1e-4, 0.5e-4, 0.0]
    )
    assert float(schedule(3)) == pytest.approx(1.5e-4)  # constant within an epoch
    model = training.Pix2Pix(*tiny_networks())
    model.compile(
        generator_optimizer=optimizers.paper_optimizer(schedule),
        discriminator_optimizer=optimizers.paper_optimizer(schedule),
    )
    model.fit(*smooth_pairs(4, seed=0), batch_size=2, epochs=3, verbose=0)
    for optimizer in (model.generator_optimizer, model.discriminator_optimizer):
        assert int(optimizer.iterations) == 6
        assert float(optimizer.learning_rate) == pytest.approx(0.5e-4)  # epoch 3 (0-based)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        schedules.LinearDecay(2e-4, 100, 100, steps_per_epoch=0)


# --------------------------------------------------------------------------- callbacks


def test_stop_on_nan_stops_at_the_first_bad_batch_and_no_checkpoint_holds_it(tmp_path):
    inputs, targets = smooth_pairs(4, seed=0)
    inputs[2, 0, 0, 0] = np.nan  # third batch
    model = compiled_pix2pix()
    stop = callbacks.StopOnNaN()
    checkpoint = checkpoints.TrainingCheckpoint(tmp_path, save_every_steps=1)
    model.fit(inputs, targets, batch_size=1, epochs=3, verbose=0, shuffle=False,
              callbacks=[stop, checkpoint])
    assert stop.stopped_at == (0, 2)
    assert int(model.generator_optimizer.iterations) == 3
    assert checkpoints.read_checkpoint_position(tmp_path).step == 2  # the last finite one
    with pytest.raises(FloatingPointError, match="not finite"):
        model.fit(
            inputs, targets, batch_size=1, epochs=1, verbose=0, shuffle=False,
            callbacks=[callbacks.StopOnNaN(raise_error=True)],
        )


def test_sample_grid_places_input_target_and_output_side_by_side():
    inputs = np.full((2, 4, 4, 3), -1.0, np.float32)
    targets = np.ones((2, 4, 4, 1), np.float32)  # grey is shown as grey RGB
    outputs = np.zeros((2, 4, 4, 3), np.float32)
    grid = callbacks.sample_grid(inputs, targets, outputs, gap=2)
    assert grid.shape == (2 * 4 + 2, 3 * 4 + 2 * 2, 3) and grid.dtype == np.uint8
    assert (grid[:4, :4] == 0).all() and (grid[:4, 6:10] == 255).all()
    assert (grid[6:10, 12:16] == 128).all()  # round(127.5)
    assert (grid[4:6] == 255).all()  # the gap
    with pytest.raises(ValueError, match="outputs"):
        callbacks.sample_grid(inputs, inputs, np.zeros((2, 4, 4, 5)))


def test_sample_images_and_tensorboard_write_a_grid_per_epoch(tmp_path):
    model = compiled_pix2pix()
    dataset = tf.data.Dataset.from_tensor_slices(smooth_pairs(4, seed=0)).batch(2)
    sample_inputs, sample_targets = callbacks.take_samples(dataset, 3)
    samples = callbacks.SampleImages(sample_inputs, sample_targets, tmp_path / "samples")
    board = callbacks.tensorboard_callbacks(tmp_path / "logs", sample_inputs, sample_targets)
    model.fit(dataset, epochs=2, verbose=0, callbacks=[samples, *board])
    assert [path.name for path in samples.paths] == ["epoch_0001.png", "epoch_0002.png"]
    from PIL import Image

    with Image.open(samples.paths[-1]) as picture:
        assert picture.size == (3 * SIZE + 4, 3 * SIZE + 4)
    events = [
        tf.compat.v1.Event.FromString(record.numpy())
        for path in (tmp_path / "logs" / "images").iterdir()
        for record in tf.data.TFRecordDataset(str(path))
    ]
    images = [(event.step, value.tag) for event in events for value in event.summary.value]
    assert images == [(1, "samples"), (2, "samples")]
    assert any((tmp_path / "logs" / "train").iterdir())  # keras's scalar logs


def test_a_fit_stopped_mid_epoch_resumes_and_ends_as_an_uninterrupted_one(tmp_path):
    dataset = tf.data.Dataset.from_tensor_slices(smooth_pairs(8, seed=0)).batch(1)
    uninterrupted = compiled_pix2pix(seed=1)
    uninterrupted.fit(dataset, epochs=3, verbose=0)

    class StopAtStep(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.generator_optimizer.iterations) == 13:
                self.model.stop_training = True

    interrupted = compiled_pix2pix(seed=1)
    checkpoint = checkpoints.TrainingCheckpoint(tmp_path, save_every_steps=5)
    interrupted.fit(dataset, epochs=3, verbose=0, callbacks=[checkpoint, StopAtStep()])
    position = checkpoints.read_checkpoint_position(tmp_path)
    assert (position.epoch, position.batch, position.step) == (1, 5, 13)

    resumed = compiled_pix2pix(seed=1)
    checkpoint = checkpoints.TrainingCheckpoint(tmp_path, save_every_steps=5)
    history = resumed.fit(dataset, epochs=3, verbose=0, callbacks=[checkpoint])
    assert checkpoint.restored.step == 13 and history.epoch == [1, 2]
    assert int(resumed.generator_optimizer.iterations) == 24
    # Same data order and restored dropout state: the same weights as without the stop.
    for network in ("generator", "discriminator", "generator_optimizer"):
        first = getattr(uninterrupted, network).variables
        assert max_difference(first, getattr(resumed, network).variables) < 1e-5, network
    # A later fit starts where it is told, not at the restored epoch.
    assert resumed.fit(dataset, epochs=1, verbose=0).epoch == [0]


# --------------------------------------------------------------------------- subprocesses

CHILDREN = Path(__file__).resolve().parent / "children"


def child_environment():
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return environment


def checkpoint_tensors(prefix):
    reader = tf.train.load_checkpoint(prefix)
    names = [name for name in reader.get_variable_to_shape_map() if "OBJECT_GRAPH" not in name]
    return [np.asarray(reader.get_tensor(name)) for name in names]


def fingerprint(array):
    array = np.asarray(array)
    return (array.dtype.str, array.shape, array.tobytes())


def test_a_killed_run_resumes_at_its_last_checkpoint_with_the_saved_state(tmp_path):
    command = [sys.executable, str(CHILDREN / "killed_run.py"), str(tmp_path)]
    child = subprocess.Popen([*command, "first", "13"], env=child_environment(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not (tmp_path / "paused").exists():
        assert child.poll() is None, child.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline, "the training script never reached step 13"
        time.sleep(0.05)
    position = checkpoints.read_checkpoint_position(tmp_path / "checkpoints")
    assert (position.epoch, position.batch, position.step) == (1, 5, 13)  # mid-epoch
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    saved = Counter(fingerprint(tensor) for tensor in checkpoint_tensors(position.path))

    resumed = subprocess.run([*command, "resumed"], env=child_environment(),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout

    # Right after the restore: every variable as it stood when the checkpoint was saved...
    at_kill, at_resume = np.load(tmp_path / "paused.npz"), np.load(tmp_path / "start_resumed.npz")
    assert sorted(at_kill.files) == sorted(at_resume.files)
    for name in at_kill.files:
        np.testing.assert_array_equal(at_resume[name], at_kill[name], err_msg=name)
    assert int(at_resume["generator_optimizer/0"]) == 13  # the optimizers' step counters
    assert int(at_resume["discriminator_optimizer/0"]) == 13
    # ...and each of them found, value for value, in the checkpoint file on disk.
    for name in at_resume.files:
        key = fingerprint(at_resume[name])
        assert saved[key] > 0, f"{name} is not in the checkpoint as restored"
        saved[key] -= 1

    lines = (tmp_path / "batches.jsonl").read_text().splitlines()
    batches = [json.loads(line) for line in lines]
    first = [entry[1:] for entry in batches if entry[0] == "first"]
    after = [entry[1:] for entry in batches if entry[0] == "resumed"]
    assert first[-1] == [1, 4, 13]
    skipped, trained = after[:5], after[5:]
    assert skipped == [[1, batch, 13] for batch in range(5)]  # read and dropped, no update
    planned = [[epoch, batch] for epoch in (1, 2) for batch in range(8)][5:]
    assert [entry[:2] for entry in trained] == planned
    assert [entry[2] for entry in trained] == list(range(14, 25))
    final = np.load(tmp_path / "final.npz")
    assert int(final["generator_optimizer/0"]) == 24
    assert checkpoints.read_checkpoint_position(tmp_path / "checkpoints").epoch == 3


def test_mirrored_strategy_on_two_devices_learns_as_on_one(tmp_path):
    result = subprocess.run([sys.executable, str(CHILDREN / "two_devices.py")],
                            env=child_environment(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    # One step on the global batch of 4, split 2 + 2 over the devices, equals one step on one.
    assert report["generator_moved"] > 1e-2
    assert report["generator_difference"] < 1e-5
    assert report["discriminator_difference"] < 1e-5
    for name in step.LOSS_NAMES:
        assert report["logs_two"][name][0] == pytest.approx(report["logs_one"][name][0], rel=1e-5)
    assert report["l1_after"] < 0.8 * report["l1_before"], report


def test_a_checkpoint_of_other_networks_is_refused_with_its_path(tmp_path):
    pairs = smooth_pairs(2, seed=0)
    compiled_pix2pix().fit(*pairs, epochs=1, verbose=0,
                           callbacks=[checkpoints.TrainingCheckpoint(tmp_path)])
    other = training.Pix2Pix(models.unet_generator(SIZE, base_filters=4),
                             models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1))
    other.compile()
    with pytest.raises(errors.CheckpointError, match="ckpt-1 does not fit this model"):
        other.fit(*pairs, epochs=1, verbose=0, callbacks=[checkpoints.TrainingCheckpoint(tmp_path)])


def test_checkpoint_needs_a_compiled_pix2pix(tmp_path):
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    with pytest.raises(errors.CheckpointError, match="compiled p2plib.training.Pix2Pix"):
        plain.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0,
                  callbacks=[checkpoints.TrainingCheckpoint(tmp_path)])
    with pytest.raises(ValueError, match="save_every_steps"):
        checkpoints.TrainingCheckpoint(tmp_path, save_every_steps=0)
