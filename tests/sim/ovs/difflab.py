"""One OVS configuration applied to both the real daemon and the emulated one.

A ``Setup`` lists bridges, ports (one ``ovs-vsctl`` call each, as a lab is built, so both
sides number ports the same way), mirrors, flows and groups. ``apply_oracle`` runs the
real tools; ``apply_sim`` configures the emulated vswitchd the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.sim.ovs.fakedb import FakeDb
from tests.sim.ovs.oracle import Oracle
from vnetlab.openflow.actions import through_of10
from vnetlab.openflow.ofctl_parse import normalize, parse_flow, parse_group
from vnetlab.sim.ovs.tables import Group, Rule
from vnetlab.sim.ovs.vswitchd import Vswitchd


@dataclass
class Port:
    name: str
    tag: int | None = None
    trunks: tuple[int, ...] = ()
    vlan_mode: str | None = None
    type: str = ""
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class MirrorCfg:
    name: str
    src: tuple[str, ...] = ()
    dst: tuple[str, ...] = ()
    out: str | None = None
    select_all: bool = False
    vlans: tuple[int, ...] = ()
    out_vlan: int | None = None


@dataclass
class Setup:
    bridges: dict[str, list[Port]]
    fail_mode: dict[str, str] = field(default_factory=dict)
    mirrors: dict[str, list[MirrorCfg]] = field(default_factory=dict)
    flows: list[tuple[str, str]] = field(default_factory=list)
    groups: list[tuple[str, str]] = field(default_factory=list)


def _port_args(p: Port) -> list[str]:
    args: list[str] = []
    if p.tag is not None:
        args += ["--", "set", "port", p.name, f"tag={p.tag}"]
    if p.trunks:
        args += ["--", "set", "port", p.name, "trunks=" + ",".join(map(str, p.trunks))]
    if p.vlan_mode:
        args += ["--", "set", "port", p.name, f"vlan_mode={p.vlan_mode}"]
    if p.type:
        args += ["--", "set", "interface", p.name, f"type={p.type}"]
    for k, v in p.options.items():
        args += ["--", "set", "interface", p.name, f"options:{k}={v}"]
    return args


def apply_oracle(o: Oracle, s: Setup) -> None:
    for br, ports in s.bridges.items():
        args = ["add-br", br, "--", "set", "bridge", br, "datapath_type=netdev"]
        if br in s.fail_mode:
            args += [f"fail_mode={s.fail_mode[br]}"]
        o.vsctl(*args)
        for p in ports:
            o.vsctl("add-port", br, p.name, *_port_args(p))
    for br, mirrors in s.mirrors.items():
        for m in mirrors:
            args = ["--", "--id=@m", "create", "mirror", f"name={m.name}"]
            refs: list[str] = []
            for i, n in enumerate(m.src):
                refs += ["--", f"--id=@s{i}", "get", "port", n]
            for i, n in enumerate(m.dst):
                refs += ["--", f"--id=@d{i}", "get", "port", n]
            if m.out:
                refs += ["--", "--id=@o", "get", "port", m.out]
                args.append("output_port=@o")
            if m.src:
                args.append("select_src_port=" + ",".join(f"@s{i}" for i in range(len(m.src))))
            if m.dst:
                args.append("select_dst_port=" + ",".join(f"@d{i}" for i in range(len(m.dst))))
            if m.select_all:
                args.append("select_all=true")
            if m.vlans:
                args.append("select_vlan=" + ",".join(map(str, m.vlans)))
            if m.out_vlan is not None:
                args.append(f"output_vlan={m.out_vlan}")
            o.vsctl(*refs, *args, "--", "add", "bridge", br, "mirrors", "@m")
    for br, text in s.groups:
        o._run(["ovs-ofctl", "-O", "OpenFlow13", "add-group", f"unix:{o.d}/{br}.mgmt", text])
    for br, text in s.flows:
        o.ofctl("add-flow", br, text)


def apply_sim(s: Setup) -> Vswitchd:
    db = FakeDb()
    vs = Vswitchd(None, db, dummy=True)
    for br, ports in s.bridges.items():
        cols = {"fail_mode": [s.fail_mode[br]]} if br in s.fail_mode else {}
        db.add_br(br, **cols)
        vs.reconfigure()
        for p in ports:
            pcols: dict[str, object] = {}
            if p.tag is not None:
                pcols["tag"] = [p.tag]
            if p.trunks:
                pcols["trunks"] = list(p.trunks)
            if p.vlan_mode:
                pcols["vlan_mode"] = [p.vlan_mode]
            db.add_port(br, p.name, {"type": p.type, "options": dict(p.options)}, **pcols)
            vs.reconfigure()
    for br, mirrors in s.mirrors.items():
        for m in mirrors:
            db.add_mirror(br, m.name, select_all=m.select_all,
                          select_src_port=[db.port_uuid(n) for n in m.src],
                          select_dst_port=[db.port_uuid(n) for n in m.dst],
                          output_port=[db.port_uuid(m.out)] if m.out else [],
                          select_vlan=list(m.vlans),
                          output_vlan=[m.out_vlan] if m.out_vlan is not None else [])
            vs.reconfigure()
    for br, text in s.groups:
        ofp = vs.bridges[br]
        names = {x.name: n for n, x in ofp.xports.items()}
        gm = parse_group(text, "add", names.get)
        ofp.tables.groups[gm.group_id] = Group(gm.group_id, gm.type, list(gm.buckets))
    for br, text in s.flows:
        ofp = vs.bridges[br]
        names = {x.name: n for n, x in ofp.xports.items()}
        fm = parse_flow(text, "add", names.get)
        normalize(fm)
        table = 0 if fm.table == 255 else fm.table
        ofp.tables.insert(Rule(fm.match, fm.priority, through_of10(fm.actions), table, fm.cookie,
                               fm.idle_timeout, fm.hard_timeout))
    vs.revalidate_all()
    return vs
