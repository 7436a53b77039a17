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

from typing import TYPE_CHECKING, Any

from vnetlab.openflow.actions import Normal
from vnetlab.openflow.match import Match
from vnetlab.openflow.ofctl import PortInfo, PortStats
from vnetlab.openflow.ofctl_parse import FlowMod
from vnetlab.openflow.ofproto_tables import OfGroup, OfprotoTables, Rule
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
        self.tables = OfprotoTables()
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
        normal = FlowMod("add", Match(), 0, 0, (Normal(),))
        if mode != "secure" and not self.fail_open_installed:
            self.tables.flow_mod(normal, now)
            self.fail_open_installed = True
        elif mode == "secure" and self.fail_open_installed:
            normal.command = "delete_strict"
            self.tables.flow_mod(normal, now)
            self.fail_open_installed = False

    def bundles_in_order(self) -> list[XBundle]:
        return list(self.bundles.values())

    # -- what ovs-ofctl reads (vnetlab.openflow.ofctl.OfctlBridge) -----------------------
    def port_names(self) -> dict[int, str]:
        return {n: x.name for n, x in self.xports.items()}

    def port_is_live(self, ofport: int) -> bool:
        """``ofport_is_alive``: the port exists and its device (if any) is running; no
        watched port (OFPP_ANY) is always live."""
        if ofport in (0xFFFFFFFF, 0xFFFF):
            return True
        x = self.xports.get(ofport)
        if x is None:
            return False
        dev = self.vswitchd.port_device(x.name)
        return dev is None or dev.running

    def port_number(self, name: str) -> int | None:
        x = self.xport_by_name(name)
        return None if x is None else x.ofp_port

    def port_info(self, ofport: int) -> PortInfo | None:
        x = self.xports.get(ofport)
        if x is None:
            return None
        dev = self.vswitchd.port_device(x.name)
        down = dev is not None and not dev.admin_up
        link_down = dev is not None and not dev.running
        return PortInfo(ofport, x.name, x.hwaddr, admin_down=down, link_down=link_down)

    def port_stats(self, ofport: int) -> PortStats | None:
        x = self.xports.get(ofport)
        if x is None:
            return None
        dev = self.vswitchd.port_device(x.name)
        if dev is None:
            return PortStats()
        if x.type == "internal":  # the host's view is the switch's view, reversed
            return PortStats(rx_packets=dev.tx_packets, rx_bytes=dev.tx_bytes,
                             rx_dropped=dev.tx_dropped, rx_errors=0, rx_frame_errors=0,
                             rx_over_errors=0, rx_crc_errors=0, tx_packets=dev.rx_packets,
                             tx_bytes=dev.rx_bytes, tx_dropped=dev.rx_dropped, tx_errors=0,
                             collisions=0)
        return PortStats(rx_packets=dev.rx_packets, rx_bytes=dev.rx_bytes,
                         rx_dropped=dev.rx_dropped, rx_errors=0, rx_frame_errors=0,
                         rx_over_errors=0, rx_crc_errors=0, tx_packets=dev.tx_packets,
                         tx_bytes=dev.tx_bytes, tx_dropped=dev.tx_dropped, tx_errors=0,
                         collisions=0)

    def xport_by_name(self, name: str) -> XPort | None:
        for x in self.xports.values():
            if x.name == name:
                return x
        return None

    # -- translation hooks -----------------------------------------------------------
    def rule_lookup(self, ctx: XlateCtx, table_id: int) -> Rule | None:
        """``rule_dpif_lookup_in_table``: the classifier OR-s what it examined into wc;
        a real packet credits the rule, and so will every datapath hit (xlate cache)."""
        rule = self.tables.lookup(table_id, ctx.flow, ctx.wc)
        if rule is not None:
            if ctx.packet is not None:
                rule.credit(len(ctx.packet), ctx.now)
            ctx.xcache.append(rule.credit)
        return rule

    def miss_text(self) -> str:
        return "No match."

    def next_recirc_id(self) -> int:
        self._recirc_id += 1
        return self._recirc_id

    def group_lookup(self, group_id: int) -> OfGroup | None:
        return self.tables.groups.get(group_id)

    def credit_group(self, group: OfGroup, ctx: XlateCtx) -> None:
        def credit(n: int, _now: float) -> None:
            group.n_packets += 1
            group.n_bytes += n

        if ctx.packet is not None:
            credit(len(ctx.packet), ctx.now)
        ctx.xcache.append(credit)

    def learn(self, action: Any, ctx: XlateCtx) -> None:
        """``xlate_learn_action`` with side effects: add the learned flow (the datapath
        revalidates when the tables' version moved)."""
        self.tables.learn(action, ctx.flow, ctx.now)
