"""The generators that ship inside the package (p2plib.pretrained)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from p2plib import evaluation, metrics, models, pretrained, testtime
from p2plib.datasets import facades, streets
from p2plib.datasets.storage import SPLIT_SEED_OFFSETS

MAX_BYTES = 15 * 1024 * 1024
RENDERERS = {"facades": facades.render_facade, "streets": streets.render_street}


def held_out_pairs(name: str, count: int = 3, first: int = 9_000_000):
    """``count`` labels -> photo pairs at 256x256, from seed ``first`` on (by default seeds no
    split of the dataset uses)."""
    render = RENDERERS[name.split("-")[0]]
    pairs = [render(first + index, image_size=256) for index in range(count)]
    labels, photos = (np.stack([pair[part] for pair in pairs]) for part in (0, 1))
    return labels.astype(np.float32) / 127.5 - 1.0, photos.astype(np.float32) / 127.5 - 1.0


@pytest.mark.parametrize("name", pretrained.GENERATORS)
def test_a_shipped_generator_is_small_documented_and_translates_better_than_untrained(name):
    file = pretrained.path(name)
    assert file.is_file() and file.stat().st_size <= MAX_BYTES
    record = pretrained.info(name)
    generator = pretrained.load(name)
    assert generator.inputs[0].shape[1:] == (256, 256, 3)
    assert generator.count_params() == record["parameters"]
    assert record["dataset"] == pretrained.DATASETS[name]
    assert record["training_command"].startswith("python -m p2plib train --dataset "
                                                 + record["dataset"])
    for column in metrics.SEGMENTATION_SCORE_NAMES:
        assert 0.0 < record["scores"][column] <= 1.0 and column in record["real_renders"]
    labels, photos = held_out_pairs(name)
    trained = np.asarray(testtime.translate(generator, labels, "inference"))
    untrained = models.unet_generator(256, base_filters=record["config"]["base_filters"])
    guessed = np.asarray(testtime.translate(untrained, labels, "inference"))
    trained_l1 = float(np.mean(metrics.l1_distance(trained, photos)))
    guessed_l1 = float(np.mean(metrics.l1_distance(guessed, photos)))
    if pretrained.OBJECTIVES[name] == "cGAN":
        # Not trained to be close in L1 (notebook 06): it must still beat the untrained
        # network's flat grey, and paint with a photo's contrast.
        assert trained_l1 < guessed_l1
        assert trained.std() > 0.5 * photos.std() > 10 * guessed.std()
    else:
        assert trained_l1 < 0.8 * guessed_l1


@pytest.mark.parametrize("name", pretrained.GENERATORS)
def test_the_records_scores_are_what_the_scorer_gives_today(name):
    """The record's L1 on its first test pairs, recomputed the way the scorer computes it
    (benchmarks/pretrained.py: evaluation.translate_images in the record's test mode)."""
    record = pretrained.info(name)
    expected = record["spot_check_l1"]
    labels, photos = held_out_pairs(name, len(expected), first=SPLIT_SEED_OFFSETS["test"])
    outputs = evaluation.translate_images(pretrained.load(name), labels, record["test_mode"])
    np.testing.assert_allclose(metrics.l1_distance(outputs, photos), expected, atol=1e-3)


def test_the_three_street_objectives_share_network_and_budget():
    records = [pretrained.info(name) for name in ("streets-l1", "streets-cgan", "streets")]
    weights = {(record["config"]["l1_weight"], record["config"]["gan_weight"])
               for record in records}
    assert len(weights) == 3  # L1 only, cGAN only, both
    for key in ("image_size", "base_filters", "epochs", "steps_per_epoch", "decay_epochs"):
        assert len({record["config"][key] for record in records}) == 1, key
    assert pretrained.OBJECTIVES["streets-l1"] == "L1" and pretrained.ALIASES[
        "streets-l1-cgan"] == "streets"
    assert pretrained.path("streets-l1-cgan") == pretrained.path("streets")


@pytest.mark.parametrize("name", pretrained.DISCRIMINATORS)
def test_the_shipped_discriminator_maps_a_pair_to_30_by_30_logits(name):
    file = pretrained.discriminator_path(name)
    assert file.is_file() and file.stat().st_size <= MAX_BYTES
    discriminator = pretrained.load_discriminator(name)
    labels, photos = held_out_pairs(name, count=1)
    logits = np.asarray(discriminator([labels, photos], training=False))
    assert logits.shape == (1, 30, 30, 1) and np.all(np.isfinite(logits))


LOADER = """
import sys
sys.modules["p2plib"] = None  # any import of p2plib now fails
import keras, numpy as np
model = keras.models.load_model(sys.argv[1])
np.save(sys.argv[2], model.predict(np.load(sys.argv[3]), verbose=0))
"""


def test_the_files_load_with_plain_keras_without_p2plib(tmp_path):
    name = pretrained.names()[0]
    labels, _ = held_out_pairs(name, count=1)
    np.save(tmp_path / "labels.npy", labels)
    subprocess.run([sys.executable, "-c", LOADER, str(pretrained.path(name)),
                    str(tmp_path / "out.npy"), str(tmp_path / "labels.npy")],
                   check=True, capture_output=True, timeout=180)
    expected = np.asarray(testtime.translate(pretrained.load(name), labels, "inference"))
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-5)


def test_an_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ValueError, match=r"no pretrained generator 'cats'.*'facades'"):
        pretrained.load("cats")
