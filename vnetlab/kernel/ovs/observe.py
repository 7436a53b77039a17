"""What the checks read of a node's Open vSwitch: the MAC learning table of each bridge.

Design note
-----------
An ``fdb: NODE:BR`` check on an OVS bridge asks what ``ovs-appctl fdb/show BR`` lists
(lib/mac-learning.c through ofproto-dpif.c ``ofproto_unixctl_fdb_show``): ``port VLAN MAC
Age`` rows, the port as its OpenFlow number (``LOCAL`` for the bridge's own). We read it
from the node's own ovs-vswitchd and turn it into the same ``FdbState`` rows a Linux
bridge gives (``bridge fdb show``): the port by name (``ovs-vsctl list Interface``), VLAN
0 — OVS's word for "no VLAN" — as none, ``static`` for entries added with ``fdb/add``,
nothing for learned ones.
"""

from __future__ import annotations

from vnetlab.kernel.ovs import daemons
from vnetlab.model.state import FdbState


def port_names(rundir: str) -> dict[str, str]:
    """OpenFlow port number (as text) -> interface name, ``LOCAL`` included."""
    out = daemons.run_tool(["ovs-vsctl", "-f", "csv", "--no-headings", "--columns=name,ofport",
                            "list", "Interface"], rundir).stdout
    names = {"LOCAL": ""}
    for line in out.splitlines():
        name, _, ofport = line.rpartition(",")
        if name:
            names[ofport] = name.strip('"')
    return names


def parse_fdb_show(bridge: str, text: str, names: dict[str, str]) -> list[FdbState]:
    """The rows of ``ovs-appctl fdb/show BR`` (after its header line)."""
    rows = []
    for line in text.splitlines()[1:]:
        words = line.split()
        if len(words) != 4:
            continue
        port, vlan, mac, age = words
        name = bridge if port == "LOCAL" else names.get(port, port)
        rows.append(FdbState(bridge=bridge, port=name, mac=mac,
                             vlan=int(vlan) or None,
                             flags=("static",) if age == "static" else ()))
    return rows


def fdb(rundir: str, bridges: list[str]) -> list[FdbState]:
    """Every bridge's MAC learning table, read from the node's ovs-vswitchd."""
    if not bridges:
        return []
    names = port_names(rundir)
    out: list[FdbState] = []
    for br in bridges:
        text = daemons.run_tool(["ovs-appctl", "fdb/show", br], rundir).stdout
        out.extend(parse_fdb_show(br, text, names))
    return out
