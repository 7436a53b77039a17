"""VLAN001: a VLAN allowed tagged on one end of a trunk only.

Design note: a trunk is a veth pair whose two ends both speak 802.1Q: a port of a
VLAN-filtering bridge (its ``bridge_port.vlans``, or the bridge's ``default_pvid``
untagged when it lists none, as Linux gives a new port) or a device with VLAN
subinterfaces (``type: vlan, link: END``). An end *sends* tagged the VIDs it has without
``untagged`` (or its subinterfaces' ids) and *accepts* tagged every VID it lists
(``br_allowed_ingress``: a VID not in the port's list is dropped). A VID one end sends
tagged that the other does not accept is lost. An end that is neither (a plain host
interface) is an access end, not a trunk, and is not compared.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.lint.view import LabView
from vnetlab.model.order import Key
from vnetlab.model.spec import BridgeSpec, VlanSpec


def _end(v: LabView, key: Key) -> tuple[set[int], set[int], tuple[object, ...]] | None:
    """(sent tagged, accepted tagged, YAML path) of a VLAN-aware link end, else None."""
    n, i = key
    spec = v.spec(key)
    if spec is None:
        return None
    br = v.full[n].get(spec.master) if spec.master else None
    if isinstance(br, BridgeSpec) and br.vlan_filtering:
        bp = spec.bridge_port
        if bp is None or bp.vlans is None:
            pvid = br.default_pvid
            return set(), ({pvid} if pvid else set()), v.seg(key)
        # a VID no other port of the bridge (nor the bridge itself) has carries nothing
        used = {vid for port in v.ports((n, spec.master or "")) if port != i
                for vid in _port_vids(v, (n, port), br)}
        used |= {vid for x in (br.vlans or []) for vid in x.vids}
        sent = {vid for x in bp.vlans if not x.untagged for vid in x.vids} & used
        acc = {vid for x in bp.vlans for vid in x.vids}
        return sent, acc, (*v.seg(key), "bridge_port", "vlans")
    subs = [(name, s) for name, s in v.full[n].items()
            if isinstance(s, VlanSpec) and s.link == i]
    if subs:
        ids = {s.id for _, s in subs}
        return ids, ids, v.seg((n, subs[0][0]))
    return None


def _port_vids(v: LabView, key: Key, br: BridgeSpec) -> set[int]:
    spec = v.spec(key)
    bp = spec.bridge_port if spec is not None else None
    if bp is None or bp.vlans is None:
        return {br.default_pvid} if br.default_pvid else set()
    return {vid for x in bp.vlans for vid in x.vids}


def _vids(vids: set[int]) -> str:
    return ", ".join(str(x) for x in sorted(vids)[:10]) + (" ..." if len(vids) > 10 else "")


def check(ctx: Context) -> None:
    v = ctx.view
    for link in ctx.lab.links:
        a, b = ((ep.node, ep.ifname) for ep in link.endpoints)
        ea, eb = _end(v, a), _end(v, b)
        if ea is None or eb is None:
            continue
        for (x, ex), (y, ey) in (((a, ea), (b, eb)), ((b, eb), (a, ea))):
            lost = ex[0] - ey[1]
            if lost:
                ctx.add("VLAN001", ex[2],
                        f"{x[0]}:{x[1]} sends VLAN {_vids(lost)} tagged, but the other end "
                        f"of the trunk, {y[0]}:{y[1]}, does not allow it: those frames are "
                        "dropped there",
                        f"allow VLAN {_vids(lost)} on {y[0]}:{y[1]} too, or remove it here")
