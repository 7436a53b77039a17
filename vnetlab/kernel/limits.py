"""Host limits a lab can hit: the kernel's IPv4 neighbour (ARP) table size.

Design note
-----------
``arp_tbl`` is one table for the whole host (``net/core/neighbour.c``): entries of every
namespace count against ``net.ipv4.neigh.default.gc_thresh3``, which is settable only from
the root namespace. At that size ``neigh_alloc`` first runs ``neigh_forced_gc``, which can
only drop entries unused for 5 s; when it frees nothing the new entry is refused
("neighbour table overflow") and the ping that needed it fails — a *wrong* reachability
verdict, not a lab bug. (``gc_thresh2`` only makes the periodic gc aggressive.)

So before the checks run we estimate the entries their pings create, by walking each ping
through the model the way the kernel routes it (longest prefix match over connected and
static routes, ``fib_lookup``): every hop resolves its next hop (one entry in the sender's
namespace) and the next hop learns the sender from the ARP request (one entry in the
receiver's, ``arp_process``); the echo reply walks back the same way. If the lab's pings
need more than the budget, we say so, or split them into batches that fit, with the lab's
neighbour tables flushed between batches. We never change the global sysctls.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

from vnetlab.engine import EngineError
from vnetlab.model.spec import LabSpec

PROC_NEIGH = Path("/proc/sys/net/ipv4/neigh/default")
MAX_HOPS = 32
SAFETY_MARGIN = 16  # entries other users of the host (and the root namespace) may add meanwhile


class NeighbourTableTooSmall(EngineError):
    """The lab's pings would overflow the host's global neighbour table."""


@dataclass(frozen=True, slots=True)
class NeighLimits:
    gc_thresh1: int
    gc_thresh2: int
    gc_thresh3: int


def read_limits(base: Path = PROC_NEIGH) -> NeighLimits:
    """The host's thresholds (read only; only the root namespace can change them)."""
    vals = [int((base / f"gc_thresh{i}").read_text().split()[0]) for i in (1, 2, 3)]
    return NeighLimits(*vals)


def host_entries(stat: Path = Path("/proc/net/stat/arp_cache")) -> int:
    """Neighbour entries the whole host holds now, every namespace together: the number
    ``gc_thresh3`` limits (``tbl->entries``, the first column of ``arp_cache``, in hex;
    every per-CPU line repeats it). ``/proc/net/arp`` would show one namespace only."""
    try:
        lines = stat.read_text().splitlines()
        return int(lines[1].split()[0], 16) if len(lines) > 1 else 0
    except (OSError, ValueError, IndexError):
        return 0


@dataclass(frozen=True, slots=True)
class _Iface:
    node: str
    ifname: str
    iface: IPv4Interface


class _Topo:
    """Addresses and routes of the model, enough to follow a ping hop by hop."""

    def __init__(self, lab: LabSpec) -> None:
        self.lab = lab
        self.by_ip: dict[IPv4Address, _Iface] = {}
        self.ifaces: dict[str, list[_Iface]] = {}
        for node, spec in lab.nodes.items():
            for ifname, ispec in spec.interfaces.items():
                for a in ispec.addresses4:  # the limits reason about IPv4 only
                    i = _Iface(node, ifname, a)
                    self.by_ip.setdefault(a.ip, i)
                    self.ifaces.setdefault(node, []).append(i)

    def route(self, node: str, dst: IPv4Address) -> tuple[IPv4Address, _Iface | None] | None:
        """(next-hop address, our interface toward it) or None: no route."""
        best: tuple[int, IPv4Address, _Iface | None] | None = None
        for i in self.ifaces.get(node, []):
            if dst in i.iface.network and (best is None or i.iface.network.prefixlen > best[0]):
                best = (i.iface.network.prefixlen, dst, i)
        for r in self.lab.nodes[node].routes4:
            net: IPv4Network = r.network4
            if dst not in net or (best is not None and net.prefixlen <= best[0]):
                continue
            hop = r.via4 if r.via4 is not None else dst
            out = next((i for i in self.ifaces.get(node, []) if hop in i.iface.network), None)
            if out is None and r.dev is not None:
                out = next((i for i in self.ifaces.get(node, []) if i.ifname == r.dev), None)
            best = (net.prefixlen, hop, out)
        return None if best is None else (best[1], best[2])

    def forwards(self, node: str) -> bool:
        return self.lab.nodes[node].ip_forward


