"""p2plib.data: reading pairs from real files, the paper's preprocessing, and clear errors."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from p2plib import data
from p2plib.data import DataError

SIZE = 24


def noise(seed, height=SIZE, width=SIZE, channels=3):
    shape = (height, width, channels) if channels > 1 else (height, width)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def write_side_by_side(folder, count=4, height=SIZE, width=SIZE, suffix=".png", start=0):
    """Pairs whose B is 255 - A, so any mismatch in crop or mirror shows up."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        a = noise(index, height, width)
        save(np.concatenate([a, 255 - a], axis=1), folder / f"{index:03d}{suffix}")
    return folder


def write_a_b(folder, names=("x", "y", "z"), a_suffix=".png", b_suffix=".png"):
    folder = Path(folder)
    for side in ("A", "B"):
        (folder / side).mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        a = noise(index)
        save(a, folder / "A" / f"{name}{a_suffix}")
        save(255 - a, folder / "B" / f"{name}{b_suffix}")
    return folder


def save(array, path):
    """PNG, or a near-lossless JPEG so that JPEG files can be compared with what was written."""
    options = {"quality": 100, "subsampling": 0} if Path(path).suffix == ".jpg" else {}
    Image.fromarray(array).save(path, **options)


def unbatch(dataset):
    pairs = [(x.numpy(), y.numpy()) for x, y in dataset.unbatch()]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def expected(a):
    return a.astype(np.float32) / 127.5 - 1.0


# ------------------------------------------------------------------ happy paths


def test_side_by_side_without_augment_is_exact_and_directions_swap(tmp_path):
    folder = write_side_by_side(tmp_path, count=3)
    inputs, targets = unbatch(data.load_paired(folder, image_size=SIZE))
    assert inputs.shape == (3, SIZE, SIZE, 3) and inputs.dtype == np.float32
    for index in range(3):
        np.testing.assert_allclose(inputs[index], expected(noise(index)), atol=1e-5)
        np.testing.assert_allclose(targets[index], expected(255 - noise(index)), atol=1e-5)
    swapped_inputs, swapped_targets = unbatch(
        data.load_paired(folder, direction="BtoA", image_size=SIZE)
    )
    np.testing.assert_array_equal(swapped_inputs, targets)
    np.testing.assert_array_equal(swapped_targets, inputs)


def test_a_b_folders_pair_by_name_across_jpeg_and_png(tmp_path):
    folder = write_a_b(tmp_path, a_suffix=".png", b_suffix=".jpg")
    files = data.find_pairs(folder)
    assert files.layout == "A_B" and [p.name for p in files.b] == ["x.jpg", "y.jpg", "z.jpg"]
    inputs, targets = unbatch(data.load_paired(folder, image_size=SIZE))
    np.testing.assert_allclose(inputs[1], expected(noise(1)), atol=1e-5)  # PNG: lossless
    jpeg_error = np.abs(targets[1] - expected(255 - noise(1))).mean()
    assert jpeg_error < 0.15  # JPEG is lossy, but it is the same picture
    other = np.abs(targets[1] - expected(255 - noise(2))).mean()
    assert other > 2 * jpeg_error
    b_inputs, _ = unbatch(data.load_paired(folder, direction="BtoA", image_size=SIZE))
    np.testing.assert_array_equal(b_inputs, targets)


def test_jpeg_side_by_side_is_read(tmp_path):
    folder = write_side_by_side(tmp_path, count=2, suffix=".jpg")
    inputs, targets = unbatch(data.load_paired(folder, image_size=SIZE))
    assert inputs.shape == (2, SIZE, SIZE, 3)
    assert np.abs(inputs[0] - expected(noise(0))).mean() < 0.15


def test_grey_becomes_three_channels_and_alpha_is_dropped(tmp_path):
    grey = noise(5, channels=1)
    rgba = noise(6, channels=4)
    for side, image in (("A", Image.fromarray(grey, "L")), ("B", Image.fromarray(rgba, "RGBA"))):
        (tmp_path / side).mkdir()
        image.save(tmp_path / side / "pair.png")
    inputs, targets = unbatch(data.load_paired(tmp_path, image_size=SIZE))
    assert inputs.shape == targets.shape == (1, SIZE, SIZE, 3)
    for channel in range(3):
        np.testing.assert_allclose(inputs[0, ..., channel], expected(grey), atol=1e-5)
    np.testing.assert_allclose(targets[0], expected(rgba[..., :3]), atol=1e-5)
    grey_inputs, _ = unbatch(data.load_paired(tmp_path, image_size=SIZE, channels=1))
    assert grey_inputs.shape == (1, SIZE, SIZE, 1)


