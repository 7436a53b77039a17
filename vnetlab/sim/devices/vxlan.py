"""VXLAN (drivers/net/vxlan/vxlan_core.c, RFC 7348).

Design note
-----------
The device keeps its own FDB of inner MAC → remote VTEP(s), separate from any bridge it
is a port of (``bridge fdb show dev vxlan0`` shows it with ``self``):

* ``remote IP`` or ``group IP`` installs the all-zeros default entry; ``bridge fdb append
  00:00:00:00:00:00 dev vxlan0 dst IP`` adds more default destinations: broadcast, unknown
  unicast and multicast frames are sent once to each (head-end replication);
* ``vxlan_xmit``: a known MAC goes to its VTEP; otherwise to the default destinations;
  no default → dropped (tx_dropped);
* ``vxlan_rcv``: the I flag must be set and the VNI must belong to a device on that port;
  a frame carrying the device's own MAC as source is a loop and dropped; with learning on
  (the default), ``vxlan_snoop`` records or moves inner source MAC → outer source IP;
  learned entries age out after 300 s, static ones never.
* ``group``: the device joins the multicast group on its ``dev``; frames to the group
  leave with TTL 1 unless ``ttl`` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Unpack

from vnetlab.model.spec import VxlanSpec
from vnetlab.sim.devices.udp_tunnel import LEARNED_AGEING, TunnelArgs, TunnelSocket, UdpTunnelDevice
from vnetlab.sim.netdev import Skb
from vnetlab.sim.stack.addr import ip_int, ip_str
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.errors import ParseError
from vnetlab.wire.mac import mac_to_bytes, mac_to_str
from vnetlab.wire.vxlan import VXLAN_HEADROOM, VxlanHeader

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

ZERO_MAC = b"\x00" * 6


@dataclass(slots=True)
class VxlanFdbEntry:
    remotes: list[int]
    static: bool
    updated: int


class VxlanDevice(UdpTunnelDevice):
    kind = "vxlan"
    headroom = VXLAN_HEADROOM
    __slots__ = ("fdb", "learning", "group")

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int, *,
                 learning: bool = True, group: int | None = None,
                 **kw: Unpack[TunnelArgs]) -> None:
        super().__init__(ns, name, mac, mtu, **kw)
        self.fdb: dict[bytes, VxlanFdbEntry] = {}
        self.learning = learning
        self.group = group
        default = self.remote if self.remote is not None else group
        if default is not None:
            self.fdb[ZERO_MAC] = VxlanFdbEntry([default], True, 0)
        if group is not None:
            self.ns.stack.mc_groups.add(group)

    def uninit(self) -> None:
        """The socket goes (``UdpTunnelDevice.uninit``) and the group is left."""
        super().uninit()
        if self.group is not None:
            self.ns.stack.mc_groups.discard(self.group)

    def fdb_append(self, mac: bytes, dst: int) -> None:
        """``bridge fdb append MAC dev VXLAN dst IP`` (static)."""
        e = self.fdb.get(mac)
        if e is None:
            self.fdb[mac] = VxlanFdbEntry([dst], True, self.sched.now)
        elif dst not in e.remotes:
            e.remotes.append(dst)
            e.static = True

    def _lookup(self, mac: bytes) -> VxlanFdbEntry | None:
        e = self.fdb.get(mac)
        if e is not None and not e.static and e.updated + LEARNED_AGEING <= self.sched.now:
            del self.fdb[mac]  # vxlan_cleanup would have removed it by now
            return None
        return e

    def live_entries(self) -> list[tuple[bytes, VxlanFdbEntry]]:
        now = self.sched.now
        return [(m, e) for m, e in self.fdb.items()
                if e.static or e.updated + LEARNED_AGEING > now]

    def encap_header(self, frame: bytes) -> bytes:
        return VxlanHeader(self.vni).emit(frame)

    def xmit(self, skb: Skb) -> None:
        """``vxlan_xmit``: pick the VTEP(s) for the destination MAC and encapsulate."""
        trace = skb.trace
        if not self.admin_up:
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "vxlan device is down", DropReason.DEV_READY)
            return
        dst_mac = skb.data[0:6]
        e = None if dst_mac[0] & 1 else self._lookup(dst_mac)
        if e is not None:
            if trace is not None:
                vteps = ", ".join(ip_str(r) for r in e.remotes)
                trace.add(self.where, f"vxlan fdb: {mac_to_str(dst_mac)} is behind {vteps}",
                          EventKind.DECISION)
        else:
            e = self.fdb.get(ZERO_MAC)
            if e is None:
                self.tx_dropped += 1
                if trace is not None:
                    trace.drop(self.where, f"no vxlan fdb entry for {mac_to_str(dst_mac)} and "
                               "no default destination (remote, group or 00:00:00:00:00:00)",
                               DropReason.VXLAN_NO_REMOTE)
                return
            if trace is not None:
                why = "broadcast/multicast" if dst_mac[0] & 1 else f"{mac_to_str(dst_mac)} unknown"
                vteps = ", ".join(ip_str(r) for r in e.remotes)
                how = " (head-end replication)" if len(e.remotes) > 1 else ""
                trace.add(self.where, f"vxlan fdb: {why} -> default destinations {vteps}{how}",
                          EventKind.DECISION)
        remotes = e.remotes
        if len(remotes) == 1:
            self.xmit_one(skb, remotes[0], trace)
            return
        for r in remotes:
            t = None if trace is None else trace.branch(f"copy to VTEP {ip_str(r)}")
            self.xmit_one(Skb(skb.data, t), r, t)

    def encap_rcv(
        self, sock: TunnelSocket, src: IPv4Address, dst: IPv4Address, data: bytes,
        trace: TraceNode | None,
    ) -> None:
        """``vxlan_rcv`` on the port's socket: VNI demux, snoop, deliver the inner frame."""
        try:
            hdr, inner = VxlanHeader.parse(data)
        except ParseError as e:
            if trace is not None:
                trace.drop(f"{sock.ns.name}:udp/{sock.port}", f"malformed VXLAN: {e}",
                           DropReason.VXLAN_INVALID_HDR)
            return
        dev = sock.devices.get(hdr.vni)
        where = f"{sock.ns.name}:udp/{sock.port}"
        if not hdr.valid_vni or not isinstance(dev, VxlanDevice):
            if trace is not None:
                trace.drop(where, f"no vxlan device for VNI {hdr.vni} on port {sock.port}",
                           DropReason.VXLAN_VNI_NOT_FOUND)
            return
        if not dev.admin_up:
            dev.rx_dropped += 1
            if trace is not None:
                trace.drop(dev.where, "vxlan device is down", DropReason.DEV_READY)
            return
        src_mac = inner[6:12]
        if src_mac == dev.mac:
            dev.rx_dropped += 1
            if trace is not None:
                trace.drop(dev.where, "inner source MAC is our own: looped packet",
                           DropReason.LOCAL_MAC)
            return
        if trace is not None:
            trace.add(dev.where, f"decap vni {hdr.vni} from {src}, inner {len(inner)} bytes",
                      EventKind.DECAP)
        if dev.learning and not src_mac[0] & 1 and dev.snoop(src_mac, int(src), trace):
            dev.rx_dropped += 1
            return
        dev.deliver_inner(inner, trace)

    def snoop(self, mac: bytes, vtep: int, trace: TraceNode | None) -> bool:
        """``vxlan_snoop``: learn or move the inner source MAC to the outer source.

        True: drop the packet — a static entry names another VTEP for this MAC (static
        entries are never migrated; the packet is treated as spoofed)."""
        e = self.fdb.get(mac)
        now = self.sched.now
        if e is None:
            self.fdb[mac] = VxlanFdbEntry([vtep], False, now)
            if trace is not None:
                trace.add(self.where, f"learned {mac_to_str(mac)} -> {ip_str(vtep)}",
                          EventKind.LEARN)
            return False
        if e.remotes[0] == vtep:
            if not e.static:
                e.updated = now
            return False
        if e.static:
            if trace is not None:
                trace.drop(self.where, f"{mac_to_str(mac)} is statically behind "
                           f"{ip_str(e.remotes[0])}, not {ip_str(vtep)}: dropped",
                           DropReason.VXLAN_ENTRY_EXISTS)
            return True
        e.remotes = [vtep]
        e.updated = now
        if trace is not None:
            trace.add(self.where, f"{mac_to_str(mac)} moved to {ip_str(vtep)}", EventKind.LEARN)
        return False


def newlink(ns: Namespace, name: str, spec: VxlanSpec, lower: Lower) -> VxlanDevice:
    """``vxlan_newlink`` (``vxlan_nl2conf``), then the lab's static FDB (``vxlan_fdb_add``)."""
    dev = VxlanDevice(
        ns, name, mac_to_bytes(spec.mac or ""), spec.mtu or 1500,
        vni=spec.id, dstport=spec.dstport,
        remote=ip_int(spec.remote) if spec.remote is not None else None,
        local=ip_int(spec.local) if spec.local is not None else None,
        lower=lower(spec.dev) if spec.dev else None,
        ttl=spec.ttl, df=spec.df, learning=spec.learning,
        group=ip_int(spec.group) if spec.group is not None else None,
    )
    for e in spec.fdb:
        dev.fdb_append(mac_to_bytes(e.mac), ip_int(e.dst))
    return dev
