"""The datapath: ports with datapath numbers and a megaflow cache (lib/dpif-netdev.c).

Design note
-----------
One ``Dpif`` per datapath type of a vswitchd (``netdev@ovs-netdev``), shared by all its
bridges, as in OVS. Port 0 is the datapath's own internal port (``ovs-netdev``); others get
the lowest free number, except under ``dummy`` numbering (ovs-vswitchd
``--enable-dummy``, the differential tests' oracle), where ``choose_port`` takes the
number in the port's name and starts bridge ports (``br...``) at 100.

The megaflow cache is ``dpcls``: one subtable per mask, each a dict from the masked key
(a tuple of the masked field values) to the flow. A packet's key is looked up in every
subtable until one hits; megaflows of OVS do not overlap, so the order only matters for
speed. A miss is an *upcall*: the handler (the vswitchd's ``udpif``) translates the key and
returns the actions and the wildcards, which become a new megaflow; the packet is executed
either way. Flows unused for ``max_idle`` seconds of virtual time are removed by
``expire`` (the revalidator's ``max-idle``, 10 s by default).

Keys are the ``vnetlab.openflow`` flow keys (``dict[str, int]``, absent = 0) with
``in_port`` being the *datapath* port number, as in a datapath flow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vnetlab.sim.ovs.odp import OdpAction

Key = dict[str, int]
Mask = tuple[tuple[str, int], ...]

MAX_IDLE_S = 10.0
ODPP_NONE = 0xFFFFFFFF


@dataclass(slots=True)
class DpPort:
    port_no: int
    name: str
    type: str  # "internal", "system", "tap", "vxlan", "geneve", "dummy-internal" ...
    #: hands an skb the datapath outputs to this port (``netdev_send``)
    send: Callable[[Any], None]


@dataclass(slots=True, eq=False)
class DpFlow:
    """``struct dp_netdev_flow``: a megaflow."""

    key: Key  # the upcalled packet's full key (revalidation re-translates it)
    mask: Mask
    actions: tuple[OdpAction, ...]
    created: float
    used: float | None = None
    n_packets: int = 0
    n_bytes: int = 0
    #: what a hit must also do (``xlate_cache``): rule stats, MAC refreshes
    xcache: list[Callable[[int, float], None]] = field(default_factory=list)

    def masked_values(self) -> tuple[int, ...]:
        return tuple(self.key.get(f, 0) & m for f, m in self.mask)


@dataclass(slots=True)
class Upcall:
    """What translating a missed packet gave: actions, wildcards, side effects."""

    actions: tuple[OdpAction, ...]
    wc: dict[str, int]
    xcache: list[Callable[[int, float], None]]
    install: bool = True


def mask_of(wc: dict[str, int]) -> Mask:
    """Wildcards as a canonical mask (fields with no bits dropped, sorted)."""
    return tuple(sorted((f, m) for f, m in wc.items() if m))


class Dpif:
    """``struct dp_netdev``."""

    def __init__(self, name: str = "ovs-netdev", dp_type: str = "netdev",
                 dummy_numbering: bool = False) -> None:
        self.name = name
        self.dp_type = dp_type
        self.dummy_numbering = dummy_numbering
        self.ports: dict[int, DpPort] = {}
        self.subtables: dict[Mask, dict[tuple[int, ...], DpFlow]] = {}
        self.n_hit = 0
        self.n_missed = 0
        self.n_lost = 0
        self.upcall: Callable[[Key, bytes, Any], Upcall] | None = None
        self.add_port("ovs-netdev" if dp_type == "netdev" else name,
                      "dummy-internal" if dummy_numbering else "internal",
                      lambda skb: None, port_no=0)

    # -- ports ------------------------------------------------------------------------
    def choose_port(self, name: str) -> int:
        """``choose_port`` of dpif-netdev."""
        if self.dummy_numbering:
            # the number in the name, plus 100 for "br..." names (tests stay predictable)
            m = re.search(r"[0-9]+", name)
            if m is not None:
                n = (100 if name.startswith("br") else 0) + int(m.group())
                if 0 < n < ODPP_NONE and n not in self.ports:
                    return n
        n = 1
        while n in self.ports:
            n += 1
        return n

    def add_port(self, name: str, type_: str, send: Callable[[Any], None],
                 port_no: int | None = None) -> DpPort:
        if port_no is None:
            port_no = self.choose_port(name)
        port = DpPort(port_no, name, type_, send)
        self.ports[port_no] = port
        return port

    def del_port(self, port_no: int) -> None:
        self.ports.pop(port_no, None)
        self.flush()  # flows naming the port are gone with it (simplest correct answer)

    def port_by_name(self, name: str) -> DpPort | None:
        for p in self.ports.values():
            if p.name == name:
                return p
        return None

    # -- flows ------------------------------------------------------------------------
    def lookup(self, key: Key) -> DpFlow | None:
        """``dpcls_lookup``: one dict probe per subtable."""
        for mask, table in self.subtables.items():
            flow = table.get(tuple([key.get(f, 0) & m for f, m in mask]))
            if flow is not None:
                return flow
        return None

    def flow_put(self, flow: DpFlow) -> None:
        self.subtables.setdefault(flow.mask, {})[flow.masked_values()] = flow

    def flow_del(self, flow: DpFlow) -> None:
        table = self.subtables.get(flow.mask)
        if table is not None:
            table.pop(flow.masked_values(), None)
            if not table:
                del self.subtables[flow.mask]

    def flows(self) -> list[DpFlow]:
        return [f for t in self.subtables.values() for f in t.values()]

    def flush(self) -> None:
        """``dpctl/del-flows``."""
        self.subtables.clear()

    def expire(self, now: float, max_idle: float = MAX_IDLE_S) -> None:
        """The revalidator's idle sweep."""
        for flow in self.flows():
            last = flow.used if flow.used is not None else flow.created
            if now - last >= max_idle:
                self.flow_del(flow)

    # -- packets ------------------------------------------------------------------------
    def receive(self, key: Key, frame: bytes, now: float, trace: Any = None) -> \
            tuple[tuple[OdpAction, ...], DpFlow | None]:
        """``dp_netdev_input``: look the key up; on a miss upcall and install. Returns the
        actions to execute and the flow that matched (None: the packet was upcalled)."""
        flow = self.lookup(key)
        if flow is not None:
            self.n_hit += 1
            flow.n_packets += 1
            flow.n_bytes += len(frame)
            flow.used = now
            for fn in flow.xcache:
                fn(len(frame), now)
            return flow.actions, flow
        self.n_missed += 1
        if self.upcall is None:
            self.n_lost += 1
            return (), None
        up = self.upcall(key, frame, trace)
        if up.install:
            wc = dict(up.wc)
            wc["in_port"] = 0xFFFFFFFF  # a datapath flow always matches its in_port
            wc["recirc_id"] = 0xFFFFFFFF
            # the upcalled packet is executed on its own: the new flow starts at 0
            new = DpFlow(dict(key), mask_of(wc), up.actions, now, None, 0, 0, up.xcache)
            self.flow_put(new)
        return up.actions, None
