"""Saving, exporting and running a trained generator (introduced in notebook 08).

Four artifacts of the same generator: the Keras file (``generator.save("g.keras")``,
loaded with ``load_generator`` or plain ``keras.models.load_model``), a TensorFlow
SavedModel for TensorFlow Serving (``export_saved_model``: Keras 3's ``model.export``),
a TensorFlow Lite flat buffer for phones and small devices (``export_tflite``, run
with ``run_tflite``) and an ONNX file for ONNX Runtime and other ONNX tools
(``export_onnx``, run with ``run_onnx``). ``translate_folder`` applies a generator to a
folder of images in batches with a progress bar. Files that are not models, and images
whose size does not match the generator, get errors that say what to do.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from p2plib import checks, silenced_stderr, testtime
from p2plib.errors import (  # noqa: F401 - callers catch them as export.ModelFileError etc.
    ArgumentError,
    DataError,
    ExportError,
    InputSizeError,
    ModelFileError,
)

# ---------------------------------------------------------------------------- Keras file


def load_generator(path, image_size=None) -> keras.Model:
    """Load a generator saved as ``.keras``; check its input size against ``image_size``.

    Raises ``ModelFileError`` when the file is missing, is not a Keras model, or is not a
    one-input image model (a discriminator takes two), and ``InputSizeError`` when
    ``image_size`` (int or (height, width)) is given and differs from the generator's.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file; give a generator saved with "
                             "generator.save('name.keras').")
    if path.suffix != ".keras":
        raise ModelFileError(
            f"{path}: expected a .keras file (the Keras 3 format). A SavedModel folder loads "
            "with tf.saved_model.load, a .tflite file with run_tflite; an old .h5 file can be "
            "re-saved as .keras with keras.models.load_model(...).save('name.keras')."
        )
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path} is not a Keras model file: a .keras file is a zip archive and this one is "
            "not (a text file, a truncated download, another format renamed?). Save the "
            "generator again with generator.save(...), or use a run's generator.keras."
        )
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any failure means "not a usable model file"
        first_line = str(error).splitlines()[0] if str(error) else ""
        raise ModelFileError(
            f"{path} could not be loaded as a Keras model ({type(error).__name__}: "
            f"{first_line}). The file is not a model, or it is damaged: save the generator "
            "again with generator.save(...), or use a run's generator.keras."
        ) from None
    problem = _image_model_problem(model, str(path))
    if problem:
        raise ModelFileError(problem)
    if image_size is not None:
        height, width = checks.image_size(image_size)
        check_input_size(model, (height, width, input_shape(model)[2]), model_name=str(path),
                         images_name=f"image_size {image_size!r} asks for images that")
    return model


def _image_model_problem(model, subject: str) -> str | None:
    """Why ``model`` (called ``subject`` in the message) is not a generator, one batch of
    images in and one out; None when it is one."""
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        return (f"{subject} has no input of known shape (a subclassed model?); build the "
                "generator with the functional API, e.g. p2plib.models.unet_generator.")
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        return (f"{subject} has inputs {[tuple(i.shape) for i in inputs]}; a "
                "generator takes one batch of images [N, H, W, C] (is this the discriminator?).")
    if len(outputs) != 1 or len(outputs[0].shape) != 4:
        return (f"{subject} is not an image-to-image model: it outputs "
                f"{[tuple(o.shape) for o in outputs]}, not one batch of images [N, H, W, C] "
                "(a classifier?). Give a Pix2Pix generator, e.g. a run's generator.keras.")
    return None


def input_shape(model) -> tuple:
    """``(height, width, channels)`` that a generator takes (None where any size goes).

    ``model``: a Keras model or an ONNX Runtime session (``onnx_session``).
    """
    if hasattr(model, "get_inputs"):  # an onnxruntime.InferenceSession: names for free sizes
        return tuple(v if isinstance(v, int) else None for v in model.get_inputs()[0].shape[1:])
    return tuple(model.inputs[0].shape[1:])


def _format(shape) -> str:
    return "x".join("any" if value is None else str(value) for value in shape)


