"""Bridge-family filter rules on the kernel: the real ``ebtables`` inside a lab namespace.

Design note
-----------
A lab node's ``ebtables`` entries are the words after ``ebtables``; the op runs exactly
those words with Debian's nf_tables-based ``ebtables`` under ``ip netns exec NS`` (the
filter table is per namespace, so the machine's own firewall is never touched). The
printed shell line and the argv are built from the same words, so they cannot drift. A
machine without the tool refuses the op with the reason (``.ci/run`` installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from vnetlab.engine import EngineError
from vnetlab.kernel.ops.base import Op, Realized, quote
from vnetlab.model.filters import split_words

EBTABLES_TIMEOUT_S = 10.0


def ebtables_argv(ns: str, words: list[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, "ebtables", *words]


@dataclass(frozen=True, slots=True)
class Ebtables(Op):
    """``ip netns exec NS ebtables WORDS...``."""

    line: str = ""

    def shell(self) -> str:
        return " ".join(quote(w) for w in ebtables_argv(self.ns, split_words(self.line)))

    def apply(self, r: Realized) -> None:
        if shutil.which("ebtables") is None:
            raise EngineError(f"{self.shell()}: ebtables is not installed (Debian: apt-get "
                              "install ebtables)")
        try:
            done = subprocess.run(ebtables_argv(self.ns, split_words(self.line)),
                                  capture_output=True, text=True, timeout=EBTABLES_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise EngineError(f"{self.shell()}: no answer in {EBTABLES_TIMEOUT_S:g} s") from None
        if done.returncode != 0:
            raise EngineError(f"{self.shell()}: {done.stderr.strip()}")


def ebtables_listing(ns: str, counters: bool = True) -> str:
    """``ebtables -L [--Lc]`` in ``ns`` (for observers and differential tests)."""
    words = ["-L", "--Lc"] if counters else ["-L"]
    done = subprocess.run(ebtables_argv(ns, words), capture_output=True, text=True,
                          timeout=EBTABLES_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise EngineError(f"ebtables -L in {ns}: {done.stderr.strip()}")
    return done.stdout
