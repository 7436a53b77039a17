"""``ovs-appctl`` against the emulated ovs-vswitchd, and ``ovs-dpctl`` (unixctl commands).

Design note
-----------
``run_appctl(vswitchd, argv, now)`` is the daemon's unixctl server plus the client: the
command's reply goes to stdout; an error reply prints the daemon's message and then
``ovs-appctl: TARGET: server returned an error`` on stderr with exit status 2, exactly as
the real client does. Commands and their texts follow ofproto/ofproto-dpif.c
(``fdb/show``, ``fdb/flush``, ``dpif/show``, ``dpif/dump-flows``),
lib/dpctl.c (``dpctl/show``, ``dpctl/dump-flows``) and ofproto/ofproto-dpif-trace.c
(``ofproto/trace`` via ``ofproto_trace.py``). Flow ages (``used:``) are given in virtual
time.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from vnetlab.openflow.cmd import CmdResult
from vnetlab.sim.ovs import native_tnl, odp
from vnetlab.sim.ovs.dpif import DpFlow, Dpif

if TYPE_CHECKING:
    from vnetlab.sim.ovs.bundle import XPort
    from vnetlab.sim.ovs.vswitchd import Vswitchd


#: ``eth_addr_from_string``: six colon-separated hex octets
_MAC_RE = re.compile(r"[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}")


class AppctlError(Exception):
    """A unixctl error reply: the daemon's message."""


def _err(vs: Vswitchd, msg: str) -> CmdResult:
    return CmdResult("", f"{msg}\novs-appctl: {vs.ctl_path}: server returned an error\n", 2)


def run_appctl(vs: Vswitchd, argv: list[str], now: float | None = None) -> CmdResult:
    """``ovs-appctl [-t TARGET] COMMAND [ARG...]``."""
    if now is not None and vs.ns is None:
        vs.virtual_now = now
    args = list(argv)
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt in ("-t", "--target") and args:
            args.pop(0)
        elif opt.startswith("--target="):
            pass
        elif opt in ("-T", "--timeout") and args:
            args.pop(0)
        else:
            return CmdResult("", f"ovs-appctl: unrecognized option '{opt}'\n"
                             "(use --help for help)\n", 1)
    if not args:
        return CmdResult("", "ovs-appctl: at least one non-option argument is required "
                         "(use --help for help)\n", 1)
    cmd, rest = args[0], args[1:]
    handler = COMMANDS.get(cmd)
    if handler is None:
        return _err(vs, f'"{cmd}" is not a valid command (use "list-commands" to see a '
                    "list of valid commands)")
    lo, hi = ARITY[cmd]  # unixctl_command_register's min/max arguments
    if len(rest) < lo:
        return _err(vs, f'"{cmd}" command requires at least {lo} arguments')
    if len(rest) > hi:
        return _err(vs, f'"{cmd}" command takes at most {hi} arguments')
    vs.reconfigure()
    vs.run()
    try:
        return CmdResult(handler(vs, rest), "", 0)
    except AppctlError as e:
        return _err(vs, str(e))


def fdb_show(vs: Vswitchd, rest: list[str]) -> str:
    """``ofproto_unixctl_fdb_show``."""
    br = vs.bridges.get(rest[0])
    if br is None:
        raise AppctlError("no such bridge")
    out = [" port  VLAN  MAC                Age\n"]
    for e in br.ml.table.values():
        bundle = br.bundles.get(e.port)
        ofp = bundle.ofports[0] if bundle is not None and bundle.ofports else 0
        name = "LOCAL" if ofp == 0xFFFE else str(ofp)
        out.append(f"{name:>5}  {e.vlan:4d}  {odp.mac_str(e.mac)}  {br.ml.age(e, vs.now):3d}\n")
    return "".join(out)


def fdb_flush(vs: Vswitchd, rest: list[str]) -> str:
    """``ofproto_unixctl_fdb_flush``: one bridge or all."""
    if rest:
        br = vs.bridges.get(rest[0])
        if br is None:
            raise AppctlError("no such bridge")
        br.ml.flush()
    else:
        for b in vs.bridges.values():
            b.ml.flush()
    vs.revalidate_all()
    return "table successfully flushed\n"


def _port_type(vs: Vswitchd, x: XPort, dp_type: str) -> str:
    """The netdev type ``dpif/show`` prints (internal ports as the datapath opened them)."""
    if x.type == "internal":
        return "dummy-internal" if vs.dummy else "tap" if dp_type == "netdev" else "internal"
    return x.type