def test_augment_applies_the_same_crop_and_mirror_to_both_halves(tmp_path):
    folder = write_side_by_side(tmp_path, count=6, height=32, width=32)
    dataset = data.load_paired(folder, image_size=SIZE, augment=True, seed=1, batch_size=2)
    inputs, targets = unbatch(dataset)
    assert inputs.shape == (6, SIZE, SIZE, 3)
    assert inputs.min() >= -1.0 and inputs.max() <= 1.0
    assert targets.min() >= -1.0 and targets.max() <= 1.0
    # B = 255 - A pixel by pixel, and resizing is linear: it holds after augmentation only if
    # both halves got the same crop and the same mirror.
    np.testing.assert_allclose(inputs + targets, 0.0, atol=1e-4)


def test_augment_is_resize_to_load_size_then_a_crop_maybe_mirrored(tmp_path):
    folder = write_side_by_side(tmp_path, count=1, height=32, width=32)
    load = data.default_load_size(SIZE)
    assert load == 27
    resized = data.resize(noise(0, 32, 32), load).numpy() / 127.5 - 1
    offsets, mirrors = set(), set()
    for seed in range(12):
        (crop,), _ = unbatch(data.load_paired(folder, image_size=SIZE, augment=True, seed=seed))
        matches = [
            (top, left, mirrored)
            for top in range(load - SIZE + 1)
            for left in range(load - SIZE + 1)
            for mirrored in (False, True)
            if np.allclose(
                crop[:, ::-1] if mirrored else crop,
                resized[top:top + SIZE, left:left + SIZE],
                atol=1e-5,
            )
        ]
        assert len(matches) == 1, f"seed {seed}: output is not one crop of the resized image"
        offsets.add(matches[0][:2])
        mirrors.add(matches[0][2])
    assert len(offsets) > 3 and mirrors == {False, True}


def test_same_seed_is_deterministic_and_seeds_and_epochs_differ(tmp_path):
    folder = write_side_by_side(tmp_path, count=5, height=32, width=32)

    def two_epochs(seed):
        dataset = data.load_paired(
            folder, image_size=SIZE, augment=True, shuffle=True, seed=seed, batch_size=2
        )
        return unbatch(dataset)[0], unbatch(dataset)[0]

    repeated = iter(data.load_paired(folder, image_size=SIZE, augment=True, seed=7,
                                     batch_size=5).repeat())
    assert not np.array_equal(next(repeated)[0], next(repeated)[0]), "repeat() passes differ"
    first, second = two_epochs(7), two_epochs(7)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1]), "each epoch should draw new crops"
    assert not np.array_equal(first[0], two_epochs(8)[0])


def _take(dataset, count):
    return [(np.asarray(x), np.asarray(y)) for x, y in dataset.take(count)]


def test_the_endless_stream_is_a_function_of_seed_and_position(tmp_path):
    folder = write_side_by_side(tmp_path, count=5, height=32, width=32)

    def stream(**options):
        return data.load_paired(folder, image_size=SIZE, augment=True, shuffle=True, seed=4,
                                batch_size=2, repeat=True, **options)

    assert stream().cardinality() == tf.data.INFINITE_CARDINALITY
    whole = _take(stream(), 12)  # 24 pairs: almost five passes over the five
    np.testing.assert_array_equal(np.stack([x for x, _ in whole]),
                                  np.stack([x for x, _ in _take(stream(), 12)]))
    # Started at batch 7 (in the third pass), it gives what reading 7 batches would leave.
    for (x, y), (late_x, late_y) in zip(whole[7:], _take(stream(start_batch=7), 5),
                                        strict=True):
        np.testing.assert_array_equal(x, late_x)
        np.testing.assert_array_equal(y, late_y)
    # Each pass holds every pair once, in an order of its own; each element its own crop.
    first_pass = np.concatenate([x for x, _ in whole[:5]])[:5]
    second_pass = np.concatenate([x for x, _ in whole[:5]])[5:10]
    assert not np.array_equal(first_pass, second_pass)
    other_seed = data.load_paired(folder, image_size=SIZE, augment=True, shuffle=True, seed=5,
                                  batch_size=2, repeat=True)
    assert not np.array_equal(whole[0][0], _take(other_seed, 1)[0][0])


