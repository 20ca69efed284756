"""The command line: ``python -m p2plib train | translate | evaluate | datasets``.

``train`` writes a run folder (``config.json``, ``checkpoints/``, ``samples/``, ``logs/``
for TensorBoard, and ``generator.keras`` at the end) and ``--resume`` continues an
interrupted run from its last checkpoint. ``translate`` applies a saved generator to an image
or a folder of images. Bad arguments and bad files end with a one-line error and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_USAGE = 2
RUN_CONFIG = "config.json"
GENERATOR_FILE = "generator.keras"
# Options that define a run; --resume reads them back from the run folder.
RUN_OPTIONS = (
    "dataset", "data", "direction", "image_size", "base_filters", "generator", "n_layers",
    "norm", "upsampling", "dropout", "batch_size", "epochs", "steps_per_epoch", "decay_epochs",
    "learning_rate", "l1_weight", "gan_mode", "seed", "save_every", "samples",
    "mixed_precision",
)


class CommandError(Exception):
    """A problem with the command's arguments or files: printed as one line, exit code 2."""


# --------------------------------------------------------------------------- arguments


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _image_size(text: str):
    """``256`` or ``256x512`` (height x width)."""
    parts = text.lower().split("x")
    if len(parts) not in (1, 2) or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(
            f"expected a size such as 256 or 256x512 (height x width), got {text!r}"
        )
    return int(parts[0]) if len(parts) == 1 else [int(parts[0]), int(parts[1])]


def _add_train_parser(commands):
    parser = commands.add_parser(
        "train",
        help="train Pix2Pix on a named dataset or a folder of pairs",
        description="Train Pix2Pix and write a run folder: config.json (the resolved "
        "configuration), checkpoints/ (resumable), samples/ (input | target | output grids "
        "per epoch), logs/ (TensorBoard) and generator.keras (the final generator). "
        "Defaults follow the paper (256x256, 64 filters, U-Net, 70x70 PatchGAN, batch 1, "
        "Adam 2e-4 beta1 0.5, lambda 100); --quick shrinks them for a smoke test.",
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
                        help="continue the run in --run-dir from its last checkpoint, with "
                        "the configuration saved there")
    parser.add_argument("--quick", action="store_true",
                        help="quick mode (as P2P_QUICK=1): small images, filters and steps")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"),
                        help="which half is the input (default: the dataset's labels->photo "
                        "direction, AtoB for a folder)")
    parser.add_argument("--image-size", type=_image_size,
                        help="training size, e.g. 256 or 256x512 (default 256; 64 with --quick)")
    parser.add_argument("--base-filters", type=_positive_int,
                        help="filters of the first layer (default 64; 8 with --quick)")
    parser.add_argument("--generator", choices=("unet", "encoder-decoder"), default=None,
                        help="generator architecture (default unet)")
    parser.add_argument("--n-layers", type=_non_negative_int, default=None,
                        help="PatchGAN layers: 0/1/3/5 give 1/16/70/286 receptive fields "
                        "at 256 (default 3)")
    parser.add_argument("--norm", choices=("batch", "instance"), default=None,
                        help="normalisation (default batch)")
    parser.add_argument("--upsampling", choices=("transpose", "resize"), default=None,
                        help="decoder upsampling (default transpose)")
    parser.add_argument("--no-dropout", dest="dropout", action="store_false", default=None,
                        help="no dropout in the decoder")
    parser.add_argument("--batch-size", type=_positive_int, help="batch size (default 1)")
    parser.add_argument("--epochs", type=_positive_int,
                        help="epochs in all, decay included (default 200; 2 with --quick)")
    parser.add_argument("--steps-per-epoch", type=_positive_int,
                        help="batches per epoch (default: one pass over the data)")
    parser.add_argument("--decay-epochs", type=_non_negative_int,
                        help="final epochs over which the learning rate falls linearly to 0 "
                        "(default: half of --epochs, as the reference 100 + 100)")
    parser.add_argument("--learning-rate", type=_positive_float,
                        help="Adam learning rate for both networks (default 2e-4)")
    parser.add_argument("--l1-weight", type=float, help="lambda, the L1 weight (default 100)")
    parser.add_argument("--gan-mode", choices=("vanilla", "lsgan"),
                        help="adversarial loss (default vanilla: cross-entropy)")
    parser.add_argument("--seed", type=int, help="random seed (default 0)")
    parser.add_argument("--save-every", type=_positive_int,
                        help="also checkpoint every N steps (default: each epoch only)")
    parser.add_argument("--samples", type=_positive_int,
                        help="pairs in each sample grid (default 4)")
    parser.add_argument("--mixed-precision", action="store_true", default=None,
                        help="float16 arithmetic with float32 weights and loss scaling "
                        "(Keras's mixed_float16 policy): for GPUs with tensor cores; slower "
                        "on a CPU")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                        help="Keras progress output: 1 a progress bar (default), 2 a line per "
                        "epoch, 0 silent")
    parser.set_defaults(handler=train_command)


