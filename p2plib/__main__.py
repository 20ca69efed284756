"""``python -m p2plib``: the command line (see ``p2plib.cli``)."""

import sys

from p2plib.cli import main

if __name__ == "__main__":
    sys.exit(main())
