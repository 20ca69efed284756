"""p2plib: the helper library of the Pix2Pix course, one module for each piece it builds.

The course's pieces, in reading order (the notebook that builds each):

- ``data`` (01): reading pairs of images and the ``tf.data`` pipeline; ``label_colours``
  (01): label maps as colours and back; ``datasets/`` (01): the named datasets.
- ``models`` (02, 03): the U-Net generator, its blocks, and the PatchGAN discriminator.
- ``losses`` (04): the adversarial and L1 losses; ``optimizers`` (04): the paper's Adam;
  ``step`` (04): one adversarial training step, as the notebook writes it.
- ``training`` (05): ``Pix2Pix``, the Keras model whose ``fit`` runs the step, and
  ``build_model``; ``schedules`` (05): the learning rate's linear decay; ``callbacks`` (05);
  ``testtime`` (05): how a trained generator runs on new images.
- ``metrics`` and ``evaluation`` (06): the scores and the FCN-score; ``viz``: the plots.
- ``export`` (08, after the course): saving and exporting a trained generator;
  ``pretrained/``: the shipped generators; ``demo/``: the drawing demo (09).

Shared by all: ``paper`` (the paper's constants), ``config`` (quick mode and the training
configuration), ``checks`` (argument checks), ``errors`` (the error types) and ``files``
(whole files or none).

Around the course, never needed by it: ``experiments/`` (the FCN-score segmenter, fast
recipes, applications, the paper's ablations) and ``tools/`` (the command line ``python -m
p2plib``, several workers, checkpoints and exact resume, reports). Sub-packages import the
top level, never the other way round. Importing ``p2plib`` itself does not load TensorFlow.
"""

import contextlib
import os
import sys

__all__ = ["quiet_tensorflow", "silenced_stderr"]

__version__ = "0.1.0"


def quiet_tensorflow() -> None:
    """Import TensorFlow without its C++ start-up lines; call it before TensorFlow is
    loaded (tool: the first cell of every notebook).

    Used by the first cell of every notebook. ``TF_CPP_MIN_LOG_LEVEL=3`` hides TensorFlow's
    own C++ log lines (the failed ``cuInit`` on a machine without a GPU, grappler notes), but
    not the lines its libraries print while loading, before logging is set up (oneDNN,
    "Could not find cuda drivers"): those go to the process's standard error, which Jupyter
    shows in the cell, so they are sent to /dev/null for the import alone. TensorFlow's
    Python logger is set to warnings and above (a Jupyter kernel would otherwise show its
    INFO lines, e.g. "Assets written to ..." from every export). Python errors still show.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules:
        with silenced_stderr():
            import tensorflow  # noqa: F401
    import tensorflow as tf

    tf.get_logger().setLevel("WARNING")


@contextlib.contextmanager
def silenced_stderr():
    """Send the process's standard error (file descriptor 2) to /dev/null for a
    block (tool: the first cell of every notebook).

    For C++ libraries that print notes straight to it (TensorFlow's start-up, the TFLite
    interpreter's "Created TensorFlow Lite XNNPACK delegate"), which no Python setting
    reaches and which Jupyter would show in the cell.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
