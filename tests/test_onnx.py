"""ONNX export (notebook 08): ONNX Runtime agrees with Keras's inference mode, also in a
program where TensorFlow and Keras cannot be imported; bad models, paths and missing
packages get one-line errors that say what to do."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import lively_generator, mounted_tmpfs
from p2plib import errors, export, models, testtime

SIZE = 32
CHILD = Path(__file__).resolve().parent / "children" / "onnx_only.py"


@pytest.fixture(scope="module")
def generator():
    """A tiny U-Net with trained-like kernels and moving statistics (conftest): the initial
    statistics would hide which test-time mode the file runs."""
    return lively_generator(SIZE, base_filters=8, seed=3)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, (3, SIZE, SIZE, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, generator):
    """The generator saved as .keras and exported from that file."""
    folder = tmp_path_factory.mktemp("onnx")
    generator.save(folder / "generator.keras")
    return export.export_onnx(folder / "generator.keras", folder / "generator.onnx")


def one_line(error_info) -> str:
    message = str(error_info.value)
    assert "\n" not in message
    return message


def test_onnx_runtime_agrees_with_keras_in_inference_mode(generator, images, exported):
    assert sorted(path.name for path in exported.parent.iterdir()) == [
        "generator.keras", "generator.onnx"]  # no temporary file left behind
    session = export.onnx_session(exported)
    (model_input,) = session.get_inputs()
    assert model_input.name == "images"
    assert not isinstance(model_input.shape[0], int)  # any batch size
    assert export.input_shape(session) == (SIZE, SIZE, 3)

    reference = testtime.translate(generator, images, "inference").numpy()
    assert reference.std() > 0.05  # a real, non-constant output to compare
    from_onnx = export.run_onnx(exported, images)
    assert from_onnx.shape == (3, SIZE, SIZE, 3) and from_onnx.dtype == np.float32
    assert np.abs(from_onnx - reference).max() < 1e-4
    assert np.abs(export.run_onnx(session, images[:1]) - reference[:1]).max() < 1e-4
    # not the paper's test mode (dropout and each image's own statistics): that is not exported
    paper = testtime.translate(generator, images, "paper").numpy()
    assert np.abs(from_onnx - paper).max() > 0.1


def test_a_program_that_cannot_import_tensorflow_or_keras_runs_the_file(
        tmp_path, generator, images, exported):
    blocked = tmp_path / "blocked"
    for name in ("tensorflow", "keras"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(
            f"raise ImportError('{name} is blocked for this test')\n")
    np.save(tmp_path / "inputs.npy", images)
    expected = testtime.translate(generator, images, "inference").numpy()
    np.save(tmp_path / "keras_outputs.npy", expected)
    environment = {**os.environ, "PYTHONPATH": str(blocked)}
    result = subprocess.run(
        [sys.executable, str(CHILD), str(exported), str(tmp_path / "inputs.npy"),
         str(tmp_path / "outputs.npy")],
        capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tensorflow and keras cannot be imported" in result.stdout
    assert "loaded of tensorflow, keras, p2plib: []" in result.stdout
    outputs = np.load(tmp_path / "outputs.npy")
    assert outputs.shape == expected.shape
    assert np.abs(outputs - np.load(tmp_path / "keras_outputs.npy")).max() < 1e-4


def test_the_child_refuses_to_run_where_tensorflow_imports(tmp_path, exported):
    importable = tmp_path / "importable" / "tensorflow"  # an empty package: imports at once
    importable.mkdir(parents=True)
    (importable / "__init__.py").write_text("")
    result = subprocess.run(
        [sys.executable, str(CHILD), str(exported), "in.npy", str(tmp_path / "out.npy")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(importable.parent)})
    assert result.returncode != 0
    assert "tensorflow can be imported here" in result.stderr
    assert not (tmp_path / "out.npy").exists()


def test_a_float16_model_is_refused_and_its_float32_copy_exports(tmp_path, images):
    with models.dtype_policy("mixed_float16"):
        mixed = models.unet_generator(SIZE, base_filters=8)
    with pytest.raises(errors.ExportError, match="float16.*export.float32_copy") as error:
        export.export_onnx(mixed, tmp_path / "mixed.onnx")
    assert "unet_generator" in one_line(error)
    with models.dtype_policy("float16"):
        image = keras.Input((SIZE, SIZE, 3))
        half = keras.Model(image, keras.layers.Conv2D(3, 1)(image))
    with pytest.raises(errors.ExportError, match="computes in float16"):
        export.export_onnx(half, tmp_path / "half.onnx")
    assert list(tmp_path.iterdir()) == []

    copy = export.float32_copy(mixed)
    assert {layer.compute_dtype for layer in models.flat_layers(copy)} == {"float32"}
    assert all(np.array_equal(a, b) for a, b in zip(copy.get_weights(), mixed.get_weights(),
                                                    strict=True))
    path = export.export_onnx(copy, tmp_path / "copy.onnx")
    in_float16 = testtime.translate(mixed, images, "inference").numpy()
    assert np.abs(export.run_onnx(path, images) - in_float16).max() < 1e-2  # half's rounding


def test_models_that_are_not_generators_are_refused(tmp_path):
    discriminator = models.patchgan_discriminator(SIZE, base_filters=8, n_layers=1)
    with pytest.raises(errors.ExportError, match="is this the discriminator") as error:
        export.export_onnx(discriminator, tmp_path / "d.onnx")
    one_line(error)
    image = keras.Input((SIZE, SIZE, 3))
    classifier = keras.Model(image, keras.layers.Dense(2)(keras.layers.Flatten()(image)))
    with pytest.raises(errors.ExportError, match="not an image-to-image model"):
        export.export_onnx(classifier, tmp_path / "c.onnx")
    with pytest.raises(errors.ExportError, match="takes a Keras generator .* got ndarray"):
        export.export_onnx(np.zeros((1, SIZE, SIZE, 3)), tmp_path / "array.onnx")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture()
def read_only_folder(tmp_path):
    """A folder that cannot be written: read-only permissions, or for root (whom
    permissions do not stop) a read-only tmpfs, skipped where mounting fails."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    with mounted_tmpfs(folder, "ro,size=64k"):
        yield folder


