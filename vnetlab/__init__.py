"""vnetlab: build, emulate, explain and check Linux virtual networks.

The public API lives in ``vnetlab.api`` and is re-exported here lazily (importing
``vnetlab`` stays cheap for the CLI's fast paths).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("EngineError", "LabError", "Net", "Report", "load", "make_engine", "realize",
        "render_trace", "run")


def __getattr__(name: str) -> Any:
    if name in _API:
        from vnetlab import api

        return getattr(api, name)
    raise AttributeError(name)


__all__ = list(_API)