def _add_translate_parser(commands):
    parser = commands.add_parser(
        "translate",
        help="apply a saved generator to an image or a folder of images",
        description="Translate images with a generator saved as .keras (e.g. a run's "
        "generator.keras). Each image is resized to the generator's input size, translated "
        "and written as PNG under the same name.",
    )
    parser.add_argument("--model", type=Path, required=True, help="the generator .keras file")
    parser.add_argument("input", type=Path, help="an image (PNG/JPEG) or a folder of them")
    parser.add_argument("output", type=Path, help="folder for the translated images (created)")
    parser.add_argument("--half", choices=("left", "right"),
                        help="the inputs are side-by-side pairs: translate this half")
    parser.add_argument("--batch-size", type=_positive_int, default=8,
                        help="images per batch (default 8)")
    parser.add_argument("--test-mode", choices=("paper", "inference"), default="inference",
                        help="'paper' keeps dropout and batch statistics on, as the paper "
                        "does at test time; 'inference' (default) is Keras's inference mode")
    parser.set_defaults(handler=translate_command)


def _add_evaluate_parser(commands):
    parser = commands.add_parser(
        "evaluate",
        help="score a saved generator on held-out pairs (L1, PSNR, SSIM)",
        description="Score a generator .keras file on the pairs of a named dataset's split "
        "or a folder of pairs; prints the mean L1, PSNR and SSIM as JSON.",
    )
    parser.add_argument("--model", type=Path, required=True, help="the generator .keras file")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="a named dataset")
    source.add_argument("--data", type=Path, help="a folder of pairs")
    parser.add_argument("--split", default="test", help="split of --dataset (default test)")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"),
                        help="which half is the input (default as for train)")
    parser.add_argument("--batch-size", type=_positive_int, default=8)
    parser.add_argument("--test-mode", choices=("paper", "inference"), default="inference")
    parser.add_argument("--fcn-score", action="store_true",
                        help="synthetic-facades only: add the paper's FCN-score (per-pixel and "
                        "per-class accuracy, class IoU) from the segmenter cached in data/ "
                        "(trained on first use)")
    parser.set_defaults(handler=evaluate_command)


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
                        help="size of generated datasets (default 256; 64 with --quick)")
    parser.add_argument("--base-url", help="download from this address instead of the usual "
                        "host (also: the P2P_DATASETS_URL environment variable)")
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
    _add_datasets_parser(commands)
    return parser


# --------------------------------------------------------------------------- train


def _defaults(quick: bool) -> dict:
    return {
        "dataset": None, "data": None, "direction": None,
        "image_size": 64 if quick else 256, "base_filters": 8 if quick else 64,
        "generator": "unet", "n_layers": 3, "norm": "batch", "upsampling": "transpose",
        "dropout": True, "batch_size": 1, "epochs": 2 if quick else 200,
        "steps_per_epoch": 4 if quick else None, "decay_epochs": None,
        "learning_rate": 2e-4, "l1_weight": 100.0, "gan_mode": "vanilla", "seed": 0,
        "save_every": None, "samples": 2 if quick else 4, "mixed_precision": False,
    }


def resolve_run_config(args) -> dict:
    """The run's configuration: saved one on --resume, else arguments over the defaults."""
    given = {name: getattr(args, name) for name in RUN_OPTIONS if getattr(args, name) is not None}
    if "data" in given:
        given["data"] = str(Path(given["data"]).resolve())
    config_path = args.run_dir / RUN_CONFIG
    if args.resume:
        if not config_path.is_file():
            raise CommandError(
                f"--resume: {config_path} does not exist; start the run without --resume, or "
                "point --run-dir at the folder of an earlier run."
            )
        config = json.loads(config_path.read_text(encoding="utf-8"))
        conflicts = {k: (config.get(k), v) for k, v in given.items() if config.get(k) != v}
        if conflicts:
            listed = ", ".join(f"--{k.replace('_', '-')} (run: {old!r}, given: {new!r})"
                               for k, (old, new) in conflicts.items())
            raise CommandError(
                f"--resume continues the run as configured in {config_path}; these options "
                f"differ from it: {listed}. Drop them, or start a new run folder."
            )
        return config
    if (args.run_dir / "checkpoints").is_dir() and any((args.run_dir / "checkpoints").iterdir()):
        raise CommandError(
            f"{args.run_dir} already holds checkpoints of a run; pass --resume to continue it, "
            "or choose another --run-dir."
        )
    if "dataset" not in given and "data" not in given:
        raise CommandError("say what to train on: --dataset NAME or --data FOLDER")
    config = {**_defaults(args.quick or _quick_env()), **given}
    if config["decay_epochs"] is None:
        config["decay_epochs"] = config["epochs"] // 2
    if config["decay_epochs"] > config["epochs"]:
        raise CommandError(
            f"--decay-epochs {config['decay_epochs']} is more than --epochs {config['epochs']}"
        )
    return config


def _quick_env() -> bool:
    from p2plib import config

    return config.is_quick()


def _folder_splits(folder: Path) -> tuple[Path, Path | None]:
    if not folder.is_dir():
        raise CommandError(f"--data {folder}: no such folder; give a folder of image pairs.")
    if (folder / "train").is_dir():
        validation = folder / "val" if (folder / "val").is_dir() else None
        return folder / "train", validation
    return folder, None


def load_training_data(config: dict):
    """(train dataset, validation dataset or None) for a run configuration."""
    from p2plib import data, datasets

    options = {"image_size": config["image_size"], "batch_size": config["batch_size"]}
    if config["direction"]:
        options["direction"] = config["direction"]
    if config["dataset"]:
        name = config["dataset"]
        train = datasets.load(name, "train", augment=True, shuffle=True, seed=config["seed"],
                              **options)
        validation = datasets.load(name, "val", augment=False, shuffle=False, **options)
        return train, validation
    train_dir, validation_dir = _folder_splits(Path(config["data"]))
    options.setdefault("direction", "AtoB")
    train = data.load_paired(train_dir, augment=True, shuffle=True, seed=config["seed"],
                             **options)
    validation = None
    if validation_dir is not None:
        validation = data.load_paired(validation_dir, **options)
    return train, validation


def build_models(config: dict, channels: tuple[int, int]):
    """The generator and the discriminator that a run configuration describes."""
    from p2plib import models

    # "mixed_precision" is absent from the configs of older runs.
    policy = "mixed_float16" if config.get("mixed_precision") else "float32"
    with models.dtype_policy(policy):
        return _build_networks(config, channels)


def _build_networks(config: dict, channels: tuple[int, int]):
    from p2plib import models

    input_channels, target_channels = channels
    build_generator = (models.unet_generator if config["generator"] == "unet"
                       else models.encoder_decoder_generator)
    generator = build_generator(
        image_size=config["image_size"], channels=input_channels,
        out_channels=target_channels, base_filters=config["base_filters"],
        norm=config["norm"], dropout=config["dropout"], upsampling=config["upsampling"],
    )
    discriminator = models.patchgan_discriminator(
        image_size=config["image_size"], input_channels=input_channels,
        target_channels=target_channels, base_filters=config["base_filters"],
        n_layers=config["n_layers"], norm=config["norm"],
    )
    return generator, discriminator


