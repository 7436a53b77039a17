"""The ovs-vsctl commands of its own: bridges, ports, bonds and interfaces.

Design note
-----------
Mirrors the command functions of ``utilities/ovs-vsctl.c`` and their cache of the
database (``struct vsctl_bridge``/``vsctl_port``/``vsctl_iface``,
``vsctl_context_populate_cache``): bridges by name including VLAN "fake bridges" (a Port
with ``fake_bridge=true`` and a ``tag``), ports and interfaces by name. A bridge's own
port (same name as the bridge) is not a "port" for ``list-ports``/``port-to-br``. The
cache is rebuilt on the next use after a generic command changed the database.
Controller, manager, fail-mode, SSL, ``show`` and ``emer-reset`` are in ``vsctl_ctrl.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vnetlab.ovsdb.ctl import Context, CtlExit, CtlFatal, Syntax, set_column, shash_order
from vnetlab.ovsdb.db import Row
from vnetlab.ovsdb.vswitch_schema import TABLES


@dataclass(eq=False)
class VBridge:
    name: str
    cfg: Row | None
    parent: VBridge | None
    vlan: int
    ports: list[VPort] = field(default_factory=list)
    children: dict[int, VBridge] = field(default_factory=dict)

    @property
    def real(self) -> Row:
        """The Bridge row (the parent's, for a fake bridge)."""
        row = self.cfg if self.cfg is not None else self.parent.cfg  # type: ignore[union-attr]
        assert row is not None
        return row


@dataclass(eq=False)
class VPort:
    cfg: Row
    bridge: VBridge
    ifaces: list[VIface] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.cfg["name"])


@dataclass(eq=False)
class VIface:
    cfg: Row
    port: VPort


@dataclass
class VsctlState:
    """``struct vsctl_context``'s cache."""

    ovs: Row | None = None
    valid: bool = False
    bridges: dict[str, VBridge] = field(default_factory=dict)
    ports: dict[str, VPort] = field(default_factory=dict)
    ifaces: dict[str, VIface] = field(default_factory=dict)

    def invalidate(self) -> None:
        self.valid = False


def _fake_vlan(port: Row) -> int | None:
    """``port_is_fake_bridge``: the VLAN of a fake bridge's port, else None."""
    tag = port.opt("tag")
    if port["fake_bridge"] and isinstance(tag, int) and 0 <= tag <= 4095:
        return tag
    return None


def state_of(ctx: Context) -> VsctlState:
    state = ctx.tool
    assert isinstance(state, VsctlState)
    if not state.valid:
        _populate(ctx, state)
    return state


def _populate(ctx: Context, st: VsctlState) -> None:
    db = ctx.db
    assert st.ovs is not None
    st.bridges, st.ports, st.ifaces = {}, {}, {}
    brs = [r for r in (db.get("Bridge", u) for u in st.ovs.refs("bridges")) if r is not None]
    names: set[str] = set()
    port_names: set[str] = set()
    for br_cfg in brs:
        name = str(br_cfg["name"])
        if name in names:
            continue
        names.add(name)
        br = st.bridges[name] = VBridge(name, br_cfg, None, 0)
        for port in _ports(ctx, br_cfg):
            pname = str(port["name"])
            if pname in port_names:
                continue
            port_names.add(pname)
            vlan = _fake_vlan(port)
            if vlan is not None and pname not in names:
                names.add(pname)
                child = st.bridges[pname] = VBridge(pname, None, br, vlan)
                br.children.setdefault(vlan, child)
    seen: set[str] = set()
    for br_cfg in brs:
        name = str(br_cfg["name"])
        if name in seen:
            continue
        seen.add(name)
        br = st.bridges[name]
        for port in _ports(ctx, br_cfg):
            pname = str(port["name"])
            if pname in st.ports:
                continue
            if _fake_vlan(port) is not None:
                if pname in seen:
                    continue
                seen.add(pname)
            vport = _add_port_to_cache(st, br, port)
            for iface in _ifaces(ctx, port):
                iname = str(iface["name"])
                if iname not in st.ifaces:
                    _add_iface_to_cache(st, vport, iface)
    st.valid = True


def _ports(ctx: Context, br: Row) -> list[Row]:
    return [p for p in (ctx.db.get("Port", u) for u in br.refs("ports")) if p is not None]


def _ifaces(ctx: Context, port: Row) -> list[Row]:
    return [i for i in (ctx.db.get("Interface", u) for u in port.refs("interfaces"))
            if i is not None]


