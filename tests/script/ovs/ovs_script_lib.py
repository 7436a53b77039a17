"""Helpers of the script's OVS tests: run script lines on the emulator, one by one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vnetlab.script import World
from vnetlab.script.interp import Interpreter

_AGES = re.compile(r"(duration=[0-9.]+s|idle_age=\d+|hard_age=\d+), ")


def strip_ages(text: str) -> str:
    """Durations and ages aside: the only parts of dump-flows that depend on time."""
    return _AGES.sub("", text)


@dataclass
class LineResult:
    stdout: str
    stderr: str
    status: int


class Emulated:
    """One interpreter over a fresh emulated host; ``line`` runs one script line."""

    def __init__(self, *, bare: bool = True) -> None:
        self.out: list[str] = []
        self.err: list[str] = []
        self.it = Interpreter(World(bare=bare), out=self.out.append, err=self.err.append,
                              source="t.sh")

    def line(self, text: str) -> LineResult:
        self.out.clear()
        self.err.clear()
        rc = self.it.run_line(text, 1)
        return LineResult("".join(s + "\n" for s in self.out),
                          "".join(s + "\n" for s in self.err), rc)
