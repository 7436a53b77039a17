"""The data paths ``vnetlab bench dataplane`` measures, as small vnetlab labs.

Design note
-----------
Each path is a lab (a dict, as a lab file would say it) with a client node ``a`` and the
server address ``dst``, plus what the bench needs to know around it: the device kinds the
kernel must build (probed with ``vnetlab.kernel.features``, the linux engine's own probes,
so a path this kernel lacks is *skipped with the probe's reason* instead of failing
half-way), the host programs it runs, the seed's claim for the device (its performance
table, quoted), and, for the cost model, the kind the path adds and the device kinds the
emulator's iperf app traces on the same lab (``cost_path``; a unit test checks these
against the emulator, so they cannot drift). The order matters for the cost file: each
path adds one kind to those measured before it (``vnetlab.kernel.bench.costs``).

The TUN/TAP path runs ``vnetlab.kernel.bench.tunfwd`` on each side: a userspace
forwarder that carries the TAP's Ethernet frames in UDP over a veth underlay (jumbo MTU,
so a full frame never fragments), as a VM's userspace networking or a VPN would.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from vnetlab.kernel.ovs.plan import OVS_MODULE


@dataclass(frozen=True, slots=True)
class SeedClaim:
    """One row of the seed's performance table (the words as the seed writes them)."""

    device: str
    throughput: str
    latency: str
    cpu: str
    #: the throughput range in Gb/s (None: not a number, e.g. "Near physical NIC")
    gbps: tuple[float, float] | None = None


#: the seed's "Performance Implications" table, row by row
SEED: dict[str, SeedClaim] = {
    "veth": SeedClaim("veth", "20–40 Gbps", "5–10 µs", "Low", (20, 40)),
    "bridge": SeedClaim("Linux bridge", "10–20 Gbps", "10–20 µs", "Medium", (10, 20)),
    "ovs": SeedClaim("OVS (kernel)", "5–10 Gbps", "20–50 µs", "Medium-High", (5, 10)),
    "ovs-dpdk": SeedClaim("OVS-DPDK", "40–100 Gbps", "5–15 µs", "High (dedicated core)",
                          (40, 100)),
    "vxlan": SeedClaim("VXLAN", "5–10 Gbps", "+5–10 µs (encap)", "Medium", (5, 10)),
    "sriov": SeedClaim("SR-IOV VF", "Near physical NIC", "~5 µs", "Very Low"),
}


@dataclass(frozen=True, slots=True)
class BenchPath:
    name: str
    title: str
    dst: str
    lab: dict[str, Any]
    #: model kinds the kernel must build (``features.probe_kinds`` keys)
    kinds: tuple[str, ...] = ()
    #: programs that must be installed (beyond iperf3 and ping)
    programs: tuple[str, ...] = ()
    #: the cost model's kind this path adds (``"stack"`` for lo)
    cost_kind: str = ""
    #: the device kinds the emulator's iperf app traces on this lab, in order
    cost_path: tuple[str, ...] = ()
    #: the kind segments every packet in userspace (no GSO super-packets)
    no_gso: bool = False
    seed: SeedClaim | None = None
    client: str = "a"
    notes: tuple[str, ...] = field(default_factory=tuple)


def _two(a_if: dict[str, Any], b_if: dict[str, Any]) -> dict[str, Any]:
    return {"a": {"interfaces": a_if}, "b": {"interfaces": b_if}}


