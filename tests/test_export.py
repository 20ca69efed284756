"""Export round trip (.keras, SavedModel, TFLite give the same outputs), folders, errors."""

from __future__ import annotations

import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import lively_generator
from p2plib import errors, export, models
from p2plib.tools import translate

SIZE = 32


@pytest.fixture(scope="module")
def generator():
    """A small U-Net with trained-like weights and batch-norm statistics (conftest)."""
    return lively_generator(SIZE, base_filters=4, seed=1)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, (3, SIZE, SIZE, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory, generator):
    folder = tmp_path_factory.mktemp("export")
    keras_path = folder / "generator.keras"
    generator.save(keras_path)
    saved_model = export.export_saved_model(generator, folder / "saved_model")
    tflite = export.export_tflite(saved_model, folder / "generator.tflite")
    return {"folder": folder, "keras": keras_path, "saved_model": saved_model, "tflite": tflite}


def test_keras_savedmodel_and_tflite_give_the_same_outputs(generator, images, artifacts):
    reference = generator(images, training=False).numpy()
    assert reference.std() > 0.01  # a real, non-constant output to compare
    reloaded = export.load_generator(artifacts["keras"], image_size=SIZE)
    assert np.array_equal(reloaded(images, training=False).numpy(), reference)
    served = tf.saved_model.load(str(artifacts["saved_model"]))
    assert np.allclose(served.serve(images).numpy(), reference, atol=1e-5)
    assert np.allclose(export.run_tflite(artifacts["tflite"], images), reference, atol=1e-4)


def test_tflite_straight_from_keras_matches_too(generator, images, artifacts):
    path = export.export_tflite(generator, artifacts["folder"] / "direct.tflite")
    reference = generator(images[:1], training=False).numpy()
    assert np.allclose(export.run_tflite(path, images[:1]), reference, atol=1e-4)
    with pytest.raises(errors.InputSizeError, match="takes 32x32x3 images but got 16x16x3"):
        export.run_tflite(path, np.zeros((1, 16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=r"must end in \.tflite"):
        export.export_tflite(generator, artifacts["folder"] / "wrong.bin")
    with pytest.raises(errors.ModelFileError, match="not a SavedModel folder"):
        export.export_tflite(artifacts["folder"], artifacts["folder"] / "x.tflite")


def test_a_file_that_is_not_a_model_gets_a_clear_error(tmp_path, artifacts):
    fake = tmp_path / "notes.keras"
    fake.write_text("not a model")
    with pytest.raises(errors.ModelFileError, match=r"notes\.keras is not a Keras model file"):
        export.load_generator(fake)
    broken = tmp_path / "broken.keras"  # a zip, but not a Keras archive
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(errors.ModelFileError, match=r"broken\.keras could not be loaded"):
        export.load_generator(broken)
    with pytest.raises(errors.ModelFileError, match="no such file"):
        export.load_generator(tmp_path / "missing.keras")
    with pytest.raises(errors.ModelFileError, match=r"expected a \.keras file"):
        export.load_generator(artifacts["tflite"])
    with pytest.raises(errors.ModelFileError, match="not a TensorFlow Lite model"):
        export.tflite_interpreter(fake)


def test_a_discriminator_is_not_taken_for_a_generator(tmp_path):
    path = tmp_path / "discriminator.keras"
    models.patchgan_discriminator(image_size=SIZE, base_filters=4, n_layers=1).save(path)
    with pytest.raises(errors.ModelFileError, match="is this the discriminator"):
        export.load_generator(path)


def test_an_input_size_mismatch_says_what_to_do(generator, artifacts):
    with pytest.raises(errors.InputSizeError, match=r"takes 32x32x3 images .* 64x64x3\. Resize"):
        export.load_generator(artifacts["keras"], image_size=64)
    with pytest.raises(errors.InputSizeError, match="trained at 48x40"):
        export.check_input_size(generator, np.zeros((2, 48, 40, 3)))
    export.check_input_size(generator, np.zeros((2, SIZE, SIZE, 3)))  # fits: no error


def write_pairs(folder, count, size):
    folder.mkdir()
    rng = np.random.default_rng(3)
    for index in range(count):
        pair = rng.integers(0, 256, (size, 2 * size, 3), dtype=np.uint8)
        Image.fromarray(pair).save(folder / f"pair{index:02d}.png")


def test_translate_folder_in_batches(tmp_path, generator, artifacts):
    write_pairs(tmp_path / "pairs", 5, SIZE)
    written = translate.translate_folder(artifacts["keras"], tmp_path / "pairs", tmp_path / "out",
                                      batch_size=2, half="left", progress=False)
    assert [p.name for p in written] == [f"pair{i:02d}.png" for i in range(5)]
    left = np.asarray(Image.open(tmp_path / "pairs" / "pair03.png"))[:, :SIZE]
    expected = generator((left[None] / 127.5 - 1).astype(np.float32), training=False)[0]
    expected = np.round((np.clip(expected, -1, 1) + 1) * 127.5)
    assert np.abs(np.asarray(Image.open(written[3])).astype(float) - expected).max() <= 1


def test_translate_folder_refuses_or_resizes_other_sizes(tmp_path, generator):
    write_pairs(tmp_path / "big", 2, 2 * SIZE)
    with pytest.raises(errors.InputSizeError, match=r"images such as .*pair00\.png are 64x64x3"):
        translate.translate_folder(generator, tmp_path / "big", tmp_path / "out", half="left",
                                progress=False)
    written = translate.translate_folder(generator, tmp_path / "big", tmp_path / "out",
                                      half="left", resize=True, progress=False)
    assert [np.asarray(Image.open(p)).shape for p in written] == [(SIZE, SIZE, 3)] * 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.DataError, match="holds no images to translate"):
        translate.translate_folder(generator, tmp_path / "empty", tmp_path / "x", progress=False)


def test_translating_a_folder_in_paper_mode_changes_no_model_variable(tmp_path, generator):
    # The paper's test-time mode uses each image's own batch statistics, but must not write
    # them into the moving averages (tensorflow/tensorflow#29478) or touch any weight.
    write_pairs(tmp_path / "pairs", 5, SIZE)
    before = [np.array(variable) for variable in generator.weights]
    translate.translate_folder(generator, tmp_path / "pairs", tmp_path / "out", batch_size=4,
                            half="left", test_mode="paper", progress=False)
    after = [np.array(variable) for variable in generator.weights]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)