def test_start_batch_and_cache_need_the_endless_stream(tmp_path):
    folder = write_side_by_side(tmp_path, count=2)
    with pytest.raises(ValueError, match="start_batch=3 needs repeat=True"):
        data.load_paired(folder, image_size=16, start_batch=3)
    with pytest.raises(ValueError, match="cache=True and repeat=True"):
        data.load_paired(folder, image_size=16, cache=True, repeat=True)


def test_cache_keeps_reshuffling_and_gives_the_same_batches(tmp_path):
    folder = write_side_by_side(tmp_path, count=6, height=32, width=32)

    def two_epochs(cache, augment):
        dataset = data.load_paired(folder, image_size=SIZE, augment=augment, shuffle=True,
                                   seed=2, batch_size=6, cache=cache)
        return unbatch(dataset)[0], unbatch(dataset)[0]

    cached, plain = two_epochs(True, True), two_epochs(False, True)
    np.testing.assert_array_equal(cached[0], plain[0])
    np.testing.assert_array_equal(cached[1], plain[1])
    first, second = two_epochs(True, False)
    assert not np.array_equal(first, second), "a cached dataset must still reshuffle"
    np.testing.assert_array_equal(np.sort(first.reshape(6, -1), axis=0),
                                  np.sort(second.reshape(6, -1), axis=0))


def test_batching_shuffling_and_drop_remainder(tmp_path):
    folder = write_side_by_side(tmp_path, count=7)
    dataset = data.load_paired(folder, image_size=16, batch_size=3)
    assert [x.shape[0] for x, _ in dataset] == [3, 3, 1]
    assert dataset.element_spec[0].shape.as_list() == [None, 16, 16, 3]
    dropped = data.load_paired(folder, image_size=16, batch_size=3, drop_remainder=True)
    assert [x.shape[0] for x, _ in dropped] == [3, 3]
    in_order, _ = unbatch(dataset)
    shuffled, _ = unbatch(data.load_paired(folder, image_size=16, shuffle=True, seed=0))
    assert not np.array_equal(in_order, shuffled)
    key = in_order.reshape(7, -1).sum(axis=1)
    np.testing.assert_allclose(np.sort(key), np.sort(shuffled.reshape(7, -1).sum(axis=1)),
                               rtol=1e-5)


def test_rectangular_image_size_and_load_size(tmp_path):
    folder = write_side_by_side(tmp_path, count=2, height=30, width=40)
    assert data.default_load_size((16, 32)) == (18, 36)
    dataset = data.load_paired(folder, image_size=(16, 32), augment=True, seed=0)
    inputs, targets = unbatch(dataset)
    assert inputs.shape == (2, 16, 32, 3)
    np.testing.assert_allclose(inputs + targets, 0.0, atol=1e-4)
    plain, _ = unbatch(data.load_paired(folder, image_size=(30, 40)))
    np.testing.assert_allclose(plain[0], expected(noise(0, 30, 40)), atol=1e-5)


def test_allow_upscale_and_header_check(tmp_path):
    folder = write_side_by_side(tmp_path, count=2, height=12, width=12)
    inputs, _ = unbatch(data.load_paired(folder, image_size=SIZE, allow_upscale=True))
    assert inputs.shape == (2, SIZE, SIZE, 3)
    inputs, _ = unbatch(data.load_paired(folder, image_size=12, check="header"))
    np.testing.assert_allclose(inputs[1], expected(noise(1, 12, 12)), atol=1e-5)