_VETH = {"nodes": _two({"eth0": {"addresses": ["10.0.0.1/24"]}},
                       {"eth0": {"addresses": ["10.0.0.2/24"]}}),
         "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}


def _tunnel(kind: str) -> dict[str, Any]:
    def side(me: str, peer: str, inner: str) -> dict[str, Any]:
        return {"eth0": {"addresses": [f"10.0.0.{me}/24"]},
                "tun0": {"type": kind, "id": 7, "remote": f"10.0.0.{peer}",
                         **({"dev": "eth0"} if kind == "vxlan" else {}),
                         "addresses": [f"192.168.7.{inner}/24"]}}
    return {"nodes": _two(side("1", "2", "1"), side("2", "1", "2")),
            "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}


def _on_lower(kind: str, mode: str) -> dict[str, Any]:
    # the lower is a veth end (no dummy module on every kernel); in bridge (macvlan) or
    # l2 (ipvlan) mode the driver switches between its two children itself
    def child(addr: str) -> dict[str, Any]:
        return {"interfaces": {"mv0": {"type": kind, "link": "h:eth0", "mode": mode,
                                       "addresses": [addr]}}}
    return {"nodes": {"h": {"interfaces": {"eth0": {}}}, "x": {"interfaces": {"eth0": {}}},
                      "a": child("10.0.0.1/24"), "b": child("10.0.0.2/24")},
            "links": [{"endpoints": ["h:eth0", "x:eth0"]}]}


def _tap_forwarder() -> dict[str, Any]:
    def side(me: str, peer: str) -> dict[str, Any]:
        return {"eth0": {"addresses": [f"192.168.9.{me}/24"], "mtu": 9000},
                "tap0": {"type": "tap", "user": "root", "addresses": [f"10.0.0.{me}/24"],
                         "program": {"run": "vnetlab.kernel.bench.tunfwd:main",
                                     "args": {"listen": f"192.168.9.{me}:4790",
                                              "peer": f"192.168.9.{peer}:4790"}}}}
    return {"nodes": _two(side("1", "2"), side("2", "1")),
            "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}


#: every path, in the order the cost file derives its kinds
PATHS: tuple[BenchPath, ...] = (
    BenchPath("lo", "lo (the host stack)", "10.0.0.1", {
        # traffic to a local address takes lo whatever device holds it
        "nodes": _two({"eth0": {"addresses": ["10.0.0.1/24"]}}, {"eth0": {}}),
        "links": [{"endpoints": ["a:eth0", "b:eth0"]}]},
        kinds=("veth",), cost_kind="stack", cost_path=("loopback",)),
    BenchPath("veth", "veth pair", "10.0.0.2", _VETH, kinds=("veth",), cost_kind="veth",
              cost_path=("veth",), seed=SEED["veth"]),
    BenchPath("bridge", "veth + Linux bridge", "10.0.0.2", {
        "nodes": {**_two({"eth0": {"addresses": ["10.0.0.1/24"]}},
                         {"eth0": {"addresses": ["10.0.0.2/24"]}}),
                  "h": {"interfaces": {"br0": {"type": "bridge"}, "va": {"master": "br0"},
                                       "vb": {"master": "br0"}}}},
        "links": [{"endpoints": ["a:eth0", "h:va"]}, {"endpoints": ["b:eth0", "h:vb"]}]},
        kinds=("veth", "bridge"), cost_kind="bridge", cost_path=("veth", "bridge", "veth"),
        seed=SEED["bridge"]),
    BenchPath("vxlan", "VXLAN over veth", "192.168.7.2", _tunnel("vxlan"),
              kinds=("veth", "vxlan"), cost_kind="vxlan", cost_path=("vxlan", "veth"),
              seed=SEED["vxlan"]),
    BenchPath("geneve", "Geneve over veth", "192.168.7.2", _tunnel("geneve"),
              kinds=("veth", "geneve"), cost_kind="geneve", cost_path=("geneve", "veth"),
              seed=SEED["vxlan"], notes=("the seed has no Geneve row: VXLAN's shown",)),
    BenchPath("macvlan", "MACVLAN (bridge mode)", "10.0.0.2", _on_lower("macvlan", "bridge"),
              kinds=("veth", "macvlan"), cost_kind="macvlan",
              cost_path=("macvlan", "macvlan")),
    BenchPath("ipvlan", "IPVLAN (l2 mode)", "10.0.0.2", _on_lower("ipvlan", "l2"),
              kinds=("veth", "ipvlan"), cost_kind="ipvlan", cost_path=("ipvlan", "ipvlan")),
    BenchPath("ovs", "Open vSwitch", "10.0.0.2", {
        "nodes": {**_two({"eth0": {"addresses": ["10.0.0.1/24"]}},
                         {"eth0": {"addresses": ["10.0.0.2/24"]}}),
                  "h": {"interfaces": {"pa": {}, "pb": {}},
                        "ovs": {"br0": {"ports": {"pa": {}, "pb": {}}}}}},
        "links": [{"endpoints": ["a:eth0", "h:pa"]}, {"endpoints": ["b:eth0", "h:pb"]}]},
        kinds=("veth",), programs=("ovs-vswitchd", "ovsdb-server", "ovs-vsctl"),
        cost_kind="openvswitch", cost_path=("veth", "openvswitch", "veth"),
        seed=SEED["ovs"]),
    BenchPath("tuntap", "TAP + userspace forwarder", "10.0.0.2", _tap_forwarder(),
              # the emulator's trace ends where the program takes the frame: one ``tun``
              # (its kind for TUN and TAP), which so carries the whole userspace hop
              kinds=("veth", "tap"), cost_kind="tun", cost_path=("tun",), no_gso=True),
)

BY_NAME: dict[str, BenchPath] = {p.name: p for p in PATHS}
#: ``--quick`` without ``--paths``: the cheapest path that says something
QUICK_PATHS = ("veth",)


def ovs_datapath() -> str:
    """The datapath the linux engine's OVS plan picks here (``ovs/plan.py``):
    ``system`` with the openvswitch module loaded, else ``netdev`` (userspace)."""
    return "system" if os.path.isdir(OVS_MODULE) else "netdev"


def path_title(p: BenchPath) -> str:
    if p.name == "ovs":
        dp = ovs_datapath()
        return f"OVS ({'kernel' if dp == 'system' else 'userspace'} datapath)"
    return p.title


def gso_of(p: BenchPath) -> bool:
    """Whether TCP crosses the path in GSO super-packets (userspace datapaths do not)."""
    if p.name == "ovs":
        return ovs_datapath() == "system"
    return not p.no_gso


def missing_programs(p: BenchPath, which: Any = shutil.which) -> list[str]:
    return [prog for prog in ("iperf3", "ping", *p.programs) if which(prog) is None]


def skip_reason(p: BenchPath, probe: dict[str, str | None],
                which: Any = shutil.which) -> str | None:
    """Why this host cannot run the path (None: it can). ``probe``: kind -> reason."""
    for kind in p.kinds:
        why = probe.get(kind)
        if why:
            return why
    missing = missing_programs(p, which)
    if missing:
        return f"not installed: {', '.join(missing)}"
    return None


def select(names: list[str] | None, quick: bool) -> list[BenchPath]:
    """The paths asked for (``--paths``), in the bench's order; ValueError naming an
    unknown one."""
    if not names:
        names = list(QUICK_PATHS) if quick else [p.name for p in PATHS]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown path {unknown[0]!r} (paths: {', '.join(BY_NAME)})")
    return [p for p in PATHS if p.name in names]
