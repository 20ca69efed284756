"""Tests of p2plib.datasets: synthetic facades, bundled-photo tasks, names and errors."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import pixels_hash
from p2plib import datasets, label_colours
from p2plib.datasets import facades, palettes, photos, storage
from p2plib.errors import DatasetError

SMALL = 32  # image size of the datasets written to disk here: quick to generate


def read_pair(file: Path) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(Image.open(file).convert("RGB"))
    half = image.shape[1] // 2
    return image[:, :half], image[:, half:]


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def facades_dir(data_dir) -> Path:
    return datasets.prepare("synthetic-facades", image_size=SMALL, data_dir=data_dir)


# ---------------------------------------------------------------- synthetic facades


def test_palette_and_classes():
    assert 8 <= len(palettes.FACADE_CLASSES) <= 12
    assert palettes.FACADE_PALETTE.shape == (len(palettes.FACADE_CLASSES), 3)
    assert palettes.FACADE_PALETTE.dtype == np.uint8
    assert len({tuple(c) for c in palettes.FACADE_PALETTE}) == len(palettes.FACADE_CLASSES)


def test_render_is_deterministic_and_seeds_differ():
    labels, photo, mask = facades.render_facade(7, image_size=64)
    again = facades.render_facade(7, image_size=64)
    for first, second in zip((labels, photo, mask), again, strict=True):
        assert first.tobytes() == second.tobytes()
    assert labels.shape == photo.shape == (64, 64, 3) and mask.shape == (64, 64)
    assert labels.dtype == photo.dtype == mask.dtype == np.uint8
    other_mask = facades.render_facade(8, image_size=64)[2]
    assert (other_mask != mask).mean() > 0.05


def test_labels_are_the_palette_colours_of_the_mask():
    labels, _, mask = facades.render_facade(3, image_size=(48, 80))
    assert labels.shape == (48, 80, 3)
    np.testing.assert_array_equal(labels, palettes.FACADE_PALETTE[mask])
    read_back = label_colours.rgb_to_labels(labels, palettes.FACADE_PALETTE)
    np.testing.assert_array_equal(read_back, mask)


def test_every_class_appears_across_layouts():
    seen = set()
    for seed in range(40):
        seen |= set(np.unique(facades.render_facade(seed, image_size=64)[2]).tolist())
    assert seen == set(range(len(palettes.FACADE_CLASSES)))


@pytest.mark.parametrize("small_size", [64, (64, 128)])
def test_same_layout_at_any_size(small_size):
    for seed in range(4):
        large = facades.render_facade(seed, image_size=256)[2]
        small = facades.render_facade(seed, image_size=small_size)[2]
        height, width = small.shape
        shrunk = np.asarray(Image.fromarray(large).resize((width, height), Image.NEAREST))
        assert (shrunk == small).mean() > 0.9


def test_one_label_map_many_photos():
    seed = 11
    renders = [facades.render_facade(seed, image_size=96, photo_seed=k) for k in range(12)]
    for labels, _, mask in renders[1:]:
        np.testing.assert_array_equal(labels, renders[0][0])
        np.testing.assert_array_equal(mask, renders[0][2])
    photos_ = np.stack([photo for _, photo, _ in renders]).astype(np.float64)
    assert np.abs(photos_[0] - photos_[1]).mean() > 15  # grey levels out of 255

    def sharpness(image):
        grey = image.mean(axis=-1)
        return np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean()

    # the average photo, what an L1/L2 regressor is pulled towards, is much blurrier
    single = np.mean([sharpness(photo) for photo in photos_])
    assert sharpness(photos_.mean(axis=0)) < 0.75 * single


def test_prepare_writes_side_by_side_pairs_and_masks(facades_dir, data_dir):
    assert facades_dir == data_dir / f"synthetic-facades-{SMALL}"
    for split, count in facades.SPLIT_SIZES.items():
        pairs = sorted((facades_dir / split).glob("*.png"))
        assert len(pairs) == count
        assert len(list((facades_dir / f"{split}_masks").glob("*.png"))) == count
    labels, photo = read_pair(facades_dir / "val" / "0003.png")
    assert labels.shape == photo.shape == (SMALL, SMALL, 3)
    mask = np.asarray(Image.open(facades_dir / "val_masks" / "0003.png"))
    np.testing.assert_array_equal(labels, palettes.FACADE_PALETTE[mask])
    expected = facades.render_facade(storage.SPLIT_SEED_OFFSETS["val"] + 3, SMALL)
    np.testing.assert_array_equal(photo, expected[1])
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".")]  # no temp folders


def test_prepare_twice_reuses_the_folder(facades_dir, data_dir):
    stamp = (facades_dir / "train" / "0000.png").stat().st_mtime_ns
    assert datasets.prepare("synthetic-facades", SMALL, data_dir) == facades_dir
    assert (facades_dir / "train" / "0000.png").stat().st_mtime_ns == stamp


def test_splits_use_disjoint_seeds():
    offsets = storage.SPLIT_SEED_OFFSETS
    ranges = [set(range(offsets[s], offsets[s] + n)) for s, n in facades.SPLIT_SIZES.items()]
    assert all(not (a & b) for i, a in enumerate(ranges) for b in ranges[i + 1:])


# Rendered with the generator before p2plib.datasets was split into modules.
FACADE_HASHES = {(0, 64): "1cb1cb886e03a4b4", (7, 64): "e3cca27013a13afd",
                 (2_000_011, 256): "e83f72f23c17bfc4"}
EDGES_HASHES = {("train", 0, 64): "dd892e14530e014f", ("val", 3, 256): "631ee5a56f511495"}


def test_generated_pixels_are_pinned():
    """The facades and the photos-edges pairs are what they were, pixel for pixel.

    A change that alters a single pixel of a generated dataset must be deliberate: bump the
    generator's GENERATOR_VERSION (so that datasets on disk are made again) and update these
    hashes. A mismatch with the generator untouched means this machine's numpy (or Pillow,
    scikit-image) computes some pixel differently.
    """
    for (seed, size), expected in FACADE_HASHES.items():
        assert pixels_hash(facades.render_facade(seed, size)) == expected, (seed, size)
    for (split, index, size), expected in EDGES_HASHES.items():
        pair = photos.make_pair("edges", split, index, size)
        assert pixels_hash(pair) == expected, (split, index, size)


def test_generation_is_byte_identical(tmp_path):
    sizes = {"train": 3, "val": 2, "test": 2}
    first = facades.generate(tmp_path / "one", SMALL, sizes)
    second = facades.generate(tmp_path / "two", SMALL, sizes)
    assert files_of(first) == files_of(second)
    assert len(files_of(first)) == 2 * sum(sizes.values())


def test_interrupted_generation_leaves_no_dataset(tmp_path):
    # the second split name is invalid, so generation fails after writing the first split
    with pytest.raises(KeyError):
        facades.generate(tmp_path / "facades", SMALL, {"train": 2, "no-such-split": 1})
    assert list(tmp_path.iterdir()) == []


def test_stale_folder_is_replaced(tmp_path):
    stale = tmp_path / f"synthetic-facades-{SMALL}"
    (stale / "train").mkdir(parents=True)
    (stale / "train" / "junk.png").write_bytes(b"left over from an older version")
    facades.generate(stale, SMALL, {"train": 2, "val": 1, "test": 1})
    assert sorted(p.name for p in (stale / "train").iterdir()) == ["0000.png", "0001.png"]
    assert storage.is_complete(stale, facades.GENERATOR_VERSION)


def test_load_masks_match_the_files(facades_dir, data_dir):
    masks = datasets.load_masks("test", image_size=SMALL, data_dir=data_dir)
    assert masks.shape == (100, SMALL, SMALL) and masks.dtype == np.uint8
    files = sorted((facades_dir / "test").glob("*.png"))
    for index in (0, 57, 99):
        labels, _ = read_pair(files[index])
        labels_ids = label_colours.rgb_to_labels(labels, palettes.FACADE_PALETTE)
        np.testing.assert_array_equal(labels_ids, masks[index])


def test_load_gives_labels_as_input_and_photo_as_target(facades_dir, data_dir):
    dataset = datasets.load("synthetic-facades", "val", image_size=SMALL, data_dir=data_dir)
    inputs, targets = next(iter(dataset))
    assert inputs.shape == targets.shape == (1, SMALL, SMALL, 3)
    labels, photo = read_pair(facades_dir / "val" / "0000.png")  # val: no shuffle, no augment
    np.testing.assert_allclose(inputs[0].numpy(), labels / 127.5 - 1, atol=1e-5)
    np.testing.assert_allclose(targets[0].numpy(), photo / 127.5 - 1, atol=1e-5)
    swapped = datasets.load("synthetic-facades", "val", SMALL, direction="BtoA",
                            data_dir=data_dir)
    np.testing.assert_allclose(next(iter(swapped))[0][0].numpy(), photo / 127.5 - 1, atol=1e-5)


def test_load_augments_and_shuffles_train_by_default(facades_dir, data_dir):
    batches = datasets.load("synthetic-facades", "train", image_size=SMALL, batch_size=4,
                            seed=1, data_dir=data_dir)
    inputs, _ = next(iter(batches))
    assert inputs.shape == (4, SMALL, SMALL, 3)
    first_files = [read_pair(facades_dir / "train" / f"{i:04d}.png")[0] for i in range(4)]
    in_file_order = np.stack(first_files) / 127.5 - 1
    assert not np.allclose(inputs.numpy(), in_file_order, atol=1e-3)


# ---------------------------------------------------------------- bundled photos


def test_photo_splits_are_disjoint_and_bundled():
    from skimage import data as skdata

    split_sets = {split: set(names) for split, names in photos.PHOTO_SPLITS.items()}
    assert not split_sets["train"] & split_sets["val"]
    assert not split_sets["train"] & split_sets["test"]
    assert not split_sets["val"] & split_sets["test"]
    assert set().union(*split_sets.values()) == set(photos.PHOTO_FILES)
    for name, file in photos.PHOTO_FILES.items():
        assert (Path(skdata.__file__).parent / file).is_file(), file  # ships in the wheel
        photo = photos.load_photo(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.uint8


def test_test_pairs_come_only_from_held_out_photos():
    for split in ("val", "test"):
        sources = {photos.crop_for(split, index, SMALL)[0] for index in range(30)}
        assert sources <= set(photos.PHOTO_SPLITS[split])
    train_sources = {photos.crop_for("train", index, SMALL)[0] for index in range(60)}
    assert train_sources == set(photos.PHOTO_SPLITS["train"])
    assert datasets.info("photos-edges").photos == {
        split: list(names) for split, names in photos.PHOTO_SPLITS.items()}


def test_photo_pairs_are_deterministic_and_size_independent():
    first = photos.make_pair("inpainting", "train", 5, 128)
    second = photos.make_pair("inpainting", "train", 5, 128)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(first, second, strict=True))
    small = photos.crop_for("train", 5, 32)[1].astype(float)
    shrunk = np.asarray(Image.fromarray(first[1]).resize((32, 32), Image.BILINEAR), float)
    assert np.abs(small - shrunk).mean() < 12
    other = photos.crop_for("train", 6, 32)[1].astype(float)
    assert np.abs(other - shrunk).mean() > np.abs(small - shrunk).mean()


def test_photo_task_inputs():
    for index in range(5):
        holed, target = photos.make_pair("inpainting", "train", index, 64)
        holes = np.all(holed == photos.HOLE_COLOUR, axis=-1)
        assert 0.01 < holes.mean() < 0.7
        np.testing.assert_array_equal(holed[~holes], target[~holes])

        grey, target = photos.make_pair("colorization", "train", index, 64)
        assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
        np.testing.assert_array_equal(grey[..., 0], photos.grey(target))
        assert target.std(axis=-1).mean() > 2  # the target does have colour

        edges, target = photos.make_pair("edges", "train", index, 64)
        assert set(np.unique(edges).tolist()) <= {0, 255}
        assert 0.01 < (edges[..., 0] == 0).mean() < 0.5  # black edges on a white page


def test_prepare_photo_task(data_dir):
    folder = datasets.prepare("photos-colorization", image_size=SMALL, data_dir=data_dir)
    assert folder == data_dir / f"photos-colorization-{SMALL}"
    counts = {split: len(list((folder / split).glob("*.png"))) for split in photos.SPLIT_SIZES}
    assert counts == photos.SPLIT_SIZES
    grey, photo = read_pair(folder / "test" / "0000.png")
    assert photo.shape == (SMALL, SMALL, 3)
    np.testing.assert_array_equal(grey[..., 0], photos.grey(photo))
    assert datasets.path("photos-colorization", "val", SMALL, data_dir) == folder / "val"


# ---------------------------------------------------------------- names, info and errors


def test_names_and_info():
    assert datasets.names() == [
        "synthetic-facades", "synthetic-streets", "photos-inpainting", "photos-colorization",
        "photos-edges",
        "facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day",
    ]
    directions = {name: datasets.info(name).direction for name in datasets.names()}
    assert directions["facades"] == directions["cityscapes"] == directions["maps"] == "BtoA"
    assert directions["synthetic-facades"] == directions["edges2shoes"] == "AtoB"
    for name in datasets.names():
        item = datasets.info(name)
        assert item.name == name and item.licence and item.source and "train" in item.splits


def test_unknown_name_lists_the_names():
    with pytest.raises(DatasetError, match="unknown dataset 'facade'.*synthetic-facades"):
        datasets.info("facade")
    with pytest.raises(DatasetError, match="edges2shoes"):
        datasets.load("no-such-dataset")


def test_bad_split_lists_the_splits(tmp_path):
    with pytest.raises(DatasetError, match=r"no split 'training'.*\['train', 'val'"):
        datasets.path("synthetic-facades", "training", SMALL, tmp_path)
    with pytest.raises(DatasetError, match="no split 'test'"):
        datasets.path("maps", "test", data_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # refused before generating or downloading


@pytest.mark.parametrize("size", [0, 4, "64", (64,), 64.0, True])
def test_bad_image_size(size, tmp_path):
    with pytest.raises(DatasetError, match="image_size"):
        datasets.prepare("synthetic-facades", image_size=size, data_dir=tmp_path)


def test_generated_datasets_are_not_downloaded(tmp_path):
    with pytest.raises(DatasetError, match=r"not downloaded; use prepare"):
        datasets.download("photos-edges", data_dir=tmp_path)


def test_nearest_palette_colours_give_class_ids_and_void_colours_give_void():
    palette = np.array([(0, 0, 142), (128, 64, 128)], np.uint8)
    image = np.array([[(2, 1, 140), (120, 70, 130), (3, 3, 3)]], np.uint8)
    np.testing.assert_array_equal(label_colours.rgb_to_labels(image, palette), [[0, 1, 0]])
    with_void = label_colours.rgb_to_labels(image, palette, void_colours=[(0, 0, 0)])
    np.testing.assert_array_equal(with_void, [[0, 1, label_colours.VOID_ID]])
    batch = label_colours.rgb_to_labels(np.stack([image, image[:, ::-1]]), palette)
    assert batch.shape == (2, 1, 3)
    np.testing.assert_array_equal(batch[1], [[0, 1, 0]])
    drawn = label_colours.labels_to_rgb(with_void, palette)
    np.testing.assert_array_equal(drawn, [[palette[0], palette[1], (0, 0, 0)]])
    with pytest.raises(ValueError, match=r"\[\.\.\., H, W, 3\] RGB; got shape \(4, 4\)"):
        label_colours.rgb_to_labels(np.zeros((4, 4)), palette)


def test_every_datasets_module_lists_only_its_own_names():
    """Each module of p2plib.datasets has ``__all__``, and every function and class it lists is
    defined there: a name lives in one module and is imported from there (no re-exports)."""
    import importlib
    import pkgutil

    modules = [datasets] + [importlib.import_module(f"p2plib.datasets.{info.name}")
                            for info in pkgutil.iter_modules(datasets.__path__)]
    assert len(modules) >= 10
    for module in modules:
        assert hasattr(module, "__all__"), module.__name__
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):
                assert value.__module__ == module.__name__, (module.__name__, name)
