"""Run the distribution's Graphviz ``dot`` to turn a DOT document into SVG or PNG.

Design note
-----------
The layout is Graphviz's (Debian package ``graphviz``), found on ``PATH`` with
``shutil.which``; there is no fallback layout. A missing ``dot`` or one that fails is an
``EngineError`` (one paragraph, exit status 2 in the CLI) naming the package to install.
DOT and Mermaid output need no binary at all. Bounded: ``dot`` gets ``DOT_TIMEOUT_S``.
"""

from __future__ import annotations

import shutil
import subprocess

from vnetlab.engine import EngineError

#: the formats ``vnetlab graph --format`` offers; svg/png need the dot binary
FORMATS = ("svg", "png", "dot", "mermaid")
#: a lab of a few hundred devices lays out in well under a second
DOT_TIMEOUT_S = 60


def dot_binary() -> str:
    found = shutil.which("dot")
    if found is None:
        raise EngineError(
            "Graphviz's dot was not found on PATH (it lays out SVG and PNG)",
            hint="install it (Debian/Ubuntu: apt-get install graphviz), or write "
                 "--format dot or --format mermaid, which need no binary",
        )
    return found


def run_dot(dot_text: str, fmt: str) -> bytes:
    """``dot -Tsvg`` / ``dot -Tpng`` of ``dot_text``."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"dot renders svg or png, not {fmt!r}")
    try:
        done = subprocess.run([dot_binary(), f"-T{fmt}"], input=dot_text.encode(),
                              capture_output=True, timeout=DOT_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise EngineError(f"dot did not finish within {DOT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise EngineError(f"dot failed (exit status {done.returncode}): "
                          f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout
