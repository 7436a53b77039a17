"""One OVS configuration applied to both the real daemon and the emulated one.

A ``Setup`` lists bridges, ports (one ``ovs-vsctl`` call each, as a lab is built, so both
sides number ports the same way), mirrors, flows and groups; ``commands`` turns it into
the ``ovs-vsctl``/``ovs-ofctl`` argv lists that both sides run: the real tools
(``apply_oracle``) and the emulated front-ends (``apply_sim``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.sim.ovs.oracle import Oracle
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


def commands(s: Setup) -> list[tuple[str, list[str]]]:
    """The tool invocations that build S, in order: ("vsctl"|"ofctl", argv)."""
    out: list[tuple[str, list[str]]] = []
    for br, ports in s.bridges.items():
        args = ["add-br", br, "--", "set", "bridge", br, "datapath_type=netdev"]
        if br in s.fail_mode:
            args += [f"fail_mode={s.fail_mode[br]}"]
        out.append(("vsctl", args))
        for p in ports:
            out.append(("vsctl", ["add-port", br, p.name, *_port_args(p)]))
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
            out.append(("vsctl", [*refs, *args, "--", "add", "bridge", br, "mirrors", "@m"]))
    for br, text in s.groups:
        out.append(("ofctl", ["-O", "OpenFlow13", "add-group", br, text]))
    for br, text in s.flows:
        out.append(("ofctl", ["add-flow", br, text]))
    return out


def apply_oracle(o: Oracle, s: Setup) -> None:
    for tool, argv in commands(s):
        if tool == "vsctl":
            o.vsctl(*argv)
        else:
            i = argv.index("add-group") if "add-group" in argv else argv.index("add-flow")
            br = argv[i + 1]
            o._run(["ovs-ofctl", *argv[:i + 1], f"unix:{o.d}/{br}.mgmt", *argv[i + 2:]])


def apply_sim(s: Setup, vs: Vswitchd | None = None) -> Vswitchd:
    vs = vs if vs is not None else Vswitchd(None, dummy=True)
    for tool, argv in commands(s):
        res = vs.vsctl(argv) if tool == "vsctl" else vs.ofctl(argv)
        assert res.status == 0, (argv, res.stderr)
    return vs
