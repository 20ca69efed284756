"""Mixed precision, the GPU option: float16 arithmetic with float32 weights (notebook 05).

Networks built under Keras's ``mixed_float16`` policy (``models.dtype_policy``) need their
losses scaled up so that small float16 gradients do not underflow; ``loss_scaled`` wraps an
optimizer for that, as ``keras.Model.compile`` does for its single optimizer.
"""

from __future__ import annotations

import keras


def computes_in_float16(model) -> bool:
    """Whether any layer of ``model`` computes in float16 (a loaded model keeps its layers'
    policies, while the model object itself takes the current global one)."""
    return model.compute_dtype == "float16" or any(
        computes_in_float16(layer) for layer in getattr(model, "layers", ())
    )


def loss_scaled(optimizer, model):
    """``optimizer`` wrapped in dynamic loss scaling when ``model`` computes in float16.

    Other networks get ``optimizer`` back unchanged.
    """
    if computes_in_float16(model) and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