def check_input_size(model, images, model_name: str | None = None,
                     images_name: str = "the images") -> None:
    """Raise ``InputSizeError`` unless ``images`` fit the generator's input.

    ``model``: a Keras model or an ONNX Runtime session. ``images``: a batch, one image, or
    a ``(height, width, channels)`` tuple. The message gives both sizes and the ways out:
    resize the images to the generator's size, or use a generator trained at the images'
    size.
    """
    if isinstance(images, tuple) and all(isinstance(v, (int, type(None))) for v in images):
        shape = images
    else:
        shape = tuple(np.shape(images))
    shape = tuple(shape[-3:])
    expected = input_shape(model)
    if len(shape) == 3 and all(e is None or e == s for e, s in zip(expected, shape, strict=True)):
        return
    height, width = expected[:2]
    raise InputSizeError(
        f"the generator{f' {model_name}' if model_name else ''} takes {_format(expected)} "
        f"images (height x width x channels) but {images_name} are {_format(shape)}. Resize "
        f"them to {_format((height, width))} (e.g. data.load_paired(..., image_size=({height}, "
        f"{width})) or translate_folder(..., resize=True)), or use a generator trained at "
        f"{_format(shape[:2])}."
    )


# ---------------------------------------------------------------------------- SavedModel


def export_saved_model(model, path) -> Path:
    """Write a TensorFlow SavedModel folder for TensorFlow Serving; returns its path.

    Keras 3's ``model.export(path)``: the folder holds a ``serve`` endpoint (also the
    ``serving_default`` signature) that runs the model in inference mode. Load it with
    ``tf.saved_model.load(path).serve(images)``.
    """
    path = Path(path)
    model.export(str(path), format="tf_saved_model", verbose=False)
    return path


# ---------------------------------------------------------------------------- TFLite


def export_tflite(model, path) -> Path:
    """Write a TensorFlow Lite (LiteRT) model file ``*.tflite``; returns its path.

    ``model`` is a Keras model (converted with Keras 3's ``model.export(path,
    format="litert")``) or the folder of a SavedModel (``tf.lite.TFLiteConverter``).
    Weights stay float32, so outputs match the Keras model within float rounding.
    """
    path = Path(path)
    if path.suffix != ".tflite":
        raise ArgumentError(f"{path}: a TensorFlow Lite file name must end in .tflite")
    if isinstance(model, (str, Path)):
        saved_model = Path(model)
        if not (saved_model / "saved_model.pb").is_file():
            raise ModelFileError(f"{saved_model} is not a SavedModel folder (it has no "
                                 "saved_model.pb); export one with export_saved_model first.")
        path.write_bytes(tf.lite.TFLiteConverter.from_saved_model(str(saved_model)).convert())
    else:
        model.export(str(path), format="litert", verbose=False)
    return path


def tflite_interpreter(path):
    """A TFLite interpreter for ``path``: LiteRT's (``ai_edge_litert``) when installed.

    Otherwise ``tf.lite.Interpreter``, which TensorFlow 2.21 still ships but marks as
    deprecated in favour of the ``ai-edge-litert`` package (its warning is silenced here).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file; export one with export_tflite first.")
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        Interpreter = tf.lite.Interpreter  # noqa: N806 - the class, named as upstream
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated")
            with silenced_stderr():
                return Interpreter(model_path=str(path))
    except ValueError as error:
        raise ModelFileError(f"{path} is not a TensorFlow Lite model ({error}); export one "
                             "with export_tflite.") from None


def run_tflite(interpreter_or_path, images) -> np.ndarray:
    """Run a TFLite model on a batch of images (float32 [N, H, W, C]); returns its output."""
    interpreter = interpreter_or_path
    if isinstance(interpreter_or_path, (str, Path)):
        interpreter = tflite_interpreter(interpreter_or_path)
    images = np.asarray(images, dtype=np.float32)
    (input_detail,) = interpreter.get_input_details()
    expected = tuple(int(v) for v in input_detail["shape_signature"][1:])
    if images.ndim != 4 or any(e not in (-1, s) for e, s in zip(expected, images.shape[1:],
                                                                 strict=True)):
        raise InputSizeError(
            f"the TFLite model takes {_format(expected)} images but got "
            f"{_format(images.shape[1:])}; resize the images to {_format(expected[:2])}."
        )
    interpreter.resize_tensor_input(input_detail["index"], list(images.shape))
    with silenced_stderr():  # the interpreter's C++ note on its XNNPACK delegate
        interpreter.allocate_tensors()
        interpreter.set_tensor(input_detail["index"], images)
        interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


# ---------------------------------------------------------------------------- ONNX

ONNX_INSTALL = "pip install tf2onnx onnx onnxruntime"


def _import_or_explain(name: str, purpose: str, install: str):
    """Import the package ``name``, or raise an ``ExportError`` naming the pip install."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ExportError(f"{purpose} needs the {name} package, which cannot be imported "
                          f"({error}): {install} (requirements.txt lists it).") from None


