"""Forwarding database (net/bridge/br_fdb.c).

Design note
-----------
Entries are keyed by MAC bytes (VLAN 0), or, for a VLAN, by ``fdb_key(mac, vid)`` = the MAC
followed by the 2-byte VID (``br_fdb_find``'s (addr, vid) key): a bridge that filters VLANs
learns and looks up (MAC, VID) pairs, so one MAC can sit behind different ports in different
VLANs; a bridge that does not filter uses VID 0 keys only, exactly as before. ``local`` entries are
the bridge's and its ports' own addresses (``permanent`` in ``bridge fdb show``): frames to
them go up the stack. ``static`` entries never age; learning still moves them to the port
a MAC shows up on (only "sticky" entries, not modelled, stay put), as ``br_fdb_update``
does. Learned
entries record ``updated``; ageing follows ``br_fdb_cleanup``: one timer armed for the
earliest expiry, which deletes every entry with ``updated + ageing_time <= now`` and re-arms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.trace import EventKind
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.devices.bridge.port import BridgePort
    from vnetlab.sim.trace import TraceNode


def fdb_key(mac: bytes, vid: int) -> bytes:
    """The FDB key of (MAC, VID): the bare MAC for VID 0, else MAC + 2-byte VID."""
    return mac + vid.to_bytes(2, "big") if vid else mac


class FdbEntry:
    __slots__ = ("mac", "port", "updated", "local", "static", "vid")

    def __init__(
        self,
        mac: bytes,
        port: BridgePort | None,
        updated: int,
        *,
        local: bool,
        static: bool,
        vid: int = 0,
    ) -> None:
        self.mac = mac
        self.port = port  # None: the bridge device's own address
        self.updated = updated
        self.local = local
        self.static = static
        self.vid = vid  # 0: no VLAN (a bridge without vlan_filtering)

    def __repr__(self) -> str:
        where = self.port.name if self.port else "self"
        vlan = f" vlan {self.vid}" if self.vid else ""
        return f"<fdb {mac_to_str(self.mac)}{vlan} {where}>"


def fdb_insert_local(br: BridgeDevice, mac: bytes, port: BridgePort | None, vid: int = 0) -> None:
    """``br_fdb_add_local``/``fdb_add_local``: an address of the bridge or a port."""
    br.fdb[fdb_key(mac, vid)] = FdbEntry(mac, port, br.sched.now, local=True, static=True, vid=vid)


def fdb_delete_local(br: BridgeDevice, mac: bytes, port: BridgePort | None, vid: int) -> None:
    """``br_fdb_find_delete_local``: a VLAN left the port (or the bridge)."""
    key = fdb_key(mac, vid)
    e = br.fdb.get(key)
    if e is not None and e.local and e.port is port:
        del br.fdb[key]


def fdb_add_static(br: BridgeDevice, mac: bytes, port: BridgePort, vid: int = 0) -> None:
    """``bridge fdb add MAC dev PORT master static [vlan VID]`` (``br_fdb_add``)."""
    br.fdb[fdb_key(mac, vid)] = FdbEntry(
        mac, port, br.sched.now, local=False, static=True, vid=vid
    )


def fdb_delete_by_port(br: BridgeDevice, port: BridgePort) -> None:
    """``br_fdb_delete_by_port``: a port leaves; its dynamic and local entries go."""
    for mac in [m for m, e in br.fdb.items() if e.port is port]:
        del br.fdb[mac]


def fdb_flush_dynamic_port(br: BridgeDevice, port: BridgePort) -> None:
    """Port disabled (``br_stp_disable_port`` → ``br_fdb_delete_by_port(.., 0)``)."""
    for mac in [m for m, e in br.fdb.items() if e.port is port and not e.static]:
        del br.fdb[mac]


def fdb_arm_cleanup(br: BridgeDevice, expires: int) -> None:
    if br.gc_at is None or expires < br.gc_at:
        br.gc_at = expires
        br.sched.at(expires, br.fdb_cleanup, expires)


def fdb_cleanup(br: BridgeDevice, armed_for: int) -> None:
    """``br_fdb_cleanup``: delete expired learned entries, re-arm for the next expiry."""
    if br.gc_at != armed_for:
        return  # superseded by an earlier arming
    br.gc_at = None
    now = br.sched.now
    hold = br.hold_time()
    nxt: int | None = None
    dead = []
    for mac, e in br.fdb.items():
        if e.static:
            continue
        expires = e.updated + hold
        if expires <= now:
            dead.append(mac)
        elif nxt is None or expires < nxt:
            nxt = expires
    for mac in dead:
        del br.fdb[mac]
    if nxt is not None:
        fdb_arm_cleanup(br, nxt)


ZERO_MAC = b"\x00" * 6


def invalid_source(src: bytes) -> str | None:
    """``is_valid_ether_addr`` on the source: multicast or all-zeros is refused."""
    if src[0] & 1:
        return "source MAC is multicast (not a valid Ethernet address)"
    if src == ZERO_MAC:
        return "source MAC is all zeros (not a valid Ethernet address)"
    return None


def br_fdb_update(
    br: BridgeDevice, port: BridgePort, src: bytes, vid: int, trace: TraceNode | None
) -> None:
    """``br_fdb_update``: learn SRC on PORT; move any non-local entry (static ones too)."""
    key = fdb_key(src, vid)
    e = br.fdb.get(key)
    now = br.sched.now
    on_vlan = f" vlan {vid}" if vid else ""
    if e is None:
        br.fdb[key] = FdbEntry(src, port, now, local=False, static=False, vid=vid)
        fdb_arm_cleanup(br, now + br.hold_time())
        if trace is not None:
            trace.add(br.where, f"learned {mac_to_str(src)}{on_vlan} on port {port.name}",
                      EventKind.LEARN)
    elif not e.local:
        if e.port is not port:
            if trace is not None:
                old = e.port.name if e.port else "self"
                trace.add(br.where, f"{mac_to_str(src)}{on_vlan} moved from {old} to {port.name}",
                          EventKind.LEARN)
            e.port = port
            guard = br.storm  # flapping: the storm guard counts it, its report names the MACs
            guard.moves[src] = guard.moves.get(src, 0) + 1
            guard.window_moves += 1
        e.updated = now
    elif e.port is not port:
        # "received packet on PORT with own address as source address": an own frame came
        # back, which is what a loop does; the storm guard counts it as flapping
        guard = br.storm
        guard.moves[src] = guard.moves.get(src, 0) + 1
        guard.window_moves += 1
