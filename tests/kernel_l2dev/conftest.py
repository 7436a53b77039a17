"""Kernel tests of issue 5 share the lab texts of tests/sim_l2dev (``labs_l2dev``); the
root-skip and the nothing-left-behind check are the suite's own (tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim_l2dev"))  # labs_l2dev