def _walk(topo: _Topo, src: str, dst: IPv4Address, entries: set[tuple[str, str]]) -> str | None:
    """Follow one direction; add the entries; return the node that owns ``dst`` (or None)."""
    node = src
    for _ in range(MAX_HOPS):
        owner = topo.by_ip.get(dst)
        if owner is not None and owner.node == node:
            return node  # local delivery
        hop = topo.route(node, dst)
        if hop is None:
            return None
        nexthop, out = hop
        entries.add((node, str(nexthop)))
        target = topo.by_ip.get(nexthop)
        if target is None:
            return None  # nobody answers ARP: an INCOMPLETE/FAILED entry, still counted
        if out is not None:
            entries.add((target.node, str(out.iface.ip)))
        if target.node != node and owner is not None and owner.node == target.node:
            return target.node
        if not topo.forwards(target.node):
            return None
        node = target.node
    return None


def neigh_entries(lab: LabSpec, pings: Iterable[tuple[str, IPv4Address]], *,
                  topo: _Topo | None = None) -> set[tuple[str, str]]:
    """(node, neighbour IP) entries the pings create, request and reply paths both
    (``topo``: the lab's, when the caller walks many pings one by one)."""
    topo = topo if topo is not None else _Topo(lab)
    entries: set[tuple[str, str]] = set()
    for src, dst in pings:
        dst = ipaddress.IPv4Address(dst)
        reached = _walk(topo, src, dst, entries)
        if reached is None or reached == src:
            continue
        first = topo.route(src, dst)
        if first is not None and first[1] is not None:
            _walk(topo, reached, first[1].iface.ip, entries)
    return entries


def budget(limits: NeighLimits | None = None, existing: int | None = None) -> int:
    lim = limits or read_limits()
    used = host_entries() if existing is None else existing
    return max(0, lim.gc_thresh3 - used - SAFETY_MARGIN)


def check_pings(
    lab: LabSpec,
    pings: Sequence[tuple[str, IPv4Address]],
    *,
    limits: NeighLimits | None = None,
    existing: int | None = None,
) -> int:
    """Raise ``NeighbourTableTooSmall`` when the pings, all at once, would not fit."""
    lim = limits or read_limits()
    need = len(neigh_entries(lab, pings))
    room = budget(lim, existing)
    if need > room:
        raise NeighbourTableTooSmall(
            f"lab {lab.name!r}: its {len(pings)} pings need about {need} IPv4 neighbour "
            f"entries, but the host's neighbour table holds {lim.gc_thresh3} in total "
            f"(net.ipv4.neigh.default.gc_thresh3, shared by every namespace; about {room} "
            "free): pings beyond that fail with 'neighbour table overflow' and would be "
            "reported unreachable although the lab is fine",
            hint="run the checks in batches (the linux engine can: flush between batches), "
            "or raise gc_thresh3 from the root namespace yourself, e.g. "
            f"`sysctl -w net.ipv4.neigh.default.gc_thresh3={max(need * 2, 2048)}`",
        )
    return need


def batches(
    lab: LabSpec,
    pings: Sequence[tuple[str, IPv4Address]],
    room: int,
) -> list[list[int]]:
    """Split ping indexes into consecutive batches whose entries each fit in ``room``.

    Raises ``NeighbourTableTooSmall`` if a single ping alone does not fit.
    """
    out: list[list[int]] = []
    cur: list[int] = []
    seen: set[tuple[str, str]] = set()
    topo = _Topo(lab)  # once: linear in the pings, not quadratic (N = 2,000 and more)
    for i, p in enumerate(pings):
        new = neigh_entries(lab, [p], topo=topo)
        if cur and len(seen) + len(new - seen) > room:
            out.append(cur)
            cur, seen = [], set()
        if len(new) > room:
            raise NeighbourTableTooSmall(
                f"one ping ({p[0]} -> {p[1]}) alone needs {len(new)} neighbour entries; "
                f"only {room} are free on this host"
            )
        cur.append(i)
        seen |= new
    if cur:
        out.append(cur)
    return out
