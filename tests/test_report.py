"""Report utilities shared by the ablations and the benchmarks (p2plib.tools.report)."""

import json
import os

import numpy as np
import pytest

from p2plib import files
from p2plib.tools import report


def test_a_sample_row_round_trips_through_its_png(tmp_path):
    colours = np.array([[-1, -1, -1], [1, -1, -1], [-1, 1, 1]], np.float32)
    images = np.broadcast_to(colours[:, None, None, :], (3, 8, 8, 3)).copy()
    images[1, :4] = colours[2]
    path = report.save_image_row(images, tmp_path / "row.png")
    tiles = report.load_image_row(path)
    assert len(tiles) == 3
    for tile, image in zip(tiles, images, strict=True):
        np.testing.assert_array_equal(tile, np.round((image + 1) * 127.5).astype(np.uint8))


def test_json_is_replaced_whole_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "deep" / "results.json"
    files.write_json({"first": 1}, path)
    files.write_json({"second": [1, 2]}, path)
    assert json.loads(path.read_text()) == {"second": [1, 2]}
    assert os.listdir(path.parent) == ["results.json"]


def test_a_failed_write_keeps_the_previous_version(tmp_path):
    path = tmp_path / "results.json"
    files.write_json({"kept": True}, path)
    with pytest.raises(TypeError):
        files.write_json({"bad": object()}, path)
    assert json.loads(path.read_text()) == {"kept": True}
    assert os.listdir(tmp_path) == ["results.json"]


def test_the_machine_record_names_the_cpu_cores_and_versions():
    import tensorflow as tf

    record = report.machine()
    assert record["cpu_count"] == os.cpu_count() and record["tensorflow"] == tf.__version__
    assert record["processor"] and isinstance(record["gpus"], list)
    json.dumps(record)  # it goes into results files as it is
