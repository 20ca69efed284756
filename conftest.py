"""Test configuration: every test and every notebook runs in quick mode.

The variables are set before any kernel starts, so the notebooks that nbval executes
inherit them too.
"""

import os

os.environ["P2P_QUICK"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
