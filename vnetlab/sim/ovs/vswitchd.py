"""The emulated ovs-vswitchd of one namespace (vswitchd/bridge.c).

Design note
-----------
The ``Database`` (``vnetlab.ovsdb``) is the only source of configuration. ``reconfigure``
runs after every commit that changed it (``bridge_reconfigure``, keyed on the database
``seqno``): bridges, ports and mirrors are brought in line with the rows, OpenFlow port
numbers are allocated (``ofport_request``, else ``alloc_ofp_port``'s rotating search) and
written back to ``Interface.ofport`` like the real daemon does, datapath ports are added
(one datapath per datapath type, shared by the bridges: ``netdev@ovs-netdev``).

The packet path (datapath input, upcalls, revalidation, executing actions) is
``upcall.py``; the command-line front-ends (``vsctl``/``ofctl``/``appctl``/``dpctl``) run
against this daemon's database and bridges. Without a namespace (tests, tools) ports have
no devices and time is ``virtual_now``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vnetlab.sim.ovs import odp, upcall
from vnetlab.sim.ovs.bundle import XBundle, XPort
from vnetlab.sim.ovs.dpif import Dpif
from vnetlab.sim.ovs.mac_learning import MAC_DEFAULT_MAX, MAC_ENTRY_DEFAULT_IDLE_TIME
from vnetlab.sim.ovs.mirror import MBridge, Mirror
from vnetlab.sim.ovs.netdev import (
    TUNNEL_VPORT_DEVICES,
    OvsDatapathDevice,
    OvsInternalDevice,
    OvsNetdevDatapathDevice,
    OvsTapDevice,
    attach_system,
    detach_system,
)
from vnetlab.sim.ovs.ofproto import OFPP_LOCAL, Ofproto

if TYPE_CHECKING:
    from vnetlab.openflow.cmd import CmdResult
    from vnetlab.ovsdb.db import Database
    from vnetlab.sim.netdev import NetDevice, Skb
    from vnetlab.sim.ovs.native_tnl import OvsRoute
    from vnetlab.sim.stack.netns import Namespace

TUNNEL_TYPES = {"vxlan": 4789, "geneve": 6081}
#: ``netdev_vport_class_get_dpif_port``: the datapath port name's prefix per tunnel type
DPIF_PORT_PREFIX = {"vxlan": "vxlan_sys", "geneve": "genev_sys"}


def _mac_int(text: str) -> int:
    return int(text.replace(":", ""), 16)


class Vswitchd:
    def __init__(self, ns: Namespace | None = None, db: Database | None = None, *,
                 dummy: bool = False, override: bool = True, seed: int = 0) -> None:
        self.ns = ns
        if db is None:
            from vnetlab.ovsdb.db import Database

            db = Database(seed=seed)
        self.db = db
        self.dummy = dummy
        #: ``--enable-dummy=override``: tunnel ports are dummies too (else they are the
        #: shared ``vxlan_sys_4789`` vports of the userspace datapath, native tunnels)
        self.override = override
        self.bridges: dict[str, Ofproto] = {}
        self.dpifs: dict[str, Dpif] = {}
        #: (datapath type, dp port number) -> (bridge, OpenFlow port)
        self.dp_owner: dict[tuple[str, int], tuple[Ofproto, XPort]] = {}
        self.devices: dict[str, NetDevice] = {}  # attached system devices by port name
        self.internal: dict[str, OvsInternalDevice] = {}
        #: the datapaths' own devices (ovs-system / ovs-netdev) by datapath type
        self.dp_devices: dict[str, OvsDatapathDevice] = {}
        #: the kernel datapath's tunnel devices (vxlan_sys_4789 ...) by name
        self.vport_devices: dict[str, NetDevice] = {}
        self.seqno = -1
        self.last_run = float("-inf")  # virtual time of the last periodic run
        #: (datapath type, dp port) of a tunnel vport -> (vxlan|geneve, UDP port)
        self.tnl_dp_ports: dict[tuple[str, int], tuple[str, int]] = {}
        #: Interface.error by name: what vswitchd could not set up
        self.iface_errors: dict[str, str] = {}
        #: the flow-table versions the megaflows were validated against
        self._versions: dict[str, int] = {}
        self._alloc_port_no: dict[str, int] = {}
        self._used_ofports: dict[str, set[int]] = {}
        self._mac_seq = 0
        self.virtual_now: float = 0.0  # used when there is no namespace (tests, tools)
        #: the unixctl socket ovs-appctl names in its errors
        self.ctl_path = "/var/run/openvswitch/ovs-vswitchd.1.ctl"
        #: the tunnel neighbour cache (``tnl/neigh/set``): (bridge, next hop IP) -> MAC
        self.tnl_neigh: dict[tuple[str, str], str] = {}
        #: ``ovs/route/add`` routes and ``netdev-dummy/ip4addr`` addresses (native tunnels)
        self.ovs_routes: list[OvsRoute] = []
        self.dummy_ip4: dict[str, list[tuple[int, int]]] = {}
        if self.db.first("Open_vSwitch") is None:
            with self.db.transaction() as txn:
                txn.insert("Open_vSwitch", {})
        self.reconfigure()

    # -- time ---------------------------------------------------------------------------
    @property
    def now(self) -> float:
        if self.ns is not None:
            return self.ns.sched.now / 1e9
        return self.virtual_now

    # -- configuration (bridge_reconfigure) ------------------------------------------------
    def reconfigure(self) -> None:
        if self.db.seqno == self.seqno:
            return
        root = self.db.first("Open_vSwitch")
        rows = [self.db.get("Bridge", u) for u in root.refs("bridges")] if root else []
        wanted = {str(r["name"]): r for r in rows if r is not None}
        self.iface_errors = {}
        for name in [b for b in self.bridges if b not in wanted]:
            self._del_bridge(name)
        for name, row in wanted.items():
            self._configure_bridge(name, row)
        self._write_back()
        self.seqno = self.db.seqno
        self.revalidate_all()

    def _dpif(self, dp_type: str) -> Dpif:
        dp_type = dp_type or "system"
        if dp_type not in self.dpifs:
            name = {"netdev": "ovs-netdev", "dummy": "ovs-dummy"}.get(dp_type, "ovs-system")
            self.dpifs[dp_type] = Dpif(name, dp_type, dummy_numbering=self.dummy)
            self.dpifs[dp_type].upcall = self._make_upcall(dp_type)
            if self.ns is not None and not self.dummy and name not in self.ns.devices:
                cls = OvsNetdevDatapathDevice if dp_type == "netdev" else OvsDatapathDevice
                self.dp_devices[dp_type] = cls(self.ns, name, self._next_mac())
        return self.dpifs[dp_type]

    def _configure_bridge(self, name: str, row: Any) -> None:
        dp_type = str(row["datapath_type"] or "system")
        br = self.bridges.get(name)
        if br is not None and br.dpif.dp_type != dp_type:
            self._del_bridge(name)
            br = None
        if br is None:
            br = Ofproto(self, name, self._dpif(dp_type))
            self.bridges[name] = br
        oc: dict[str, str] = row["other_config"]
        br.forward_bpdu = oc.get("forward-bpdu", "false") == "true"
        br.ml.set_idle_time(int(oc.get("mac-aging-time", MAC_ENTRY_DEFAULT_IDLE_TIME)))
        br.ml.max_entries = int(oc.get("mac-table-size", MAC_DEFAULT_MAX))
        fail = row.opt("fail_mode")
        br.set_fail_mode("secure" if fail == "secure" else "standalone", self.now)
        ports: dict[str, Any] = {}
        for u in row.refs("ports"):
            p = self.db.get("Port", u)
            if p is not None:
                ports[str(p["name"])] = p
        # the bridge's own internal port exists whenever the bridge does
        for pname in [n for n in br.bundles if n not in ports]:
            self._del_port(br, pname)
        for pname, prow in ports.items():
            self._configure_port(br, pname, prow)
        hw = oc.get("hwaddr")
        local = br.xports.get(OFPP_LOCAL)
        if hw:
            br.hwaddr = _mac_int(hw)
        elif local is not None and local.hwaddr:
            br.hwaddr = local.hwaddr
        if local is not None and br.hwaddr and name in self.internal:
            self.internal[name].mac = br.hwaddr.to_bytes(6, "big")
            local.hwaddr = br.hwaddr
        dpid = oc.get("datapath-id")
        br.datapath_id = int(dpid, 16) if dpid else br.hwaddr
        mirrors: list[Mirror] = []
        for i, u in enumerate(row.refs("mirrors")):
            mrow = self.db.get("Mirror", u)
            if mrow is not None:
                mirrors.append(self._mirror(i, mrow))
        old = {m.name: m for m in br.mbridge.mirrors}
        for m in mirrors:
            if m.name in old:
                m.n_packets, m.n_bytes = old[m.name].n_packets, old[m.name].n_bytes
        br.mbridge = MBridge(mirrors)

    def _port_name_of(self, uuid: str) -> str | None:
        p = self.db.get("Port", uuid)
        return None if p is None else str(p["name"])

    def _mirror(self, idx: int, row: Any) -> Mirror:
        def names(col: str) -> frozenset[str]:
            return frozenset(n for n in (self._port_name_of(u) for u in row.refs(col)) if n)

        out = row.opt("output_port")
        out_vlan = row.opt("output_vlan")
        vlans = row["select_vlan"]
        return Mirror(str(row["name"]), idx, select_all=bool(row["select_all"]),
                      src=names("select_src_port"), dst=names("select_dst_port"),
                      vlans=frozenset(vlans) if vlans else None,
                      out=self._port_name_of(str(out)) if out else None,
                      out_vlan=int(out_vlan) if out_vlan is not None else -1)

    def _configure_port(self, br: Ofproto, pname: str, prow: Any) -> None:
        tag = prow.opt("tag")
        mode = prow.opt("vlan_mode")
        bundle = XBundle.configure(pname, int(tag) if tag is not None else None,
                                   [int(t) for t in prow["trunks"]],
                                   str(mode) if mode is not None else None)
        old = br.bundles.get(pname)
        if old is not None:
            bundle.ofports = old.ofports
        br.bundles[pname] = bundle
        for u in prow.refs("interfaces"):
            irow = self.db.get("Interface", u)
            if irow is not None:
                self._configure_iface(br, bundle, irow)
        for x in br.xports.values():
            if x.bundle is not None and x.bundle.name == pname:
                x.bundle = bundle

    def _iface_type(self, br: Ofproto, name: str, itype: str) -> str:
        if name == br.name:
            return "internal"
        return itype or "system"

    def _configure_iface(self, br: Ofproto, bundle: XBundle, irow: Any) -> None:
        name = str(irow["name"])
        itype = self._iface_type(br, name, str(irow["type"]))
        options: dict[str, str] = irow["options"]
        existing = br.xport_by_name(name)
        if existing is not None and existing.type == itype:
            existing.options = dict(options)
            existing.peer = options.get("peer") if itype == "patch" else None
            return
        if existing is not None:
            self._del_iface(br, existing)
        req = irow.opt("ofport_request")
        if name == br.name:
            ofp = OFPP_LOCAL
        else:
            ofp = self._alloc_ofp_port(br, int(req) if req is not None else None)
        x = XPort(name, ofp, None, bundle, itype, is_tunnel=itype in TUNNEL_TYPES,
                  options=dict(options))
        if itype == "patch":
            x.peer = options.get("peer")
        elif itype == "system":
            dev = self.ns.devices.get(name) if self.ns is not None else None
            if self.ns is not None and dev is None:
                self.iface_errors[name] = (f"could not open network device {name} "
                                           "(No such device)")
                return
            x.odp_port = self._add_dp_port(br, x, dev)
            if dev is not None:
                x.hwaddr = int.from_bytes(dev.mac, "big")
            elif self.dummy:  # netdev_dummy_construct: aa:55:aa:55:00:NN
                x.hwaddr = int.from_bytes(self._next_mac(), "big")
        else:
            x.odp_port = self._add_dp_port(br, x, None)
            mac = irow.opt("mac")
            dev_i = self.internal.get(name)
            if dev_i is not None:
                if mac:
                    dev_i.mac = bytes.fromhex(str(mac).replace(":", ""))
                x.hwaddr = int.from_bytes(dev_i.mac, "big")
        br.xports[ofp] = x
        if ofp not in bundle.ofports:
            bundle.ofports.append(ofp)

    def _alloc_ofp_port(self, br: Ofproto, request: int | None) -> int:
        """``alloc_ofp_port``: the request if free, else the next number after the last
        one handed out, skipping numbers in use or used before."""
        used = self._used_ofports.setdefault(br.name, set())
        in_use = set(br.xports)
        if request is not None and 1 <= request < 0xFF00 and request not in in_use:
            used.add(request)
            return request
        n = self._alloc_port_no.get(br.name, 0)
        for _ in range(32768):
            n = n + 1 if n + 1 < 32768 else 1
            if n not in used and n not in in_use:
                break
        self._alloc_port_no[br.name] = n
        used.add(n)
        return n

    def _next_mac(self) -> bytes:
        self._mac_seq += 1
        return bytes([0xAA, 0x55, 0xAA, 0x55, 0x00, self._mac_seq & 0xFF])

    def _add_dp_port(self, br: Ofproto, x: XPort, dev: NetDevice | None) -> int:
        dpif = br.dpif
        if x.type in TUNNEL_TYPES:
            dst_port = int(x.options.get("dst_port", TUNNEL_TYPES[x.type]))
            dp_name = (x.name if self.dummy and self.override
                       else f"{DPIF_PORT_PREFIX[x.type]}_{dst_port}")
            existing = dpif.port_by_name(dp_name)
            if existing is not None:
                self.dp_owner[(dpif.dp_type, existing.port_no)] = (br, x)
                return existing.port_no
            port = dpif.add_port(dp_name, x.type, lambda skb: None)
            if (dpif.dp_type != "netdev" and self.ns is not None and not self.dummy
                    and dp_name not in self.ns.devices):
                vdev = TUNNEL_VPORT_DEVICES[x.type](self.ns, dp_name, self._next_mac())
                vdev.master = self.dp_devices.get(dpif.dp_type)
                self.vport_devices[dp_name] = vdev
            self.tnl_dp_ports[(dpif.dp_type, port.port_no)] = (x.type, dst_port)
            from vnetlab.sim.ovs import tunnel as tnl

            tnl.open_socket(self, x.type, dst_port)
        elif x.type == "internal":
            dev_i = self.internal.get(x.name)
            if dev_i is None and self.ns is not None:
                cls = OvsTapDevice if dpif.dp_type == "netdev" else OvsInternalDevice
                dev_i = cls(self.ns, x.name, self._next_mac())
                if dpif.dp_type != "netdev":
                    dev_i.master = self.dp_devices.get(dpif.dp_type)
                self.internal[x.name] = dev_i
            # dpif_port_open_type: the userspace datapath opens internal ports as taps
            dtype = ("dummy-internal" if self.dummy
                     else "tap" if dpif.dp_type == "netdev" else "internal")
            port = dpif.add_port(x.name, dtype, (lambda skb: None) if dev_i is None
                                 else dev_i.dp_output)
            if dev_i is not None:
                dev_i.dp_input = self._input_fn(dpif, port.port_no)
        else:
            send = (lambda skb: None) if dev is None else dev.xmit
            port = dpif.add_port(x.name, "system", send)
            if dev is not None:
                attach_system(dev, self._input_fn(dpif, port.port_no))
                if dpif.dp_type != "netdev":  # the kernel's vport: ovs-system is master
                    dev.master = self.dp_devices.get(dpif.dp_type)
                self.devices[x.name] = dev
        self.dp_owner[(dpif.dp_type, port.port_no)] = (br, x)
        return port.port_no

    def _del_iface(self, br: Ofproto, x: XPort) -> None:
        br.xports.pop(x.ofp_port, None)
        if x.odp_port is not None:
            shared = any(o is not x and o.odp_port == x.odp_port and o.is_tunnel
                         for b in self.bridges.values() for o in b.xports.values())
            if not shared:
                dp_port = br.dpif.ports.get(x.odp_port)
                br.dpif.del_port(x.odp_port)
                self.dp_owner.pop((br.dpif.dp_type, x.odp_port), None)
                vdev = self.vport_devices.pop(dp_port.name, None) if dp_port else None
                if vdev is not None and self.ns is not None:
                    self.ns.unregister(vdev)
        dev = self.devices.pop(x.name, None)
        if dev is not None:
            detach_system(dev)
            dev.master = None
        dev_i = self.internal.pop(x.name, None)
        if dev_i is not None and self.ns is not None:
            self.ns.unregister(dev_i)

    def _del_port(self, br: Ofproto, pname: str) -> None:
        bundle = br.bundles.pop(pname, None)
        if bundle is None:
            return
        for ofp in list(bundle.ofports):
            x = br.xports.get(ofp)
            if x is not None:
                self._del_iface(br, x)
        br.ml.flush_port(pname)

    def _del_bridge(self, name: str) -> None:
        br = self.bridges.pop(name)
        for pname in list(br.bundles):
            self._del_port(br, pname)

    def _write_back(self) -> None:
        """vswitchd reports ``ofport`` (and ``mac_in_use``) in the Interface rows."""
        want: dict[str, tuple[int, str | None]] = {}
        for br in self.bridges.values():
            for x in br.xports.values():
                mac = odp.mac_str(x.hwaddr) if x.hwaddr else None
                want[x.name] = (x.ofp_port, mac)
        changes: list[tuple[Any, str, Any]] = []
        for row in self.db.rows("Interface"):
            name = str(row["name"])
            ofport, mac = want.get(name, (-1, None))
            cur = row.opt("ofport")
            if cur != ofport:
                changes.append((row, "ofport", [ofport]))
            if mac is not None and row.opt("mac_in_use") != mac:
                changes.append((row, "mac_in_use", [mac]))
            error = self.iface_errors.get(name)
            if row.opt("error") != error:
                changes.append((row, "error", [error] if error else []))
        root = self.db.first("Open_vSwitch")
        if root is not None and root["cur_cfg"] != root["next_cfg"]:
            changes.append((root, "cur_cfg", root["next_cfg"]))
        if changes:
            with self.db.transaction() as txn:
                for row, col, value in changes:
                    txn.write(row, col, value)

    # -- lookups ------------------------------------------------------------------------
    def find_port(self, name: str) -> tuple[Ofproto, XPort] | None:
        for br in self.bridges.values():
            x = br.xport_by_name(name)
            if x is not None:
                return br, x
        return None

    def bridge(self, name: str) -> Ofproto | None:
        self.reconfigure()
        return self.bridges.get(name)

    def port_device(self, name: str) -> NetDevice | None:
        """The emulated net device behind an OVS port (None: a patch or tunnel port)."""
        dev = self.devices.get(name)
        return dev if dev is not None else self.internal.get(name)

    # -- the command-line front-ends -----------------------------------------------------
    def vsctl(self, argv: list[str]) -> CmdResult:
        """``ovs-vsctl ARGV`` against this daemon's database (then ``reconfigure``)."""
        from vnetlab.ovsdb.vsctl import run_vsctl

        res = run_vsctl(self.db, argv, reconfigure=self.reconfigure, now=self.now)
        self.reconfigure()
        return res

    def ofctl(self, argv: list[str]) -> CmdResult:
        """``ovs-ofctl ARGV`` against this daemon's bridges."""
        from vnetlab.openflow.ofctl import run_ofctl

        self.reconfigure()
        self.run()
        res = run_ofctl(argv, self.bridge, self.now)
        self.tables_changed()
        return res

    def appctl(self, argv: list[str]) -> CmdResult:
        from vnetlab.sim.ovs.appctl import run_appctl

        return run_appctl(self, argv)

    def dpctl(self, argv: list[str]) -> CmdResult:
        from vnetlab.sim.ovs.appctl import run_dpctl

        return run_dpctl(self, argv)

    def tables_changed(self) -> None:
        """Revalidate the megaflows if a bridge's flows or groups changed."""
        versions = {n: b.tables.version for n, b in self.bridges.items()}
        if versions != self._versions:
            self.revalidate_all()

    def note_versions(self) -> None:
        """The flow-table versions the megaflows are now validated against."""
        self._versions = {n: b.tables.version for n, b in self.bridges.items()}

    # -- packets --------------------------------------------------------------------------
    def owner(self, dp_type: str, key: dict[str, int]) -> tuple[Ofproto, XPort] | None:
        """The bridge and OpenFlow port a datapath key entered on; for a tunnel vport
        (shared by the OVS ports of one UDP port) the tunnel metadata decides."""
        in_port = key.get("in_port", 0)
        tnl = self.tnl_dp_ports.get((dp_type, in_port))
        if tnl is not None:
            from vnetlab.sim.ovs import tunnel

            return tunnel.tnl_port_receive(self, tnl[0], tnl[1], key.get("tun_src", 0),
                                           key.get("tun_dst", 0), key.get("tun_id", 0))
        return self.dp_owner.get((dp_type, in_port))

    def _input_fn(self, dpif: Dpif, port_no: int) -> Any:
        def dp_input(skb: Skb) -> None:
            self.dp_input(dpif, port_no, skb)
        return dp_input

    def run(self) -> None:
        """The periodic work now (commands see up-to-date ages and timeouts)."""
        upcall.run(self, force=True)

    def dp_input(self, dpif: Dpif, port_no: int, skb: Skb,
                 tun: dict[str, int] | None = None) -> None:
        upcall.dp_input(self, dpif, port_no, skb, tun)

    def _make_upcall(self, dp_type: str) -> Any:
        return upcall.make_upcall(self, dp_type)

    def after_trace(self) -> None:
        """A ``-generate`` trace may have learned: revalidate like after an upcall."""
        upcall.after_upcall(self)

    def revalidate_all(self) -> None:
        upcall.revalidate(self)
