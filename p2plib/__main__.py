"""``python -m p2plib``: the command line (see ``p2plib.tools.cli``)."""

import sys

import p2plib

p2plib.quiet_tensorflow()  # before TensorFlow loads: no C++ start-up lines in the terminal

from p2plib.tools.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
