"""bridge on the linux engine: ``ip link add NAME type bridge ...`` (net/bridge).

Design note
-----------
The bridge is made with the devices of their own (before the veth pairs that become its
ports); what needs its ports — an explicit MTU given back after they joined (the bridge
auto-adjusts to its smallest port, ``br_mtu_auto_adjust``), static FDB entries, VLANs —
is ``configure``, run after every port joined. VLAN filtering needs
``CONFIG_BRIDGE_VLAN_FILTERING``, probed as a feature of its own.

STP (``stp: true``) is the kernel's own 802.1D, with the lab's priority and timers in the
``ip link add`` request (``IFLA_BR_PRIORITY``, ``IFLA_BR_FORWARD_DELAY`` ... in
centiseconds) and each port's cost/priority set once it joined. Kernels before the llc
fix "Don't drop packet from non-root netns" (2023) drop every BPDU in a namespace other
than the first, so STP there silently leaves every port forwarding: the ``bridge-stp``
feature probe builds two STP bridges in a throwaway namespace and refuses the lab when
the second never hears the first (``probe_stp``).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import Feature, KernelKind, Where
from vnetlab.kernel.ops.base import NewLink, NsHandle, Op
from vnetlab.kernel.ops.brport import AddFdb, BridgeVlanOp, SetBrportStp
from vnetlab.kernel.ops.link import SetMtu
from vnetlab.kernel.probe import MODULE_MISSING, Prober
from vnetlab.model.kinds.bridge import BridgeSpec
from vnetlab.model.netdev import BridgeVlan, NetdevSpec

#: if_link.h IFLA_BR_* numbers of the STP settings
IFLA_BR_FORWARD_DELAY = 1
IFLA_BR_HELLO_TIME = 2
IFLA_BR_MAX_AGE = 3
IFLA_BR_PRIORITY = 6
_TIMER_ATTR = {"forward_delay": IFLA_BR_FORWARD_DELAY, "hello_time": IFLA_BR_HELLO_TIME,
               "max_age": IFLA_BR_MAX_AGE}
#: feature key of a bridge with ``stp: true``
BRIDGE_STP = "bridge-stp"
STP_NETNS_MISSING = (
    "this kernel drops BPDUs in network namespaces other than the initial one (it lacks "
    "the 2023 llc fix \"Don't drop packet from non-root netns\"), so kernel STP would "
    "leave every port forwarding")
#: feature key of a bridge with ``vlan_filtering: true``
BRIDGE_VLAN_FILTERING = "bridge-vlan-filtering"
VLAN_FILTERING_MISSING = (
    "this kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING off: "
    "`ip link add BR type bridge vlan_filtering 1` answers EOPNOTSUPP)"
)


@dataclass(frozen=True, slots=True)
class AddBridge(NewLink[BridgeSpec]):
    """``ip link add BR type bridge stp_state S ageing_time CS [vlan_filtering 1]
    [vlan_default_pvid N]`` (``br_dev_newlink``; ``IFLA_BR_AGEING_TIME`` is in
    centiseconds, as ``ip`` prints it)."""

    def info_kind(self) -> str:
        return "bridge"

    def info_data(self, h: NsHandle) -> bytes:
        s = self.spec
        data = M.u32(M.IFLA_BR_STP_STATE, int(s.stp))
        data += M.u32(M.IFLA_BR_AGEING_TIME, round(s.ageing_time * 100))
        if s.vlan_filtering:
            data += M.u8(M.IFLA_BR_VLAN_FILTERING, 1)
        if s.vlan_filtering or s.default_pvid != 1:  # the words ip_link_type() prints
            data += M.u16(M.IFLA_BR_VLAN_DEFAULT_PVID, s.default_pvid)
        for name, value, default in s.stp_timers():  # as ip_link_type(): when not default
            if value != default:
                data += M.u32(_TIMER_ATTR[name], round(value * 100))
        if s.priority != 32768:
            data += M.u16(IFLA_BR_PRIORITY, s.priority)
        return data


def realize(where: Where, spec: BridgeSpec) -> list[Op]:
    return [AddBridge(where.ns, ifname=where.ifname, index=where.take_index(), mac=spec.mac,
                      mtu=spec.mtu, spec=spec)]


def _vlan_ops(ns: str, dev: str, vlans: list[BridgeVlan], self_: bool) -> list[Op]:
    ops: list[Op] = []
    for v in vlans:
        r = v.vids
        ops.append(BridgeVlanOp(ns, dev=dev, vid=r.start,
                                vid_end=r.stop - 1 if len(r) > 1 else None, pvid=v.pvid,
                                untagged=v.untagged, self_=self_))
    return ops


def _vlans(ns: str, br: str, spec: BridgeSpec, ifaces: Mapping[str, NetdevSpec]) -> list[Op]:
    """Per-port and bridge-self VLANs. A new port (and the bridge itself) gets
    ``default_pvid`` pvid untagged from the kernel (``nbp_vlan_init``); a port with its own
    list loses that first, as ``bridge vlan del vid 1 dev PORT`` does by hand."""
    ops: list[Op] = []
    for ifname, p in ifaces.items():
        if p.master != br or p.bridge_port is None or p.bridge_port.vlans is None:
            continue
        if spec.default_pvid:
            ops.append(BridgeVlanOp(ns, dev=ifname, vid=spec.default_pvid, delete=True))
        ops.extend(_vlan_ops(ns, ifname, p.bridge_port.vlans, False))
    if spec.vlans is not None:
        if spec.default_pvid:
            ops.append(BridgeVlanOp(ns, dev=br, vid=spec.default_pvid, self_=True, delete=True))
        ops.extend(_vlan_ops(ns, br, spec.vlans, True))
    return ops


def configure(ns: str, ifname: str, spec: BridgeSpec,
              ifaces: Mapping[str, NetdevSpec]) -> list[Op]:
    """After the ports joined: the bridge's own MTU back, static FDB entries, VLANs."""
    ops: list[Op] = []
    mtus = [p.mtu for p in ifaces.values() if p.master == ifname]
    if mtus and min(mtus) != spec.mtu:
        ops.append(SetMtu(ns, ifname=ifname, mtu=spec.mtu))
    ops.extend(AddFdb(ns, bridge=ifname, dev=e.dev, mac=e.mac) for e in spec.fdb)
    for port, p in ifaces.items():
        bp = p.bridge_port
        if p.master == ifname and bp is not None and (bp.cost is not None
                                                      or bp.priority != 32):
            ops.append(SetBrportStp(ns, ifname=port, cost=bp.cost,
                                    priority=bp.priority if bp.priority != 32 else None))
    if spec.vlan_filtering:
        ops.extend(_vlans(ns, ifname, spec, ifaces))
    return ops


