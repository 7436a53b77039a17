"""One emulated OVS bridge: ``struct ofproto_dpif`` (ofproto/ofproto-dpif.c).

Design note
-----------
An ``Ofproto`` holds what translation reads: its ports (``xports`` by OpenFlow number,
``bundles`` by port name, in creation order), the MAC learning table, the mirrors, the
OpenFlow tables and groups (``vnetlab.openflow.ofproto_tables``), ``fail_mode`` and
``forward-bpdu``. A standalone bridge carries the visible ``priority=0 actions=NORMAL``
flow (added when the bridge is created in that mode, as ``fail_open`` does); a secure one
has none, so a miss drops. Its datapath (``Dpif``) is shared with the other bridges of the
same datapath type in the vswitchd.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vnetlab.sim.ovs.tables import RuleTables
from vnetlab.sim.ovs.bundle import XBundle, XPort
from vnetlab.sim.ovs.mac_learning import MacLearning
from vnetlab.sim.ovs.mirror import MBridge

if TYPE_CHECKING:
    from vnetlab.sim.ovs.dpif import Dpif
    from vnetlab.sim.ovs.vswitchd import Vswitchd
    from vnetlab.sim.ovs.xlate import XlateCtx

OFPP_LOCAL = 0xFFFE


class Ofproto:
    def __init__(self, vswitchd: Vswitchd, name: str, dpif: Dpif) -> None:
        self.vswitchd = vswitchd
        self.name = name
        self.dpif = dpif
        self.xports: dict[int, XPort] = {}
        self.bundles: dict[str, XBundle] = {}
        self.ml = MacLearning()
        self.mbridge = MBridge([])
        self.forward_bpdu = False
        self.fail_mode = "standalone"
        self.tables = RuleTables()
        self.hwaddr = 0
        self.datapath_id = 0
        self._recirc_id = 0
        #: the NORMAL flow a standalone bridge shows (fail-open), None while secure
        self.fail_open_installed = False

    # -- configuration ---------------------------------------------------------------
    def set_fail_mode(self, mode: str, now: float) -> None:
        """Standalone bridges start with ``priority=0 actions=NORMAL`` in table 0."""
        if mode == self.fail_mode and self.fail_open_installed == (mode != "secure"):
            return
        self.fail_mode = mode
        if mode != "secure" and not self.fail_open_installed:
            self.tables.add_normal_flow(now)
            self.fail_open_installed = True
        elif mode == "secure" and self.fail_open_installed:
            self.tables.del_normal_flow(now)
            self.fail_open_installed = False

    def bundles_in_order(self) -> list[XBundle]:
        return list(self.bundles.values())

    def port_names(self) -> dict[int, str]:
        return {n: x.name for n, x in self.xports.items()}

    def xport_by_name(self, name: str) -> XPort | None:
        for x in self.xports.values():
            if x.name == name:
                return x
        return None

    # -- translation hooks -----------------------------------------------------------
    def rule_lookup(self, ctx: XlateCtx, table_id: int) -> Any:
        """``rule_dpif_lookup_in_table``: the classifier OR-s what it examined into wc."""
        rule = self.tables.lookup(table_id, ctx.flow, ctx.wc)
        if rule is not None:
            if ctx.packet is not None:
                self.tables.credit(rule, len(ctx.packet), ctx.now)
            tables = self.tables

            def credit(n: int, now: float, rule: Any = rule) -> None:
                tables.credit(rule, n, now)

            ctx.xcache.append(credit)
        return rule

    def miss_text(self) -> str:
        return "No match."

    def next_recirc_id(self) -> int:
        self._recirc_id += 1
        return self._recirc_id

    def is_tunnel_terminator(self, xport: XPort, ctx: XlateCtx) -> bool:
        del xport, ctx
        return False

    def group_lookup(self, group_id: int) -> Any:
        return self.tables.groups.get(group_id)

    def credit_group(self, group: Any, ctx: XlateCtx) -> None:
        if ctx.packet is not None:
            group.n_packets += 1
            group.n_bytes += len(ctx.packet)

    def learn(self, action: Any, ctx: XlateCtx) -> None:
        """``xlate_learn_action`` with side effects: add the learned flow."""
        self.tables.learn(action, ctx.flow, ctx.now)
        self.vswitchd.revalidate_all()

    def run(self, now: float, revalidate: Callable[[], None]) -> None:
        """Periodic work: MAC ageing and flow timeouts; revalidate on changes."""
        changed = self.ml.run(now)
        if self.tables.expire(now):
            changed = True
        if changed:
            revalidate()