def _add_port_to_cache(st: VsctlState, parent: VBridge, port: Row) -> VPort:
    tag = port.opt("tag")
    if isinstance(tag, int) and 0 <= tag <= 4095 and tag in parent.children:
        parent = parent.children[tag]
    vport = VPort(port, parent)
    parent.ports.append(vport)
    st.ports[vport.name] = vport
    return vport


def _add_iface_to_cache(st: VsctlState, port: VPort, iface: Row) -> VIface:
    viface = VIface(iface, port)
    port.ifaces.append(viface)
    st.ifaces[str(iface["name"])] = viface
    return viface


def find_bridge(st: VsctlState, name: str, must_exist: bool) -> VBridge | None:
    br = st.bridges.get(name)
    if must_exist and br is None:
        raise CtlFatal(f"no bridge named {name}")
    return br


def find_real_bridge(st: VsctlState, name: str, must_exist: bool) -> VBridge | None:
    br = find_bridge(st, name, must_exist)
    if br is not None and br.parent is not None:
        raise CtlFatal(f"{name} is a fake bridge")
    return br


def find_port(st: VsctlState, name: str, must_exist: bool) -> VPort | None:
    port = st.ports.get(name)
    if port is not None and name == port.bridge.name:
        port = None
    if must_exist and port is None:
        raise CtlFatal(f"no port named {name}")
    return port


def find_iface(st: VsctlState, name: str, must_exist: bool) -> VIface | None:
    iface = st.ifaces.get(name)
    if iface is not None and name == iface.port.bridge.name:
        iface = None
    if must_exist and iface is None:
        raise CtlFatal(f"no interface named {name}")
    return iface


def check_conflicts(st: VsctlState, name: str, msg: str) -> None:
    if name in st.bridges:
        raise CtlFatal(f"{msg} because a bridge named {name} already exists")
    if name in st.ports:
        raise CtlFatal(f"{msg} because a port named {name} already exists on bridge "
                       f"{st.ports[name].bridge.name}")
    if name in st.ifaces:
        raise CtlFatal(f"{msg} because an interface named {name} already exists on bridge "
                       f"{st.ifaces[name].port.bridge.name}")


# --- bridges -----------------------------------------------------------------------------
def cmd_init(ctx: Context) -> None:
    pass


def cmd_add_br(ctx: Context) -> None:
    may_exist = ctx.opt("--may-exist")
    br_name = ctx.argv[1]
    if not br_name:
        raise CtlFatal("bridge name must not be empty string")
    parent_name: str | None = None
    vlan = 0
    if len(ctx.argv) == 4:
        parent_name = ctx.argv[2]
        vlan = _atoi(ctx.argv[3])
        if not 0 <= vlan <= 4095:
            raise CtlFatal(f"{ctx.argv[0]}: vlan must be between 0 and 4095")
    elif len(ctx.argv) != 2:
        raise CtlFatal(f"'{ctx.argv[0]}' command takes exactly 1 or 3 arguments")
    st = state_of(ctx)
    if may_exist:
        br = find_bridge(st, br_name, False)
        if br is not None:
            if parent_name is None:
                if br.parent is not None:
                    raise CtlFatal(f'"--may-exist add-br {br_name}" but {br_name} is a VLAN '
                                   f"bridge for VLAN {br.vlan}")
            else:
                head = f'"--may-exist add-br {br_name} {parent_name} {vlan}" but {br_name}'
                if br.parent is None:
                    raise CtlFatal(f"{head} is not a VLAN bridge")
                if br.parent.name != parent_name:
                    raise CtlFatal(f"{head} has the wrong parent {br.parent.name}")
                if br.vlan != vlan:
                    raise CtlFatal(f"{head} is a VLAN bridge for the wrong VLAN {br.vlan}")
            return
    check_conflicts(st, br_name, f"cannot create a bridge named {br_name}")
    txn = ctx.txn
    if parent_name is None:
        iface = txn.insert("Interface", {"name": br_name, "type": "internal"})
        port = txn.insert("Port", {"name": br_name, "interfaces": [iface.uuid]})
        bridge = txn.insert("Bridge", {"name": br_name, "ports": [port.uuid]})
        assert st.ovs is not None
        txn.write(st.ovs, "bridges", [*st.ovs.refs("bridges"), bridge.uuid])
    else:
        parent = find_bridge(st, parent_name, False)
        if parent is not None and parent.parent is not None:
            raise CtlFatal("cannot create bridge with fake bridge as parent")
        if parent is None:
            raise CtlFatal(f"parent bridge {parent_name} does not exist")
        if vlan in parent.children:
            raise CtlFatal(f"bridge {parent_name} already has a child VLAN bridge "
                           f"{parent.children[vlan].name} on VLAN {vlan}")
        iface = txn.insert("Interface", {"name": br_name, "type": "internal"})
        port = txn.insert("Port", {"name": br_name, "interfaces": [iface.uuid],
                                   "fake_bridge": True, "tag": [vlan]})
        real = parent.real
        txn.write(real, "ports", [*real.refs("ports"), port.uuid])
    st.invalidate()


