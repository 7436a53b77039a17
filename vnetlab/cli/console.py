"""The CLI's two rich consoles, made on first use.

Design note
-----------
Importing rich costs more than the whole of ``vnetlab --help`` should; these proxies
create the real ``rich.console.Console`` the first time a command prints through them,
so the commands that never print rich text (``--help``, ``schema``, JSON output) never
load it. Emoji codes are off on both consoles, because ``:ab:`` inside a MAC address or a
node name is data, not an emoji; markup in data is escaped where it is printed
(``vnetlab.cli.render``). Piped output keeps a readable width instead of rich's 80-column fallback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """Forwards every attribute to a ``Console(stderr=...)`` made when first needed."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._real: Console | None = None

    def get(self) -> Console:
        if self._real is None:
            from rich.console import Console

            stream = sys.stderr if self._stderr else sys.stdout
            # emoji off: rich would print data such as the MAC 02:ab:cd:... as "02🆎cd"
            self._real = Console(stderr=self._stderr, highlight=False, emoji=False,
                                 width=None if stream.isatty() else 140)
        return self._real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


console = LazyConsole(stderr=False)
err_console = LazyConsole(stderr=True)
