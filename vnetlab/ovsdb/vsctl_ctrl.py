"""ovs-vsctl's controller, manager, SSL and ``emer-reset`` commands.

Design note
-----------
Mirrors the corresponding functions of ``utilities/ovs-vsctl.c``: a bridge's controllers
and the switch's managers are rows created afresh by every ``set-*`` (the old ones are
deleted), targets print sorted; a target whose type is not a known stream type is
accepted with OVS's "possibly erroneous" warning. The emulator has no controller: these
rows are configuration that ``show`` and ``list`` print, nothing connects.
"""

from __future__ import annotations

from vnetlab.ovsdb.ctl import Context, Syntax
from vnetlab.ovsdb.data import Atom
from vnetlab.ovsdb.db import Row
from vnetlab.ovsdb.vsctl_cmds import (
    VsctlState,
    find_bridge,
    find_real_bridge,
    pre_info,
    sorted_lines,
    state_of,
)

_ACTIVE = ("tcp:", "ssl:", "unix:")
_PASSIVE = ("ptcp:", "pssl:", "punix:")


def _check_target(ctx: Context, target: str) -> None:
    if not target.startswith(_ACTIVE + _PASSIVE):
        ctx.warn("vsctl", f'target type "{target}" is possibly erroneous')


def _probe(ctx: Context) -> list[Atom]:
    text = ctx.options.get("--inactivity-probe")
    if text is None:
        return []
    digits = text.strip()
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    n = len(digits) - len(digits.lstrip("0123456789"))
    return [sign * int(digits[:n]) if n else 0]


def _targets(ctx: Context, rows: list[Row]) -> None:
    ctx.output.append(sorted_lines([str(r["target"]) for r in rows]))


def _controllers(ctx: Context, br: Row) -> list[Row]:
    return [r for r in (ctx.db.get("Controller", u) for u in br.refs("controller"))
            if r is not None]


def cmd_get_controller(ctx: Context) -> None:
    br = find_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    _targets(ctx, _controllers(ctx, br.real))


def cmd_del_controller(ctx: Context) -> None:
    br = find_real_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    for row in _controllers(ctx, br.real):
        ctx.txn.delete(row)
    ctx.txn.write(br.real, "controller", [])


def cmd_set_controller(ctx: Context) -> None:
    br = find_real_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    for row in _controllers(ctx, br.real):
        ctx.txn.delete(row)
    rows = []
    for target in ctx.argv[2:]:
        _check_target(ctx, target)
        rows.append(ctx.txn.insert("Controller", {"target": target,
                                                  "inactivity_probe": _probe(ctx)}))
    ctx.txn.write(br.real, "controller", [r.uuid for r in rows])


def _ovs(ctx: Context) -> Row:
    state = ctx.tool
    assert isinstance(state, VsctlState) and state.ovs is not None
    return state.ovs


def _managers(ctx: Context) -> list[Row]:
    return [r for r in (ctx.db.get("Manager", u) for u in _ovs(ctx).refs("manager_options"))
            if r is not None]


def cmd_get_manager(ctx: Context) -> None:
    targets = sorted({str(r["target"]) for r in _managers(ctx)}, key=lambda s: s.encode())
    ctx.output.append("".join(f"{t}\n" for t in targets))


def _del_managers(ctx: Context) -> None:
    for row in _managers(ctx):
        ctx.txn.delete(row)
    ctx.txn.write(_ovs(ctx), "manager_options", [])


def cmd_del_manager(ctx: Context) -> None:
    _del_managers(ctx)


def cmd_set_manager(ctx: Context) -> None:
    _del_managers(ctx)
    rows = []
    for target in ctx.argv[1:]:
        _check_target(ctx, target)
        rows.append(ctx.txn.insert("Manager", {"target": target,
                                               "inactivity_probe": _probe(ctx)}))
    ctx.txn.write(_ovs(ctx), "manager_options", [r.uuid for r in rows])


def _ssl(ctx: Context) -> Row | None:
    uuid = _ovs(ctx).opt("ssl")
    return ctx.db.get("SSL", str(uuid)) if uuid is not None else None


def cmd_get_ssl(ctx: Context) -> None:
    ssl = _ssl(ctx)
    if ssl is not None:
        ctx.output.append(f"Private key: {ssl['private_key']}\n"
                          f"Certificate: {ssl['certificate']}\n"
                          f"CA Certificate: {ssl['ca_cert']}\n"
                          f"Bootstrap: {'true' if ssl['bootstrap_ca_cert'] else 'false'}\n")


def cmd_del_ssl(ctx: Context) -> None:
    ssl = _ssl(ctx)
    if ssl is not None:
        ctx.txn.delete(ssl)
        ctx.txn.write(_ovs(ctx), "ssl", [])


def cmd_set_ssl(ctx: Context) -> None:
    ssl = _ssl(ctx)
    if ssl is not None:
        ctx.txn.delete(ssl)
    row = ctx.txn.insert("SSL", {"private_key": ctx.argv[1], "certificate": ctx.argv[2],
                                 "ca_cert": ctx.argv[3],
                                 "bootstrap_ca_cert": ctx.opt("--bootstrap")})
    ctx.txn.write(_ovs(ctx), "ssl", [row.uuid])


def cmd_emer_reset(ctx: Context) -> None:
    """``cmd_emer_reset``: back to a known good configuration (bridges and ports stay)."""
    txn, db = ctx.txn, ctx.db
    ovs = _ovs(ctx)
    txn.write(ovs, "manager_options", [])
    txn.write(ovs, "ssl", [])
    for br in db.rows("Bridge"):
        for col in ("controller", "mirrors", "flood_vlans"):
            txn.write(br, col, [])
        for col in ("fail_mode", "netflow", "sflow", "ipfix"):
            txn.write(br, col, [])
        config = br["other_config"]
        assert isinstance(config, dict)
        txn.write(br, "other_config",
                  {"hwaddr": config["hwaddr"]} if "hwaddr" in config else {})
    for port in db.rows("Port"):
        txn.write(port, "other_config", {})
    for iface in db.rows("Interface"):
        txn.write(iface, "ingress_policing_rate", 0)
        txn.write(iface, "ingress_policing_burst", 0)
    for table in ("Mirror", "Controller", "Manager", "NetFlow", "SSL", "sFlow", "IPFIX",
                  "Flow_Sample_Collector_Set"):
        for row in db.rows(table):
            txn.delete(row)
    ctx.invalidate()


CTRL_COMMANDS: dict[str, Syntax] = {s.name: s for s in [
    Syntax("get-controller", 1, 1, "", pre_info, cmd_get_controller),
    Syntax("del-controller", 1, 1, "", pre_info, cmd_del_controller, rw=True),
    Syntax("set-controller", 1, 2**31, "--inactivity-probe=", pre_info, cmd_set_controller,
           rw=True),
    Syntax("get-manager", 0, 0, "", None, cmd_get_manager),
    Syntax("del-manager", 0, 0, "", None, cmd_del_manager, rw=True),
    Syntax("set-manager", 1, 2**31, "--inactivity-probe=", None, cmd_set_manager, rw=True),
    Syntax("get-ssl", 0, 0, "", None, cmd_get_ssl),
    Syntax("del-ssl", 0, 0, "", None, cmd_del_ssl, rw=True),
    Syntax("set-ssl", 3, 3, "--bootstrap", None, cmd_set_ssl, rw=True),
    Syntax("emer-reset", 0, 0, "", None, cmd_emer_reset, rw=True),
]}