def _atoi(text: str) -> int:
    """C ``atoi``: leading digits, 0 when there are none."""
    s = text.lstrip()
    n = len(s) - len(s.lstrip("+-"))
    digits = ""
    for c in s[min(n, 1):]:
        if not c.isdigit():
            break
        digits += c
    value = int(digits) if digits else 0
    return -value if s.startswith("-") else value


def _del_port(ctx: Context, st: VsctlState, port: VPort, rows: bool = True) -> None:
    """``del_port``. With ``rows`` false (the whole real bridge goes) nothing is written:
    the IDL drops the writes to a row it deletes and sends no delete for non-root rows,
    so the Bridge, its Ports and Interfaces go by garbage collection or not at all."""
    if rows:
        br = port.bridge.real
        ctx.txn.write(br, "ports", [u for u in br.refs("ports") if u != port.cfg.uuid])
    for iface in port.ifaces:
        if rows:
            ctx.txn.delete(iface.cfg)
        ctx.hidden.add(iface.cfg.uuid)
        st.ifaces.pop(str(iface.cfg["name"]), None)
    if rows:
        ctx.txn.delete(port.cfg)
    ctx.hidden.add(port.cfg.uuid)
    st.ports.pop(port.name, None)
    port.bridge.ports.remove(port)


def _del_bridge(ctx: Context, st: VsctlState, br: VBridge, rows: bool = True) -> None:
    """``del_bridge``: a real bridge leaves ``Open_vSwitch.bridges`` and garbage
    collection takes it (a Flow_Sample_Collector_Set naming it keeps it, with its ports:
    OVS means to delete those sets, but del-br never loads that table); a fake bridge's
    ports leave its parent."""
    rows = rows and br.cfg is None
    for child in list(br.children.values()):
        _del_bridge(ctx, st, child, rows)
    for port in list(br.ports):
        _del_port(ctx, st, port, rows)
    if br.parent is not None:
        br.parent.children.pop(br.vlan, None)
    if br.cfg is not None:
        assert st.ovs is not None
        ctx.txn.write(st.ovs, "bridges", [u for u in st.ovs.refs("bridges") if u != br.cfg.uuid])
        ctx.hidden.add(br.cfg.uuid)
    st.bridges.pop(br.name, None)


def cmd_del_br(ctx: Context) -> None:
    st = state_of(ctx)
    br = find_bridge(st, ctx.argv[1], not ctx.opt("--if-exists"))
    if br is not None:
        _del_bridge(ctx, st, br)


def sorted_lines(names: list[str]) -> str:
    return "".join(f"{n}\n" for n in sorted(names, key=lambda s: s.encode()))


def cmd_list_br(ctx: Context) -> None:
    real, fake = ctx.opt("--real"), ctx.opt("--fake")
    if not real and not fake:
        real = fake = True
    st = state_of(ctx)
    ctx.output.append(sorted_lines([b.name for b in st.bridges.values()
                                     if (fake if b.parent else real)]))


def cmd_br_exists(ctx: Context) -> None:
    if find_bridge(state_of(ctx), ctx.argv[1], False) is None:
        raise CtlExit(2)


def cmd_br_to_vlan(ctx: Context) -> None:
    br = find_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    ctx.output.append(f"{br.vlan}\n")


def cmd_br_to_parent(ctx: Context) -> None:
    br = find_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    ctx.output.append(f"{(br.parent or br).name}\n")


def _external_ids_target(ctx: Context) -> tuple[Row, str]:
    st = state_of(ctx)
    br = find_bridge(st, ctx.argv[1], True)
    assert br is not None
    if br.cfg is not None:
        return br.cfg, ""
    return st.ports[ctx.argv[1]].cfg, "fake-bridge-"


def cmd_br_set_external_id(ctx: Context) -> None:
    row, prefix = _external_ids_target(ctx)
    ids = row["external_ids"]
    assert isinstance(ids, dict)
    key = prefix + ctx.argv[2]
    if len(ctx.argv) >= 4:
        ids[key] = ctx.argv[3]
    else:
        ids.pop(key, None)
    ctx.txn.write(row, "external_ids", ids)