def float32_copy(model) -> keras.Model:
    """A copy of ``model`` that computes in float32, with the same weights (notebook 08).

    For a generator built under the ``mixed_float16`` or ``float16`` policy (notebook 05),
    which ``export_onnx`` refuses: float16 weights are widened to float32, so the copy
    computes in full precision what the original computes in half.
    """
    from p2plib import models

    with models.dtype_policy("float32"):
        copy = model.__class__.from_config(_float32_config(model.get_config()))
    copy.set_weights([np.asarray(weight, np.float32) for weight in model.get_weights()])
    return copy


def _float32_config(value):
    """A model's config with every layer's dtype policy, and float16 inputs, made float32."""
    if isinstance(value, list):
        return [_float32_config(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        policy = isinstance(item, dict) and item.get("class_name") == "DTypePolicy"
        if key == "dtype" and (policy or item in ("float16", "bfloat16")):
            result[key] = "float32"
        else:
            result[key] = _float32_config(item)
    return result


def _check_exportable(model) -> None:
    """Raise ``ExportError`` unless ``model`` is a float32 generator that ONNX export takes."""
    if not isinstance(model, keras.Model):
        raise ExportError(f"export_onnx takes a Keras generator (a keras.Model or the path of "
                          f"a .keras file); got {type(model).__name__}.")
    problem = _image_model_problem(model, f"the model {model.name!r}")
    if problem:
        raise ExportError(f"cannot export to ONNX: {problem}")
    from p2plib import precision

    if precision.computes_in_float16(model):
        raise ExportError(
            f"cannot export the model {model.name!r} to ONNX: it computes in float16 (built "
            "under the mixed_float16 or float16 policy, notebook 05) and the export takes "
            "float32 models. Export a float32 copy with the same weights: "
            "export.export_onnx(export.float32_copy(model), path).")


def _temporary_beside(path: Path) -> Path:
    """An empty file in ``path``'s folder to write the export to (the folder is created if
    missing); ``ExportError`` when the folder cannot be written."""
    if path.is_dir():
        raise ArgumentError(f"{path} is a folder; give the ONNX file's name, e.g. "
                            f"{path / 'generator.onnx'}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.onnx",
                                        dir=path.parent)
    except OSError as error:
        raise ExportError(f"cannot write {path}: the folder {path.parent} cannot be written "
                          f"({error.strerror or error}); choose a folder you can write to."
                          ) from None
    os.close(handle)
    return Path(name)


@contextlib.contextmanager
def _converter_quiet():
    """Keep the converter's chatter out of a notebook: tf2onnx's and TensorFlow's log lines
    below errors, and the FutureWarning of Keras's NumPy-2 patch of tf2onnx (``np.object``)."""
    loggers = [logging.getLogger("tf2onnx"), tf.get_logger()]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*np\.object", category=FutureWarning)
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def export_onnx(model, path, opset: int | None = None) -> Path:
    """Write an ONNX file ``*.onnx`` of a generator, for ONNX Runtime; returns its path.

    Introduced in notebook 08. ``model``: a Keras generator or the path of a ``.keras``
    file. Keras 3's ``model.export(path, format="onnx")`` (which converts with tf2onnx) on
    a float32 model, with a free batch size and the input named ``images``; ``opset`` picks
    the ONNX opset (the converter's default otherwise). The file holds the generator in
    inference mode (Keras's ``training=False``, ``testtime``'s ``"inference"``): the
    paper's test mode (dropout on, each image's own batch statistics) is a way of calling
    Keras's layers and is not exported. The file is written under a temporary name and
    renamed, so a failure leaves no partial file. ``ExportError`` names what to do for a
    float16 model (``float32_copy``), a model that is not a one-input image model, a
    folder that cannot be written and missing converter packages.
    """
    path = Path(path)
    if path.suffix != ".onnx":
        raise ArgumentError(f"{path}: an ONNX file name must end in .onnx")
    if isinstance(model, (str, Path)):
        model = load_generator(model)
    _check_exportable(model)
    for package in ("onnx", "tf2onnx"):
        _import_or_explain(package, "ONNX export", ONNX_INSTALL)
    spec = tf.TensorSpec((None, *input_shape(model)), tf.float32, name="images")
    temporary = _temporary_beside(path)
    try:
        with _converter_quiet():
            model.export(str(temporary), format="onnx", verbose=False,
                         input_signature=[spec], opset_version=opset)
        os.replace(temporary, path)
    except OSError as error:
        raise ExportError(f"could not write {path} ({error.strerror or error}); free some "
                          "space or choose another folder.") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def onnx_session(path):
    """An ONNX Runtime session for the ONNX file ``path`` (onnxruntime is imported here, so
    the rest of p2plib works without it); ``ModelFileError`` if it is not an ONNX model."""
    onnxruntime = _import_or_explain("onnxruntime", "running an ONNX file",
                                     "pip install onnxruntime")
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file; export one with export_onnx first.")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: no notes about the graph's initialisers
    providers = [name for name in ("CUDAExecutionProvider", "CPUExecutionProvider")
                 if name in onnxruntime.get_available_providers()]
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=providers)
    except Exception as error:  # noqa: BLE001 - onnxruntime's own types: not a usable model
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelFileError(f"{path} is not an ONNX model that ONNX Runtime can run "
                             f"({first_line}); export one with export_onnx.") from None


def run_onnx(session_or_path, images) -> np.ndarray:
    """Run an ONNX generator on a batch of images (float32 [N, H, W, C]); returns its output.

    ``session_or_path``: an ``onnx_session`` or the path of an ``.onnx`` file. The file runs
    the generator in inference mode (``testtime``'s ``"inference"``, Keras's
    ``training=False``), not the paper's test mode. Images of another size than the
    generator's raise ``InputSizeError``, as in ``check_input_size``.
    """
    session, name = session_or_path, None
    if isinstance(session_or_path, (str, Path)):
        session, name = onnx_session(session_or_path), str(session_or_path)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise InputSizeError(f"run_onnx takes a batch of images [N, H, W, C]; got an array of "
                             f"shape {images.shape} (one image? pass images[None]).")
    check_input_size(session, images, model_name=name)
    (model_input,) = session.get_inputs()
    return session.run(None, {model_input.name: images})[0]


# ---------------------------------------------------------------------------- folders


def readable_suffixes() -> set[str]:
    """File suffixes of every image format Pillow reads (PNG, JPEG, WebP, BMP, TIFF, ...)."""
    from PIL import Image

    return {suffix for suffix, kind in Image.registered_extensions().items()
            if kind in Image.OPEN}


def image_files(folder) -> list[Path]:
    """The image files of a folder (every format Pillow reads), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder; give a folder of images.")
    suffixes = readable_suffixes()
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if not files:
        raise FileNotFoundError(f"{folder} holds no images to translate (PNG, JPEG, WebP, ...).")
    return files


def _read(path: Path, half: str | None, channels: int) -> tf.Tensor:
    """One image as uint8 [H, W, channels] (a half of it with ``half``); errors name it."""
    from PIL import Image, UnidentifiedImageError

    from p2plib import data

    if path.suffix.lower() in data.IMAGE_SUFFIXES:
        data.image_size_of(path)  # a DataError naming the file if it is corrupt
        image = data.read_image(path, channels)
    else:
        try:
            with Image.open(path) as opened:
                picture = np.asarray(opened.convert("L" if channels == 1 else "RGB"))
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
            raise DataError(f"{path} cannot be read as an image ({error}).") from None
        image = tf.constant(picture.reshape(*picture.shape[:2], channels))
    if half is not None:
        if image.shape[1] % 2:
            raise DataError(
                f"{path} is {image.shape[1]} pixels wide, an odd width, so it is not two "
                "halves of one width: crop it by a pixel, or translate it without --half.")
        left, right = data.split_side_by_side(image)
        image = left if half == "left" else right
    return image


def check_outputs(files, output_dir) -> list[Path]:
    """The output file of each input, refusing any that would overwrite an input or another
    output, or that the output folder cannot be (a file stands there)."""
    files, output_dir = [Path(path) for path in files], Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise ArgumentError(f"the output folder {output_dir} is a file; choose a folder "
                            "(it is created if missing).")
    inputs = {path.resolve() for path in files}
    folders = {path.resolve().parent for path in files}
    if output_dir.resolve() in folders:
        raise ArgumentError(
            f"the output folder {output_dir} is the folder of the input images: the "
            "translations would be written among (and over) the originals; choose another "
            "output folder.")
    targets, seen = [], {}
    for path in files:
        target = output_dir / f"{path.stem}.png"
        if target.resolve() in inputs:
            raise ArgumentError(f"writing {target} would overwrite the input {target}; choose "
                                "another output folder.")
        if target in seen:
            raise ArgumentError(f"{seen[target]} and {path} would both be written to {target}; "
                                "rename one of them or translate them separately.")
        seen[target] = path
        targets.append(target)
    return targets


def _save_atomically(target: Path, image) -> None:
    """Write the PNG under a temporary name, then rename: a full disk or a kill never
    leaves a partial file under the real name."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp.png")
    try:
        keras.utils.save_img(temporary, image, scale=False)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def size_multiple(generator) -> int:
    """What each side of a size-free generator's input must be a multiple of: 2 to the
    number of its stride-2 convolutions (``models.with_any_input_size``)."""
    from p2plib import models

    halvings = sum(1 for layer in models.flat_layers(generator)
                   if isinstance(layer, keras.layers.Conv2D)
                   and not isinstance(layer, keras.layers.Conv2DTranspose)
                   and tuple(layer.strides) == (2, 2))
    return 2 ** halvings


