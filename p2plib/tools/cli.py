"""The command line: ``python -m p2plib train | translate | evaluate | ablations | datasets |
demo``.

``train`` writes a run folder (``config.json``, the ``config.TrainingConfig`` of the run;
``checkpoints/``, ``samples/``, ``logs/`` for TensorBoard, and ``generator.keras`` at the end)
and ``--resume`` continues an interrupted run from its last checkpoint. With ``--workers
HOST:PORT,... --worker-index N`` (or ``TF_CONFIG`` set) it trains as one of several workers
under ``MultiWorkerMirroredStrategy`` (``tools.cluster``): worker 0 writes the run folder, the
others folders of their own under ``workers/``. ``translate`` applies a
saved generator to an image or a folder of images; ``evaluate`` scores one on held-out pairs;
``ablations`` trains and scores the paper's ablation settings; ``demo`` serves the drawing
demo (``p2plib.demo``, notebook 09). The project's own errors
(``errors.P2PError``) and system errors (``OSError``) end with a one-line message and exit
code 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

import tensorflow as tf

from p2plib import (
    callbacks,
    checks,
    data,
    datasets,
    evaluation,
    export,
    files,
    models,
    paper,
    training,
)
from p2plib import config as p2p_config
from p2plib.config import PAPER, QUICK, TrainingConfig
from p2plib.datasets.palettes import LANGUAGES
from p2plib.demo.drawings import TASK_NAMES
from p2plib.demo.gradio_app import DrawingDemo
from p2plib.demo.translation import default_task
from p2plib.errors import ArgumentError, CommandError, ConfigError, ModelFileError, P2PError
from p2plib.experiments import ablations, applications, recipes, segmentation
from p2plib.testtime import TEST_MODES
from p2plib.tools import checkpoints, cluster, keras_workarounds, translate
from p2plib.tools.cluster import WAIT_SECONDS

EXIT_USAGE = 2
RUN_CONFIG = "config.json"
GENERATOR_FILE = "generator.keras"
DISCRIMINATOR_FILE = "discriminator.keras"
CHECKPOINTS = "checkpoints"
RUN_LOCK = ".p2plib-run.lock"  # the one-writer lock of a run folder (lock_folder)
WORKERS_FOLDER = "workers"  # the other workers' own folders, under the chief's --run-dir
# Options of `train` that are fields of the TrainingConfig; --resume reads them back.
RUN_OPTIONS = (
    "dataset", "data", "direction", "image_size", "base_filters", "generator", "n_layers",
    "norm", "upsampling", "dropout", "batch_size", "epochs", "steps_per_epoch", "decay_epochs",
    "learning_rate", "l1_weight", "gan_weight", "gan_mode", "seed", "save_every", "samples",
    "mixed_precision",
)
__all__ = ["build_parser", "main", "resolve_run_config"]


# --------------------------------------------------------------------------- arguments


def _argument_type(check, **bounds):
    """An argparse ``type=`` that parses a number and applies one of ``p2plib.checks``."""
    parse = float if check == "number" else int

    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            kind = "a number" if parse is float else "a whole number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        try:
            return getattr(checks, check)(value, "the value", **bounds)
        except ArgumentError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


_positive_int = _argument_type("integer", minimum=1)
_non_negative_int = _argument_type("integer", minimum=0)
_positive_float = _argument_type("number", above=0)


def _image_size(text: str):
    """``256`` or ``256x512`` (height x width), each side at least 8."""
    parts = text.lower().split("x")
    if len(parts) not in (1, 2) or not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(
            f"expected a size such as 256 or 256x512 (height x width), got {text!r}")
    try:
        size = checks.image_size(tuple(int(part) for part in parts) * (3 - len(parts)),
                                 "the size", minimum=8)
    except ArgumentError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return checks.square_or_pair(size)


def _add_train_parser(commands):
    parser = commands.add_parser(
        "train",
        help="train Pix2Pix on a named dataset or a folder of pairs",
        description="Train Pix2Pix and write a run folder: config.json (the resolved "
        "configuration), checkpoints/ (resumable), samples/ (input | target | output grids "
        "per epoch), logs/ (TensorBoard) and generator.keras (the final generator). "
        "Defaults follow the paper (256x256, 64 filters, U-Net, 70x70 PatchGAN, batch 1, "
        f"Adam {paper.LEARNING_RATE:g} beta1 {paper.BETA_1:g}, lambda {paper.L1_WEIGHT:g}); "
        "--quick shrinks them for a smoke test.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", help="a named dataset (see `python -m p2plib datasets`)")
    source.add_argument(
        "--data", type=Path,
        help="a folder of side-by-side A|B images or of A/ and B/; if it holds train/ "
        "(and val/), those are used",
    )
    parser.add_argument("--run-dir", type=Path, required=True,
                        help="folder for this run's outputs (created)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --run-dir from its last readable "
                        "checkpoint, with the configuration saved there")
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh in a --run-dir that holds a run: its checkpoints "
                        "and generator are deleted")
    parser.add_argument("--quick", action="store_true",
                        help="quick mode (as P2P_QUICK=1): small images, filters and steps")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"),
                        help="which half is the input (default: the dataset's labels->photo "
                        "direction, AtoB for a folder)")
    parser.add_argument("--image-size", type=_image_size,
                        help="training size, e.g. 256 or 256x512 (default "
                        f"{paper.IMAGE_SIZE}; {QUICK.image_size} with --quick)")
    parser.add_argument("--base-filters", type=_positive_int,
                        help=f"filters of the first layer (default {paper.BASE_FILTERS}; "
                        f"{QUICK.base_filters} with --quick)")
    parser.add_argument("--generator", choices=("unet", "encoder-decoder"), default=None,
                        help="generator architecture (default unet)")
    parser.add_argument("--n-layers", type=_non_negative_int, default=None,
                        help="PatchGAN layers: 0/1/3/5 give 1/16/70/286 receptive fields "
                        f"at 256 (default {paper.N_LAYERS})")
    parser.add_argument("--norm", choices=("batch", "instance"), default=None,
                        help="normalisation (default batch)")
    parser.add_argument("--upsampling", choices=("transpose", "resize"), default=None,
                        help="decoder upsampling (default transpose)")
    parser.add_argument("--no-dropout", dest="dropout", action="store_false", default=None,
                        help="no dropout in the decoder")
    parser.add_argument("--batch-size", type=_positive_int,
                        help=f"batch size (default {paper.BATCH_SIZE})")
    parser.add_argument("--epochs", type=_positive_int,
                        help=f"epochs in all, decay included (default {paper.EPOCHS}; "
                        f"{QUICK.epochs} with --quick)")
    parser.add_argument("--steps-per-epoch", type=_positive_int,
                        help="batches per epoch (default: one pass over the data)")
    parser.add_argument("--decay-epochs", type=_non_negative_int,
                        help="final epochs over which the learning rate falls linearly to 0 "
                        "(default: half of --epochs, as the reference 100 + 100)")
    parser.add_argument("--learning-rate", type=_positive_float,
                        help="Adam learning rate for both networks "
                        f"(default {paper.LEARNING_RATE:g})")
    parser.add_argument("--l1-weight", type=_argument_type("number", minimum=0),
                        help=f"lambda, the L1 weight (default {paper.L1_WEIGHT:g})")
    parser.add_argument("--gan-weight", type=_argument_type("number", minimum=0),
                        help="weight of the adversarial loss (default 1; 0 trains with L1 "
                        "alone, the paper's 'L1' row)")
    parser.add_argument("--gan-mode", choices=("vanilla", "lsgan"),
                        help="adversarial loss (default vanilla: cross-entropy)")
    parser.add_argument("--seed", type=int,
                        help=f"random seed: weights, dropout, data order (default {PAPER.seed})")
    parser.add_argument("--save-every", type=_positive_int,
                        help="also checkpoint every N steps (default: each epoch only)")
    parser.add_argument("--samples", type=_positive_int,
                        help=f"pairs in each sample grid (default {PAPER.samples}; "
                        f"{QUICK.samples} with --quick)")
    parser.add_argument("--mixed-precision", action="store_true", default=None,
                        help="float16 arithmetic with float32 weights and loss scaling "
                        "(Keras's mixed_float16 policy): for GPUs with tensor cores; slower "
                        "on a CPU")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                        help="Keras progress output: 1 a progress bar (default), 2 a line per "
                        "epoch, 0 silent")
    workers = parser.add_argument_group(
        "several workers",
        "Train one model on several processes or machines (MultiWorkerMirroredStrategy): "
        "start the same command on every worker with its own --worker-index, or set "
        "TF_CONFIG instead. --batch-size is the global batch, split between the workers. "
        "Worker 0 is the chief and writes --run-dir; the others write to "
        f"--run-dir/{WORKERS_FOLDER}/worker-N and read the chief's checkpoints on --resume, so "
        "--run-dir must be one folder that every worker reaches.")
    workers.add_argument("--workers", type=_worker_addresses, metavar="HOST:PORT,...",
                         help="every worker's address, in the same order on every worker")
    workers.add_argument("--worker-index", type=_non_negative_int, metavar="N",
                         help="this worker's place in --workers (0 is the chief)")
    workers.add_argument("--worker-timeout", type=_positive_float, metavar="SECONDS",
                         default=None,
                         help="how long to wait for the other workers to join, and for any one "
                         "exchange with them, before stopping with an error (default "
                         f"{WAIT_SECONDS:g})")
    parser.set_defaults(handler=train_command)


def _worker_addresses(text: str) -> list[str]:
    """``--workers``: comma-separated ``HOST:PORT`` addresses."""
    try:
        return list(cluster.WorkerSetup.of_workers(text, 0).cluster["worker"])
    except ArgumentError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_generator_options(parser):
    """--model, --batch-size and --test-mode: how translate and evaluate run a generator."""
    parser.add_argument("--model", type=Path, required=True, help="the generator .keras file")
    parser.add_argument("--batch-size", type=_positive_int, default=8,
                        help="images per batch (default 8)")
    parser.add_argument("--test-mode", choices=TEST_MODES, default="inference",
                        help="'paper' keeps dropout on and normalises each image by its own "
                        "statistics, as the paper does at test time; 'inference' (default) "
                        "is Keras's inference mode")


def _add_translate_parser(commands):
    parser = commands.add_parser(
        "translate",
        help="apply a saved generator to an image or a folder of images",
        description="Translate images with a generator saved as .keras (e.g. a run's "
        "generator.keras). Each image is resized to the generator's input size, translated "
        "and written as PNG under the same name.",
    )
    _add_generator_options(parser)
    parser.add_argument("input", type=Path, help="an image (PNG/JPEG) or a folder of them")
    parser.add_argument("output", type=Path, help="folder for the translated images (created)")
    parser.add_argument("--half", choices=("left", "right"),
                        help="the inputs are side-by-side pairs: translate this half")
    parser.set_defaults(handler=translate_command)


def _add_evaluate_parser(commands):
    parser = commands.add_parser(
        "evaluate",
        help="score a saved generator on held-out pairs (L1, PSNR, SSIM)",
        description="Score a generator .keras file on the pairs of a named dataset's split "
        "or a folder of pairs; prints the mean L1, PSNR and SSIM as JSON.",
    )
    _add_generator_options(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="a named dataset")
    source.add_argument("--data", type=Path, help="a folder of pairs")
    parser.add_argument("--split", help="split of --dataset (default: test, or val where "
                        "there is no test split)")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"),
                        help="which half is the input (default as for train)")
    parser.add_argument("--image-size", type=_image_size,
                        help="score at this size (default: the generator's; needed for a "
                        "generator that takes any size)")
    parser.add_argument("--fcn-score", action="store_true",
                        help="labels -> photo on a dataset with class masks (synthetic-facades, "
                        "synthetic-streets, cityscapes): add the paper's FCN-score (per-pixel "
                        "and per-class accuracy, class IoU) from the segmenter cached in data/ "
                        "(trained on first use)")
    parser.add_argument("--label-scores", action="store_true",
                        help="photo -> labels on a dataset with class masks: add the per-pixel "
                        "and per-class accuracy and class IoU of the generated label maps, read "
                        "back by the nearest palette colour, against the true masks")
    parser.set_defaults(handler=evaluate_command)


def _add_ablations_parser(commands):
    parser = commands.add_parser(
        "ablations",
        help="train and score the paper's ablation settings (Tables 1-3 in miniature)",
        description="Train each of the paper's ablation settings (objectives, generators, "
        "discriminator receptive fields) on a labels -> photo dataset with class masks at one "
        "scale and score it on the held-out pairs: FCN-score, L1, PSNR, SSIM (and for street "
        "scenes the spread of the cars' colours). Writes the results JSON after each setting "
        "and one PNG row of outputs per setting. The real cityscapes is downloaded on first "
        "use; its colour label maps are read back to classes by the nearest palette colour.",
    )
    parser.add_argument("--dataset", default=ablations.DATASET,
                        choices=list(ablations.ABLATION_DATASETS),
                        help="the labels -> photo dataset (default %(default)s)")
    parser.add_argument("--seeds", type=_positive_int, default=1,
                        help="train every setting with seeds 0..N-1 and report mean ± sd "
                        "(default 1)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the JSON to write (default, in the current folder: ablations.json "
                        "for the facades, ablations-streets.json for the streets, "
                        "ablations-cityscapes.json for cityscapes)")
    parser.add_argument("--samples-dir", type=Path, default=None,
                        help="folder for the sample PNGs (default: ablation-samples/ next to "
                        "--out)")
    parser.add_argument("--quick", action="store_true",
                        help="a miniature: 64x64, 8 filters, 4 steps per setting (also when "
                        "P2P_QUICK=1)")
    parser.add_argument("--steps", type=_positive_int, default=None,
                        help=f"steps per setting (default {ablations.FULL_SCALE.total_steps})")
    parser.add_argument("--only", nargs="+", metavar="SETTING",
                        choices=[setting.name for setting in ablations.SETTINGS],
                        help="run only these settings: "
                        + ", ".join(setting.name for setting in ablations.SETTINGS))
    parser.set_defaults(handler=ablations_command)


def _add_datasets_parser(commands):
    parser = commands.add_parser(
        "datasets",
        help="list, generate or download the named datasets",
        description="Without arguments, list the named datasets. `prepare NAME` generates "
        "(or downloads) NAME into the data folder; `info NAME` describes it.",
    )
    parser.add_argument("action", nargs="?", choices=("list", "info", "prepare"), default="list")
    parser.add_argument("name", nargs="?", help="dataset name, for info and prepare")
    parser.add_argument("--image-size", type=_image_size,
                        help=f"size of generated datasets (default {paper.IMAGE_SIZE}; "
                        f"{QUICK.image_size} with --quick)")
    parser.add_argument("--base-url", help="download from this address instead of the usual "
                        "host (also: the P2P_DATASETS_URL environment variable)")
    parser.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                        help="give a download up when the server sends nothing for this long "
                        "(default 60, or $P2P_DOWNLOAD_TIMEOUT)")
    parser.add_argument("--quick", action="store_true", help="quick mode (as P2P_QUICK=1)")
    parser.set_defaults(handler=datasets_command)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m p2plib`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m p2plib",
        description="Pix2Pix from the command line: train on a named dataset or a folder of "
        "pairs, translate images with a saved generator, evaluate it, manage datasets.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train_parser(commands)
    _add_translate_parser(commands)
    _add_evaluate_parser(commands)
    _add_ablations_parser(commands)
    _add_datasets_parser(commands)
    _add_demo_parser(commands)
    return parser


# --------------------------------------------------------------------------- train


def _given_options(args) -> dict:
    given = {name: getattr(args, name) for name in RUN_OPTIONS if getattr(args, name) is not None}
    if "data" in given:
        given["data"] = str(Path(given["data"]).resolve())
    return given


def read_run_config(run_dir: Path):
    """The ``TrainingConfig`` saved in a run folder's ``config.json``; errors name the file."""
    path = run_dir / RUN_CONFIG
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not the run's configuration file; remove it, "
                          "or start a new run folder.")
    if not path.is_file():
        raise CommandError(
            f"--resume: {path} does not exist; start the run without --resume, or point "
            "--run-dir at the folder of an earlier run."
        )
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid JSON ({error}); it is damaged: restore it or "
                          "start a new run folder.") from None
    return TrainingConfig.from_json(values, source=str(path))


