"""Bridge-family filtering on the kernel: the real ``ebtables`` inside a lab namespace, and
the security port flags ``isolated`` / ``locked`` through rtnetlink.

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
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import Op, Realized, quote
from vnetlab.model.filters import split_words

EBTABLES_TIMEOUT_S = 10.0
IFLA_BRPORT_ISOLATED = 33
IFLA_BRPORT_LOCKED = 39
IFLA_BRPORT_NEIGH_SUPPRESS = 32


@dataclass(frozen=True, slots=True)
class SetBrportSecurity(Op):
    """``bridge link set dev PORT isolated on|off locked on|off neigh_suppress on|off``:
    ``RTM_SETLINK`` ``AF_BRIDGE`` with ``IFLA_PROTINFO`` (``br_setport``), as iproute2
    sends it."""

    ifname: str = ""
    isolated: bool = False
    locked: bool = False
    neigh_suppress: bool = False

    def shell(self) -> str:
        return (f"bridge -n {self.ns} link set dev {self.ifname} "
                f"isolated {'on' if self.isolated else 'off'} "
                f"locked {'on' if self.locked else 'off'} "
                f"neigh_suppress {'on' if self.neigh_suppress else 'off'}")

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname), family=M.AF_BRIDGE) + M.nest(
            M.IFLA_PROTINFO | M.NLA_F_NESTED,
            M.u8(IFLA_BRPORT_ISOLATED, int(self.isolated)),
            M.u8(IFLA_BRPORT_LOCKED, int(self.locked)),
            M.u8(IFLA_BRPORT_NEIGH_SUPPRESS, int(self.neigh_suppress)),
        )
        h.sock.send_raw(M.RTM_SETLINK, body, tag=self)


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


@dataclass(frozen=True, slots=True)
class Nft(Op):
    """``ip netns exec NS nft 'COMMAND'`` (the nftables bridge family; one argument, so
    the braces and semicolons of a chain definition need no shell quoting of their own)."""

    line: str = ""

    def argv(self) -> list[str]:
        return ["ip", "netns", "exec", self.ns, "nft", self.line]

    def shell(self) -> str:
        return " ".join(quote(w) for w in self.argv())

    def apply(self, r: Realized) -> None:
        if shutil.which("nft") is None:
            raise EngineError(f"{self.shell()}: nft is not installed (Debian: apt-get install "
                              "nftables)")
        try:
            done = subprocess.run(self.argv(), capture_output=True, text=True,
                                  timeout=EBTABLES_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise EngineError(f"{self.shell()}: no answer in {EBTABLES_TIMEOUT_S:g} s") from None
        if done.returncode != 0:
            raise EngineError(f"{self.shell()}: {done.stderr.strip()}")


def nft_listing(ns: str) -> str:
    """``nft list ruleset`` in ``ns``."""
    done = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"],
                          capture_output=True, text=True, timeout=EBTABLES_TIMEOUT_S,
                          check=False)
    if done.returncode != 0:
        raise EngineError(f"nft list ruleset in {ns}: {done.stderr.strip()}")
    return done.stdout


def ebtables_listing(ns: str, counters: bool = True) -> str:
    """``ebtables -L [--Lc]`` in ``ns`` (for observers and differential tests)."""
    words = ["-L", "--Lc"] if counters else ["-L"]
    done = subprocess.run(ebtables_argv(ns, words), capture_output=True, text=True,
                          timeout=EBTABLES_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise EngineError(f"ebtables -L in {ns}: {done.stderr.strip()}")
    return done.stdout
