"""The result of one command run by an emulated OVS tool.

Design note: ``ovs-ofctl``, ``ovs-vsctl``, ``ovs-appctl`` and ``ovs-dpctl`` are pure
functions here (argv in, text out); this one dataclass is what every front-end returns, so the
script interpreter can print ``stdout``/``stderr`` and set ``$?`` the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CmdResult"]


@dataclass(frozen=True)
class CmdResult:
    """What a tool printed and its exit status (0 success, 1 error as OVS's tools)."""

    stdout: str = ""
    stderr: str = ""
    status: int = 0
