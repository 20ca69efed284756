"""p2plib: the helper library of the Pix2Pix notebook series.

Each module holds the pieces that a notebook builds, so later notebooks stay short:
``config`` (quick and full mode), ``data`` and ``datasets`` (01), ``models`` (02, 03),
``losses``, ``training`` and ``optimizers`` (04), ``callbacks``, ``checkpoints`` and
``cluster`` (05), ``metrics``, ``segmentation``, ``evaluation`` and ``ablations`` (06),
``applications`` and ``recipes`` (07), ``export`` and ``pretrained`` (08), ``demo`` (09),
``viz`` and ``cli`` (``python -m p2plib``).
Submodules are imported on demand (``from p2plib import data``), so importing the package
itself does not load TensorFlow.
"""

import contextlib
import os

__version__ = "0.1.0"


def quiet_tensorflow() -> None:
    """Import TensorFlow without its C++ start-up lines; call it before TensorFlow is loaded.

    Used by the first cell of every notebook. ``TF_CPP_MIN_LOG_LEVEL=3`` hides TensorFlow's
    own C++ log lines (the failed ``cuInit`` on a machine without a GPU, grappler notes), but
    not the lines its libraries print while loading, before logging is set up (oneDNN,
    "Could not find cuda drivers"): those go to the process's standard error, which Jupyter
    shows in the cell, so they are sent to /dev/null for the import alone. TensorFlow's
    Python logger is set to warnings and above (a Jupyter kernel would otherwise show its
    INFO lines, e.g. "Assets written to ..." from every export). Python errors still show.
    """
    import sys

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules:
        with silenced_stderr():
            import tensorflow  # noqa: F401
    import tensorflow as tf

    tf.get_logger().setLevel("WARNING")


@contextlib.contextmanager
def silenced_stderr():
    """Send the process's standard error (file descriptor 2) to /dev/null for a block.

    For C++ libraries that print notes straight to it (TensorFlow's start-up, the TFLite
    interpreter's "Created TensorFlow Lite XNNPACK delegate"), which no Python setting
    reaches and which Jupyter would show in the cell.
    """
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
