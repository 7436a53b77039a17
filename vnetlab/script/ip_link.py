"""``ip link add/del/set/show`` on the emulator (iplink_parse, do_iplink)."""


import errno
import ipaddress
from typing import Any

from pydantic import ValidationError

from vnetlab.model.base import check_ifname
from vnetlab.script import fmt
from vnetlab.script.args import Args, Env
from vnetlab.script.errors import NotSupportedYet, rtnetlink_answer
from vnetlab.script.fmt_linkinfo import PHYSICAL
from vnetlab.script.inet6 import family

#: device kinds Linux has (``ip link add ... type KIND``); others are "Unknown device type"
from vnetlab.script.ip_common import (
    LINUX_KINDS,
    _check_mtu,
    _ctx,
    _find_dev_arg,
    _ns_for_netns,
    _select,
    _spec_tables,
    _validation_message,
    kind_supported,
)
from vnetlab.script.sriov import apply_vf, parse_vf
from vnetlab.sim.devices.bridge import BridgeDevice, stp
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import InetAddr, ip_int
from vnetlab.wire.mac import mac_to_str


def link_add(a: Args, env: Env) -> int:
    name = None
    link = None
    mtu = None
    mac = None
    netns = None
    up = False
    kind = None
    while a.more():
        w = a.next()
        if w == "type":
            kind = a.value("type")
            break
        if w == "name" or w == "dev":
            name = a.value(w)
        elif w == "link":
            link = a.value("link")
        elif w == "mtu":
            mtu = a.uint("mtu", 0, 2**31)
        elif w in ("address", "addr"):
            mac = a.mac(w)
        elif w == "netns":
            netns = a.value("netns")
        elif w == "up":
            up = True
        elif w in ("txqueuelen", "txqlen", "qlen", "numtxqueues", "numrxqueues", "group",
                   "alias", "broadcast", "brd"):
            a.value(w)
        elif name is None:
            name = w
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    if kind is None:
        raise env.fail('Not enough information: "type" argument is required', rc=255)
    if name is None:
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    try:
        check_ifname(name)
    except ValueError:
        raise env.fail(f'Error: argument "{name}" is wrong: "name" not a valid ifname',
                       ) from None
    ns = env.ns if netns is None else _ns_for_netns(env, netns)
    if kind not in LINUX_KINDS:
        raise env.fail("Error: Unknown device type.", rc=2)
    why = kind_supported(kind)
    if why is not None:
        raise NotSupportedYet(f"ip link add ... type {kind}", why, lineno=env.lineno)
    if name in ns.devices:
        raise env.fail("RTNETLINK answers: File exists", rc=2)
    lower = None
    if link is not None:  # the lower device is looked up where the command runs
        lower = env.ns.devices.get(link)
        if lower is None:
            raise env.fail(f'Cannot find device "{link}"')
    kargs = a.rest()
    if kind == "veth":
        dev = _add_veth(env, ns, name, kargs, mtu or 1500, mac)
    elif kind == "bridge":
        dev = _add_bridge(env, ns, name, kargs, mtu, mac)
    else:
        dev = _add_generic(env, ns, name, kind, kargs, lower, mtu, mac)
    if up:
        dev.set_admin(True)
    return 0


