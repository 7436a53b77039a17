"""The shared state of ``resolve()``'s steps: the lab, the problems found, every interface.

Design note: ``resolve()`` runs its checks in concern-sized modules (``resolver`` for the
topology, ``resolve_addr`` for addresses, routes and IPv6, ``resolve_checks`` for the
``checks:`` section); each step reads and reports through one ``ResolveCtx``.
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.model.errors import ProblemList, did_you_mean
from vnetlab.model.ovs_check import ovs_netdevs
from vnetlab.model.spec import _MAC_RE, LabSpec, NetdevSpec

#: every network namespace is born with its loopback device (``loopback_net_init``)
LOOPBACK = "lo"


def nodes_text(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


class ResolveCtx:
    def __init__(self, lab: LabSpec, lines: Mapping[str, int] | None) -> None:
        self.lab = lab
        self.p = ProblemList(lines)
        # node -> ifname -> spec, including link ends not declared (filled by links())
        self.full: dict[str, dict[str, NetdevSpec]] = {
            n: dict(node.interfaces) for n, node in lab.nodes.items()
        }
        self.link_of: dict[tuple[str, str], int] = {}

    def iface_path(self, node: str, ifname: str) -> tuple[object, ...]:
        return ("nodes", node, "interfaces", ifname)

    def ports(self, node: str, bridge: str) -> list[str]:
        return [i for i, s in self.full.get(node, {}).items() if s.master == bridge]

    def bridges(self, node: str) -> list[str]:
        return [i for i, s in self.full.get(node, {}).items() if s.type == "bridge"]

    def node_missing(self, seg: tuple[object, ...], node: str, what: str) -> bool:
        if node in self.lab.nodes:
            return False
        names = list(self.lab.nodes)
        self.p.add(
            seg,
            f"{what} names node {node!r}, which is not in nodes (nodes: {nodes_text(names)})",
            did_you_mean(node, names),
        )
        return True

    def ref(self, seg: tuple[object, ...], ref: str, *, broadcast: bool) -> None:
        """``ref`` is a MAC, an existing ``NODE:IFNAME`` or (if allowed) ``broadcast``."""
        if _MAC_RE.match(ref) or (broadcast and ref == "broadcast"):
            return
        node, sep, ifname = ref.partition(":")
        if not sep or not node or not ifname:
            extra = ", or 'broadcast'" if broadcast else ""
            self.p.add(seg, f"{ref!r} is not a MAC address or NODE:IFNAME{extra}")
            return
        self.endpoint(seg, node, ifname, f"{ref!r}")

    def endpoint(self, seg: tuple[object, ...], node: str, ifname: str, what: str) -> bool:
        if self.node_missing(seg, node, what):
            return False
        ifaces = [*self.full[node], *ovs_netdevs(self.lab, node)]
        if ifname not in ifaces:
            self.p.add(
                seg,
                f"{what} names interface {ifname!r}, which node {node} does not have "
                f"(interfaces: {nodes_text(list(ifaces))})",
                did_you_mean(ifname, ifaces),
            )
            return False
        return True
