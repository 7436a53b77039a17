"""VXLAN001: VTEPs that point at each other but disagree on VNI, UDP port or group.

Design note: two VXLAN (or Geneve) devices on different nodes whose ``remote`` (or
``fdb`` destination) is an address of the other's node form a tunnel only when kind, VNI
(``id``) and ``dstport`` agree: ``vxlan_rcv`` looks the VNI up in the socket bound to the
receiving port, and a packet for an unknown VNI or port is dropped. Multicast VTEPs on one
underlay segment that use the same VNI and port but different ``group`` never hear each
other's flooding. Each mismatched pair is reported once, on the device listed first.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.lint.view import same_segment
from vnetlab.model.spec import TunnelSpec, VxlanSpec


def _diff(a: TunnelSpec, b: TunnelSpec) -> str:
    out = []
    if a.type != b.type:
        out.append(f"kind {a.type} vs {b.type}")
    if a.id != b.id:
        out.append(f"VNI {a.id} vs {b.id}")
    pa, pb = getattr(a, "dstport", 0), getattr(b, "dstport", 0)
    if pa != pb:
        out.append(f"dstport {pa} vs {pb}")
    return ", ".join(out)


def check(ctx: Context) -> None:
    v = ctx.view
    tun = v.tunnels()
    seen: set[frozenset[tuple[str, str]]] = set()
    for ka, a in tun:
        for kb, b in tun:
            if ka[0] == kb[0] or frozenset((ka, kb)) in seen:
                continue
            if not (v.points_at((ka, a), kb[0]) and v.points_at((kb, b), ka[0])):
                continue
            # a node may have several tunnels toward the same peer: only complain when
            # none of a's matches any tunnel of b's node pointing back
            if any(same_segment(a, s) and v.points_at((k, s), ka[0])
                   for k, s in tun if k[0] == kb[0]):
                continue
            seen.add(frozenset((ka, kb)))
            ctx.add("VXLAN001", v.seg(ka),
                    f"{ka[0]}:{ka[1]} and {kb[0]}:{kb[1]} point at each other but disagree: "
                    f"{_diff(a, b)}; neither decapsulates the other's packets",
                    f"give both the same id and dstport (e.g. id: {a.id}, dstport: "
                    f"{getattr(a, 'dstport', '')})")
    groups = [(k, s) for k, s in tun if isinstance(s, VxlanSpec) and s.group is not None
              and s.dev is not None]
    for i, (ka, a) in enumerate(groups):
        for kb, b in groups[i + 1:]:
            assert isinstance(a, VxlanSpec) and isinstance(b, VxlanSpec)
            if (ka[0] == kb[0] or not same_segment(a, b) or a.group == b.group
                    or a.dev is None or b.dev is None
                    or v.domain((ka[0], a.dev)) != v.domain((kb[0], b.dev))):
                continue
            ctx.add("VXLAN001", (*v.seg(kb), "group"),
                    f"{ka[0]}:{ka[1]} and {kb[0]}:{kb[1]} carry VNI {a.id} on one underlay "
                    f"segment but join different groups ({a.group} vs {b.group}): neither "
                    "hears the other's broadcast and unknown unicast",
                    f"use group: {a.group} on both")
