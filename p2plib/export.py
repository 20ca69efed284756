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
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from p2plib import checks, files, models, silenced_stderr, training
from p2plib.errors import ArgumentError, ExportError, InputSizeError, ModelFileError

__all__ = [
    "ONNX_INSTALL", "check_input_size", "check_opset", "export_onnx", "export_saved_model",
    "export_tflite", "float32_copy", "input_shape", "load_generator", "onnx_opsets",
    "onnx_session", "run_onnx", "run_tflite", "tflite_interpreter",
]

# ---------------------------------------------------------------------------- Keras file


def load_generator(path, image_size=None) -> keras.Model:
    """Load a generator saved as ``.keras``; check its input size against
    ``image_size`` (notebook 08, after the course).

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
    models.check_generator(model, str(path), ModelFileError)
    if image_size is not None:
        height, width = checks.image_size(image_size)
        check_input_size(model, (height, width, input_shape(model)[2]), model_name=str(path),
                         images_name=f"image_size {image_size!r} asks for images that")
    return model


def input_shape(model) -> tuple:
    """``(height, width, channels)`` that a generator takes (None where any size
    goes) (notebook 08, after the course).

    ``model``: a Keras model or an ONNX Runtime session (``onnx_session``).
    """
    if hasattr(model, "get_inputs"):  # an onnxruntime.InferenceSession: names for free sizes
        return tuple(v if isinstance(v, int) else None for v in model.get_inputs()[0].shape[1:])
    return tuple(model.inputs[0].shape[1:])


def _format(shape) -> str:
    return "x".join("any" if value is None else str(value) for value in shape)


def check_input_size(model, images, model_name: str | None = None,
                     images_name: str = "the images") -> None:
    """Raise ``InputSizeError`` unless ``images`` fit the generator's
    input (notebook 08, after the course).

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
    """Write a TensorFlow SavedModel folder for TensorFlow Serving; returns its
    path (notebook 08, after the course).

    Keras 3's ``model.export(path)``: the folder holds a ``serve`` endpoint (also the
    ``serving_default`` signature) that runs the model in inference mode. Load it with
    ``tf.saved_model.load(path).serve(images)``.
    """
    path = Path(path)
    model.export(str(path), format="tf_saved_model", verbose=False)
    return path


# ---------------------------------------------------------------------------- TFLite


def export_tflite(model, path) -> Path:
    """Write a TensorFlow Lite (LiteRT) model file ``*.tflite``; returns its
    path (notebook 08, after the course).

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
    """A TFLite interpreter for ``path``: LiteRT's (``ai_edge_litert``) when
    installed (notebook 08, after the course).

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
    """Run a TFLite model on a batch of images (float32 [N, H, W, C]); returns its
    output (notebook 08, after the course)."""
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
"""The pip command that installs what ONNX export needs (tool)."""


def _import_or_explain(name: str, purpose: str, install: str):
    """Import the package ``name``, or raise an ``ExportError`` naming the pip install."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ExportError(f"{purpose} needs the {name} package, which cannot be imported "
                          f"({error}): {install} (requirements.txt lists it).") from None


def float32_copy(model) -> keras.Model:
    """A copy of ``model`` that computes in float32, with the same weights (notebook 08).

    For a generator built under the ``mixed_float16`` or ``float16`` policy (notebook 10),
    which ``export_onnx`` refuses: float16 weights are widened to float32, so the copy
    computes in full precision what the original computes in half.
    """
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
    models.check_generator(model, f"the model {model.name!r} (exported to ONNX)", ExportError)
    if training.computes_in_float16(model):
        raise ExportError(
            f"cannot export the model {model.name!r} to ONNX: it computes in float16 (built "
            "under the mixed_float16 or float16 policy, notebook 10) and the export takes "
            "float32 models. Export a float32 copy with the same weights: "
            "export.export_onnx(export.float32_copy(model), path).")


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
    for package in ("onnx", "tf2onnx"):
        _import_or_explain(package, "ONNX export", ONNX_INSTALL)
    opset = check_opset(opset)  # before the model loads
    if isinstance(model, (str, Path)):
        model = load_generator(model)
    _check_exportable(model)
    spec = tf.TensorSpec((None, *input_shape(model)), tf.float32, name="images")
    with files.written_atomically(path) as temporary, _converter_quiet():
        model.export(str(temporary), format="onnx", verbose=False, input_signature=[spec],
                     opset_version=opset)
    return path


def onnx_opsets() -> range:
    """The ONNX opsets ``export_onnx`` can write: those both the converter (tf2onnx) and
    the installed ``onnx`` package know (tool)."""
    import onnx
    from tf2onnx import constants

    known = sorted(constants.OPSET_TO_IR_VERSION)
    return range(known[0], min(known[-1], onnx.defs.onnx_opset_version()) + 1)


def check_opset(opset) -> int | None:
    """``opset`` if ``export_onnx`` can write it (None: the converter's default), else an
    ``ArgumentError`` naming the range (tool)."""
    if opset is None:
        return None
    supported = onnx_opsets()
    return checks.integer(opset, "opset", minimum=supported.start, maximum=supported.stop - 1,
                          example=f"{supported.stop - 1}, or None for the converter's default")


def onnx_session(path):
    """An ONNX Runtime session for the ONNX file ``path`` (onnxruntime is imported here,
    so (notebook 08, after the course).
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
    """Run an ONNX generator on a batch of images (float32 [N, H, W, C]); returns its
    output (notebook 08, after the course).

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