def dpif_show(vs: Vswitchd, rest: list[str]) -> str:
    """``dpif_show``: per datapath, its bridges and their ports (sorted by name)."""
    del rest
    out: list[str] = []
    for dp_type in sorted(vs.dpifs):
        dpif = vs.dpifs[dp_type]
        out.append(f"{dp_type}@{dpif.name}: hit:{dpif.n_hit} missed:{dpif.n_missed}\n")
        for name in sorted(b for b, br in vs.bridges.items() if br.dpif is dpif):
            br = vs.bridges[name]
            out.append(f"  {name}:\n")
            for x in sorted(br.xports.values(), key=lambda x: x.name):
                dp = "none" if x.odp_port is None else str(x.odp_port)
                t = _port_type(vs, x, dp_type)
                if x.type == "patch":
                    t = f"patch: peer={x.peer}"
                elif x.is_tunnel and not (vs.dummy and vs.override):  # netdev_get_config
                    default = {"vxlan": "4789", "geneve": "6081"}[x.type]
                    opts = {k: v for k, v in x.options.items()
                            if not (k == "dst_port" and v == default)}
                    if opts:
                        t += ": " + ", ".join(f"{k}={v}" for k, v in sorted(opts.items()))
                out.append(f"    {x.name} {x.ofp_port}/{dp}: ({t})\n")
    return "".join(out)


def _used(flow: DpFlow, now: float) -> str:
    if flow.used is None:
        return "never"
    return f"{now - flow.used:.3f}s"


def format_flow(flow: DpFlow, now: float, packet_type: bool = True) -> str:
    mask = dict(flow.mask)
    return (f"{odp.format_dp_key(flow.key, mask, packet_type)}, packets:{flow.n_packets}, "
            f"bytes:{flow.n_bytes}, used:{_used(flow, now)}, "
            f"actions:{odp.format_odp_actions(flow.actions)}\n")


def _dpif_by_name(vs: Vswitchd, rest: list[str]) -> list[Dpif]:
    if not rest:
        return [vs.dpifs[t] for t in sorted(vs.dpifs)]
    name = rest[0]
    for t, d in vs.dpifs.items():
        if name in (f"{t}@{d.name}", d.name):
            return [d]
    raise AppctlError(f'opening datapath {name} failed (No such device)')


def dpctl_dump_flows(vs: Vswitchd, rest: list[str]) -> str:
    """``dpctl/dump-flows [DP]``: the megaflow cache (netdev: per thread, main only)."""
    rest = [a for a in rest if not a.startswith("-")]
    out: list[str] = []
    for dpif in _dpif_by_name(vs, rest):
        flows = dpif.flows()
        if dpif.dp_type == "netdev" and flows:
            out.append("flow-dump from the main thread:\n")
        out.extend(format_flow(f, vs.now, dpif.dp_type == "netdev") for f in flows)
    return "".join(out)


def dpif_dump_flows(vs: Vswitchd, rest: list[str]) -> str:
    """``dpif/dump-flows BRIDGE``: the megaflows whose input port is on BRIDGE."""
    args = [a for a in rest if not a.startswith("-")]
    br = vs.bridges.get(args[0]) if args else None
    if br is None:
        raise AppctlError("no such bridge")
    ports = {x.odp_port for x in br.xports.values() if x.odp_port is not None}
    return "".join(format_flow(f, vs.now, br.dpif.dp_type == "netdev")
                   for f in br.dpif.flows() if f.key.get("in_port") in ports)


def dpctl_show(vs: Vswitchd, rest: list[str]) -> str:
    """``dpctl/show``."""
    out: list[str] = []
    for dpif in _dpif_by_name(vs, rest):
        out.append(f"{dpif.dp_type}@{dpif.name}:\n")
        out.append(f"  lookups: hit:{dpif.n_hit} missed:{dpif.n_missed} lost:{dpif.n_lost}\n")
        out.append(f"  flows: {len(dpif.flows())}\n")
        for n in sorted(dpif.ports):
            p = dpif.ports[n]
            t = "" if p.type == "system" else f" ({p.type})"
            out.append(f"  port {n}: {p.name}{t}\n")
    return "".join(out)


