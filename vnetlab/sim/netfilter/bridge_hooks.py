"""The bridge's netfilter hooks (``NF_HOOK(NFPROTO_BRIDGE, ...)`` in net/bridge).

Design note
-----------
The kernel runs the bridge family's chains at fixed points: ``NF_BR_FORWARD`` in
``__br_forward`` once per egress port (so each flooded copy is judged, and counted, on its
own; a frame the bridge device sends itself passes ``NF_BR_LOCAL_OUT`` there instead) and
``NF_BR_LOCAL_IN`` in ``br_pass_frame_up`` with the ingress port as the in-interface. The
bridge calls ``br_nf_hook`` only when the namespace has a table (ebtables first, at its
priority -200, then the nft base chains of the hook), so a lab without rules
pays one ``is None`` test. A drop is traced with the chain, the rule number and the rule's
text, as ``nft monitor trace`` would name it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.trace import DropReason

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.netdev import NetDevice, Skb
    from vnetlab.sim.stack.netns import Namespace


def br_nf_hook(br: BridgeDevice, hook: str, skb: Skb, iif: NetDevice | None,
               oif: NetDevice | None) -> bool:
    """Run base chain ``hook`` (INPUT, FORWARD, OUTPUT); True when the frame may go on."""
    table = br.ns.ebt
    if table is None:
        return True
    iname = iif.name if iif is not None else ""
    oname = oif.name if oif is not None else ""
    v = table.do_table(hook, skb.data, iname, oname)
    family = "ebtables"
    if v.accept and br.ns.nft is not None:
        v = br.ns.nft.do_hook(hook.lower(), skb.data, iname, oname)
        family = "nft"
    if v.accept:
        return True
    if skb.trace is not None:
        if family == "nft":
            what = (f"nft chain {v.chain} rule {v.number}" if v.number
                    else f"nft chain {v.chain} policy drop")
        elif v.rule is not None:
            what = f"ebtables {v.chain} rule {v.number} ({v.rule.text()})"
        else:
            what = f"ebtables {v.chain} policy DROP"
        where = ", ".join(
            x for x in (f"in {iif.name}" if iif is not None else "",
                        f"out {oif.name}" if oif is not None else "") if x)
        skb.trace.drop(br.where, f"{what}, {where}",
                       DropReason.NETFILTER_DROP)
    return False


def refuse_vlan_filtering(ns: Namespace, node: str) -> None:
    """The hooks and the locked check sit in the untagged path; a VLAN-filtering bridge
    forwards through its own (``vlan.py``), where they are not modelled yet — refuse
    rather than let rules silently not apply."""
    from vnetlab.engine import UnsupportedError
    from vnetlab.sim.devices.bridge.device import BridgeDevice

    for dev in ns.devices.values():
        if isinstance(dev, BridgeDevice) and dev.vlan_enabled:
            raise UnsupportedError(
                f"node {node}: bridge filtering (ebtables, nft, locked ports) on the "
                f"VLAN-filtering bridge {dev.name} is not modelled by the emulator yet")
