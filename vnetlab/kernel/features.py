"""Which device kinds (and kind features) this host's kernel can build, found by trying.

Design note
-----------
Each kind's probe (``KernelKind.probe``, and ``Feature.probe`` for an option of a kind such
as a bridge's VLAN filtering) runs with a ``vnetlab.kernel.probe.Prober`` on a throwaway
namespace ``vnl-probe-PID`` that this module creates and removes (never the root
namespace); the result is cached for the process.
"""

from __future__ import annotations

import contextlib
import functools
import os

from vnetlab.kernel import nl
from vnetlab.kernel.kinds import KINDS, UNSUPPORTED_KINDS
from vnetlab.kernel.kinds.base import Probe
from vnetlab.kernel.probe import Prober


def _refused(why: str) -> Probe:
    """The probe of a kind the engine does not build at all: it answers why, untried."""
    def probe(_prober: Prober) -> str | None:
        return why
    return probe


#: probe key (a model kind, or a kind's feature key) -> how to find out
PROBES: dict[str, Probe] = {
    **{kind: k.probe for kind, k in KINDS.items()},
    **{f.key: f.probe for k in KINDS.values() for f in k.features},
    **{kind: _refused(why) for kind, why in UNSUPPORTED_KINDS.items()},
}


@functools.cache
def probe_kinds(kinds: tuple[str, ...] = tuple(PROBES)) -> dict[str, str | None]:
    """key -> None if the kernel builds it, else the reason it cannot."""
    name = f"vnl-probe-{os.getpid()}"
    nl.remove_netns(name)  # a stale one of ours (same pid, earlier crash)
    fd, sock = nl.create_netns(name)
    out: dict[str, str | None] = {}
    try:
        prober = Prober(sock)
        for kind in kinds:
            probe = PROBES.get(kind)
            out[kind] = (probe(prober) if probe is not None
                         else f"vnetlab does not know how to probe {kind}")
    finally:
        sock.close()
        os.close(fd)
        with contextlib.suppress(OSError):
            nl.remove_netns(name)
    return out


def unsupported_kinds(kinds: list[str] | tuple[str, ...] | set[str]) -> dict[str, str]:
    """For the kinds (and features) a lab uses: those this host cannot build, with why."""
    wanted = tuple(sorted(set(kinds)))
    if not wanted:
        return {}
    result = probe_kinds(wanted)
    return {k: r for k, r in result.items() if r is not None}
