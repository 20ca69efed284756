"""Input pipeline throughput: images per second that ``p2plib.data.load_paired`` delivers.

Measures the paper's augmentation (resize to 286, random 256 crop, random mirror, scale to
[-1, 1]) on two sources: the synthetic facades (side-by-side PNGs, generated on first use)
and a folder of side-by-side JPEGs this script writes to a temporary directory. Warm-up
batches are excluded; each measurement runs for ``--seconds``.

    python benchmarks/input_pipeline.py                       # 256x256, batch 1, 10 s each
    python benchmarks/input_pipeline.py --image-size 64 --batch-size 4 --seconds 3

Importable: ``measure(dataset, seconds)`` and ``pipeline_rate(path, ...)`` give the rate
that a training benchmark can set against its step rate.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from p2plib import data, datasets
from p2plib.datasets.facades import render_facade  # noqa: E402
from p2plib.tools import report  # noqa: E402


def measure(dataset: tf.data.Dataset, seconds: float = 10.0, warmup_batches: int = 10) -> dict:
    """Iterate ``dataset`` (repeated) for ``seconds`` after ``warmup_batches``; report the rate."""
    stream = iter(dataset.repeat())
    for _ in range(warmup_batches):
        next(stream)
    images = batches = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        inputs, _ = next(stream)
        images += int(inputs.shape[0])
        batches += 1
    elapsed = time.perf_counter() - start
    # CPU time of all of this process's threads: less sensitive to other work on the machine.
    cpu_seconds = time.process_time() - cpu_start
    return {"images": images, "batches": batches, "seconds": elapsed,
            "images_per_second": images / elapsed, "cpu_ms_per_image": 1000 * cpu_seconds / images}


def pipeline_rate(path, image_size=256, batch_size: int = 1, seconds: float = 10.0,
                  augment: bool = True, warmup_batches: int = 10, **load_options) -> float:
    """Images per second of ``load_paired(path, ...)`` with shuffling, as training uses it."""
    dataset = data.load_paired(path, image_size=image_size, batch_size=batch_size,
                               augment=augment, shuffle=True, seed=0, **load_options)
    return measure(dataset, seconds, warmup_batches)["images_per_second"]


def make_jpeg_folder(folder, count: int = 200, image_size: int = 256, quality: int = 90) -> Path:
    """Write ``count`` side-by-side (labels | photo) facade JPEGs of ``image_size``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        labels, photo, _ = render_facade(10_000 + index, image_size=image_size)
        Image.fromarray(np.concatenate([labels, photo], axis=1)).save(
            folder / f"{index:04d}.jpg", quality=quality)
    return folder


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-size", type=int, default=256, help="crop size (default 256)")
    parser.add_argument("--batch-size", type=int, default=1, help="default 1, as in the paper")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed run per measurement")
    parser.add_argument("--warmup-batches", type=int, default=10)
    parser.add_argument("--source", choices=("facades", "jpeg", "both"), default="both")
    parser.add_argument("--jpeg-count", type=int, default=200, help="JPEG pairs to write")
    parser.add_argument("--no-augment", action="store_true", help="plain resize, no crop/mirror")
    return parser.parse_args(argv)


def main(argv=None) -> list[dict]:
    args = parse_arguments(argv)
    augment = not args.no_augment
    sources = []
    if args.source in ("facades", "both"):
        datasets.prepare("synthetic-facades", image_size=args.image_size)
        folder = datasets.path("synthetic-facades", "train", image_size=args.image_size)
        sources.append(("synthetic facades", "PNG", folder))
    scratch = tempfile.TemporaryDirectory(prefix="p2p_jpegs_")
    if args.source in ("jpeg", "both"):
        folder = make_jpeg_folder(Path(scratch.name) / "jpegs", args.jpeg_count, args.image_size)
        sources.append(("facade JPEGs", "JPEG", folder))

    rows = []
    for name, file_format, folder in sources:
        files = len(data.find_pairs(folder))
        result = measure(
            data.load_paired(folder, image_size=args.image_size, batch_size=args.batch_size,
                             augment=augment, shuffle=True, seed=0),
            args.seconds, args.warmup_batches,
        )
        rows.append({"source": name, "format": file_format, "files": files, **result})
    scratch.cleanup()

    info = report.machine()
    print(f"command:  python {' '.join(sys.argv) if argv is None else ' '.join(argv)}")
    print(f"machine:  {info['processor']}; {info['cpu_count']} CPUs ({info['usable_cpus']} "
          f"usable); GPU: {', '.join(info['gpus']) or 'none'}; load average "
          f"{info['load_average_at_start']:.1f} (other work slows it)")
    print(f"software: Python {info['python']}, TensorFlow {info['tensorflow']}; "
          f"{info['platform']}")
    print(f"pipeline: load_paired, {args.image_size}x{args.image_size}, augment={augment} "
          f"(load size {data.default_load_size(args.image_size)}), batch {args.batch_size}, "
          f"shuffle, {args.seconds:g} s timed after {args.warmup_batches} warm-up batches\n")
    print(f"| {'source':18s} | format | files | images/s | ms/image | CPU ms/image |")
    print(f"|{'-' * 20}|--------|-------|----------|----------|--------------|")
    for row in rows:
        rate = row["images_per_second"]
        print(f"| {row['source']:18s} | {row['format']:6s} | {row['files']:5d} | "
              f"{rate:8.0f} | {1000 / rate:8.2f} | {row['cpu_ms_per_image']:12.2f} |")
    return rows


if __name__ == "__main__":
    main()
