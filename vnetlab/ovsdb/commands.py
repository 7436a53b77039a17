"""The ``ovs-vsctl`` and ``ovs-ofctl`` command lines that build one bridge of a lab.

Design note
-----------
Both engines build a node's Open vSwitch from these argv lists (without the program
name): the emulator runs them through ``run_vsctl``/``run_ofctl``, the linux engine runs
the real tools with them and ``vnetlab export`` prints them, so what is printed is what
is done. One invocation per step, each a single transaction:

    add-br BR -- set Bridge BR datapath_type=.. [fail_mode=secure] [other_config:..]
    add-port BR PORT [tag=..] [trunks=..] [vlan_mode=..] [-- set Interface PORT type=..
        options:..=.. ofport_request=N mac=..]
    -- --id=@p0 get Port P .. -- --id=@m create Mirror name=M select_..=@p0 ..
        -- add Bridge BR mirrors @m

``fail_mode`` standalone is OVS's default and stays unset in the database; the bridge's
MAC goes to ``other_config:hwaddr`` (OVS then keeps it), an internal port's to
``Interface.mac``. Addresses are not OVSDB's business (the engines add them to the
internal ports like to any interface). Groups come before flows, which may name them.
"""

from __future__ import annotations

from collections.abc import Sequence

from vnetlab.model.ovs import OvsBridgeSpec, OvsMirrorSpec, OvsPortSpec
from vnetlab.ovsdb.data import atom_to_string
from vnetlab.ovsdb.vsctl import VERSION as OVS_VERSION
from vnetlab.ovsdb.vswitch_schema import DB_VERSION

_DELIMS = set(":=, []{}!<>\"\\")


def quote(text: str) -> str:
    """A string atom as ``ovs-vsctl`` reads it back: bare when it can be, else JSON."""
    if text and not (_DELIMS & set(text)) and not text[0].isspace():
        return text
    return atom_to_string(text, "string") if text else '""'


def _kv(column: str, key: str, value: str) -> str:
    return f"{column}:{quote(key)}={quote(value)}"


def _ints(values: Sequence[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


def _mac(mac: object) -> str | None:
    return None if mac is None or mac == "" else str(mac)


def bridge_command(bridge: str, spec: OvsBridgeSpec, datapath_type: str) -> list[str]:
    settings = [f"datapath_type={quote(spec.datapath_type or datapath_type)}"]
    if spec.fail_mode == "secure":
        settings.append("fail_mode=secure")
    mac = _mac(spec.mac)
    config = dict(spec.other_config)
    if mac is not None:
        config["hwaddr"] = mac
    settings += [_kv("other_config", k, v) for k, v in sorted(config.items())]
    return ["add-br", bridge, "--", "set", "Bridge", bridge, *settings]


def port_command(bridge: str, name: str, port: OvsPortSpec) -> list[str]:
    argv = ["add-port", bridge, name]
    if port.tag is not None:
        argv.append(f"tag={port.tag}")
    if port.trunks:
        argv.append(f"trunks={_ints(port.trunks)}")
    if port.vlan_mode:
        argv.append(f"vlan_mode={port.vlan_mode}")
    iface: list[str] = []
    if port.type and port.type != "system":
        iface.append(f"type={port.type}")
    iface += [_kv("options", k, v) for k, v in sorted(port.options.items())]
    if port.ofport_request is not None:
        iface.append(f"ofport_request={port.ofport_request}")
    mac = _mac(port.mac)
    if mac is not None and port.type == "internal":
        iface.append(f"mac={quote(mac)}")
    if iface:
        argv += ["--", "set", "Interface", name, *iface]
    return argv


def mirror_command(bridge: str, name: str, mirror: OvsMirrorSpec) -> list[str]:
    ids: dict[str, str] = {}
    argv: list[str] = []
    for port in [*mirror.select_src_port, *mirror.select_dst_port,
                 *([mirror.output_port] if mirror.output_port else [])]:
        if port not in ids:
            ids[port] = f"@p{len(ids)}"
            argv += ["--", f"--id={ids[port]}", "get", "Port", port]
    settings = [f"name={quote(name)}"]
    if mirror.select_all:
        settings.append("select_all=true")
    if mirror.select_src_port:
        settings.append("select_src_port=" + ",".join(ids[p] for p in mirror.select_src_port))
    if mirror.select_dst_port:
        settings.append("select_dst_port=" + ",".join(ids[p] for p in mirror.select_dst_port))
    if mirror.select_vlan:
        settings.append(f"select_vlan={_ints(mirror.select_vlan)}")
    if mirror.output_port:
        settings.append(f"output_port={ids[mirror.output_port]}")
    if mirror.output_vlan is not None:
        settings.append(f"output_vlan={mirror.output_vlan}")
    argv += ["--", "--id=@m", "create", "Mirror", *settings,
             "--", "add", "Bridge", bridge, "mirrors", "@m"]
    return argv


def startup_commands(ovs_version: str = OVS_VERSION) -> list[list[str]]:
    """What ``ovs-ctl start`` writes into a fresh database (``ovs_vsctl -- init -- set
    Open_vSwitch . db-version=..`` and ``ovs-version=..``), so ``ovs-vsctl show`` prints
    ``ovs_version`` on both engines. Host-specific ids (system-id, system-type) are left
    out: they would differ between machines and mean nothing in a lab."""
    return [["--no-wait", "--", "init", "--", "set", "Open_vSwitch", ".",
             f"db_version={DB_VERSION}", f"ovs_version={quote(ovs_version)}"]]


def vsctl_commands(bridge: str, spec: OvsBridgeSpec, datapath_type: str) -> list[list[str]]:
    """The ovs-vsctl argv lists (program name left out) that build ``bridge``."""
    out = [bridge_command(bridge, spec, datapath_type)]
    out += [port_command(bridge, name, port) for name, port in spec.ports.items()]
    out += [mirror_command(bridge, name, m) for name, m in spec.mirrors.items()]
    return out


def ofctl_commands(bridge: str, spec: OvsBridgeSpec) -> list[list[str]]:
    """The ovs-ofctl argv lists for the bridge's groups, then its flows."""
    return [*(["add-group", bridge, g] for g in spec.groups),
            *(["add-flow", bridge, f] for f in spec.flows)]
