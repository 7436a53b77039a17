"""MTU001: the overlay MTU budget along the underlay's actual path.

Design note
-----------
For each VXLAN/Geneve device: the *inner* size is the largest packet that enters it — its
own MTU, or, when it is a bridge port, the largest MTU among the bridge's other ports and
the devices behind them (the bridge hands it their frames; a frame bigger than the
tunnel's MTU is dropped by ``br_dev_queue_push_xmit``/``is_skb_forwardable``, and one that
fits the tunnel but not the underlay is fragmented or dropped outside). The *overhead* is
``vnetlab.model.tunnels``' headroom (VXLAN 50, Geneve 50 + options) plus 4 bytes per 802.1Q
tag the overlay carries (a VLAN subinterface on the tunnel, or tagged VLANs on it as a
port of a VLAN-filtering bridge). The *path MTU* is the smallest MTU of the devices the
outer packet leaves or enters on its way to the remote VTEP: routed node by node
(``LabView.walk``), and inside each L2 segment along the wires (bridges forward by their
ports' MTU, so the bridge device itself does not count). ``vxlan_config_apply`` already
refuses an explicit MTU above dev's minus 50 when the tunnel names ``dev``; this rule also
covers unbound tunnels, Geneve options, smaller MTUs further along the path and bridged
senders.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from vnetlab.lint.context import Context
from vnetlab.lint.view import LabView
from vnetlab.model.order import Key
from vnetlab.model.spec import BridgeSpec, GeneveSpec, TunnelSpec, VlanSpec, VxlanSpec
from vnetlab.model.tunnels import VXLAN_HEADROOM, geneve_headroom

VLAN_HLEN = 4


def _name(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


def path_mtu(v: LabView, node: str, spec: TunnelSpec) -> tuple[int, Key] | None:
    """The smallest MTU (and its device) on the way to the tunnel's remote VTEP."""
    if isinstance(spec, VxlanSpec) and spec.group is not None and spec.dev is not None:
        key = (node, spec.dev)
        return v.mtu(key), key
    remotes = v.remotes(spec)
    if not remotes:
        return None
    return _walk_mtu(v, node, remotes[0], getattr(spec, "dev", None))


def _walk_mtu(v: LabView, node: str, dst: IPv4Address, dev: str | None) -> tuple[int, Key] | None:
    w = v.walk(node, dst)
    if not w.hops:
        if dev is not None:
            return v.mtu((node, dev)), (node, dev)
        return None
    best: tuple[int, Key] | None = None
    for hop in w.hops:
        keys: list[Key] = [(hop.node, hop.dev)]
        if hop.to is not None:
            path = v.l2_path((hop.node, hop.dev), hop.to)
            keys = path if path is not None else [(hop.node, hop.dev), hop.to]
        for k in keys:
            if v.is_switch(k) and k != keys[0] and k != keys[-1]:
                continue
            m = v.mtu(k)
            if best is None or m < best[0]:
                best = (m, k)
    return best


def _tags(v: LabView, key: Key, spec: TunnelSpec) -> int:
    """802.1Q tags the overlay carries: a vlan device on the tunnel, or tagged VLANs on it
    as a port of a VLAN-filtering bridge."""
    n = key[0]
    for other in v.full[n].values():
        if isinstance(other, VlanSpec) and other.link == key[1]:
            return 1
    br = v.full[n].get(spec.master) if spec.master else None
    bp = spec.bridge_port
    if isinstance(br, BridgeSpec) and br.vlan_filtering and bp is not None and bp.vlans:
        if any(not x.untagged for x in bp.vlans):
            return 1
    return 0


def _senders(v: LabView, key: Key, spec: TunnelSpec) -> tuple[int, Key]:
    """The largest MTU that feeds the tunnel: itself, or a bridge's other ports and the
    devices at their far ends."""
    best = (v.mtu(key), key)
    if spec.master is None or not isinstance(v.full[key[0]].get(spec.master), BridgeSpec):
        return best
    br = (key[0], spec.master)
    # (size that enters, the device that sends it): a frame from a veth peer is limited
    # by both ends (the port's receive path checks its own MTU, dev_forward_skb)
    cands: list[tuple[int, Key]] = []
    spec_br = v.spec(br)
    if spec_br is not None and spec_br.addresses:
        cands.append((v.mtu(br), br))
    for port in v.ports(br):
        pk = (key[0], port)
        if pk == key or isinstance(v.spec(pk), TunnelSpec):
            continue
        far = v.peer.get(pk)
        if far is None:
            cands.append((v.mtu(pk), pk))
        else:
            cands.append((min(v.mtu(pk), v.mtu(far)), far))
    for size, who in cands:
        if size > best[0]:
            best = (size, who)
    return best


def check(ctx: Context) -> None:
    v = ctx.view
    for key, spec in v.tunnels():
        found = path_mtu(v, key[0], spec)
        if found is None:
            continue
        pmtu, at = found
        head = geneve_headroom(spec) if isinstance(spec, GeneveSpec) else VXLAN_HEADROOM
        tags = _tags(v, key, spec)
        overhead = head + VLAN_HLEN * tags
        inner, sender = _senders(v, key, spec)
        if inner + overhead <= pmtu:
            continue
        what = f"{spec.type} {_name(key)}"
        frm = (f"carries packets of up to {inner} bytes" if sender == key else
               f"is fed {inner}-byte frames by {_name(sender)} through bridge {spec.master}")
        parts = f"{head} bytes of {spec.type} encapsulation" + (" and options" if
                                                    isinstance(spec, GeneveSpec) and
                                                    spec.options else "")
        if tags:
            parts += f" + {VLAN_HLEN} of 802.1Q tag"
        segs = v.seg(key)
        if spec.mtu is not None and sender == key and "mtu" in _given(ctx, segs):
            segs = (*segs, "mtu")
        ctx.add("MTU001", segs,
                f"{what} {frm}; with {parts} that is {inner + overhead} bytes, but the "
                f"underlay path to the remote VTEP has MTU {pmtu} (at {_name(at)})",
                f"set mtu: {max(pmtu - overhead, 68)} on {key[1]}"
                + (f" and on what feeds it ({_name(sender)})" if sender != key else "")
                + f", or raise the underlay MTU to at least {inner + overhead}")


def _given(ctx: Context, segs: tuple[object, ...]) -> set[str]:
    """The keys the YAML gives under ``segs`` (by the loader's line map)."""
    from vnetlab.model.errors import format_path

    prefix = format_path(segs) + "."
    return {p[len(prefix):] for p in ctx.lines if p.startswith(prefix)}
