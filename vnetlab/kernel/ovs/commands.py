"""The model -> ``ovs-vsctl``/``ovs-ofctl`` argv seam of the linux engine.

Design note
-----------
Both engines build a bridge from the same argv lists (``vnetlab.ovsdb.commands``): the
emulator runs them through its own ``run_vsctl``/``run_ofctl``, this engine runs the real
tools with them. ``bridge_commands`` is the one place the linux engine asks for them; until
``vnetlab.ovsdb.commands`` exists it builds them itself, in the words of
``utilities/ovs-vsctl.c`` (``add-br``, ``add-port BR PORT COL=VAL``, ``set Interface``,
``--id=@name create Mirror``) and ``ovs-ofctl add-group``/``add-flow``.
"""

from __future__ import annotations

from vnetlab.model.ovs import OvsBridgeSpec, OvsPortSpec


def _port_columns(spec: OvsPortSpec) -> list[str]:
    cols = []
    if spec.tag is not None:
        cols.append(f"tag={spec.tag}")
    if spec.trunks:
        cols.append("trunks=" + ",".join(str(v) for v in spec.trunks))
    if spec.vlan_mode is not None:
        cols.append(f"vlan_mode={spec.vlan_mode}")
    return cols


def _iface_columns(spec: OvsPortSpec) -> list[str]:
    cols = []
    if spec.type != "system":
        cols.append(f"type={spec.type}")
    cols.extend(f"options:{k}={v}" for k, v in spec.options.items())
    if spec.ofport_request is not None:
        cols.append(f"ofport_request={spec.ofport_request}")
    if spec.mac is not None:
        cols.append(f'mac="{spec.mac}"')
    return cols


def vsctl_commands(bridge: str, spec: OvsBridgeSpec, datapath_type: str) -> list[list[str]]:
    """The ``ovs-vsctl`` argv (no program name) that build one bridge of the model."""
    cmd = ["add-br", bridge, "--", "set", "Bridge", bridge, f"datapath_type={datapath_type}"]
    if spec.fail_mode is not None:
        cmd.append(f"fail_mode={spec.fail_mode}")
    if spec.mac is not None:
        cmd.append(f'other_config:hwaddr="{spec.mac}"')
    cmd.extend(f"other_config:{k}={v}" for k, v in spec.other_config.items())
    cmds = [cmd]
    for port, pspec in spec.ports.items():
        c = ["add-port", bridge, port, *_port_columns(pspec)]
        iface = _iface_columns(pspec)
        if iface:
            c += ["--", "set", "Interface", port, *iface]
        cmds.append(c)
    for name, m in spec.mirrors.items():
        ports = sorted({*m.select_src_port, *m.select_dst_port,
                        *([m.output_port] if m.output_port else [])})
        c = []
        for p in ports:
            c += ["--", f"--id=@{p}", "get", "Port", p]
        c += ["--", "--id=@m", "create", "Mirror", f"name={name}"]
        if m.select_all:
            c.append("select_all=true")
        if m.select_src_port:
            c.append("select_src_port=" + ",".join(f"@{p}" for p in m.select_src_port))
        if m.select_dst_port:
            c.append("select_dst_port=" + ",".join(f"@{p}" for p in m.select_dst_port))
        if m.select_vlan:
            c.append("select_vlan=" + ",".join(str(v) for v in m.select_vlan))
        if m.output_port is not None:
            c.append(f"output_port=@{m.output_port}")
        if m.output_vlan is not None:
            c.append(f"output_vlan={m.output_vlan}")
        c += ["--", "add", "Bridge", bridge, "mirrors", "@m"]
        cmds.append(c[1:])
    return cmds


def ofctl_commands(bridge: str, spec: OvsBridgeSpec) -> list[list[str]]:
    """The ``ovs-ofctl`` argv (no program name): groups first (flows refer to them)."""
    return ([["add-group", bridge, g] for g in spec.groups]
            + [["add-flow", bridge, f] for f in spec.flows])


def bridge_commands(bridge: str, spec: OvsBridgeSpec,
                    datapath_type: str) -> tuple[list[list[str]], list[list[str]]]:
    """(ovs-vsctl argv, ovs-ofctl argv) for one bridge: the single seam."""
    return vsctl_commands(bridge, spec, datapath_type), ofctl_commands(bridge, spec)