def train_command(args) -> int:
    import keras

    from p2plib import callbacks, training

    config = resolve_run_config(args)
    run_dir = args.run_dir
    train_data, validation_data = load_training_data(config)
    steps = config["steps_per_epoch"] or int(train_data.cardinality())
    if steps < 1:
        raise CommandError("the training data holds no batches; add pairs or lower --batch-size")
    if not args.resume:
        run_dir.mkdir(parents=True, exist_ok=True)
        saved = {**config, "steps_per_epoch": steps}
        (run_dir / RUN_CONFIG).write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    keras.utils.set_random_seed(config["seed"])
    sample_inputs, sample_targets = callbacks.take_samples(
        validation_data or train_data, config["samples"])
    generator, discriminator = build_models(
        config, (sample_inputs.shape[-1], sample_targets.shape[-1]))
    schedule = training.LinearDecay(
        config["learning_rate"], n_epochs=config["epochs"] - config["decay_epochs"],
        n_epochs_decay=config["decay_epochs"], steps_per_epoch=steps,
    )
    model = training.Pix2Pix(generator, discriminator)
    model.compile(
        generator_optimizer=training.paper_optimizer(schedule),
        discriminator_optimizer=training.paper_optimizer(schedule),
        gan_mode=config["gan_mode"], l1_weight=config["l1_weight"],
    )
    nan_stop = callbacks.StopOnNaN()
    run_callbacks = [
        callbacks.TrainingCheckpoint(run_dir / "checkpoints",
                                     save_every_steps=config["save_every"], resume=args.resume),
        callbacks.SampleImages(sample_inputs, sample_targets, directory=run_dir / "samples"),
        *callbacks.tensorboard_callbacks(run_dir / "logs", sample_inputs, sample_targets),
        nan_stop,
    ]
    model.fit(
        train_data.repeat(), epochs=config["epochs"], steps_per_epoch=steps,
        validation_data=validation_data, callbacks=run_callbacks, verbose=args.verbose,
        shuffle=False,  # the dataset shuffles itself (Keras warns otherwise)
    )
    if nan_stop.stopped_at is not None:
        raise CommandError(
            "training stopped: a loss became NaN or infinite; lower --learning-rate or check "
            f"the data. The last good checkpoint is in {run_dir / 'checkpoints'}."
        )
    generator.save(run_dir / GENERATOR_FILE)
    print(f"Saved the generator to {run_dir / GENERATOR_FILE}")
    return 0


# --------------------------------------------------------------------------- translate


def _input_files(path: Path) -> list[Path]:
    from p2plib import export

    if path.is_file():
        return [path]
    if path.is_dir():
        return export.image_files(path)
    raise CommandError(f"{path}: no such file or folder; give an image or a folder of images.")


def translate_command(args) -> int:
    from p2plib import export

    generator = export.load_generator(args.model)
    written = export.translate_files(
        generator, _input_files(args.input), args.output, batch_size=args.batch_size,
        half=args.half, resize=True, test_mode=args.test_mode,
    )
    print(f"Wrote {len(written)} image(s) to {args.output}")
    return 0


# --------------------------------------------------------------------------- evaluate


def evaluate_command(args) -> int:
    from p2plib import data, datasets, export, metrics

    generator = export.load_generator(args.model)
    _, height, width, channels = generator.inputs[0].shape
    options = {"image_size": (height, width), "batch_size": args.batch_size,
               "channels": channels}
    if args.direction:
        options["direction"] = args.direction
    if args.dataset:
        pairs = datasets.load(args.dataset, args.split, augment=False, shuffle=False, **options)
    else:
        options.setdefault("direction", "AtoB")
        pairs = data.load_paired(args.data, **options)
    segmentation = {}
    if args.fcn_score:
        if args.dataset != "synthetic-facades":
            raise CommandError("--fcn-score needs --dataset synthetic-facades, whose class "
                               "masks the score compares with")
        from p2plib import segmentation as segmenters

        segmentation = {
            "segmenter": segmenters.load_or_train_segmenter(image_size=(height, width)),
            "masks": datasets.load_masks(args.split, image_size=(height, width)),
        }
    scores = metrics.evaluate_generator(generator, pairs, training=args.test_mode == "paper",
                                        **segmentation)
    print(json.dumps(scores, indent=2))
    return 0


# --------------------------------------------------------------------------- datasets


def datasets_command(args) -> int:
    from p2plib import datasets

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
    size = args.image_size or (64 if args.quick or _quick_env() else 256)
    folder = datasets.prepare(args.name, image_size=size, base_url=args.base_url)
    print(f"{args.name} is ready in {folder}")
    return 0


def _jsonable(info) -> dict:
    from dataclasses import asdict, is_dataclass

    return asdict(info) if is_dataclass(info) else dict(vars(info))


# --------------------------------------------------------------------------- main


def _known_errors() -> tuple:
    from p2plib import data

    errors = [CommandError, data.DataError, FileNotFoundError, NotADirectoryError,
              PermissionError, ValueError, KeyError]
    try:
        from p2plib.datasets import DatasetError

        errors.append(DatasetError)
    except ImportError:  # pragma: no cover - DatasetError lives in p2plib.datasets
        pass
    return tuple(errors)


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    if getattr(args, "quick", False):
        os.environ["P2P_QUICK"] = "1"
    try:
        return args.handler(args)
    except _known_errors() as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE
