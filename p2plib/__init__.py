"""p2plib: the helper library of the Pix2Pix notebook series.

Each module holds the pieces that a notebook builds, so later notebooks stay short:
``config`` (quick and full mode), ``data`` and ``datasets`` (01), ``models`` (02, 03),
``losses``, ``training`` and ``optimizers`` (04), ``callbacks`` (05), ``metrics``,
``segmentation`` and ``ablations`` (06), ``applications`` and ``recipes`` (07), ``export``
(08), ``viz`` and ``cli`` (``python -m p2plib``).
Submodules are imported on demand (``from p2plib import data``), so importing the package
itself does not load TensorFlow.
"""

__version__ = "0.1.0"
