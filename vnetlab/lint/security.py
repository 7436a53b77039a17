"""SEC001 ARP-spoofing exposure, SEC002 bridge-bypass exposure, SEC003 plaintext overlay.

Design note
-----------
The seed's security implications, found on the model:

* SEC001: a Linux bridge that three or more parties share (ports, plus the bridge itself
  when it has an address) where some port is neither ``locked`` nor ``neigh_suppress`` and
  the node filters no ARP on the bridge (no ebtables rule with ``-p ARP`` and a DROP, no
  nft rule on ``arp`` that drops). Any port can then claim any IP address. An Open
  vSwitch bridge is judged by its flows: a forged ARP reply from each port is looked up
  in table 0 (``_ovs_arp``).
* SEC002: a Linux bridge one of whose ports is a TAP/TUN driven by a program in the
  bridge's own namespace — a workload with CAP_NET_ADMIN there, which reads what the
  bridge floods — while the node restricts no forwarding by port (ebtables ``-i``/``-o``
  with DROP, nft ``iifname``/``oifname`` with drop) and not every other port is isolated.
* SEC003: a VXLAN/Geneve device whose outer packets leave through an L2 segment that
  parties other than the two VTEPs share (any other device with an address, or a
  TAP/TUN program, in that segment), and whose node has no ``ip xfrm`` policy ``dir out``
  covering the remote VTEP. A tunnel routed into a TUN (a userspace VPN) leaves through
  a segment of its own and is not reported.
"""

from __future__ import annotations

import ipaddress
import re

from vnetlab.lint.context import Context
from vnetlab.lint.ovs import arp_forwarded, port_numbers, table0
from vnetlab.lint.view import LabView
from vnetlab.model.order import Key
from vnetlab.model.spec import BridgeSpec, NodeSpec, TunnelSpec, TuntapSpec, VxlanSpec

_ARP = re.compile(r"(^|\s)(-p|--protocol)\s+(arp|ARP|0x0806)\b")
_DROP = re.compile(r"-j\s+DROP\b")
_PORT_MATCH = re.compile(r"(^|\s)(-i|-o|--in-interface|--out-interface|--logical-in|"
                         r"--logical-out)\s")
_XFRM_OUT = re.compile(r"policy\s+(add|update)\s+.*\bdst\s+(\S+).*\bdir\s+out\b")


def _arp_filtered(node: NodeSpec) -> bool:
    if any(_ARP.search(r) and _DROP.search(r) for r in node.ebtables):
        return True
    return any(re.search(r"\barp\b", r) and re.search(r"\bdrop\b", r) for r in node.nft)


def _port_filtered(node: NodeSpec) -> bool:
    if any(_PORT_MATCH.search(r) and _DROP.search(r) for r in node.ebtables):
        return True
    return any(re.search(r"\b[io]ifname\b", r) and re.search(r"\bdrop\b", r)
               for r in node.nft)


def _party(v: LabView, port: Key) -> bool:
    """A port leads to a party of its own (a host, a VM, a program) unless it is a wire
    to another switch (its far end is a Linux or OVS bridge port) or an overlay (a tunnel)."""
    spec = v.spec(port)
    if isinstance(spec, TunnelSpec):
        return False
    far = v.peer.get(port)
    if far is None:
        return True
    far_spec = v.spec(far)
    if far_spec is not None and far_spec.master is not None:
        return False
    far_node = v.lab.nodes.get(far[0])
    return not (far_node is not None and any(far[1] in b.ports for b in far_node.ovs.values()))


def _program_port(v: LabView, key: Key) -> bool:
    spec = v.spec(key)
    return isinstance(spec, TuntapSpec) and spec.program is not None


def check(ctx: Context) -> None:
    v = ctx.view
    for (n, br), spec in list(v.devices()):
        if not isinstance(spec, BridgeSpec):
            continue
        node = ctx.lab.nodes[n]
        ports = v.ports((n, br))
        parties = sum(1 for p in ports if _party(v, (n, p))) + (1 if spec.addresses else 0)
        opts = {p: v.full[n][p].bridge_port for p in ports}
        open_ports = [p for p in ports if not (opts[p] is not None and (
            opts[p].locked or opts[p].neigh_suppress))]  # type: ignore[union-attr]
        if parties >= 3 and open_ports and not _arp_filtered(node):
            ctx.add("SEC001", v.seg((n, br)),
                    f"bridge {n}:{br} is shared by {parties} parties and forwards ARP "
                    f"unfiltered: a port ({', '.join(open_ports)}) can claim any IP "
                    "address of the segment (ARP spoofing)")
        progs = [p for p in ports if _program_port(v, (n, p))]
        others = [p for p in ports if p not in progs]
        isolated = all(opts[p] is not None and opts[p].isolated  # type: ignore[union-attr]
                       for p in others)
        if progs and others and not isolated and not _port_filtered(node):
            ctx.add("SEC002", v.seg((n, progs[0])),
                    f"{n}:{progs[0]} is a port of bridge {br} driven by a program in "
                    f"{n}'s own namespace; with no forwarding restricted by port it "
                    f"receives what {br} floods from {', '.join(others)}")
    _ovs_arp(ctx, v)
    _plaintext(ctx, v)


