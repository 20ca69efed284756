"""Checkpoints that survive damage (p2plib.tools.checkpoints): real files, truncated and removed."""

from __future__ import annotations

import pytest
import tensorflow as tf

from conftest import smooth_pairs, tiny_networks
from p2plib import errors, training
from p2plib.tools import checkpoints


def _model(seed=1):
    model = training.Pix2Pix(*tiny_networks(seed=seed))
    model.compile()
    return model


def _dataset():
    return tf.data.Dataset.from_tensor_slices(smooth_pairs(4, seed=0)).batch(1)


@pytest.fixture()
def saved(tmp_path):
    """A folder with the checkpoints of three epochs of 4 steps: ckpt-4, ckpt-8, ckpt-12."""
    _model().fit(_dataset(), epochs=3, verbose=0,
                 callbacks=[checkpoints.TrainingCheckpoint(tmp_path)])
    return tmp_path


def _resume(directory):
    checkpoint = checkpoints.TrainingCheckpoint(directory)
    _model(seed=9).fit(_dataset(), epochs=4, verbose=0, callbacks=[checkpoint])
    return checkpoint


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def test_the_checkpoints_are_found_by_their_files(saved):
    found = checkpoints.checkpoint_files(saved)
    assert found == [str(saved / f"ckpt-{step}") for step in (12, 8, 4)]  # newest first
    (saved / "checkpoint").unlink()  # the state file that tf.train.latest_checkpoint reads
    assert checkpoints.checkpoint_files(saved) == found
    checkpoint = _resume(saved)
    assert checkpoint.restored.step == 12


def test_a_truncated_newest_checkpoint_is_named_and_the_previous_one_used(saved, capsys):
    _truncate(saved / "ckpt-12.data-00000-of-00001")
    checkpoint = _resume(saved)
    assert checkpoint.restored.step == 8
    printed = capsys.readouterr().out
    skipped = [line for line in printed.splitlines() if "ckpt-12" in line]
    assert len(skipped) == 1 and "cannot be read" in skipped[0], printed


def test_a_truncated_index_is_damage_not_a_different_model(saved, capsys):
    _truncate(saved / "ckpt-12.index", keep=0.3)
    assert _resume(saved).restored.step == 8
    assert "other networks" not in capsys.readouterr().out


def test_when_no_checkpoint_can_be_read_the_error_says_what_to_do(saved):
    for data in saved.glob("ckpt-*.data-*"):
        _truncate(data)
    with pytest.raises(errors.CheckpointError, match="none of the 3 checkpoints") as error:
        _resume(saved)
    assert str(saved) in str(error.value) and "\n" not in str(error.value)


def test_half_written_checkpoint_folders_are_removed_at_the_next_start(saved):
    leftover = saved / "ckpt-15_temp"
    (leftover / "part-00000-of-00001").mkdir(parents=True)
    (leftover / "part-00000-of-00001" / "data").write_bytes(b"x" * 1000)
    _resume(saved)
    assert not leftover.exists()


