"""The ONE place that decides what the differential tests compare between the engines.

Every rule that drops or coarsens something says why. Anything not listed here is
compared exactly; where the engines then differ, the kernel is the oracle.
"""

from __future__ import annotations

from typing import Any

from vnetlab.model.state import LabState, NodeState
from vnetlab.tools.checks import Report

#: Neighbour states, coarsened. The kernel's NUD machine runs on wall-clock timers
#: (``base_reachable_time`` 15-45 s random, ``delay_first_probe_time`` 5 s) while the
#: emulator's runs on virtual time that advances only as far as the checks need: an entry
#: learned from a received ARP request is STALE in both (``arp_process``), but whether it
#: has since gone DELAY -> PROBE -> REACHABLE depends on how much time passed. So every
#: state with a link-layer address counts as "resolved"; INCOMPLETE/FAILED stay distinct
#: (they mean reachability, not timing).
NUD_CLASS = {
    "REACHABLE": "resolved",
    "STALE": "resolved",
    "DELAY": "resolved",
    "PROBE": "resolved",
    "PERMANENT": "resolved",
    "INCOMPLETE": "INCOMPLETE",
    "FAILED": "FAILED",
}


def check_statuses(report: Report) -> dict[int, tuple[str, str, str]]:
    """index -> (kind, subject, status). Trace checks are left out: the linux engine cannot
    trace a packet's path and reports them as skipped, by design."""
    return {r.index: (r.kind, r.subject, r.status) for r in report.results
            if r.kind != "trace"}


def links(node: NodeState) -> set[tuple[Any, ...]]:
    """(ifname, kind, operstate, mtu, mac, master). ``lo`` is dropped: it takes no part in a
    lab's traffic (the kernel has it in every namespace; the emulator models it too, but its
    counters and state are not what the lab is about). Counters are not compared: the
    kernel's include frames the emulator never sends (e.g. none expected with IPv6 off, but
    timers such as ARP re-probes depend on wall-clock time).

    The MAC of an Open vSwitch datapath's own device (``ovs-netdev``, ``ovs-system``) is
    not compared: ovs-vswitchd leaves it to the kernel's random address (``eth_random_addr``
    when the tap/internal device is made) and the emulator gives it a fixed one; the
    device, its kind and its state are compared."""
    return {(ln.ifname, ln.kind, ln.operstate, ln.mtu,
             None if ln.ifname in OVS_DATAPATH_DEVICES else ln.mac, ln.master)
            for ln in node.links if ln.ifname != "lo"}


#: the devices an OVS datapath makes for itself (random MAC on the kernel)
OVS_DATAPATH_DEVICES = frozenset({"ovs-netdev", "ovs-system"})


def fdb(node: NodeState) -> set[tuple[Any, ...]]:
    """(bridge, port, mac, vlan, kind, dst).

    * learned and static bridge entries are compared per port — with IPv6 on these include
      what the autoconfiguration traffic (MLD reports, DAD and router solicitations) taught
      the bridges before any check ran;
    * the bridge's ``permanent`` local entries (one per port MAC and the bridge's own, plus
      per-VLAN copies on a filtering bridge, ``br_fdb_insert``/``fdb_add_local``) are
      dropped: they are configuration, not traffic, and the kernel adds per-VLAN duplicates
      the emulator's local table does not list one by one;
    * every ``self`` entry is compared: a VXLAN device's own table (with ``dst``, configured
      and learned: the remote VTEP behind a MAC is the point of the overlay tests) and each
      device's address lists (``self permanent``, ``bridge fdb show``'s per-device
      ``dev->uc``/``dev->mc`` entries: 33:33:00:00:00:01, 01:00:5e:00:00:01, the
      solicited-node groups, a bridge's 01:00:5e:00:00:6a/33:33:00:00:00:6a, a macvlan's
      MAC on its lower).
    """
    out: set[tuple[Any, ...]] = set()
    for f in node.fdb:
        if "self" in f.flags:
            kind = "self-permanent" if "permanent" in f.flags else "self-learned"
            out.add((f.bridge, f.port, f.mac, f.vlan, kind, f.dst))
        elif "permanent" in f.flags:
            continue
        else:
            out.add((f.bridge, f.port, f.mac, f.vlan, "static" if f.flags else "learned",
                     None))
    return out


def neighbours(node: NodeState) -> set[tuple[Any, ...]]:
    """(dst, dev, lladdr, state class, router), IPv4 and IPv6 — see ``NUD_CLASS`` for why
    states are coarsened. ``lladdr`` of INCOMPLETE/FAILED entries is dropped (the kernel may
    keep the last one). ``router``: the NA's R flag (``NTF_ROUTER``), compared exactly."""
    out = set()
    for n in node.neighs:
        cls = NUD_CLASS.get(n.state, n.state)
        out.add((n.dst, n.dev, n.lladdr if cls == "resolved" else None, cls,
                 n.router))
    return out


def routes(node: NodeState) -> set[tuple[Any, ...]]:
    """(dst, dev, via, proto, scope, prefsrc, metric, family, pref): table main, unicast
    only (observe filters the same), both families — the per-device fe80::/64 kernel
    routes (metric 256, ``pref medium``) included. Everything follows from the model."""
    return {(r.dst, r.dev, r.via, r.proto, r.scope, r.prefsrc, r.metric,
             r.family, r.pref) for r in node.routes}


def addrs(node: NodeState) -> set[tuple[Any, ...]]:
    """(ifname, cidr, family, scope, flags), both families, after autoconfiguration settled:
    link-local addresses (EUI-64 of the MAC by default), ``::1`` on lo, and the flag words
    ``ip -j addr`` prints (``tentative`` left only where DAD cannot finish, ``dadfailed``
    on a duplicate)."""
    return {(a.ifname, a.cidr, a.family, a.scope, a.flags) for a in node.addrs}


ASPECTS = {"links": links, "fdb": fdb, "neighbours": neighbours, "routes": routes,
           "addrs": addrs}


def normalize(state: LabState) -> dict[str, dict[str, set[tuple[Any, ...]]]]:
    """aspect -> node -> normalised set."""
    return {aspect: {name: fn(node) for name, node in sorted(state.nodes.items())}
            for aspect, fn in ASPECTS.items()}


def differences(sim: LabState, linux: LabState, aspect: str) -> list[str]:
    """Human-readable differences of one aspect (empty: they agree)."""
    a, b = normalize(sim)[aspect], normalize(linux)[aspect]
    out = []
    for node in sorted(set(a) | set(b)):
        only_sim = a.get(node, set()) - b.get(node, set())
        only_kernel = b.get(node, set()) - a.get(node, set())
        for x in sorted(only_kernel, key=repr):
            out.append(f"{aspect} {node}: kernel has {x}, emulator not")
        for x in sorted(only_sim, key=repr):
            out.append(f"{aspect} {node}: emulator has {x}, kernel not")
    return out