def _working_size(generator, image) -> tuple[int, int]:
    """The size an image is translated at: the generator's, or for a size-free generator the
    image's own rounded to the nearest multiple it needs."""
    height, width, _ = input_shape(generator)
    if height is not None and width is not None:
        return height, width
    multiple = size_multiple(generator)
    return tuple(max(multiple, int(round(side / multiple)) * multiple)
                 for side in image.shape[:2])


def translate_folder(generator, input_dir, output_dir, batch_size: int = 8,
                     half: str | None = None, resize: bool = False,
                     test_mode: str = "inference", progress: bool = True) -> list[Path]:
    """Translate every image of ``input_dir`` into a PNG of the same name in ``output_dir``.

    ``generator``: a Keras model or the path of a ``.keras`` file. Images (any format Pillow
    reads) go through in batches of ``batch_size``, with a Keras progress bar unless
    ``progress=False``. ``half="left"``/``"right"`` takes one half of side-by-side pairs.
    Images of another size than the generator's raise ``InputSizeError``, or are resized to
    it with ``resize=True``; a size-free generator (``models.with_any_input_size``) takes
    each image at its own size, rounded to the multiple it needs. ``test_mode`` is the
    test-time policy (``p2plib.testtime``): ``"paper"`` keeps dropout on and normalises each
    image by its own statistics, as the paper does at test time, and leaves the model
    unchanged. Outputs are written atomically and never over an input. Returns them.
    """
    return translate_files(generator, image_files(input_dir), output_dir, batch_size, half,
                           resize, test_mode, progress)