def resolve_run_config(args):
    """The run's ``TrainingConfig``: the saved one on --resume, else the arguments over the
    defaults of the mode (``config.PAPER``, or ``config.QUICK`` with --quick)."""
    given = _given_options(args)
    if args.resume:
        saved = read_run_config(args.run_dir)
        saved_values = saved.to_json()
        requested = saved.with_changes(**given).to_json()
        conflicts = {k: (saved_values[k], requested[k]) for k in given
                     if saved_values[k] != requested[k]}
        if conflicts:
            listed = ", ".join(f"--{k.replace('_', '-')} (run: {old!r}, given: {new!r})"
                               for k, (old, new) in conflicts.items())
            raise CommandError(
                f"--resume continues the run as configured in {args.run_dir / RUN_CONFIG}; "
                f"these options differ from it: {listed}. Drop them, or start a new run folder."
            )
        return saved
    if "dataset" not in given and "data" not in given:
        raise CommandError("say what to train on: --dataset NAME or --data FOLDER")
    base = p2p_config.settings(args.quick or p2p_config.is_quick())
    config = base.with_changes(name=None, **given)
    _check_size_fits(config)
    return config


def _check_size_fits(config) -> None:
    """Refuse, before any data loads, an --image-size the generator cannot take."""
    try:
        models.generator_depth(config.image_size)
    except ArgumentError:
        height, width = config.size
        shown = str(height) if height == width else f"{height}x{width}"
        raise CommandError(
            f"--image-size {shown} does not fit the generator, which halves the image down to "
            "one pixel: the smaller side must be a power of two and the larger a multiple of "
            f"it; try --image-size {_as_option(models.sizes_that_fit(height, width))}."
        ) from None