def probe(p: Prober) -> str | None:
    return p.newlink("bridge", [])


def probe_vlan_filtering(p: Prober) -> str | None:
    """Without CONFIG_BRIDGE_VLAN_FILTERING ``br_changelink`` answers EOPNOTSUPP."""
    reason = p.newlink("bridge", [["IFLA_BR_VLAN_FILTERING", 1]])
    return VLAN_FILTERING_MISSING if reason is not None and MODULE_MISSING in reason \
        else reason


def _wants_vlan_filtering(spec: BridgeSpec) -> bool:
    return spec.vlan_filtering


def _wants_stp(spec: BridgeSpec) -> bool:
    return spec.stp


#: how long the STP probe waits for the first BPDU (the hello timer is 2 s)
STP_PROBE_WAIT_S = 5.0


def probe_stp(_p: Prober) -> str | None:
    """Two STP bridges joined by a veth pair in a throwaway namespace of our own: the
    second must take the first (priority 4096) as root within ``STP_PROBE_WAIT_S``."""
    ns = f"vnl-stpprobe-{os.getpid()}"

    def ip(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "-n", ns, *argv], capture_output=True, text=True,
                              timeout=10, check=False)

    subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False, timeout=10)
    made = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True,
                          check=False, timeout=10)
    if made.returncode != 0:
        return f"cannot probe STP: ip netns add failed ({made.stderr.strip()})"
    try:
        for argv in (("link", "add", "b1", "type", "bridge", "stp_state", "1", "priority",
                      "4096"),
                     ("link", "add", "b2", "type", "bridge", "stp_state", "1"),
                     ("link", "add", "p1", "type", "veth", "peer", "name", "p2"),
                     ("link", "set", "p1", "master", "b1"), ("link", "set", "p2", "master", "b2"),
                     ("link", "set", "b1", "up"), ("link", "set", "b2", "up"),
                     ("link", "set", "p1", "up"), ("link", "set", "p2", "up")):
            r = ip(*argv)
            if r.returncode != 0:
                return f"cannot probe STP: ip {' '.join(argv)}: {r.stderr.strip()}"
        deadline = time.monotonic() + STP_PROBE_WAIT_S
        while time.monotonic() < deadline:
            r = subprocess.run(["ip", "netns", "exec", ns, "cat",
                                "/sys/class/net/b2/bridge/root_id"], capture_output=True,
                               text=True, timeout=10, check=False)
            if r.stdout.strip().startswith("1000."):
                return None
            time.sleep(0.1)
        return STP_NETNS_MISSING
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False, timeout=10)


def read_stp_status(run: Callable[[list[str]], str], bridge: str) -> dict[str, Any]:
    """The bridge's spanning tree view from sysfs (``run`` runs argv in the lab node's
    namespace and returns stdout): the shape of ``SimEngine.stp_status``. sysfs, not
    ``ip -d link``: iproute2 6.1 prints the bridge id as the designated root."""
    script = (f"cd /sys/class/net/{bridge}/bridge && cat bridge_id root_id root_port && "
              f"for p in ../brif/*; do echo \"$(basename $p) $(cat $p/state) "
              "$(cat $p/port_no)\"; done")
    out = run(["sh", "-c", script]).split("\n")
    if len(out) < 3 or not out[0]:
        raise KeyError(bridge)
    root_no = int(out[2].strip() or 0)
    names = {0: "disabled", 1: "listening", 2: "learning", 3: "forwarding", 4: "blocking"}
    ports: dict[str, str] = {}
    root_port = None
    for line in out[3:]:
        parts = line.split()
        if len(parts) == 3:
            ports[parts[0]] = names.get(int(parts[1]), parts[1])
            if int(parts[2], 0) == root_no and root_no:
                root_port = parts[0]
    return {"root": out[0].strip() == out[1].strip(), "root_port": root_port, "ports": ports}


KIND: KernelKind[BridgeSpec] = KernelKind(
    info_kind="bridge",
    realize=realize,
    probe=probe,
    configure=configure,
    features=(Feature(BRIDGE_VLAN_FILTERING, "vlan_filtering", _wants_vlan_filtering,
                      probe_vlan_filtering),
              Feature(BRIDGE_STP, "stp", _wants_stp, probe_stp)),
    enslaves=True,
    carrier=True,
)