def cmd_br_get_external_id(ctx: Context) -> None:
    row, prefix = _external_ids_target(ctx)
    ids = row["external_ids"]
    assert isinstance(ids, dict)
    if len(ctx.argv) >= 3:
        value = ids.get(prefix + ctx.argv[2])
        if value is not None:
            ctx.output.append(f"{value}\n")
    else:
        ctx.output.append(sorted_lines([f"{str(k)[len(prefix):]}={v}" for k, v in ids.items()
                                         if str(k).startswith(prefix)]))


# --- ports and interfaces ------------------------------------------------------------
def cmd_list_ports(ctx: Context) -> None:
    br = find_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    ctx.output.append(sorted_lines([p.name for p in br.ports if p.name != br.name]))


def escape_args(words: list[str]) -> str:
    """``process_escape_args``: words with blanks, quotes or backslashes in double quotes."""
    out = []
    for w in words:
        if any(c in w for c in " \t\r\n\v\\'\""):
            w = '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(w)
    return " ".join(out)


def _add_port(ctx: Context, br_name: str, port_name: str, may_exist: bool, fake_iface: bool,
              iface_names: list[str], settings: list[str]) -> None:
    if not port_name:
        raise CtlFatal("port name must not be empty string")
    if any(not n for n in iface_names):
        raise CtlFatal("interface name must not be empty string")
    st = state_of(ctx)
    if may_exist:
        port = find_port(st, port_name, False)
        if port is not None:
            want = sorted(iface_names)
            have = sorted(str(i["name"]) for i in _ifaces(ctx, port.cfg))
            command = escape_args([*shash_order(list(ctx.options)), *ctx.argv])
            if port.bridge.name != br_name:
                raise CtlFatal(f'"{command}" but {port_name} is actually attached to bridge '
                               f"{port.bridge.name}")
            if want != have:
                raise CtlFatal(f'"{command}" but {port_name} actually has interface(s) '
                               f"{', '.join(have)}")
            return
    check_conflicts(st, port_name, f"cannot create a port named {port_name}")
    for name in iface_names:
        check_conflicts(st, name, f"cannot create an interface named {name}")
    br = find_bridge(st, br_name, True)
    assert br is not None
    txn = ctx.txn
    ifaces = [txn.insert("Interface", {"name": n}) for n in iface_names]
    port_row = txn.insert("Port", {"name": port_name, "interfaces": [i.uuid for i in ifaces],
                                   "bond_fake_iface": fake_iface})
    if br.parent is not None:
        txn.write(port_row, "tag", [br.vlan])
    for setting in settings:
        set_column(ctx, TABLES["Port"], port_row, setting)
    real = br.real
    txn.write(real, "ports", [*real.refs("ports"), port_row.uuid])
    vport = _add_port_to_cache(st, br, port_row)
    for iface in ifaces:
        _add_iface_to_cache(st, vport, iface)


def cmd_add_port(ctx: Context) -> None:
    _add_port(ctx, ctx.argv[1], ctx.argv[2], ctx.opt("--may-exist"), False,
              [ctx.argv[2]], ctx.argv[3:])


def cmd_add_bond(ctx: Context) -> None:
    args = ctx.argv[3:]
    n = next((i for i, a in enumerate(args) if "=" in a), len(args))
    if n < 2:
        raise CtlFatal(f"add-bond requires at least 2 interfaces, but only {n} were "
                       "specified")
    _add_port(ctx, ctx.argv[1], ctx.argv[2], ctx.opt("--may-exist"),
              ctx.opt("--fake-iface"), args[:n], args[n:])


def cmd_add_bond_iface(ctx: Context) -> None:
    """``cmd_add_bond_iface``: one more interface in an existing port."""
    st = state_of(ctx)
    port = find_port(st, ctx.argv[1], True)
    assert port is not None
    name = ctx.argv[2]
    if ctx.opt("--may-exist"):
        iface = find_iface(st, name, False)
        if iface is not None:
            if iface.port is port:
                return
            command = escape_args([*shash_order(list(ctx.options)), *ctx.argv])
            raise CtlFatal(f'"{command}" but {name} is actually attached to port '
                           f"{iface.port.name}")
    check_conflicts(st, name, f"cannot create an interface named {name}")
    row = ctx.txn.insert("Interface", {"name": name})
    ctx.txn.write(port.cfg, "interfaces", [*port.cfg.refs("interfaces"), row.uuid])
    _add_iface_to_cache(st, port, row)