def _add_veth(env: Env, ns: Any, name: str, kargs: list[str], mtu: int,
              mac: bytes | None) -> NetDevice:
    world = env.world
    peer_name = None
    peer_ns = ns
    peer_mac = None
    peer_mtu = mtu
    b = Args(kargs, env)
    if b.more():
        if b.next() != "peer":
            raise env.fail(f'Error: either "dev" is duplicate, or "{kargs[0]}" is a garbage.',
                           rc=255)
        while b.more():
            w = b.next()
            if w in ("name", "dev"):
                peer_name = b.value(w)
            elif w == "netns":
                peer_ns = _ns_for_netns(env, b.value("netns"))
            elif w in ("address", "addr"):
                peer_mac = b.mac(w)
            elif w == "mtu":
                peer_mtu = b.uint("mtu", 0, 2**31)
            elif peer_name is None:
                peer_name = w
            else:
                raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.',
                               rc=255)
    if peer_name is None:  # the kernel names it vethN
        n = 0
        while f"veth{n}" in peer_ns.devices or (peer_ns is ns and f"veth{n}" == name):
            n += 1
        peer_name = f"veth{n}"
    if peer_name in peer_ns.devices or (peer_ns is ns and peer_name == name):
        raise env.fail("RTNETLINK answers: File exists", rc=2)
    _check_mtu(env, mtu, 68, 65535)
    dev = world.add_veth(ns, name, peer_ns, peer_name, mtu, mac, peer_mac)
    if peer_mtu != mtu and isinstance(dev.peer, Veth):
        dev.peer.set_mtu(peer_mtu)
    if peer_ns is not ns:
        world.link_nsids(ns.name, peer_ns.name)
    return dev


BRIDGE_UNMODELLED = ("mcast_snooping",
                     "mcast_querier", "group_fwd_mask", "nf_call_iptables", "vlan_protocol",
                     "vlan_stats_enabled", "mcast_router")


