"""The generators that ship inside the package (p2plib.pretrained)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from p2plib import datasets, metrics, models, pretrained, testtime

MAX_BYTES = 15 * 1024 * 1024
RENDERERS = {"facades": datasets.render_facade, "streets": datasets.render_street}


def held_out_pairs(name: str, count: int = 3):
    """``count`` labels -> photo pairs at 256x256 from seeds no split of the dataset uses."""
    pairs = [RENDERERS[name](9_000_000 + index, image_size=256) for index in range(count)]
    labels, photos = (np.stack([pair[part] for pair in pairs]) for part in (0, 1))
    return labels.astype(np.float32) / 127.5 - 1.0, photos.astype(np.float32) / 127.5 - 1.0


@pytest.mark.parametrize("name", pretrained.names())
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
    assert trained_l1 < 0.8 * float(np.mean(metrics.l1_distance(guessed, photos)))


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