def translate_files(generator, files, output_dir, batch_size: int = 8,
                    half: str | None = None, resize: bool = False,
                    test_mode: str = "inference", progress: bool = True) -> list[Path]:
    """``translate_folder`` for a list of image files (one file is a list of one)."""
    from p2plib import data

    checks.choice(half, "half", (None, "left", "right"))
    testtime.check_test_mode(test_mode)
    batch_size = checks.integer(batch_size, "batch_size", minimum=1, example=8)
    if isinstance(generator, (str, Path)):
        generator = load_generator(generator)
    channels = input_shape(generator)[2]
    size_free = None in input_shape(generator)[:2]
    files = [Path(path) for path in files]
    output_dir = Path(output_dir)
    targets = check_outputs(files, output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    bar = keras.utils.Progbar(len(files), unit_name="image") if progress else None
    step = 1 if size_free else batch_size  # images of their own sizes do not stack
    for start in range(0, len(files), step):
        batch_files = files[start:start + step]
        images = []
        for path in batch_files:
            image = _read(path, half, channels)
            size = _working_size(generator, image)
            if (resize or size_free) and size != tuple(image.shape[:2]):
                image = data.resize(image, size)
            check_input_size(generator, tuple(image.shape), images_name=f"images such as {path}")
            images.append(data.normalize(image))
        outputs = data.denormalize(testtime.translate(generator, tf.stack(images), test_mode))
        for target, output in zip(targets[start:start + step], outputs.numpy(), strict=True):
            _save_atomically(target, output)
        if bar is not None:
            bar.add(len(batch_files))
    return targets