def _as_option(sizes: str) -> str:
    """``"(128, 256), (128, 384)"`` -> ``"128x256 or 128x384"``, as --image-size takes them."""
    pairs = re.findall(r"\((\d+), (\d+)\)", sizes)
    return " or ".join(f"{h}x{w}" for h, w in pairs) if pairs else sizes


def validation_pairs(config, replicas: int = 1):
    """The run's validation split, or None when a folder of pairs has no ``val/``.

    With several replicas the pairs come ``replicas`` to a batch, one for each (a pair left
    over is dropped), since a replica without a pair would report an undefined loss.
    """

    if config.data is not None and not (Path(config.data) / "val").is_dir():
        return None
    pairs = recipes.split_pairs(config, "val")
    if replicas == 1:
        return pairs
    count = int(pairs.cardinality())
    if 0 <= count < replicas:
        return None  # fewer pairs than replicas: nothing to validate on
    batches = pairs.unbatch().batch(replicas, drop_remainder=True)
    if count >= 0:  # so that Keras knows the steps, rather than running out of data
        batches = batches.apply(tf.data.experimental.assert_cardinality(count // replicas))
    return recipes.shared_between_workers(batches)


def check_run_folder(args, setup=None) -> None:
    """Refuse, before anything is loaded, a --run-dir that cannot hold this run, and take
    its one-writer lock.

    A worker other than the chief (``setup``, a ``cluster.WorkerSetup``) writes to a folder
    of its own under the chief's run, so the chief's files do not stop it."""
    run_dir = args.run_dir
    if args.resume and args.overwrite:
        raise CommandError("--resume continues the run in --run-dir and --overwrite replaces "
                           "it; pass one of them.")
    if run_dir.exists() and not run_dir.is_dir():
        raise CommandError(f"--run-dir {run_dir} is a file, not a folder; choose a folder "
                           "(it is created if missing).")
    chief = setup is None or setup.is_chief
    try:
        if chief:
            lock_folder(run_dir, run_dir)
        else:
            lock_folder(run_dir / WORKERS_FOLDER, run_dir / WORKERS_FOLDER / setup.folder_name,
                        name=f".{setup.folder_name}.lock")
    except OSError as error:
        raise CommandError(f"--run-dir {run_dir} cannot be written ({error.strerror}); "
                           "choose a folder you can write to.") from None
    held = [name for name in (RUN_CONFIG, GENERATOR_FILE, CHECKPOINTS)
            if (run_dir / name).exists()]
    if chief and held and not args.resume and not args.overwrite:
        if held == [RUN_CONFIG]:
            raise CommandError(
                f"{run_dir} holds a run that stopped before its first checkpoint; pass "
                "--resume to start it again as it was configured, --overwrite to replace it, "
                "or choose another --run-dir.")
        raise CommandError(
            f"{run_dir} already holds a run ({', '.join(held)}); pass --resume to continue "
            "it, --overwrite to replace it, or choose another --run-dir.")


_HELD_LOCKS: dict[Path, object] = {}  # lock file -> its open handle, while a command runs


def lock_folder(folder: Path, writes: Path, name: str = RUN_LOCK) -> None:
    """Take the one-writer lock of a run folder for the rest of this process (tool).

    An OS file lock on ``folder/name`` (created with ``folder`` if missing), so a process
    that is killed releases it. When another process holds it, a ``CommandError`` names
    ``writes`` and that process. Multi-worker runs: the chief locks the run folder, each
    other worker its own.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lock = (folder / name).resolve()
    if lock in _HELD_LOCKS:
        return  # this process holds it already
    handle = open(lock, "a+", encoding="utf-8")  # noqa: SIM115 - held until released
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise CommandError(
            f"{writes} is being written by another training (process {holder}); wait for it "
            "to end, stop it, or choose another --run-dir.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _HELD_LOCKS[lock] = handle


def release_locks() -> None:
    """Let go of the run-folder locks this process holds (tool)."""
    while _HELD_LOCKS:
        _, handle = _HELD_LOCKS.popitem()
        handle.close()


def _resume_position(args):
    """The checkpoint --resume continues from (damaged newer ones named), or None when the
    run stopped before its first checkpoint: it then starts afresh, as it was configured."""
    if not args.resume:
        return None
    position = checkpoints.newest_readable(args.run_dir / CHECKPOINTS)
    if position is None:
        print(f"{args.run_dir} stopped before its first checkpoint: starting it afresh with "
              "its recorded configuration.", flush=True)
    return position


def _finished(run_dir: Path, position, config) -> bool:
    """Whether the checkpoint is the run's last step and its generator was saved."""
    return (position.step >= config.epochs * config.steps_per_epoch
            and (run_dir / GENERATOR_FILE).is_file())


def _start_afresh(run_dir: Path) -> None:
    """--overwrite: the old run's checkpoints and generator go, so none is mistaken for
    this run's."""

    shutil.rmtree(run_dir / CHECKPOINTS, ignore_errors=True)
    for name in (GENERATOR_FILE, DISCRIMINATOR_FILE):
        (run_dir / name).unlink(missing_ok=True)


def worker_setup(args):
    """This worker's ``cluster.WorkerSetup`` from --workers/--worker-index or ``TF_CONFIG``,
    or None to train in this process alone."""

    if args.workers is None and args.worker_index is None:
        return cluster.read_tf_config()
    if args.workers is None or args.worker_index is None:
        raise CommandError("--workers and --worker-index go together: list every worker's "
                           "HOST:PORT and give this one's index, e.g. --workers "
                           "127.0.0.1:2222,127.0.0.1:2223 --worker-index 0.")
    if os.environ.get(cluster.TF_CONFIG_ENV, "").strip():
        raise CommandError("TF_CONFIG is set and --workers is given; describe the cluster one "
                           "way: unset TF_CONFIG, or drop --workers and --worker-index.")
    if args.worker_index >= len(args.workers):
        raise CommandError(f"--worker-index {args.worker_index} is outside --workers, which "
                           f"lists {len(args.workers)} (indices 0 to {len(args.workers) - 1}).")
    return cluster.WorkerSetup.of_workers(args.workers, args.worker_index)


def _output_folder(run_dir: Path, setup) -> Path:
    """Where this process writes: --run-dir for the chief (or one machine), else the worker's
    own folder under it, emptied of an earlier start's files."""

    if setup is None or setup.is_chief:
        return run_dir
    folder = run_dir / WORKERS_FOLDER / setup.folder_name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def train_command(args) -> int:
    """Train as the arguments say: alone, under the strategy in scope (e.g. a
    ``MirroredStrategy`` over local devices), or as one of several workers."""

    setup = worker_setup(args)
    try:
        check_run_folder(args, setup)
        return _train_in_strategy(args, setup)
    finally:
        release_locks()


def _train_in_strategy(args, setup) -> int:
    config = resolve_run_config(args)
    if setup is None:
        strategy = tf.distribute.get_strategy()
    else:  # before any other TensorFlow call
        strategy = cluster.create_strategy(setup, args.worker_timeout or WAIT_SECONDS)
    with strategy.scope():
        try:
            return _train(args, config, setup, strategy.num_replicas_in_sync)
        except Exception as error:
            lost = cluster.lost_peer_message(error, setup) if setup else None
            if lost is None:
                raise
            print(f"error: {lost}; restart every worker with --resume to continue from "
                  f"{_last_checkpoint(args.run_dir)}.", file=sys.stderr, flush=True)
            sys.stdout.flush()
            # Leave at once: TensorFlow's shutdown would first wait for the lost worker to
            # check out (10-20 s here). Nothing is left to save: checkpoints are on disk.
            os._exit(EXIT_USAGE)


def _last_checkpoint(run_dir: Path) -> str:
    found = checkpoints.checkpoint_files(run_dir / CHECKPOINTS)
    return found[0] if found else "the start (no checkpoint was written)"


def _train(args, config, setup, replicas: int) -> int:
    run_dir = args.run_dir
    chief = setup is None or setup.is_chief
    position = _resume_position(args)
    train_data = recipes.training_pairs(config, start_step=position.step if position else 0)
    validation_data = validation_pairs(config, replicas)
    config = config.with_changes(
        steps_per_epoch=config.steps_per_epoch or recipes.steps_per_pass(config),
        decay_epochs=config.decay_epoch_count)
    sample_inputs, sample_targets = callbacks.take_samples(
        validation_data or train_data, config.samples)
    if position is not None and _finished(run_dir, position, config):
        print(f"The run in {run_dir} is finished (step {position.step} of "
              f"{config.epochs * config.steps_per_epoch}); its generator is "
              f"{run_dir / GENERATOR_FILE}.")
        return 0
    model = training.build_model(
        config, sample_inputs.shape[-1], sample_targets.shape[-1],
        model_class=None if setup is None else keras_workarounds.MultiWorkerPix2Pix)
    output = _output_folder(run_dir, setup)
    files.remove_leftovers(output)
    files.remove_leftovers(output / "samples", empty_files="*.png")
    if chief and position is None:  # written once the run can start
        _start_afresh(run_dir)
        files.write_json(config.to_json(), run_dir / RUN_CONFIG)
    nan_stop = callbacks.StopOnNaN()
    run_callbacks = [
        checkpoints.TrainingCheckpoint(run_dir / CHECKPOINTS, save_every_steps=config.save_every,
                                     resume=position or False, data_order="positioned",
                                     worker_directory=None if chief else output / CHECKPOINTS),
        callbacks.SampleImages(sample_inputs, sample_targets, directory=output / "samples"),
        *callbacks.tensorboard_callbacks(output / "logs", sample_inputs, sample_targets),
        nan_stop,
    ]
    run = recipes.train(config, pairs=train_data, validation_data=validation_data,
                        extra_callbacks=run_callbacks, verbose=args.verbose, model=model)
    if nan_stop.stopped_at is not None:
        checkpoint_dir = run_dir / CHECKPOINTS
        where = (f"The last good checkpoint is in {checkpoint_dir}." if checkpoint_dir.is_dir()
                 and any(checkpoint_dir.glob("ckpt-*.index"))
                 else "No checkpoint was written before it.")
        raise CommandError("training stopped: a loss became NaN or infinite; lower "
                           f"--learning-rate or check the data. {where}")
    for network, name in ((run.generator, GENERATOR_FILE),
                          (run.model.discriminator, DISCRIMINATOR_FILE)):
        with files.written_atomically(output / name) as temporary:
            network.save(temporary)
    print(f"Saved the generator to {output / GENERATOR_FILE} and the discriminator to "
          f"{output / DISCRIMINATOR_FILE}")
    return 0


# --------------------------------------------------------------------------- translate


def _input_files(path: Path) -> list[Path]:
    """The images to translate; a link to a missing file is named, not passed over."""
    if path.is_file():
        return [path]
    if path.is_symlink() and not path.exists():
        raise CommandError(f"{path} is a link to {os.readlink(path)}, which does not exist; "
                           "give an image or a folder of images.")
    if path.is_dir():
        for link in sorted(entry for entry in path.iterdir()
                           if entry.is_symlink() and not entry.exists()):
            print(f"Skipped {link}: a link to {os.readlink(link)}, which does not exist.")
        found = data.image_files(path, any_format=True)
        if not found:
            raise CommandError(f"{path} holds no images to translate (PNG, JPEG, WebP, ...).")
        return found
    raise CommandError(f"{path}: no such file or folder; give an image or a folder of images.")


def translate_command(args) -> int:
    files = _input_files(args.input)
    translate.check_outputs(files, args.output)  # before the model loads
    generator = export.load_generator(args.model)
    written = translate.translate_files(
        generator, files, args.output, batch_size=args.batch_size,
        half=args.half, resize=True, test_mode=args.test_mode,
    )
    print(f"Wrote {len(written)} image(s) to {args.output}")
    return 0


# --------------------------------------------------------------------------- evaluate


def evaluate_command(args) -> int:
    _check_score_flags(args)  # before any download, generation or model load
    generator = export.load_generator(args.model)
    models.check_generator(generator, str(args.model), ModelFileError, channels=(1, 3))
    _, height, width, channels = generator.inputs[0].shape
    if args.image_size is not None:
        height, width = checks.image_size(args.image_size, "--image-size")
    elif height is None or width is None:
        raise CommandError(f"{args.model} takes images of any size; say at which size to "
                           "score it with --image-size, e.g. --image-size 256.")
    options = {"image_size": (height, width), "batch_size": args.batch_size,
               "channels": channels}
    if args.direction:
        options["direction"] = args.direction
    if args.dataset:
        pairs = datasets.load(args.dataset, args.split, augment=False, shuffle=False, **options)
    else:
        options.setdefault("direction", "AtoB")
        pairs = data.load_paired(args.data, **options)
    scores = evaluation.score_generator(generator, pairs, test_mode=args.test_mode,
                                        **_mask_scorers(args, (height, width)))
    print(json.dumps(scores, indent=2))
    return 0


def _check_score_flags(args) -> None:
    """Refuse --fcn-score / --label-scores where they do not apply, and an unknown dataset
    or split, before anything is downloaded, generated or loaded."""
    if args.dataset:
        datasets.info(args.dataset)  # an unknown name is refused with the list of names
        args.split = args.split or datasets.held_out_split(args.dataset)
    if args.fcn_score and args.label_scores:
        raise CommandError("--fcn-score scores generated photos and --label-scores generated "
                           "label maps; pass the one that fits the generator's direction.")
    if not (args.fcn_score or args.label_scores):
        return
    flag = "--fcn-score" if args.fcn_score else "--label-scores"
    if args.dataset not in datasets.MASKED_DATASETS:
        names = ", ".join(datasets.MASKED_DATASETS)
        raise CommandError(f"{flag} needs --dataset {names}, whose class masks the score "
                           "compares with")
    photo_to_labels = applications.translates_to_labels(
        p2p_config.TrainingConfig(dataset=args.dataset, direction=args.direction))
    if args.label_scores and not photo_to_labels:
        labels_to_photo = datasets.info(args.dataset).direction
        photo = "BtoA" if labels_to_photo == "AtoB" else "AtoB"
        raise CommandError(f"--label-scores scores a photo -> labels generator: pass "
                           f"--direction {photo} (the photos of {args.dataset} as input)")
    if args.fcn_score and photo_to_labels:
        raise CommandError(f"--fcn-score scores generated photos, but --direction "
                           f"{args.direction} translates photos into labels; use "
                           "--label-scores")


def _mask_scorers(args, size) -> dict:
    """``score_generator``'s masks and segmenter (--fcn-score) or palette (--label-scores)."""
    if not (args.fcn_score or args.label_scores):
        return {}
    masks = datasets.load_masks(args.split, size, dataset=args.dataset)
    if args.label_scores:
        return {"masks": masks, "palette": datasets.palette_of(args.dataset)}
    return {"masks": masks,
            "segmenter": segmentation.load_or_train_segmenter(size, dataset=args.dataset)}


# --------------------------------------------------------------------------- ablations


def ablations_command(args) -> int:
    scale = ablations.QUICK_SCALE if args.quick or p2p_config.is_quick() else ablations.FULL_SCALE
    scale = scale.with_changes(dataset=args.dataset)
    if args.steps is not None:
        epochs = scale.epochs if args.steps % scale.epochs == 0 else 1
        scale = scale.with_changes(epochs=epochs, steps_per_epoch=args.steps // epochs)
    if args.out is None:
        args.out = Path(ablations.results_file_name(args.dataset))
    samples_dir = args.samples_dir or args.out.parent / ablations.samples_folder(args.dataset)
    command = "python -m p2plib ablations " + " ".join(args.argv)
    results = ablations.run_all(scale, args.out, samples_dir, args.only, command=command.strip(),
                                seeds=range(args.seeds))
    print(f"Wrote {args.out} and {samples_dir}/ in {results['wall_seconds']:.0f} s.")
    for table in ablations.TABLES:
        print(f"\n{table}\n" + ablations.markdown_table(results, table))
    return 0


# --------------------------------------------------------------------------- datasets


def datasets_command(args) -> int:
    if args.action == "list":
        for name in datasets.names():
            print(f"{name:22s} {datasets.info(name).description}")
        return 0
    if not args.name:
        raise CommandError(f"`datasets {args.action}` needs a dataset NAME; one of: "
                           + ", ".join(datasets.names()))
    if args.action == "info":
        print(json.dumps(_jsonable(datasets.info(args.name)), indent=2, default=str))
        return 0
    quick = args.quick or p2p_config.is_quick()
    size = args.image_size or p2p_config.settings(quick).image_size
    folder = datasets.prepare(args.name, image_size=size, base_url=args.base_url,
                              timeout=args.timeout)
    print(f"{args.name} is ready in {folder}")
    return 0


def _jsonable(info) -> dict:
    return asdict(info) if is_dataclass(info) else dict(vars(info))


# --------------------------------------------------------------------------- demo

DEMO_PORT = 7860
CLOSE_SECONDS = 10  # how long Ctrl+C waits for the demo's server to shut down


def _port(text: str) -> int:
    try:
        return checks.integer(int(text), "--port", minimum=0, maximum=65535, example=7860)
    except (ValueError, ArgumentError):
        raise argparse.ArgumentTypeError(
            f"expected a port from 0 to 65535 (0: any free port), got {text!r}") from None


def _add_demo_parser(commands) -> argparse.ArgumentParser:
    """Add ``demo`` to the ``python -m p2plib`` sub-commands."""
    parser = commands.add_parser(
        "demo",
        help="draw and see the translation, live, in the browser",
        description="Serve the drawing demo: a drawing surface beside the generator's "
        "translation, updated after every stroke. Without --model it uses the shipped "
        "generator of --pretrained (default: facades). Nothing is fetched from the internet.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path,
                        help="a generator saved as .keras (e.g. a run's generator.keras)")
    source.add_argument("--pretrained", metavar="NAME",
                        help="a shipped generator: facades or streets (default facades)")
    parser.add_argument("--task", choices=TASK_NAMES,
                        help="what one draws: label maps (facades, streets), edges, holes in a "
                        "photo (inpainting) or a grey photo (colorization); default: the "
                        "--pretrained name, else facades")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 serves every network)")
    parser.add_argument("--port", type=_port, default=DEMO_PORT,
                        help=f"port to listen on (default {DEMO_PORT}; 0: any free port)")
    parser.add_argument("--test-mode", choices=TEST_MODES, default="inference",
                        help="test-time mode selected at start: 'inference' (default: dropout "
                        "off, moving averages) or 'paper' (dropout on and each image's own "
                        "statistics, as the paper tests); switchable in the app")
    parser.add_argument("--language", choices=LANGUAGES, default="en",
                        help="language of the app's controls and class names: 'en' (default) "
                        "or 'zh' (Simplified Chinese)")
    parser.set_defaults(handler=demo_command)
    return parser


def _task_for(args) -> str:
    if args.pretrained and args.task and args.task != args.pretrained:
        raise CommandError(f"--pretrained {args.pretrained} is a {args.pretrained} generator; "
                           f"drop --task {args.task}, or give a --model trained for it.")
    return args.task or default_task(args.pretrained or "facades")


def _check_port(host: str, port: int) -> None:
    """Refuse, before anything loads, a host or port the server could not listen on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise CommandError(f"--host {host}: not an address of this machine; use "
                               "127.0.0.1 (this machine only) or 0.0.0.0 (every "
                               "network).") from None
        except OSError as error:
            if error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                raise CommandError(
                    f"--host {host}: not an address of this machine ({error.strerror}); use "
                    "127.0.0.1 (this machine only), 0.0.0.0 (every network) or one of this "
                    "machine's own addresses.") from None
            raise CommandError(f"--host {host} --port {port}: cannot listen there "
                               f"({error.strerror}); choose another --port, or --port 0 for "
                               "any free one.") from None


def demo_command(args) -> int:
    task = _task_for(args)
    _check_port(args.host, args.port)  # before the model loads
    source = args.model if args.model is not None else (args.pretrained or "facades")
    app = DrawingDemo(source, task=task, test_mode=args.test_mode,
                      language=args.language)
    url = app.launch(host=args.host, port=args.port, inline=False)  # 0: any free port
    with contextlib.suppress(KeyboardInterrupt):
        print(f"The {task} demo is running at {url} (Ctrl+C stops it)", flush=True)
        while True:
            time.sleep(0.5)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C waits for the close
    # The server's shutdown is bounded: once, on a loaded machine, the command did not end
    # within a minute of Ctrl+C. Gradio's close waits for its worker threads, which the
    # interpreter would wait for again at exit; past the bound the process ends without them.
    closer = threading.Thread(target=app.close, daemon=True)
    closer.start()
    closer.join(CLOSE_SECONDS)
    if closer.is_alive():
        print(f"Stopped (without waiting more than {CLOSE_SECONDS} s for the server's threads).",
              flush=True)
        sys.stderr.flush()
        os._exit(0)
    print("Stopped.", flush=True)
    return 0


# --------------------------------------------------------------------------- main


def system_error_message(error: OSError) -> str:
    """One line for a system error: the path, what happened and what to do."""
    where = f"{error.filename}: " if error.filename else ""
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        advice = "free some space, or write somewhere else (--run-dir, the output folder, " \
                 "P2P_DATA_DIR for datasets), and run again"
    elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        advice = "choose a folder you can write to (--run-dir, the output folder, " \
                 "P2P_DATA_DIR for datasets)"
    elif error.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        advice = "a file stands where a folder is expected (or the other way round); " \
                 "choose another path"
    else:
        return f"{where}{reason}"
    return f"{where}{reason}; {advice}."


def _out_of_memory(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError"


OUT_OF_MEMORY_ADVICE = {
    "train": "building or training the networks; lower --base-filters, --image-size or "
             "--batch-size",
    "translate": "translating; lower --batch-size, or translate smaller images",
    "evaluate": "scoring; lower --batch-size",
    "ablations": "training the ablation settings; run fewer with --only, or free memory",
    "datasets": "generating the dataset; lower --image-size",
    "demo": "running the demo; use a generator of a smaller size",
}
"""What to lower when a command runs out of memory (tool)."""


def _path_named_in(text: str) -> str | None:
    """A file path a library's error message names, if any."""
    found = re.search(r"(/[^\s'\",;:]+)", text)
    return found.group(1) if found else None


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv[1:]
    if getattr(args, "quick", False):
        os.environ[p2p_config.QUICK_ENV] = "1"
    try:
        return args.handler(args)
    except P2PError as error:
        print(f"error: {error}", file=sys.stderr)
    except OSError as error:
        print(f"error: {system_error_message(error)}", file=sys.stderr)
    except Exception as error:
        # A full or read-only disk that TensorFlow reports in its own exception types (a
        # checkpoint, a summary file) is a system error, not a bug and not lack of memory.
        system = files.as_system_error(error, _path_named_in(str(error)))
        if system is not None:
            print(f"error: {system_error_message(system)}", file=sys.stderr)
            return EXIT_USAGE
        if not _out_of_memory(error):
            raise
        print(f"error: out of memory while {OUT_OF_MEMORY_ADVICE[args.command]}.",
              file=sys.stderr)
    return EXIT_USAGE
