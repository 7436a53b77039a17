"""ovs-vsctl's controller, fail-mode, manager, SSL, Auto Attach, conntrack-zone and
datapath-capability commands, ``show`` and ``emer-reset``.

Design note
-----------
Mirrors the corresponding functions of ``utilities/ovs-vsctl.c``: a bridge's controllers
and the switch's managers are rows created afresh by every ``set-*`` (the old ones are
deleted), targets print sorted; a target whose type is not a known stream type is
accepted with OVS's "possibly erroneous" warning. The emulator has no controller: these
rows are configuration that ``show`` and ``list`` print, nothing connects.
"""

from __future__ import annotations

import re

from vnetlab.ovsdb.ctl import Context, CtlFatal, Syntax, shash_order
from vnetlab.ovsdb.ctl_cmds import ShowTable, show
from vnetlab.ovsdb.data import Atom, DataError
from vnetlab.ovsdb.db import Row, TxnError
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


def cmd_get_fail_mode(ctx: Context) -> None:
    br = find_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    mode = br.real.opt("fail_mode")
    if mode:
        ctx.output.append(f"{mode}\n")


def cmd_del_fail_mode(ctx: Context) -> None:
    br = find_real_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    ctx.txn.write(br.real, "fail_mode", [])


def cmd_set_fail_mode(ctx: Context) -> None:
    br = find_real_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    if ctx.argv[2] not in ("standalone", "secure"):
        raise CtlFatal('fail-mode must be "standalone" or "secure"')
    ctx.txn.write(br.real, "fail_mode", [ctx.argv[2]])


#: ``cmd_show_tables`` of ovs-vsctl.c
SHOW_TABLES = [
    ShowTable("Open_vSwitch", None, ("manager_options", "bridges", "ovs_version")),
    ShowTable("Bridge", "name", ("controller", "fail_mode", "datapath_type", "ports")),
    ShowTable("Port", "name", ("tag", "trunks", "interfaces")),
    ShowTable("Interface", "name", ("type", "options", "error", "bfd_status")),
    ShowTable("Controller", "target", ("is_connected",)),
    ShowTable("Manager", "target", ("is_connected",)),
]


def cmd_show(ctx: Context) -> None:
    show(ctx, SHOW_TABLES)


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


# --- Auto Attach, datapath capabilities, conntrack zones ----------------------------
def _strtoull(text: str) -> int | None:
    """C ``strtoull`` (base 10) as ovs-vsctl reads an I-SID or VLAN: None when no digit
    is read; the unsigned result seen as the int64 it is stored as."""
    t = text.lstrip(" \t\n\r\f\v")
    sign = -1 if t.startswith("-") else 1
    t = t[1:] if t[:1] in "+-" else t
    digits = t[:len(t) - len(t.lstrip("0123456789"))]
    if not digits:
        return None
    value = (sign * int(digits)) % 2**64
    return value - 2**64 if value >= 2**63 else value


def _aa_args(ctx: Context) -> tuple[int, int]:
    isid = _strtoull(ctx.argv[2])
    if isid is None:
        raise CtlFatal(f"Invalid argument {ctx.argv[2]}")
    vlan = _strtoull(ctx.argv[3])
    if vlan is None:
        raise CtlFatal(f"Invalid argument {ctx.argv[3]}")
    return isid, vlan


def _aa_row(ctx: Context) -> tuple[Row, Row | None]:
    br = find_bridge(state_of(ctx), ctx.argv[1], True)
    assert br is not None
    aa = br.real.opt("auto_attach")
    return br.real, ctx.db.get("AutoAttach", str(aa)) if aa is not None else None


def _server_write(ctx: Context, row: Row, column: str, value: dict[Atom, Atom]) -> None:
    """A write the IDL makes without checking: the server refuses bad values at commit."""
    try:
        ctx.txn.write(row, column, value)
    except DataError as e:
        ctx.txn.fail_at_commit(TxnError("constraint violation",
                                        str(e).removeprefix("constraint violation: ")))


def cmd_add_aa_mapping(ctx: Context) -> None:
    isid, vlan = _aa_args(ctx)
    br, aa = _aa_row(ctx)
    if aa is None:
        aa = ctx.txn.insert("AutoAttach")
        ctx.txn.write(br, "auto_attach", [aa.uuid])
    mappings = aa["mappings"]
    assert isinstance(mappings, dict)
    mappings.setdefault(isid, vlan)  # a duplicate I-SID keeps its old VLAN, as in OVS
    _server_write(ctx, aa, "mappings", mappings)


def cmd_del_aa_mapping(ctx: Context) -> None:
    isid, vlan = _aa_args(ctx)
    _, aa = _aa_row(ctx)
    if aa is None:
        return
    mappings = aa["mappings"]
    assert isinstance(mappings, dict)
    if mappings.get(isid) == vlan:
        # del_aa_mapping keeps only the pairs that differ in both I-SID and VLAN
        ctx.txn.write(aa, "mappings", {k: v for k, v in mappings.items()
                                       if k != isid and v != vlan})


def cmd_get_aa_mapping(ctx: Context) -> None:
    _, aa = _aa_row(ctx)
    if aa is not None:
        mappings = aa["mappings"]
        assert isinstance(mappings, dict)
        ctx.output.append("".join(f"{k} {v}\n" for k, v in mappings.items()))


