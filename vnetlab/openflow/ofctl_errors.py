"""The error every ``ovs-ofctl`` parser raises.

Design note: the message is exactly what ``ovs-ofctl`` prints after ``ovs-ofctl: `` (OVS's
parsers return malloc'd strings that ``ovs_fatal`` prints the same way), so a front-end only
prefixes it.
"""

from __future__ import annotations

__all__ = ["OfctlError"]


class OfctlError(Exception):
    """A flow, group or command ``ovs-ofctl`` rejects; ``str(err)`` is OVS's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
