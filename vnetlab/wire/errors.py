"""The one exception type raised by every wire parser.

Design note: parsers in ``vnetlab.wire`` never let ``struct.error``, ``IndexError`` or
``ValueError`` escape on bad input; they raise :class:`ParseError` whose message names the
format and the defect (``"ipv4: header length 24 exceeds buffer of 20 bytes"``). It subclasses
``ValueError`` so callers that already catch ``ValueError`` keep working.
"""

from __future__ import annotations

__all__ = ["ParseError"]


class ParseError(ValueError):
    """Truncated or malformed input for a wire format."""
