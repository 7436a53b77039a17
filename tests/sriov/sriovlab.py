"""Small SR-IOV labs for the tests: one host NIC with VFs in namespaces, a peer on the wire."""

from __future__ import annotations

from typing import Any

from vnetlab.model import LabSpec, load_lab_text
from vnetlab.sim.devices.sriov.pf import PfDevice
from vnetlab.sim.devices.sriov.vf import VfDevice
from vnetlab.sim.engine import SimEngine


def lab_text(vfs: str = "", *, numvfs: int = 3, sriov_extra: str = "", pf_extra: str = "",
             wire: bool = True, checks: str = "") -> str:
    """``host:eth0`` (10.0.0.254) with ``numvfs`` VFs; VF k lives in node ``nsK`` as ``vfK``
    (10.0.0.K+1); ``ext:eth0`` (10.0.0.100) is the nic at the cable's other end."""
    nodes = "\n".join(
        f"  ns{k}:\n    interfaces:\n      vf{k}: {{type: vf, link: host:eth0, vf: {k}, "
        f"addresses: [10.0.0.{k + 1}/24]}}" for k in range(numvfs))
    return f"""
name: sriov-t
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  host:
    interfaces:
      eth0:
        type: nic
        addresses: [10.0.0.254/24]
        {"wire: ext:eth0" if wire else ""}
        {pf_extra}
        sriov:
          numvfs: {numvfs}
          {sriov_extra}
          vfs: {{{vfs}}}
  ext:
    interfaces:
      eth0: {{type: nic, addresses: [10.0.0.100/24]}}
{nodes}
checks: [{checks}]
"""


def build(text: str) -> tuple[SimEngine, LabSpec]:
    lab = load_lab_text(text)
    eng = SimEngine()
    eng.realize(lab)
    return eng, lab


def pf(eng: SimEngine) -> PfDevice:
    dev = eng.dev("host", "eth0")
    assert isinstance(dev, PfDevice)
    return dev


def vf(eng: SimEngine, k: int) -> VfDevice:
    dev = eng.dev(f"ns{k}", f"vf{k}")
    assert isinstance(dev, VfDevice)
    return dev


def frames_seen(eng: SimEngine, node: str, ifname: str) -> list[bytes]:
    """Start recording what NODE:IFNAME receives or sends (returns the live list)."""
    seen: list[bytes] = []

    def tap(_ts: int, data: bytes) -> None:
        seen.append(data)

    eng.dev(node, ifname).add_tap(tap)
    return seen


def ping_ok(eng: SimEngine, node: str, dst: str, **kw: Any) -> bool:
    from ipaddress import IPv4Address

    return eng.ping(node, IPv4Address(dst), **kw).received > 0
