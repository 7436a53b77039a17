"""Open vSwitch decoders: ``ovs-vsctl --format=json list TABLE`` and ``ovs-ofctl
dump-flows``/``dump-groups`` text -> ``vnetlab.snapshot.state.OvsBridge``.

Design note
-----------
``ovs-vsctl --format=json`` prints a table as ``{"headings": [...], "data": [[...]]}``
whose cells are OVSDB's JSON atoms (RFC 7047 5.1): a scalar, ``["uuid", U]``,
``["set", [...]]`` (an optional column is an empty set) or ``["map", [[k, v], ...]]``.
Rows are joined through their UUIDs as ovs-vswitchd's bridge.c does (Bridge.ports ->
Port.interfaces, Mirror.select_*_port -> Port).

When only ``ovs-vsctl show`` was saved, ``decode_show`` reads its tree instead (no
ofports, mirrors or other_config there).

A dumped flow carries statistics (``duration``, ``n_packets``, ``n_bytes``, ``idle_age``
...) that ``ovs-ofctl add-flow`` does not take: they are state, dropped here; the rest
(``table``, ``priority``, the match, ``actions``) is the flow as a lab declares it. The
``priority=0 actions=NORMAL`` flow a standalone bridge starts with is left out (the lab
makes it by itself).
"""

from __future__ import annotations

import re
from typing import Any

from vnetlab.snapshot.dumps import DumpError, OvsDump
from vnetlab.snapshot.state import OvsBridge, OvsMirror, OvsPort

#: statistics fields of a dumped flow (ofp-flow.c ofputil_flow_stats_format)
_FLOW_STATS = re.compile(
    r"\b(duration|n_packets|n_bytes|idle_age|hard_age|packet_count|byte_count)=[^,\s]*,?\s*")
#: the flow a standalone bridge starts with (ofproto.c), as flow_line() spells it
_DEFAULT_FLOWS = ("priority=0,actions=NORMAL", "table=0,priority=0,actions=NORMAL")
_REPLY_HEADER = re.compile(r"^\s*(NXST|OFPST)_\S+ reply")


def atom(v: Any) -> Any:
    """An OVSDB JSON value -> Python: set -> list, map -> dict, uuid -> its string."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        tag, body = v
        if tag == "set":
            return [atom(x) for x in body]
        if tag == "map":
            return {atom(k): atom(x) for k, x in body}
        if tag in ("uuid", "named-uuid"):
            return body
    return v


def _one(v: Any) -> Any:
    """An optional column (``min: 0, max: 1``): an empty set is None."""
    v = atom(v)
    if isinstance(v, list):
        return v[0] if v else None
    return v


def _many(v: Any) -> list[Any]:
    v = atom(v)
    return v if isinstance(v, list) else [v]


def rows(table: Any, where: str) -> list[dict[str, Any]]:
    heads, data = table.get("headings"), table.get("data")
    if not isinstance(heads, list) or not isinstance(data, list):
        raise DumpError(f"{where}: not `ovs-vsctl --format=json list` output")
    return [dict(zip(heads, row, strict=False)) for row in data if isinstance(row, list)]


def flow_line(line: str) -> str | None:
    """One ``dump-flows`` line as ``add-flow`` text (None: not a flow)."""
    line = line.strip()
    if not line or _REPLY_HEADER.match(line) or "actions=" not in line:
        return None
    line = _FLOW_STATS.sub("", line)
    line = re.sub(r"\bcookie=0x0,\s*", "", line)
    match, _, actions = line.partition("actions=")
    match = ",".join(p.strip() for p in match.replace(" ", ",").split(",") if p.strip())
    return f"{match},actions={actions.strip()}" if match else f"actions={actions.strip()}"


def flows_of(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        f = flow_line(line)
        if f is not None:
            out.append(f)
    return out


def groups_of(text: str) -> list[str]:
    """``dump-groups`` lines as ``add-group`` text (``bucket_id:N,`` is dump-only)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("group_id="):
            continue
        line = re.sub(r"bucket=bucket_id:\d+,", "bucket=", line)
        out.append(line.replace("bucket=actions=", "bucket="))
    return out


def _unquote(word: str) -> str:
    word = word.strip()
    return word[1:-1] if len(word) >= 2 and word[0] == word[-1] == '"' else word


def _show_map(text: str) -> dict[str, str]:
    """``{key=flow, remote_ip="192.168.1.2"}`` (ovs-vsctl show's options)."""
    body = text.strip().removeprefix("{").removesuffix("}")
    out = {}
    for item in re.findall(r'([\w:-]+)=("(?:[^"\\]|\\.)*"|[^,]*)', body):
        out[item[0]] = _unquote(item[1])
    return out


