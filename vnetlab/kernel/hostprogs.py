"""The real programs a lab needs on the linux engine, checked before anything is built.

Design note
-----------
The linux engine builds devices over netlink, but its apps are the host's own programs run
in a node's namespace: ``ip netns exec`` (iproute2) to enter it, ``ping`` (iputils) for
ping checks and ``vnetlab ping``, ``tcpdump`` for frames checks and ``vnetlab capture``.
A missing one used to surface mid-run as failed checks or ``exec of "tcpdump" failed``;
``missing`` names it at plan time, with the Debian package that provides it, the way the
kernel's features are probed before building (``vnetlab.kernel.features``). The lookup
(``shutil.which``) is a parameter, so a test can simulate a host without a program.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable

from vnetlab.engine import EngineError
from vnetlab.kernel.ovs.plan import PROGRAMS as OVS_PROGRAMS
from vnetlab.kernel.ovs.plan import has_ovs
from vnetlab.model.checks import FramesCheck, IperfCheck, PingCheck
from vnetlab.model.spec import LabSpec

#: a program -> the Debian package that installs it
PACKAGES = {"ip": "iproute2", "ping": "iputils-ping", "tcpdump": "tcpdump",
            "ebtables": "ebtables", "nft": "nftables", "iperf3": "iperf3", **OVS_PROGRAMS}

Which = Callable[[str], str | None]


def needed(lab: LabSpec, extra: Iterable[str] = ()) -> dict[str, str]:
    """Each program the lab's checks (and ``extra``, what a command runs itself) need ->
    why, in the order they are checked."""
    why: dict[str, str] = {}
    for c in lab.checks:
        if isinstance(c, PingCheck):
            why.setdefault("ping", "its ping checks")
        elif isinstance(c, FramesCheck):
            why.setdefault("tcpdump", "its frames checks (captures)")
        elif isinstance(c, IperfCheck):
            why.setdefault("iperf3", "its iperf checks")
    if has_ovs(lab):
        for prog in OVS_PROGRAMS:
            why.setdefault(prog, "its Open vSwitch bridges (a node's own daemons)")
    for node in lab.nodes.values():  # bridge-family filter rules (vnetlab.kernel.ops.filters)
        if node.ebtables:
            why.setdefault("ebtables", "the lab's ebtables rules")
        if node.nft:
            why.setdefault("nft", "the lab's nft rules")
    for prog in extra:
        why.setdefault(prog, "this command")
    if why:  # every app enters its node's namespace with ``ip netns exec``
        why = {"ip": "entering the lab's namespaces (ip netns exec)", **why}
    return why


def check_programs(lab: LabSpec, extra: Iterable[str] = (),
                   which: Which = shutil.which) -> None:
    """Raise one ``EngineError`` naming the first missing program and its package."""
    for prog, why in needed(lab, extra).items():
        if which(prog) is None:
            pkg = PACKAGES.get(prog, prog)
            raise EngineError(
                f"program {prog!r} not found: the linux engine runs it for {why} "
                f"(Debian package {pkg})",
                hint=f"install it (apt-get install {pkg}) or use --engine sim")


__all__ = ["PACKAGES", "Which", "check_programs", "needed"]
