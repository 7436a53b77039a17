"""tests/sim_ipv6 is a package (``from .v6frames import ...``) and also imports its helper
``v6sim`` by bare name, as the other test directories import theirs: both work with this
directory on the path."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
