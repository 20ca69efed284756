"""Run an exported ONNX generator with ONNX Runtime and NumPy alone.

Used by tests/test_onnx.py, which starts it with TensorFlow and Keras made unimportable.
It first confirms that importing them fails, then translates a batch saved as .npy and
saves the outputs as .npy: ``onnx_only.py MODEL.onnx INPUTS.npy OUTPUTS.npy``.
"""
import importlib
import sys

for blocked in ("tensorflow", "keras"):
    try:
        importlib.import_module(blocked)
    except ImportError:
        continue
    sys.exit(f"{blocked} can be imported here: this check needs it blocked")

import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402

model_path, inputs_path, outputs_path = sys.argv[1:]
session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
(model_input,) = session.get_inputs()
outputs = session.run(None, {model_input.name: np.load(inputs_path)})[0]
np.save(outputs_path, outputs)
loaded = sorted(name for name in ("tensorflow", "keras", "p2plib") if name in sys.modules)
print(f"translated {len(outputs)} images; tensorflow and keras cannot be imported; "
      f"loaded of tensorflow, keras, p2plib: {loaded}")