def _bridge_opts(env: Env, kargs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    b = Args(kargs, env)
    while b.more():
        w = b.next()
        if w == "stp_state":
            out["stp"] = bool(b.uint(w, 0, 1))
        elif w == "vlan_filtering":
            out["vlan_filtering"] = bool(b.uint(w, 0, 1))
        elif w == "ageing_time":
            out["ageing_time"] = b.uint(w) / 100.0  # centiseconds, as iproute2 takes it
        elif w == "vlan_default_pvid":
            out["default_pvid"] = b.uint(w, 0, 4094)
        elif w in ("forward_delay", "hello_time", "max_age"):
            out[w] = b.uint(w) / 100.0  # centiseconds (IFLA_BR_FORWARD_DELAY ...)
        elif w == "priority":
            out["priority"] = b.uint(w, 0, 65535)
        elif w in BRIDGE_UNMODELLED:
            b.value(w)
            env.err(f"vnetlab: bridge option {w} is accepted but not modelled by the "
                    "emulator")
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    return out


def _add_bridge(env: Env, ns: Any, name: str, kargs: list[str], mtu: int | None,
                mac: bytes | None) -> NetDevice:
    opts = _bridge_opts(env, kargs)
    fields: dict[str, Any] = {"type": "bridge",
                              "mac": mac_to_str(mac or env.world.new_mac(ns.name, name))}
    if mtu is not None:
        fields["mtu"] = mtu
    for k in ("stp", "ageing_time", "default_pvid", "priority", "forward_delay", "hello_time",
              "max_age"):
        if k in opts:
            fields[k] = opts[k]
    spec = make_spec(env, "bridge", fields)
    br = env.world.build(ns, "bridge", name, spec)
    assert isinstance(br, BridgeDevice)
    br.addr_set = mac is not None  # no `address`: NET_ADDR_RANDOM, lowest port MAC wins
    if opts.get("vlan_filtering"):
        br.set_vlan_filtering(True)
    return br


def make_spec(env: Env, kind: str, fields: dict[str, Any]) -> Any:
    specs, _ = _spec_tables()
    try:
        return specs[kind].model_validate(fields)
    except ValidationError as e:
        err = e.errors()[0]
        if err.get("loc") and not isinstance(err.get("input"), dict):
            # a field's value: iproute2's invarg() words and status, not pydantic's
            field = ".".join(str(x) for x in err["loc"])
            raise env.fail(f'Error: argument "{err["input"]}" is wrong: invalid {field}',
                           ) from None
        raise env.fail(f"Error: {kind}: {_validation_message(e)}", rc=2) from None


#: ``dstport 0``: iproute2 sends no port and the kernel picks its default (vxlan 8472)
_KERNEL_DEFAULT = object()


def _iproute2_value(b: Args, kind: str, key: str, v: str) -> object:
    """V for KEY parsed as iproute2's link_iptunnel/vxlan/geneve parsers do, with their
    words and exit status 255 (``invarg``); keys iproute2 leaves to the kernel pass as
    text for the model to check."""
    def number(what: str) -> int:
        try:
            n = int(v, 0)
        except ValueError:
            raise b.wrong(v, what) from None
        if n < 0:
            raise b.wrong(v, what)
        return n

    if key == "id" and kind in ("vxlan", "geneve"):
        n = number("invalid id")
        if n >= 1 << 24:
            raise b.wrong(v, "invalid id")
        return n
    if key == "id" and kind == "vlan":
        n = number("id is invalid")
        if n > 0xFFFF:
            raise b.wrong(v, "id is invalid")
        if n >= 4095:  # the kernel's vlan_validate(): VLAN_VID_MASK and up
            raise b.env.fail("Error: 8021q: Invalid VLAN id.", rc=2)
        return n
    if key == "dstport":
        n = number("dst port")
        if n > 0xFFFF:
            raise b.wrong(v, "dst port")
        return _KERNEL_DEFAULT if n == 0 else n
    if key in ("remote", "local", "group"):
        try:
            ipaddress.IPv4Address(v)
        except ValueError:
            raise b.env.fail(f'Error: any valid address is expected rather than "{v}".',
                             rc=1) from None
        return v
    if key == "ttl" and v == "auto":
        return _KERNEL_DEFAULT  # no IFLA_VXLAN_TTL: the kernel's default
    if key == "ttl" and v != "inherit":
        n = number("invalid TTL")
        if n > 255:
            raise b.wrong(v, "TTL must be <= 255")
        return n
    return v


_TUNNEL_KEYS = {"id": "id", "vni": "id", "dstport": "dstport", "remote": "remote",
                "local": "local", "group": "group", "ttl": "ttl", "df": "df", "dev": "dev",
                "mode": "mode"}


def _add_generic(env: Env, ns: Any, name: str, kind: str, kargs: list[str],
                 lower: NetDevice | None, mtu: int | None, mac: bytes | None) -> NetDevice:
    """vlan, vxlan, geneve, and any kind another part of vnetlab adds (key value pairs
    mapped onto the spec's fields of the same name)."""
    specs, _ = _spec_tables()
    model = specs[kind]
    known = set(model.model_fields)
    fields: dict[str, Any] = {"type": kind}
    b = Args(kargs, env)
    while b.more():
        w = b.next()
        key = _TUNNEL_KEYS.get(w, w.replace("-", "_"))
        if w in ("learning", "nolearning") and "learning" in known:
            fields["learning"] = w == "learning"
        elif w in ("udpcsum", "noudpcsum", "udp6zerocsumtx", "udp6zerocsumrx", "l2miss",
                   "l3miss", "proxy", "rsc", "external", "noproxy", "norsc", "nol2miss",
                   "nol3miss", "gbp", "gpe", "remcsumtx", "remcsumrx", "bridge_slave",
                   "reorder_hdr", "loose_binding"):
            env.err(f"vnetlab: {kind} option {w} is accepted but not modelled")
        elif w in ("tos", "flowlabel", "ageing", "maxaddress", "srcport", "protocol",
                   "ingress-qos-map", "egress-qos-map", "gvrp", "mvrp", "flag"):
            b.value(w)
            if w == "protocol" and kind == "vlan":
                continue
            env.err(f"vnetlab: {kind} option {w} is accepted but not modelled")
        elif key in known:
            v = b.value(w)
            if key == "dev" and v not in ns.devices:
                raise env.fail(f'Cannot find device "{v}"')
            parsed = _iproute2_value(b, kind, key, v)
            if parsed is _KERNEL_DEFAULT:
                fields.pop(key, None)
                fields[f"_{key}_given"] = True
            else:
                fields[key] = parsed
        else:
            raise env.fail(f'Error: argument "{w}" is wrong: unknown {kind} option', rc=255)
    dstport_given = fields.pop("_dstport_given", False)
    fields.pop("_ttl_given", None)
    if kind == "vxlan" and not dstport_given and "dstport" not in fields:
        env.err("vxlan: destination port not specified\nWill use Linux kernel default "
                "(non-standard value)\nUse 'dstport 4789' to get the IANA assigned value\n"
                "Use 'dstport 0' to get default and quiet this message")
    if "link" in known and lower is not None:
        fields["link"] = lower.name
    elif lower is not None and "dev" in known:
        fields.setdefault("dev", lower.name)
    elif lower is not None:
        fields["link"] = lower.name
    if kind == "vlan" and "link" not in fields:
        raise env.fail('Error: argument "link" is required for vlan devices', rc=2)
    if kind == "vlan" and "id" not in fields:
        raise env.fail("8021q: VLAN device needs VLAN ID", rc=255)
    if kind in ("vxlan", "geneve") and "id" not in fields:
        raise env.fail(f"{kind}: missing virtual network identifier", rc=255)
    fields["mac"] = mac_to_str(mac) if mac else (
        mac_to_str(lower.mac) if kind == "vlan" and lower is not None
        else mac_to_str(env.world.new_mac(ns.name, name)))
    headroom = 50
    limit = None
    underlay = None
    if kind == "vxlan" and fields.get("dev"):
        underlay = ns.devices[fields["dev"]]
    elif kind == "geneve" and fields.get("remote"):
        try:
            underlay = ns.stack.route_output(ip_int(fields["remote"])).dev
        except (OSError, ValueError):
            underlay = None
    if underlay is not None:
        limit = underlay.mtu - headroom
    if kind == "vlan" and lower is not None:
        limit = lower.mtu
    if mtu is not None:
        if limit is not None and mtu > limit:
            raise env.fail("RTNETLINK answers: Invalid argument" if kind != "vlan"
                           else "RTNETLINK answers: Numerical result out of range", rc=2)
        fields["mtu"] = mtu
    elif "mtu" in known and model.model_fields["mtu"].default is None:
        fields["mtu"] = limit if limit is not None else 1500
    spec = make_spec(env, kind, fields)
    try:  # the lower (macvlan/ipvlan/vlan) may be in another namespace than the device
        return env.world.build(ns, kind, name, spec, lower)
    except NetdevError as e:
        # an EINVAL keeps the emulator's reason, as ip prints the kernel's extack message
        why = f" ({e})" if e.errno == errno.EINVAL else ""
        raise env.fail(rtnetlink_answer(e.errno) + why, rc=2) from None
    except ValueError as e:
        raise env.fail(f"RTNETLINK answers: Invalid argument ({e})", rc=2) from None
    except KeyError as e:
        raise env.fail(f"Cannot find device {e}", rc=1) from None


def link_del(a: Args, env: Env) -> int:
    dev = _find_dev_arg(a, env)
    while a.more():
        w = a.next()
        if w == "type":
            a.value("type")
    if dev is dev.ns.lo or dev.kind in PHYSICAL:  # no rtnl_link_ops->dellink
        raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
    env.world.delete(dev)
    return 0


def link_set(a: Args, env: Env) -> int:
    dev = _find_dev_arg(a, env)
    world = env.world
    ns = env.ns
    while a.more():
        w = a.next()
        if w == "up":
            dev.set_admin(True)
            if dev is ns.lo and not any(a.local == 0x7F000001 for a in ns.addrs.get(dev, [])):
                ns.add_addr(dev, InetAddr(0x7F000001, 8))  # inetdev_event: lo's 127.0.0.1
        elif w == "down":
            dev.set_admin(False)
        elif w == "master":
            m = a.value("master")
            br = ns.devices.get(m)
            if br is None:
                raise env.fail(f'Cannot find device "{m}"')
            if not isinstance(br, BridgeDevice):
                if br.kind in ("bond", "team", "vrf"):
                    raise NotSupportedYet(f"master {m} ({br.kind})", lineno=env.lineno)
                raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
            if dev is br:
                raise env.fail("Error: Can not enslave a bridge to itself.", rc=2)
            if isinstance(dev, BridgeDevice):
                raise env.fail("Error: Can not enslave a bridge to a bridge.", rc=2)
            if dev is ns.lo:
                raise env.fail("Error: Can not enslave loopback device.", rc=2)
            if dev.master is br:
                continue
            if dev.br_port is not None:
                dev.br_port.bridge.del_port(dev)
            br.add_port(dev)
        elif w == "nomaster":
            if dev.br_port is not None:
                dev.br_port.bridge.del_port(dev)
        elif w == "netns":
            target = _ns_for_netns(env, a.value("netns"))
            if target is ns:
                continue
            if dev is ns.lo:
                raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
            if dev.kind in ("vxlan", "geneve", "vlan") or dev.vlans:
                raise NotSupportedYet(f"moving a {dev.kind} device to another namespace",
                                      lineno=env.lineno)
            if dev.name in target.devices:
                raise env.fail("RTNETLINK answers: File exists", rc=2)
            try:
                ns.move_device(dev, target)
            except NetdevError as e:
                raise env.fail(rtnetlink_answer(e.errno), rc=2) from None
            peer = getattr(dev, "peer", None)
            if isinstance(peer, NetDevice) and peer.ns is not target:
                world.link_nsids(target.name, peer.ns.name)
            return 0  # the rest of the line would act in the new namespace: iproute2 too
        elif w == "mtu":
            _set_mtu(env, dev, a.uint("mtu", 0, 2**31))
        elif w in ("address", "addr"):
            mac = a.mac(w)
            if mac[0] & 1:
                raise env.fail("RTNETLINK answers: Cannot assign requested address", rc=2)
            if isinstance(dev, BridgeDevice):
                _br_set_mac(dev, mac)
            else:
                dev.mac = mac
        elif w == "name":
            new = a.value("name")
            if dev.admin_up:
                raise env.fail("RTNETLINK answers: Device or resource busy", rc=2)
            if new in ns.devices:
                raise env.fail("RTNETLINK answers: File exists", rc=2)
            del ns.devices[dev.name]
            dev.name = new
            dev.where = f"{ns.name}:{new}"
            ns.devices[new] = dev
        elif w == "type":
            k = a.value("type")
            if k != "bridge" or not isinstance(dev, BridgeDevice):
                raise NotSupportedYet(f"ip link set ... type {k}", lineno=env.lineno)
            opts = _bridge_opts(env, a.rest())
            if "ageing_time" in opts:
                dev.set_ageing(opts["ageing_time"])
            _bridge_stp_changelink(env, dev, opts)
            if "vlan_filtering" in opts:
                dev.set_vlan_filtering(opts["vlan_filtering"])
            if "default_pvid" in opts and opts["default_pvid"] != dev.default_pvid:
                raise NotSupportedYet("changing vlan_default_pvid of an existing bridge",
                                      lineno=env.lineno)
        elif w == "vf":
            apply_vf(env, dev, parse_vf(a, env, dev))
        elif w in ("arp", "multicast", "allmulticast", "dynamic", "trailers", "carrier"):
            a.onoff(w)
            env.err(f"vnetlab: link flag {w} is accepted but not modelled")
        elif w == "promisc":
            dev.set_promiscuity(1 if a.onoff(w) else -1)
        elif w in ("txqueuelen", "txqlen", "qlen", "alias", "group", "link"):
            a.value(w)
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    return 0


def _bridge_stp_changelink(env: Env, br: BridgeDevice, opts: dict[str, Any]) -> None:
    """``br_changelink``'s STP part, in its order: forward_delay, hello_time, max_age,
    stp_state, priority; a timer out of br_stp_if.c's range while STP is (or is being
    turned) on is ERANGE."""
    limits = {"forward_delay": (stp.BR_MIN_FORWARD_DELAY, stp.BR_MAX_FORWARD_DELAY),
              "hello_time": (stp.BR_MIN_HELLO_TIME, stp.BR_MAX_HELLO_TIME),
              "max_age": (stp.BR_MIN_MAX_AGE, stp.BR_MAX_MAX_AGE)}
    for name in ("forward_delay", "hello_time", "max_age"):
        if name in opts:
            lo, hi = limits[name]
            if not lo <= opts[name] <= hi and (br.stp or name != "forward_delay"):
                raise env.fail("RTNETLINK answers: Numerical result out of range", rc=2)
            stp.set_bridge_timer(br, name, opts[name])
    if "stp" in opts:
        br.set_stp(opts["stp"])
    if "priority" in opts:
        stp.br_stp_set_bridge_priority(br, opts["priority"])


def _set_mtu(env: Env, dev: NetDevice, mtu: int) -> None:
    _check_mtu(env, mtu, 68, 65535 if dev.kind != "loopback" else 2**31)
    lower = fmt.lower_of(dev)
    if dev.kind == "vlan" and lower is not None and mtu > lower.mtu:
        raise env.fail("RTNETLINK answers: Numerical result out of range", rc=2)
    tun_lower = getattr(dev, "lower", None)
    if dev.kind in ("vxlan", "geneve") and isinstance(tun_lower, NetDevice) and (
            mtu > tun_lower.mtu - 50):
        raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
    if isinstance(dev, Veth):
        dev.set_mtu(mtu)
    else:
        dev.mtu = mtu


def _br_set_mac(br: BridgeDevice, mac: bytes) -> None:
    """``br_set_mac_address``: the bridge's local FDB entry and bridge id follow, and the
    address is now NET_ADDR_SET (ports no longer decide it: ``addr_set``)."""
    from vnetlab.sim.devices.bridge import fdb as fdbmod

    old = br.fdb.get(br.mac)
    if old is not None and old.local and old.port is None:
        del br.fdb[br.mac]
    br.mac = mac
    br.addr_set = True
    if mac not in br.fdb:
        fdbmod.fdb_insert_local(br, mac, None)
    stp.br_stp_change_bridge_id(br, mac)


def link_show(a: Args, env: Env, *, addr: bool) -> int:
    filt: dict[str, str] = {}
    devs = _select(a, env, filt)
    ctx = _ctx(env)
    o = env.opts
    stats = o.get("stats", 0)
    fam = family(env)
    if not addr or fam == "link":
        objs = [(fmt.link_obj(d, ctx, details=o.get("details", False), stats=bool(stats)),
                 d) for d in devs]
        addr = addr and fam != "link"
    else:
        scope = filt.get("scope")
        # ip -6 addr without dev reads the IPv6 family's own link dump (inet6_dump_ifinfo)
        short = fam == "inet6" and "dev" not in filt
        objs = [(fmt.addr_obj(d, ctx, details=o.get("details", False), stats=bool(stats),
                              family=fam, scope=scope, short=short), d) for d in devs]
        if fam is not None or scope is not None:  # ipaddr_filter: links with none go
            objs = [(x, d) for x, d in objs if x["addr_info"]]
    if o.get("json"):
        if o.get("brief"):
            env.json([fmt.brief_obj(x, addr=addr) for x, _ in objs])
        else:
            env.json([x for x, _ in objs])
        return 0
    for obj, d in objs:
        if o.get("brief"):
            env.out(fmt.link_brief(obj, d, ctx, addr=addr))
        elif o.get("oneline") and addr:
            # ip -o addr: one line per address, "N: NAME    " then its two lines joined
            for info in obj["addr_info"]:
                first, second = fmt.addr_plain(info)
                env.out(f"{obj['ifindex']}: {d.name}    {first.lstrip()}\\{second}")
        elif o.get("oneline"):
            env.out("\\".join(fmt.link_plain(obj, d, ctx, addr=addr, stats=stats)))
        else:
            for line in fmt.link_plain(obj, d, ctx, addr=addr, stats=stats):
                env.out(line)
    return 0
