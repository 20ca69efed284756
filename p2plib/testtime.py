"""The test-time policy: how a trained network runs on new images (notebook 05).

Two modes, ``TEST_MODES``:

- ``"paper"``: "at inference time, we run the generator net in exactly the same manner as
  during the training phase": dropout stays on (the paper's only source of noise) and batch
  normalisation uses the statistics of the test batch -- with the paper's batch size of 1,
  of each image on its own. The moving averages are left untouched: they belong to the
  other mode, and a test image must not change the model.
- ``"inference"``: Keras's ``training=False``: no dropout, the moving averages.

``translate`` is the one function every caller uses (``Pix2Pix``, export, evaluation, the
command line, the demo, the notebooks). In the paper's mode an image's output never depends
on the other images of its batch.
"""

from __future__ import annotations

import contextlib
import weakref

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from p2plib.errors import ArgumentError

TEST_MODES = ("paper", "inference")
"""The two test-time policies (notebook 05)."""

__all__ = ["TEST_MODES", "check_test_mode", "random_state_kept", "random_states",
           "run_for_test", "run_with_batch_statistics", "seed_random_states", "translate"]


def check_test_mode(test_mode: str) -> str:
    """Return ``test_mode`` if it is one of ``TEST_MODES``, else raise an
    ``ArgumentError`` (notebook 05)."""
    if test_mode not in TEST_MODES:
        raise ArgumentError(
            f"test_mode must be one of {TEST_MODES} ('paper': dropout and each image's own "
            "batch statistics at test time as in the paper, 'inference': dropout off and "
            f"moving averages, Keras's usual inference); got {test_mode!r}."
        )
    return test_mode


def random_states(model) -> list:
    """Dropout's random-number state: variables of ``model`` that are not among its
    weights (notebook 05)."""
    weights = {id(weight) for weight in model.weights}
    return [variable for variable in model.variables if id(variable) not in weights]


@contextlib.contextmanager
def random_state_kept(model):
    """Run the block, then put dropout's random state in ``model`` back as it was (notebook 05)."""
    states = random_states(model)
    saved = [np.array(variable) for variable in states]
    try:
        yield
    finally:
        for variable, value in zip(states, saved, strict=True):
            variable.assign(value)


def seed_random_states(model, seed: int) -> None:
    """Set dropout's random state in ``model`` from ``seed``, so the paper's mode draws the
    same masks again (``keras.utils.set_random_seed`` does not reach layers already built;
    notebook 05).

    Each state takes the value a fresh ``keras.random.SeedGenerator`` of its own seed starts
    from, so its layout is Keras's business.
    """
    for index, variable in enumerate(random_states(model)):
        fresh = keras.random.SeedGenerator(seed * 1_000_003 + index)
        variable.assign(fresh.state.value)


def run_with_batch_statistics(model, inputs):
    """``model(inputs, training=True)`` that leaves the batch-norm moving averages
    alone (notebook 05).

    Dropout is on and batch normalisation uses the batch's own statistics; the moving
    averages are not updated, while dropout's random state advances so that each call draws
    fresh masks.
    """
    with keras.StatelessScope() as scope:
        outputs = model(inputs, training=True)
    for variable in random_states(model):
        advanced = scope.get_current_value(variable)
        if advanced is not None:
            variable.assign(advanced)
    return outputs


def _one_at_a_time(model, inputs):
    """The paper's mode on each element of a batch alone (works eagerly and when traced)."""
    count = inputs.shape[0] if not isinstance(inputs, (list, tuple)) else inputs[0].shape[0]
    if count == 1:
        return run_with_batch_statistics(model, inputs)
    if count is not None:  # a known batch size: a plain loop, also inside a tf.function
        pieces = [run_with_batch_statistics(model, _element(inputs, index))
                  for index in range(count)]
        return ops.concatenate(pieces, axis=0)
    # Unknown batch size inside a traced function: map over the batch.
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    output_dtype = keras.backend.standardize_dtype(model.compute_dtype)
    return tf.map_fn(
        lambda element: run_with_batch_statistics(model, _expand(element))[0],
        tuple(inputs) if isinstance(inputs, (list, tuple)) else first,
        fn_output_signature=tf.dtypes.as_dtype(output_dtype),
    )


def _element(inputs, index):
    if isinstance(inputs, (list, tuple)):
        return [tensor[index:index + 1] for tensor in inputs]
    return inputs[index:index + 1]


def _expand(element):
    if isinstance(element, (list, tuple)):
        return [tensor[None] for tensor in element]
    return element[None]


def run_for_test(model, inputs, test_mode: str = "paper"):
    """Run any network (generator or discriminator) at test time in ``test_mode`` (notebook 05).

    ``"paper"``: each element of the batch alone, with dropout and its own statistics
    (``run_with_batch_statistics``); ``"inference"``: ``model(inputs, training=False)``.
    """
    if check_test_mode(test_mode) == "paper":
        return _one_at_a_time(model, inputs)
    return model(inputs, training=False)


def translate(generator, input_images, test_mode: str = "paper"):
    """The generator's output for a batch of images at test time, as float32 (notebook 05).

    ``input_images``: float [N, H, W, C] in [-1, 1] (array or tensor). In ``"paper"`` mode
    each image is translated on its own, as the paper tests at batch size 1, so an output
    does not depend on the other images of the batch and the model's variables (the
    moving averages) do not change; ``"inference"`` is Keras's ``training=False``.
    """
    input_images = ops.convert_to_tensor(input_images, "float32")
    check_test_mode(test_mode)
    if tf.executing_eagerly():  # traced once per generator, mode and size: many times faster
        outputs = _traced(generator, test_mode, tuple(input_images.shape[1:]))(input_images)
    else:
        outputs = run_for_test(generator, input_images, test_mode)
    return ops.cast(outputs, "float32")  # float16 under mixed precision


_TRACED = weakref.WeakKeyDictionary()  # generator -> {(mode, image shape): traced function}


def _traced(generator, test_mode: str, image_shape: tuple):
    """``run_for_test`` traced for any batch size (one trace, however large the batch: the
    paper's mode then maps over the batch instead of unrolling it)."""
    by_key = _TRACED.setdefault(generator, {})
    key = (test_mode, image_shape)
    if key not in by_key:
        spec = tf.TensorSpec((None, *image_shape), tf.float32)
        reference = weakref.ref(generator)  # a strong one would keep the weak key alive
        by_key[key] = tf.function(lambda images: run_for_test(reference(), images, test_mode),
                                  input_signature=[spec])
    return by_key[key]