def test_paths_that_cannot_take_the_file_get_one_line_errors(tmp_path, generator,
                                                             read_only_folder):
    with pytest.raises(errors.ArgumentError, match=r"must end in \.onnx") as error:
        export.export_onnx(generator, tmp_path / "generator.keras")
    one_line(error)
    # The disk's own errors, as files.written_atomically reports them: one line naming the path.
    (tmp_path / "folder.onnx").mkdir()
    with pytest.raises(IsADirectoryError, match="a folder stands where the file should go"):
        export.export_onnx(generator, tmp_path / "folder.onnx")
    with pytest.raises(OSError, match="Read-only file system") as error:
        export.export_onnx(generator, read_only_folder / "generator.onnx")
    assert str(read_only_folder) in one_line(error)
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(OSError) as error:
        export.export_onnx(generator, tmp_path / "a_file" / "generator.onnx")
    assert "a_file" in one_line(error)


def test_a_full_disk_leaves_the_old_file_and_no_partial_one(small_tmpfs):
    image = keras.Input((8, 8, 3))  # two layers convert quickly; 200 KB of weights
    wide = keras.Model(image, keras.layers.Conv2D(3, 1)(keras.layers.Conv2D(8192, 1)(image)))
    target = small_tmpfs / "generator.onnx"
    target.write_bytes(b"the previous export")
    with pytest.raises(OSError) as error:
        export.export_onnx(wide, target)  # into 64 KiB
    assert error.value.errno == errno.ENOSPC and "generator.onnx" in one_line(error)
    assert [path.name for path in small_tmpfs.iterdir()] == ["generator.onnx"]
    assert target.read_bytes() == b"the previous export"


def test_missing_packages_name_the_pip_install(monkeypatch, tmp_path, generator, exported):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # what Python does for a blocked import
    with pytest.raises(errors.ExportError, match="pip install tf2onnx onnx onnxruntime") as error:
        export.export_onnx(generator, tmp_path / "generator.onnx")
    assert "tf2onnx" in one_line(error)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(errors.ExportError, match="needs the onnxruntime package.*pip install "
                                                 "onnxruntime"):
        export.run_onnx(exported, np.zeros((1, SIZE, SIZE, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_run_onnx_checks_sizes_and_files(tmp_path, exported):
    with pytest.raises(errors.InputSizeError,
                       match=r"generator\.onnx takes 32x32x3 images .* are 16x16x3\. Resize"):
        export.run_onnx(exported, np.zeros((2, 16, 16, 3), np.float32))
    with pytest.raises(errors.InputSizeError, match=r"a batch of images .*images\[None\]"):
        export.run_onnx(exported, np.zeros((SIZE, SIZE, 3), np.float32))
    with pytest.raises(errors.ModelFileError, match="no such file"):
        export.run_onnx(tmp_path / "missing.onnx", np.zeros((1, SIZE, SIZE, 3), np.float32))
    fake = tmp_path / "notes.onnx"
    fake.write_text("not a model")
    with pytest.raises(errors.ModelFileError, match=r"notes\.onnx is not an ONNX model") as error:
        export.onnx_session(fake)
    one_line(error)