def decode_show(text: str) -> list[OvsBridge]:
    """``ovs-vsctl show`` (vsctl's cmd_show: Bridge > Port > Interface, four spaces a
    level): the fallback when only this was saved. It has no ofport, mirrors' selections
    or other_config; those stay unknown."""
    bridges: list[OvsBridge] = []
    br: OvsBridge | None = None
    port: OvsPort | None = None
    for raw in text.splitlines():
        depth = (len(raw) - len(raw.lstrip(" "))) // 4
        line = raw.strip()
        key, sep, value = line.partition(": ")
        if depth == 1 and line.startswith("Bridge "):
            br = OvsBridge(name=_unquote(line[7:]), fail_mode=None, datapath_type=None,
                           other_config={}, ports={}, mirrors=[], flows=[], groups=[])
            bridges.append(br)
            port = None
        elif br is None:
            continue
        elif depth == 2 and sep and key in ("fail_mode", "datapath_type"):
            setattr(br, key, value.strip() or None)
        elif depth == 2 and line.startswith("Port "):
            name = _unquote(line[5:])
            port = br.ports[name] = OvsPort(name=name, type="system", options={},
                                            ofport=None, tag=None, trunks=[], vlan_mode=None)
        elif port is None:
            continue
        elif depth == 3 and sep and key == "tag":
            port.tag = int(value)
        elif depth == 3 and sep and key == "trunks":
            port.trunks = [int(x) for x in re.findall(r"\d+", value)]
        elif depth == 3 and sep and key == "vlan_mode":
            port.vlan_mode = value.strip()
        elif depth == 4 and sep and key == "type":
            port.type = value.strip() or "system"
        elif depth == 4 and sep and key == "options":
            port.options = _show_map(value)
    return bridges


def decode_ovs(dump: OvsDump, where: str) -> list[OvsBridge]:
    if not dump.tables:
        bridges = decode_show(dump.show)
        for b in bridges:
            b.flows = flows_of(dump.flows.get(b.name, ""))
            if b.fail_mode != "secure":
                b.flows = [f for f in b.flows if f not in _DEFAULT_FLOWS]
            b.groups = groups_of(dump.groups.get(b.name, ""))
        return bridges
    t = {name: rows(dump.tables.get(name, {"headings": [], "data": []}), f"{where}/ovs/{name}")
         for name in ("Bridge", "Port", "Interface", "Mirror")}
    ifaces = {str(atom(r["_uuid"])): r for r in t["Interface"] if "_uuid" in r}
    ports = {str(atom(r["_uuid"])): r for r in t["Port"] if "_uuid" in r}
    mirrors = {str(atom(r["_uuid"])): r for r in t["Mirror"] if "_uuid" in r}
    port_name = {u: str(r.get("name")) for u, r in ports.items()}
    out = []
    for br in sorted(t["Bridge"], key=lambda r: str(r.get("name"))):
        name = str(br.get("name"))
        bports: dict[str, OvsPort] = {}
        for pu in _many(br.get("ports", ["set", []])):
            p = ports.get(str(pu))
            if p is None:
                continue
            iface_ids = _many(p.get("interfaces", ["set", []]))
            iface = ifaces.get(str(iface_ids[0])) if iface_ids else None
            itype = str(_one(iface.get("type")) or "") if iface else ""
            ofport = _one(iface.get("ofport")) if iface else None
            opts = atom(iface.get("options", ["map", []])) if iface else {}
            bports[str(p.get("name"))] = OvsPort(
                name=str(p.get("name")), type=itype or "system",
                options={str(k): str(v) for k, v in (opts or {}).items()},
                ofport=ofport if isinstance(ofport, int) and ofport > 0 else None,
                tag=_one(p.get("tag")), trunks=[int(x) for x in _many(p.get("trunks",
                                                                         ["set", []]))],
                vlan_mode=_one(p.get("vlan_mode")),
                mac=_one(iface.get("mac_in_use")) if iface else None)
        bmirrors = []
        for mu in _many(br.get("mirrors", ["set", []])):
            m = mirrors.get(str(mu))
            if m is None:
                continue
            out_port = _one(m.get("output_port"))
            bmirrors.append(OvsMirror(
                name=str(m.get("name")), select_all=bool(atom(m.get("select_all", False))),
                select_src_port=[port_name.get(str(u), str(u))
                                 for u in _many(m.get("select_src_port", ["set", []]))],
                select_dst_port=[port_name.get(str(u), str(u))
                                 for u in _many(m.get("select_dst_port", ["set", []]))],
                select_vlan=[int(x) for x in _many(m.get("select_vlan", ["set", []]))],
                output_port=port_name.get(str(out_port)) if out_port is not None else None,
                output_vlan=_one(m.get("output_vlan"))))
        fail_mode = _one(br.get("fail_mode"))
        flows = flows_of(dump.flows.get(name, ""))
        if fail_mode != "secure":
            flows = [f for f in flows if f not in _DEFAULT_FLOWS]
        dp = _one(br.get("datapath_type"))
        out.append(OvsBridge(
            name=name, fail_mode=fail_mode, datapath_type=dp or None,
            other_config={str(k): str(v)
                          for k, v in (atom(br.get("other_config", ["map", []])) or {}).items()},
            ports=bports, mirrors=bmirrors, flows=flows,
            groups=groups_of(dump.groups.get(name, ""))))
    return out
