"""MACVLAN001: a check expects what the MACVLAN mode does not allow.

Design note: between children of one lower device (``macvlan_queue_xmit`` /
``macvlan_handle_frame``, drivers/net/macvlan.c): ``private`` never reaches another child,
even through a hairpinning switch; two ``bridge`` children talk directly; when ``vepa`` is
involved the frame goes out of the lower device and comes back only if the switch there
hairpins (the lower's peer is a bridge port with ``hairpin: true``). No mode lets a child
reach its lower device's own addresses (the lower does not see its children's frames) nor
the lower reach its children. A ping check is contradicted when its sender leaves by a
macvlan (or by the lower) and its destination is on a sibling (or the lower/child) on the
same lower device, and the mode says the opposite of ``expect``. Only "reachable when
impossible" and "unreachable between two bridge-mode children" are reported: other
unreachable expectations may have reasons lint does not see.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.lint.view import LabView
from vnetlab.model.checks import PingCheck
from vnetlab.model.order import Key
from vnetlab.model.spec import MacvlanSpec


def _hairpin(v: LabView, lower: Key) -> bool:
    far = v.peer.get(lower)
    spec = v.spec(far) if far is not None else None
    return bool(spec is not None and spec.bridge_port is not None and spec.bridge_port.hairpin)


def _verdict(v: LabView, src: Key, dst: Key) -> tuple[bool, str] | None:
    """(can reach, why) when src and dst are macvlan siblings or child/lower."""
    s, d = v.spec(src), v.spec(dst)
    if isinstance(s, MacvlanSpec) and v.real_lower(src) == dst:
        return False, f"{src[0]}:{src[1]} is a macvlan on {dst[0]}:{dst[1]} and no mode " \
            "lets a child reach its lower device's own address"
    if isinstance(d, MacvlanSpec) and v.real_lower(dst) == src:
        return False, f"{dst[0]}:{dst[1]} is a macvlan on {src[0]}:{src[1]}, and the lower " \
            "device never sees its children's frames"
    if not (isinstance(s, MacvlanSpec) and isinstance(d, MacvlanSpec)):
        return None
    lower = v.real_lower(src)
    if lower != v.real_lower(dst):
        return None
    pair = f"{src[0]}:{src[1]} ({s.mode}) and {dst[0]}:{dst[1]} ({d.mode}) share lower " \
        f"{lower[0]}:{lower[1]}"
    if "private" in (s.mode, d.mode):
        return False, f"{pair}; private mode never reaches another child"
    if s.mode == d.mode == "bridge":
        return True, f"{pair}; bridge mode delivers between children directly"
    if _hairpin(v, lower):
        return True, f"{pair}; the switch behind the lower hairpins"
    return False, f"{pair}; vepa sends child-to-child out of the lower, and the switch " \
        "there does not hairpin (no hairpin: true on its port)"


def check(ctx: Context) -> None:
    v = ctx.view
    for k, chk in enumerate(ctx.lab.checks):
        dst = chk.dst4 if isinstance(chk, PingCheck) else None  # IPv4 reasoning
        if not isinstance(chk, PingCheck) or chk.src not in ctx.lab.nodes or dst is None:
            continue
        r = v.route(chk.src, dst)
        owner = v.by_ip.get(dst)
        if r is None or owner is None:
            continue
        found = _verdict(v, (chk.src, r[0]), (owner.node, owner.ifname))
        if found is None:
            continue
        can, why = found
        want = chk.expect == "reachable"
        if want and not can:
            ctx.add("MACVLAN001", ("checks", k),
                    f"checks[{k}] ({chk.ping}) expects a reply, but {why}")
        elif not want and can:
            ctx.add("MACVLAN001", ("checks", k),
                    f"checks[{k}] ({chk.ping}) expects no reply, but {why}")