def _ovs_arp(ctx: Context, v: LabView) -> None:
    """SEC001 on Open vSwitch: each port's forged ARP reply (the far end's MAC claiming
    another party's address) is looked up in table 0; flows that drop it (ARP inspection,
    examples/security-arp-spoofing-ovs.yaml) protect the port. Parties are counted per
    access VLAN (``tag``; ports without one count in every VLAN); an action other than
    drop counts as forwarding it (an approximation for resubmit/goto chains)."""
    for n, node in ctx.lab.nodes.items():
        for name, br in node.ovs.items():
            nums = port_numbers(name, br)
            ports = [p for p, spec in br.ports.items() if spec.type in ("system", "internal")]
            parties = [p for p in ports if _party(v, (n, p))]
            # an access port (tag) shares ARP only with its VLAN's ports and the trunks
            tags = {br.ports[p].tag for p in parties} - {None}
            untagged = [p for p in parties if br.ports[p].tag is None]
            count = max([len(untagged)] + [
                len(untagged) + sum(1 for p in parties if br.ports[p].tag == t)
                for t in tags]) + (1 if br.addresses else 0)
            if count < 3:
                continue
            ips = [a.iface.ip for a in v.addrs if v.domain((a.node, a.ifname)) ==
                   v.domain((n, name))]
            cls = table0(name, br)
            open_ports = []
            for p in parties:
                far = v.peer.get((n, p), (n, p))
                mine = v.node_ips(far[0])
                victim = next((ip for ip in ips if ip not in mine), None)
                if victim is None:
                    continue
                spec = v.spec(far)
                sha = bytes.fromhex(spec.mac.replace(":", "")) if spec is not None and \
                    spec.mac else b"\x02" + b"\x00" * 5
                if arp_forwarded(cls, br.fail_mode == "secure", nums[p], sha, victim, victim):
                    open_ports.append(p)
            if open_ports:
                ctx.add("SEC001", ("nodes", n, "ovs", name),
                        f"Open vSwitch bridge {n}:{name} is shared by {count} parties and its "
                        f"flows pass forged ARP replies from {', '.join(open_ports)}: a port "
                        "can claim any IP address of the segment (ARP spoofing)",
                        "add ARP-inspection flows: ARP passes only with the sender IP and MAC "
                        "bound to its port, the rest is dropped (see "
                        "examples/security-arp-spoofing-ovs.yaml)")


def _covered(node: NodeSpec, remote: ipaddress.IPv4Address) -> bool:
    for line in node.xfrm:
        m = _XFRM_OUT.search(line)
        if m is None:
            continue
        try:
            if remote in ipaddress.IPv4Network(m[2], strict=False):
                return True
        except ValueError:
            continue
    return False


def _plaintext(ctx: Context, v: LabView) -> None:
    for key, spec in v.tunnels():
        remotes = v.remotes(spec)
        group = getattr(spec, "group", None)
        node = ctx.lab.nodes[key[0]]
        # the underlay segments the outer packets cross, and the nodes that route them
        segments: list[Key] = []
        path_nodes = {key[0]}
        if remotes:
            if _covered(node, remotes[0]):
                continue
            w = v.walk(key[0], remotes[0])
            for hop in w.hops:
                segments.append((hop.node, hop.dev))
                path_nodes.add(hop.node)
                if hop.to is not None:
                    path_nodes.add(hop.to[0])
        elif isinstance(spec, VxlanSpec) and group is not None and spec.dev is not None:
            segments.append((key[0], spec.dev))
        for out in segments:
            dom = v.domain(out)
            others = sorted({f"{a.node}:{a.ifname}" for a in v.addrs
                             if v.domain((a.node, a.ifname)) == dom
                             and a.node not in path_nodes})
            others += sorted(f"{k[0]}:{k[1]}" for k, s in v.devices()
                             if v.domain(k) == dom and k[0] not in path_nodes
                             and isinstance(s, TuntapSpec) and s.program is not None)
            if group is not None and len(others) < 2:
                continue  # a multicast group's members are the VTEPs themselves
            if not others:
                continue
            ctx.add("SEC003", v.seg(key),
                    f"{spec.type} {key[0]}:{key[1]} sends its tenants' packets in the clear "
                    f"through {out[0]}:{out[1]}, on an underlay segment it shares with "
                    f"{', '.join(dict.fromkeys(others))}; no ip xfrm policy protects them")
            break