def tnl_neigh_set(vs: Vswitchd, rest: list[str]) -> str:
    """``tnl/neigh/set BRIDGE IP MAC`` (``tnl_neigh_cache_add``): a tunnel neighbour."""
    try:
        ip = ipaddress.ip_address(rest[1])
    except ValueError:
        raise AppctlError("bad IP address") from None
    mac = rest[2].lower()
    if not _MAC_RE.fullmatch(mac):
        raise AppctlError("bad MAC address")
    mac = ":".join(f"{int(b, 16):02x}" for b in mac.split(":"))
    vs.tnl_neigh.pop((rest[0], str(ip)), None)  # a changed entry is a new one (cmap order)
    vs.tnl_neigh[(rest[0], str(ip))] = mac
    return "OK\n"


def tnl_neigh_show(vs: Vswitchd, _rest: list[str]) -> str:
    """``tnl/neigh/show`` (``tnl_neigh_cache_show``): the address padded to
    INET6_ADDRSTRLEN (46), the MAC, the bridge. Entries in the order they were made (OVS
    walks a hash map: the same for one entry)."""
    out = ["IP                                            MAC                 Bridge\n",
           "=" * 74 + "\n"]
    for (br, ip), mac in vs.tnl_neigh.items():
        out.append(f"{ip:<46}{mac}   {br}\n")
    return "".join(out)


def tnl_neigh_flush(vs: Vswitchd, _rest: list[str]) -> str:
    vs.tnl_neigh.clear()
    return "OK\n"


def ofproto_trace(vs: Vswitchd, rest: list[str]) -> str:
    from vnetlab.sim.ovs import ofproto_trace as trace

    return trace.unixctl_trace(vs, rest)


_MANY = 1 << 31

#: (min, max) arguments per command, as each is registered (``unixctl_command_register``)
ARITY: dict[str, tuple[int, int]] = {
    "fdb/show": (1, 1), "fdb/flush": (0, 1), "dpif/show": (0, 0),
    "dpif/dump-flows": (1, _MANY), "dpctl/dump-flows": (0, 6), "dpctl/show": (0, _MANY),
    "tnl/neigh/set": (3, 3), "tnl/neigh/show": (0, 0), "tnl/neigh/flush": (0, 0),
    "tnl/arp/set": (3, 3), "tnl/arp/show": (0, 0), "tnl/arp/flush": (0, 0),
    "ofproto/trace": (1, _MANY),
    "ovs/route/add": (2, 4), "ovs/route/show": (0, 0), "netdev-dummy/ip4addr": (2, 2),
}

COMMANDS = {
    "fdb/show": fdb_show,
    "fdb/flush": fdb_flush,
    "dpif/show": dpif_show,
    "dpif/dump-flows": dpif_dump_flows,
    "dpctl/dump-flows": dpctl_dump_flows,
    "dpctl/show": dpctl_show,
    "tnl/neigh/set": tnl_neigh_set,
    "tnl/neigh/show": tnl_neigh_show,
    "tnl/neigh/flush": tnl_neigh_flush,
    "tnl/arp/set": tnl_neigh_set,
    "tnl/arp/show": tnl_neigh_show,
    "tnl/arp/flush": tnl_neigh_flush,
    "ofproto/trace": ofproto_trace,
    "ovs/route/add": native_tnl.route_add,
    "ovs/route/show": native_tnl.route_show,
    "netdev-dummy/ip4addr": native_tnl.dummy_ip4addr,
}


def run_dpctl(vs: Vswitchd, argv: list[str]) -> CmdResult:
    """``ovs-dpctl show|dump-flows``: the same views as ``dpctl/*`` from the command line."""
    if not argv:
        return CmdResult("", "ovs-dpctl: missing command name; use --help for help\n", 1)
    cmd, rest = argv[0], argv[1:]
    vs.reconfigure()
    vs.run()
    try:
        if cmd == "show":
            return CmdResult(dpctl_show(vs, rest))
        if cmd == "dump-flows":
            # the command-line tool prints like the kernel datapath: no per-thread header,
            # no packet_type
            args = [a for a in rest if not a.startswith("-")]
            return CmdResult("".join(format_flow(f, vs.now, packet_type=False)
                                     for d in _dpif_by_name(vs, args) for f in d.flows()))
    except AppctlError as e:
        return CmdResult("", f"ovs-dpctl: {e}\n", 1)
    return CmdResult("", f"ovs-dpctl: unknown command '{cmd}'; use --help for help\n", 1)