def _datapath(ctx: Context, name: str, message: str) -> Row:
    dps = _ovs(ctx)["datapaths"]
    assert isinstance(dps, dict)
    row = ctx.db.get("Datapath", str(dps[name])) if name in dps else None
    if row is None:
        raise CtlFatal(message)
    return row


def cmd_list_dp_cap(ctx: Context) -> None:
    dp = _datapath(ctx, ctx.argv[1], f'datapath "{ctx.argv[1]}" record not found')
    caps = dp["capabilities"]
    assert isinstance(caps, dict)
    keys = shash_order([str(k) for k in caps])
    ctx.output.append(" ".join(f"{k}={caps[k]}" for k in keys) + "\n")


def _zone_id(text: str) -> int:
    """``ovs_scan(arg, "zone=%"SCNi64)``; 0 when it does not scan."""
    m = re.match(r"zone=\s*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))", text)
    return int(m.group(1), 0) if m else 0


def cmd_list_zone_tp(ctx: Context) -> None:
    dp = _datapath(ctx, ctx.argv[1], f"datapath: {ctx.argv[1]} record not found")
    zones = dp["ct_zones"]
    assert isinstance(zones, dict)
    for zone_id, uuid in zones.items():
        zone = ctx.db.get("CT_Zone", str(uuid))
        tp_uuid = zone.opt("timeout_policy") if zone is not None else None
        tp = ctx.db.get("CT_Timeout_Policy", str(tp_uuid)) if tp_uuid is not None else None
        if tp is None:
            policies = "system default"
        else:
            timeouts = tp["timeouts"]
            assert isinstance(timeouts, dict)
            policies = " ".join(f"{k}={v}" for k, v in timeouts.items())
        ctx.output.append(f"Zone:{zone_id}, Timeout Policies: {policies}".rstrip(" ") + "\n")


def cmd_add_zone_tp(ctx: Context) -> None:
    dp_name, zone_id = ctx.argv[1], _zone_id(ctx.argv[2])
    dp = _datapath(ctx, dp_name, f"datapath {dp_name} does not exist")
    zones = dp["ct_zones"]
    assert isinstance(zones, dict)
    if len(ctx.argv) <= 3:
        raise CtlFatal("No timeout policy")
    if zone_id in zones and not ctx.opt("--may-exist"):
        raise CtlFatal(f"zone id {zone_id} already exists")
    timeouts: dict[Atom, Atom] = {}
    for arg in ctx.argv[3:]:
        key, _, value = arg.partition("=")
        digits = value.strip()[:len(value.strip()) - len(value.strip().lstrip("0123456789"))]
        timeouts[key] = int(digits) if digits else 0
    tp = next((r for r in ctx.db.rows("CT_Timeout_Policy") if r["timeouts"] == timeouts), None)
    if tp is None:
        tp = ctx.txn.insert("CT_Timeout_Policy")
        _server_write(ctx, tp, "timeouts", timeouts)
    zone = ctx.db.get("CT_Zone", str(zones[zone_id])) if zone_id in zones else None
    if zone is None:
        zone = ctx.txn.insert("CT_Zone")
        zones[zone_id] = zone.uuid
        ctx.txn.write(dp, "ct_zones", zones)
    ctx.txn.write(zone, "timeout_policy", [tp.uuid])


def cmd_del_zone_tp(ctx: Context) -> None:
    dp_name, zone_id = ctx.argv[1], _zone_id(ctx.argv[2])
    dp = _datapath(ctx, dp_name, f"datapath {dp_name} does not exist")
    zones = dp["ct_zones"]
    assert isinstance(zones, dict)
    if zone_id not in zones:
        if not ctx.opt("--if-exists"):
            raise CtlFatal(f"zone id {zone_id} does not exist")
        return
    del zones[zone_id]
    ctx.txn.write(dp, "ct_zones", zones)


CTRL_COMMANDS: dict[str, Syntax] = {s.name: s for s in [
    Syntax("show", 0, 0, "", None, cmd_show),
    Syntax("get-fail-mode", 1, 1, "", pre_info, cmd_get_fail_mode),
    Syntax("del-fail-mode", 1, 1, "", pre_info, cmd_del_fail_mode, rw=True),
    Syntax("set-fail-mode", 2, 2, "", pre_info, cmd_set_fail_mode, rw=True),
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
    Syntax("add-aa-mapping", 3, 3, "", pre_info, cmd_add_aa_mapping, rw=True),
    Syntax("del-aa-mapping", 3, 3, "", pre_info, cmd_del_aa_mapping, rw=True),
    Syntax("get-aa-mapping", 1, 1, "", pre_info, cmd_get_aa_mapping),
    Syntax("add-zone-tp", 3, 2**31, "--may-exist", None, cmd_add_zone_tp, rw=True),
    Syntax("del-zone-tp", 2, 2, "--if-exists", None, cmd_del_zone_tp, rw=True),
    Syntax("list-zone-tp", 1, 1, "", None, cmd_list_zone_tp),
    Syntax("list-dp-cap", 1, 1, "", None, cmd_list_dp_cap),
]}
