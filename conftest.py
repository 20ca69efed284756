"""Test configuration: every test and every notebook runs in quick mode.

The variables are set before any kernel starts, so the notebooks that nbval executes
inherit them too.
"""

import os

os.environ["P2P_QUICK"] = "1"
os.environ["P2P_TESTING"] = "1"  # a demo that waits for its user closes at once
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The Chinese edition (notebooks/zh/) has the English notebooks' code, cell for cell
# (tests/test_translation.py holds them together), so executing it again would double the
# suite's longest part for no new line of code tested: nbval runs the English ones only.
collect_ignore = ["notebooks/zh"]