def test_the_small_steps(tmp_path):
    image = np.concatenate([noise(0), noise(1)], axis=1)
    Image.fromarray(image).save(tmp_path / "pair.png")
    decoded = data.read_image(tmp_path / "pair.png")
    assert decoded.dtype == tf.uint8 and decoded.shape == (SIZE, 2 * SIZE, 3)
    left, right = data.split_side_by_side(decoded)
    np.testing.assert_array_equal(left, noise(0))
    np.testing.assert_array_equal(right, noise(1))
    np.testing.assert_array_equal(data.denormalize(data.normalize(left)), noise(0))
    assert float(tf.reduce_min(data.normalize(np.zeros((2, 2), np.uint8)))) == -1.0
    assert float(tf.reduce_max(data.normalize(np.full((2, 2), 255, np.uint8)))) == 1.0
    assert data.resize(left, (10, 12)).shape == (10, 12, 3)
    a, b = data.random_crop_pair(left, 255 - left, 10, seed=(3, 4))
    np.testing.assert_array_equal(a.numpy() + b.numpy(), 255)
    again, _ = data.random_crop_pair(left, 255 - left, 10, seed=(3, 4))
    np.testing.assert_array_equal(a, again)
    flips = [data.random_mirror_pair(left, 255 - left, seed=(s, 0)) for s in range(8)]
    assert all(np.array_equal(x.numpy() + y.numpy(), np.full_like(left, 255)) for x, y in flips)
    assert any(np.array_equal(x, noise(0)[:, ::-1]) for x, _ in flips)
    assert any(np.array_equal(x, noise(0)) for x, _ in flips)


# ------------------------------------------------------------------ errors


def test_missing_folder_and_a_file_instead_of_a_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        data.load_paired(tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(DataError, match="is a file, not a folder"):
        data.load_paired(tmp_path / "file.png")


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        data.load_paired(tmp_path)


def test_folder_without_images_lists_what_it_found(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "train").mkdir()
    with pytest.raises(DataError, match=r"no PNG or JPEG.*notes\.txt.*train/.*pass one split"):
        data.load_paired(tmp_path)


def test_unsupported_image_format_is_reported_not_skipped(tmp_path):
    write_side_by_side(tmp_path, count=1)
    Image.fromarray(noise(0)).save(tmp_path / "extra.bmp")
    with pytest.raises(DataError, match=r"extra\.bmp.*convert them to PNG"):
        data.load_paired(tmp_path, image_size=SIZE)


def test_a_without_b(tmp_path):
    write_a_b(tmp_path)
    for file in (tmp_path / "B").iterdir():
        file.unlink()
    (tmp_path / "B").rmdir()
    with pytest.raises(DataError, match="A/ subfolder but no B/"):
        data.load_paired(tmp_path)


def test_a_and_b_names_that_do_not_match_are_listed(tmp_path):
    write_a_b(tmp_path, names=("x", "y"))
    Image.fromarray(noise(0)).save(tmp_path / "A" / "only_a.png")
    Image.fromarray(noise(0)).save(tmp_path / "B" / "only_b.jpg")
    with pytest.raises(DataError, match=r"do not match.*only_a\.png.*only_b\.jpg"):
        data.load_paired(tmp_path)


def test_duplicate_names_in_one_side(tmp_path):
    write_a_b(tmp_path, names=("x",))
    Image.fromarray(noise(0)).save(tmp_path / "A" / "x.jpg")
    with pytest.raises(DataError, match=r"share the name 'x'"):
        data.load_paired(tmp_path)


def test_odd_width_side_by_side(tmp_path):
    write_side_by_side(tmp_path, count=2)
    Image.fromarray(noise(9, SIZE, 2 * SIZE + 1)).save(tmp_path / "odd.png")
    with pytest.raises(DataError, match=r"odd width.*odd\.png"):
        data.load_paired(tmp_path, image_size=SIZE)


def test_corrupt_file_is_named(tmp_path):
    write_side_by_side(tmp_path, count=2)
    (tmp_path / "broken.png").write_bytes(b"this is not a png at all")
    with pytest.raises(DataError, match=r"broken\.png: cannot be read.*corrupt or truncated"):
        data.load_paired(tmp_path, image_size=SIZE)


def test_a_file_broken_after_a_successful_load_is_caught(tmp_path):
    write_side_by_side(tmp_path, count=2)
    data.load_paired(tmp_path, image_size=SIZE)
    (tmp_path / "001.png").write_bytes(b"broken since")
    with pytest.raises(DataError, match=r"001\.png: cannot be read"):
        data.load_paired(tmp_path, image_size=SIZE)


def test_truncated_jpeg_is_named(tmp_path):
    write_side_by_side(tmp_path, count=1, suffix=".jpg")
    Image.fromarray(noise(3, SIZE * 4, SIZE * 8)).save(tmp_path / "cut.jpg", quality=95)
    whole = (tmp_path / "cut.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"cut\.jpg: cannot be read"):
        data.load_paired(tmp_path, image_size=SIZE)


def test_image_smaller_than_image_size_says_which_sizes_work(tmp_path):
    write_side_by_side(tmp_path, count=2, height=20, width=18)
    with pytest.raises(DataError, match=r"smaller than image_size.*height <= 20 and width <= 18"
                       r".*allow_upscale=True"):
        data.load_paired(tmp_path, image_size=SIZE)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"direction": "AB"}, "direction must be 'AtoB'"),
        ({"image_size": 0}, "image_size must be at least 1"),
        ({"image_size": "256"}, "image_size must be an integer or a .height, width."),
        ({"image_size": (16, 16, 3)}, "image_size must be an integer or a .height, width."),
        ({"image_size": True}, "image_size must be an integer or a .height, width."),
        ({"image_size": 16, "load_size": 12}, "load_size 12x12 .* is smaller than image_size"),
        ({"load_size": (30, 0)}, "load_size must be at least 1"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"channels": 4}, "channels must be 1"),
        ({"check": "quick"}, "check must be one of"),
        ({"seed": "one"}, "seed must be an integer"),
    ],
)
def test_bad_arguments(tmp_path, arguments, message):
    write_side_by_side(tmp_path, count=1)
    with pytest.raises(ValueError, match=message):
        data.load_paired(tmp_path, **arguments)


