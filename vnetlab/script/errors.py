"""Errors of a script command: iproute2's words, the script line, an exit status."""

from __future__ import annotations

import os


class ScriptError(Exception):
    """A command failed: ``message`` as the real tool prints it, ``rc`` its exit status."""

    def __init__(self, message: str, *, lineno: int | None = None, rc: int = 1,
                 prog: str | None = None, fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno
        self.rc = rc
        self.prog = prog
        #: the script stops here, as a non-interactive sh does on a syntax error
        self.fatal = fatal


class NotSupportedYet(ScriptError):
    """A command or device kind the emulator does not model yet (exit status 2)."""

    def __init__(self, what: str, reason: str = "", *, lineno: int | None = None,
                 fatal: bool = False) -> None:
        msg = f"{what}: not supported yet in the vnetlab emulator"
        if reason:
            msg += f" ({reason})"
        super().__init__(msg, lineno=lineno, rc=2, fatal=fatal)


def rtnetlink_answer(err: int) -> str:
    """iproute2's line for a netlink error: ``RTNETLINK answers: `` + ``strerror(errno)``
    (the emulator's ``NetdevError.errno``; ``os.strerror`` is glibc's text, as ip's)."""
    return f"RTNETLINK answers: {os.strerror(err)}"
