"""Downloads of the standard pix2pix datasets, against a real HTTP server on 127.0.0.1."""

import functools
import http.server
import io
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import QuietHandler, make_archive
from p2plib import datasets
from p2plib.datasets import downloads
from p2plib.errors import DatasetError

RED, BLUE = (220, 20, 20), (20, 20, 220)


def jpeg_pair(seed: int) -> bytes:
    """A 24x48 side-by-side JPEG: red-ish noise left (A), blue-ish noise right (B)."""
    rng = np.random.default_rng(seed)
    halves = [np.clip(np.array(colour) + rng.normal(0, 25, (24, 24, 3)), 0, 255)
              for colour in (RED, BLUE)]
    buffer = io.BytesIO()
    Image.fromarray(np.concatenate(halves, axis=1).astype(np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def real_layout(name: str, splits=("train", "val", "test"), per_split=3):
    return [(f"{name}/{split}/{i + 1}.jpg", jpeg_pair(100 * k + i))
            for k, split in enumerate(splits) for i in range(per_split)]


def test_good_archive_downloads_extracts_and_loads(server, tmp_path):
    site, url = server
    (site / "datasets").mkdir()
    make_archive(site / "datasets" / "facades.tar.gz", real_layout("facades"))
    data_dir = tmp_path / "data"

    folder = datasets.download("facades", data_dir=data_dir, base_url=url)

    assert folder == (data_dir / "facades").resolve()
    assert sorted(p.name for p in folder.iterdir()) == ["test", "train", "val"]
    assert (folder / "train" / "2.jpg").read_bytes() == jpeg_pair(1)
    assert sorted(p.name for p in data_dir.iterdir()) == ["facades"]  # staging and archive gone
    # facades translates labels (B, right) to photos (A, left) by default
    inputs, targets = next(iter(datasets.load("facades", "val", image_size=16,
                                              data_dir=data_dir, base_url=url)))
    assert inputs.shape == targets.shape == (1, 16, 16, 3)
    assert inputs[0, ..., 2].numpy().mean() > inputs[0, ..., 0].numpy().mean() + 0.5  # blue
    assert targets[0, ..., 0].numpy().mean() > targets[0, ..., 2].numpy().mean() + 0.5  # red
    # already there: a second call neither downloads nor fails with the server gone
    (site / "datasets" / "facades.tar.gz").unlink()
    assert datasets.prepare("facades", data_dir=data_dir, base_url=url) == folder


def test_base_url_from_environment(server, tmp_path, monkeypatch):
    site, url = server
    (site / "datasets").mkdir()
    make_archive(site / "datasets" / "maps.tar.gz", real_layout("maps", ("train", "val")))
    monkeypatch.setenv(downloads.BASE_URL_ENV, url + "/")
    assert downloads.archive_url("maps") == url + "/maps.tar.gz"

    folder = datasets.prepare("maps", data_dir=tmp_path / "data")

    assert sorted(p.name for p in folder.iterdir()) == ["train", "val"]
    assert datasets.path("maps", "val", data_dir=tmp_path / "data") == folder / "val"


def test_split_missing_from_the_download_is_named(server, tmp_path):
    site, url = server
    (site / "datasets").mkdir()
    make_archive(site / "datasets" / "night2day.tar.gz", real_layout("night2day", ("train",)))
    with pytest.raises(DatasetError, match=r"night2day/test does not exist.*\['train'\]"):
        datasets.path("night2day", "test", data_dir=tmp_path / "data", base_url=url)


def test_default_base_url_is_the_pix2pix_host(monkeypatch):
    monkeypatch.delenv(downloads.BASE_URL_ENV, raising=False)
    assert downloads.archive_url("night2day") == (
        "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/night2day.tar.gz")


def escaping_members(outside: Path):
    link = tarfile.TarInfo("facades/train/link.jpg")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return {
        "dot-dot": ("facades/../../../../escaped.txt", b"evil"),
        "absolute": (str(outside / "absolute.txt"), b"evil"),
        "symlink": link,
    }


@pytest.mark.parametrize("kind", ["dot-dot", "absolute", "symlink"])
def test_member_leaving_the_target_is_refused(server, tmp_path, kind):
    site, url = server
    (site / "datasets").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    good = real_layout("facades", ("train",), 2)
    make_archive(site / "datasets" / "facades.tar.gz",
                 good[:1] + [escaping_members(outside)[kind]] + good[1:])
    data_dir = tmp_path / "deep" / "er" / "data"  # so '../../..' would still land in tmp_path
    files_before = {p for p in tmp_path.rglob("*") if not p.is_dir()}

    with pytest.raises(downloads.UnsafeArchiveError, match="refusing to extract .* outside"):
        datasets.download("facades", data_dir=data_dir, base_url=url)

    assert {p for p in tmp_path.rglob("*") if not p.is_dir()} == files_before
    assert not (tmp_path / "deep" / "er" / "escaped.txt").exists()
    assert not (outside / "absolute.txt").exists()
    assert not (data_dir / "facades").exists()
    assert list(data_dir.iterdir()) == []  # the bad download was deleted too


def test_truncated_archive_leaves_nothing_and_retry_works(server, tmp_path):
    site, url = server
    (site / "datasets").mkdir()
    archive = site / "datasets" / "facades.tar.gz"
    whole = make_archive(archive, real_layout("facades"))
    archive.write_bytes(whole[: len(whole) * 2 // 3])
    data_dir = tmp_path / "data"

    with pytest.raises(downloads.DownloadError, match="truncated or corrupt.*download it afresh"):
        datasets.download("facades", data_dir=data_dir, base_url=url)
    assert list(data_dir.iterdir()) == []  # no dataset folder, no staging, no archive

    archive.write_bytes(whole)
    folder = datasets.download("facades", data_dir=data_dir, base_url=url)
    assert len(list((folder / "test").glob("*.jpg"))) == 3


def test_connection_dropped_mid_download_leaves_nothing(server, tmp_path):
    site, url = server
    (site / "datasets").mkdir()
    whole = make_archive(site / "datasets" / "cityscapes.tar.gz.cut",
                         real_layout("cityscapes", ("train", "val")))
    (site / "datasets" / "cityscapes.tar.gz.cut").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(downloads.DownloadError, match="could not download cityscapes from"):
        datasets.download("cityscapes", data_dir=tmp_path / "data", base_url=url)
    assert list((tmp_path / "data").iterdir()) == []


def test_missing_archive_names_the_address(server, tmp_path):
    _, url = server
    with pytest.raises(downloads.DownloadError,
                       match=f"{url}/edges2shoes.tar.gz.*P2P_DATASETS_URL"):
        datasets.download("edges2shoes", data_dir=tmp_path / "data", base_url=url)
    assert list((tmp_path / "data").iterdir()) == []


def test_archive_without_the_dataset_folder_is_refused(server, tmp_path):
    site, url = server
    (site / "datasets").mkdir()
    make_archive(site / "datasets" / "night2day.tar.gz", [("train/1.jpg", jpeg_pair(0))])
    with pytest.raises(downloads.DownloadError, match="not laid out as night2day/<split>"):
        datasets.download("night2day", data_dir=tmp_path / "data", base_url=url)
    assert list((tmp_path / "data").iterdir()) == []


class SlowHandler(QuietHandler):
    """Sends the archive 4 KB at a time, 0.1 s apart: a download that takes a while."""

    def do_GET(self):
        whole = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(whole)))
        self.end_headers()
        for start in range(0, len(whole), 4096):
            self.wfile.write(whole[start:start + 4096])
            self.wfile.flush()
            time.sleep(0.1)


def test_a_download_killed_mid_transfer_is_downloaded_again(server, tmp_path):
    site, url = server
    (site / "datasets").mkdir()
    noise = np.random.default_rng(0).integers(0, 256, 400_000, dtype=np.uint8).tobytes()
    make_archive(site / "datasets" / "facades.tar.gz",  # 400 KB: 10 s at the slow rate
                 [*real_layout("facades"), ("facades/noise.bin", noise)])
    handler = functools.partial(SlowHandler, directory=str(site))
    stalling = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=stalling.serve_forever, args=(0.05,), daemon=True).start()
    data_dir = tmp_path / "data"
    script = ("import sys; from p2plib import datasets; "
              "datasets.download('facades', data_dir=sys.argv[1], base_url=sys.argv[2])")
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(data_dir),
         f"http://127.0.0.1:{stalling.server_address[1]}/datasets"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # The child's staging folder (files.temporary_folder), holding the partial archive.
    partial = data_dir / f".facades.partial-{child.pid}" / "facades.tar.gz"
    deadline = time.monotonic() + 120
    try:
        while not (partial.exists() and partial.stat().st_size > 0):
            assert child.poll() is None, child.stderr.read()[-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        stalling.shutdown()
        stalling.server_close()
    assert partial.exists(), "the kill should leave the partial archive behind"
    folder = datasets.download("facades", data_dir=data_dir, base_url=url)
    assert len(list((folder / "test").glob("*.jpg"))) == 3
    assert sorted(p.name for p in data_dir.iterdir()) == ["facades"]