# ------------------------------------------------------------------ the figures of notebook 01


def test_viz_maps_each_value_range_to_zero_one():
    from p2plib import viz

    np.testing.assert_allclose(viz.as_display_image(np.array([[0, 255]], np.uint8)), [[0, 1]])
    np.testing.assert_allclose(viz.as_display_image(np.array([[-1.0, 0.0, 1.0]])), [[0, 0.5, 1]])
    np.testing.assert_allclose(viz.as_display_image(np.array([[0.0, 127.5, 255.0]])),
                               [[0, 0.5, 1]])
    assert viz.as_display_image(np.zeros((4, 5, 1), np.float32)).shape == (4, 5)
    with pytest.raises(ValueError, match="expected one image"):
        viz.as_display_image(np.zeros((4, 5, 2)))


def test_viz_figures_draw_and_return_none(monkeypatch):
    import matplotlib.pyplot as plt

    from p2plib import viz

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(len(plt.gcf().axes)))
    batch = np.random.default_rng(0).uniform(-1, 1, (3, 8, 8, 3)).astype(np.float32)
    assert viz.show_images(batch, titles=["a", "b", "c"]) is None
    assert viz.show_pairs(batch, -batch, count=2) is None
    assert viz.show_triplets(batch, batch, batch) is None
    assert shown == [3, 4, 9]
    with pytest.raises(ValueError, match="different numbers of images"):
        viz.show_pairs(batch, batch[:2])


def test_a_and_b_of_different_sizes_are_refused_by_name(tmp_path):
    folder = write_a_b(tmp_path)
    save(noise(9, height=SIZE + 8), folder / "B" / "y.png")
    with pytest.raises(data.DataError, match=rf"y\.png \({SIZE}x{SIZE} against "
                                             rf"{SIZE + 8}x{SIZE}\)"):
        data.load_paired(folder, image_size=16)


def test_an_image_over_pillows_size_guard_is_not_called_corrupt(tmp_path, monkeypatch):
    folder = write_side_by_side(tmp_path, count=1, height=SIZE, width=SIZE)
    # Pillow raises DecompressionBombError above twice MAX_IMAGE_PIXELS: lower the guard so
    # a small real file stands for a 20000x10000 one.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", SIZE * SIZE // 4)
    with pytest.raises(data.DataError, match="decompression bombs") as error:
        data.load_paired(folder, image_size=16)
    assert "corrupt" not in str(error.value) and "MAX_IMAGE_PIXELS = None" in str(error.value)