def cmd_del_bond_iface(ctx: Context) -> None:
    """``cmd_del_bond_iface``: a port keeps at least one interface."""
    st = state_of(ctx)
    name = ctx.argv[-1]
    iface = find_iface(st, name, not ctx.opt("--if-exists"))
    if iface is None:
        return
    if len(ctx.argv) > 2:
        port = find_port(st, ctx.argv[1], True)
        if iface.port is not port:
            raise CtlFatal(f"port {ctx.argv[1]} does not have an interface {name}")
    if len(iface.port.ifaces) < 2:
        raise CtlFatal(f"cannot delete last interface from port {iface.port.name}")
    cfg = iface.port.cfg
    ctx.txn.write(cfg, "interfaces", [u for u in cfg.refs("interfaces") if u != iface.cfg.uuid])
    ctx.txn.delete(iface.cfg)
    iface.port.ifaces.remove(iface)
    st.ifaces.pop(name, None)


def cmd_del_port(ctx: Context) -> None:
    must_exist = not ctx.opt("--if-exists")
    target = ctx.argv[-1]
    st = state_of(ctx)
    port: VPort | None
    if find_bridge(st, target, False) is not None:
        if must_exist:
            raise CtlFatal(f"cannot delete port {target} because it is the local port for "
                           f"bridge {target} (deleting this port requires deleting the "
                           "entire bridge)")
        port = None
    elif not ctx.opt("--with-iface"):
        port = find_port(st, target, must_exist)
    else:
        port = find_port(st, target, False)
        if port is None:
            iface = find_iface(st, target, False)
            port = iface.port if iface is not None else None
        if must_exist and port is None:
            raise CtlFatal(f"no port or interface named {target}")
    if port is None:
        return
    if len(ctx.argv) == 3:
        br = find_bridge(st, ctx.argv[1], True)
        if port.bridge is not br:
            if port.bridge.parent is br:
                raise CtlFatal(f"bridge {ctx.argv[1]} does not have a port {ctx.argv[2]} "
                               f"(although its child bridge {port.bridge.name} does)")
            raise CtlFatal(f"bridge {ctx.argv[1]} does not have a port {ctx.argv[2]}")
    _del_port(ctx, st, port)


def cmd_port_to_br(ctx: Context) -> None:
    port = find_port(state_of(ctx), ctx.argv[1], True)
    assert port is not None
    ctx.output.append(f"{port.bridge.name}\n")


def cmd_list_ifaces(ctx: Context) -> None:
    br = find_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    names = [str(i.cfg["name"]) for p in br.ports for i in p.ifaces]
    ctx.output.append(sorted_lines([n for n in names if n != br.name]))


def cmd_iface_to_br(ctx: Context) -> None:
    iface = find_iface(state_of(ctx), ctx.argv[1], True)
    assert iface is not None
    ctx.output.append(f"{iface.port.bridge.name}\n")


def pre_info(ctx: Context) -> None:
    """``pre_get_info``: nothing to check before running."""


VSCTL_COMMANDS: dict[str, Syntax] = {s.name: s for s in [
    Syntax("init", 0, 0, "", None, cmd_init, rw=True),
    Syntax("add-br", 1, 3, "--may-exist", pre_info, cmd_add_br, rw=True),
    Syntax("del-br", 1, 1, "--if-exists", pre_info, cmd_del_br, rw=True),
    Syntax("list-br", 0, 0, "--real,--fake", pre_info, cmd_list_br),
    Syntax("br-exists", 1, 1, "", pre_info, cmd_br_exists),
    Syntax("br-to-vlan", 1, 1, "", pre_info, cmd_br_to_vlan),
    Syntax("br-to-parent", 1, 1, "", pre_info, cmd_br_to_parent),
    Syntax("br-set-external-id", 2, 3, "", pre_info, cmd_br_set_external_id, rw=True),
    Syntax("br-get-external-id", 1, 2, "", pre_info, cmd_br_get_external_id),
    Syntax("list-ports", 1, 1, "", pre_info, cmd_list_ports),
    Syntax("add-port", 2, 2**31, "--may-exist", pre_info, cmd_add_port, rw=True),
    Syntax("del-port", 1, 2, "--if-exists,--with-iface", pre_info, cmd_del_port, rw=True),
    Syntax("port-to-br", 1, 1, "", pre_info, cmd_port_to_br),
    Syntax("add-bond", 4, 2**31, "--may-exist,--fake-iface", pre_info, cmd_add_bond,
           rw=True),
    Syntax("add-bond-iface", 2, 2, "--may-exist", pre_info, cmd_add_bond_iface, rw=True),
    Syntax("del-bond-iface", 1, 2, "--if-exists", pre_info, cmd_del_bond_iface, rw=True),
    Syntax("list-ifaces", 1, 1, "", pre_info, cmd_list_ifaces),
    Syntax("iface-to-br", 1, 1, "", pre_info, cmd_iface_to_br),
]}