def test_a_paper_mode_output_does_not_depend_on_its_batch_companions(tmp_path):
    # Without dropout the paper's mode is deterministic, so an image translated alone and
    # in a batch of other images must give the same picture.
    keras.utils.set_random_seed(2)
    generator = models.unet_generator(image_size=SIZE, base_filters=4, dropout=False)
    write_pairs(tmp_path / "pairs", 4, SIZE)
    in_batch = translate.translate_folder(generator, tmp_path / "pairs", tmp_path / "batch",
                                       batch_size=4, half="left", test_mode="paper",
                                       progress=False)
    alone = translate.translate_files(generator, [tmp_path / "pairs" / "pair02.png"],
                                   tmp_path / "alone", half="left", test_mode="paper",
                                   progress=False)
    np.testing.assert_array_equal(np.asarray(Image.open(in_batch[2])),
                                  np.asarray(Image.open(alone[0])))


# ---------------------------------------------------------------------------- nothing lost


def test_translating_a_folder_into_itself_is_refused_and_changes_nothing(tmp_path, generator):
    write_pairs(tmp_path / "pairs", 2, SIZE)
    before = {p.name: p.read_bytes() for p in (tmp_path / "pairs").iterdir()}
    with pytest.raises(ValueError, match="folder of the input images"):
        translate.translate_folder(generator, tmp_path / "pairs", tmp_path / "pairs",
                                half="left", progress=False)
    assert {p.name: p.read_bytes() for p in (tmp_path / "pairs").iterdir()} == before


def test_two_inputs_that_would_share_an_output_name_are_refused(tmp_path, generator):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(np.zeros((SIZE, SIZE, 3), np.uint8)).save(folder / "a.png")
    Image.fromarray(np.zeros((SIZE, SIZE, 3), np.uint8)).save(folder / "a.jpg")
    with pytest.raises(ValueError, match=r"a\.jpg and .*a\.png would both be written"):
        translate.translate_folder(generator, folder, tmp_path / "out", progress=False)


def test_every_format_pillow_reads_is_translated(tmp_path, generator):
    folder = tmp_path / "in"
    folder.mkdir()
    picture = np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    for suffix in (".png", ".webp", ".bmp", ".tif"):
        Image.fromarray(picture).save(folder / f"photo{suffix.replace('.', '_')}{suffix}")
    written = translate.translate_folder(generator, folder, tmp_path / "out", progress=False)
    assert sorted(p.name for p in written) == sorted(
        f"photo_{suffix}.png" for suffix in ("png", "webp", "bmp", "tif"))


def test_an_odd_width_pair_with_half_names_the_file(tmp_path, generator):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(np.zeros((SIZE, 2 * SIZE + 1, 3), np.uint8)).save(folder / "odd.png")
    with pytest.raises(ValueError, match=r"odd\.png is 65 pixels wide, an odd width"):
        translate.translate_folder(generator, folder, tmp_path / "out", half="left",
                                progress=False)


def test_a_size_free_generator_translates_each_image_at_its_own_size(tmp_path, generator):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(np.zeros((64, 96, 3), np.uint8)).save(folder / "wide.png")
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(folder / "odd_size.png")
    size_free = models.with_any_input_size(generator)
    assert translate.size_multiple(size_free) == 32  # five halvings at 32x32
    written = translate.translate_folder(size_free, folder, tmp_path / "out", progress=False)
    shapes = {p.name: np.asarray(Image.open(p)).shape for p in written}
    assert shapes == {"wide.png": (64, 96, 3), "odd_size.png": (32, 32, 3)}


def test_a_classifier_file_is_refused_as_no_image_to_image_model(tmp_path):
    classifier = keras.Sequential([keras.Input((SIZE, SIZE, 3)), keras.layers.Flatten(),
                                   keras.layers.Dense(10)])
    classifier.save(tmp_path / "classifier.keras")
    with pytest.raises(errors.ModelFileError, match=r"classifier\.keras is not an "
                                                    r"image-to-image model"):
        export.load_generator(tmp_path / "classifier.keras")


def test_a_full_disk_leaves_no_partial_output(tmp_path, generator, small_tmpfs):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for index in range(40):  # noise PNGs of about 3 KB each: more than 64 KiB in all
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"{index:02d}.png")
    with pytest.raises(OSError) as error:
        translate.translate_folder(generator, folder, small_tmpfs / "out", progress=False)
    assert error.value.errno == 28  # ENOSPC
    left = list((small_tmpfs / "out").iterdir())
    assert left, "nothing was written before the disk filled"
    for path in left:
        assert not path.name.startswith("."), f"a temporary file was left: {path.name}"
        assert np.asarray(Image.open(path)).shape == (SIZE, SIZE, 3)  # every file is whole
