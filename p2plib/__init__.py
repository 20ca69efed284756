"""p2plib: the helper library of the Pix2Pix notebook series.

Each module holds the pieces that a notebook builds, so later notebooks stay short:
``config`` (quick and full mode), ``data`` (01), ``datasets`` (01), ``models`` (02, 03),
``losses`` and ``training`` (04, 05), ``metrics`` (06), ``viz``.
Submodules are imported on demand (``from p2plib import data``), so importing the package
itself does not load TensorFlow.
"""

__version__ = "0.1.0"
