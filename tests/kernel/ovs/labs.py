"""Open vSwitch labs for the linux engine's tests (exercise 4 and friends); skip with
the detected reason when OVS is not installed; find leftovers of a lab's daemons."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from vnetlab.kernel import runtime
from vnetlab.kernel.ovs import daemons
from vnetlab.model.resolver import resolve
from vnetlab.model.spec import LabSpec


def ovs_raw(name: str, *, fail_mode: str | None = None, flows: list[str] | None = None,
            mirror: bool = True) -> dict[str, Any]:
    """Exercise 4: ``a`` and ``b`` on ports 1 and 2 of ``host``'s OVS bridge ``br0``, a
    monitor namespace on port 3, a mirror of port 1 (both directions) to port 3; br0 and
    an internal port carry addresses."""
    br: dict[str, Any] = {
        "addresses": ["10.0.0.254/24"],
        "ports": {
            "veth1": {"ofport_request": 1},
            "veth2": {"ofport_request": 2},
            "veth3": {"ofport_request": 3},
            "int0": {"type": "internal", "addresses": ["10.0.1.1/24"]},
        },
    }
    if mirror:
        br["mirrors"] = {"m0": {"select_src_port": ["veth1"], "select_dst_port": ["veth1"],
                                "output_port": "veth3"}}
    if fail_mode is not None:
        br["fail_mode"] = fail_mode
    if flows is not None:
        br["flows"] = flows
    return {
        "name": name,
        "nodes": {
            "host": {"interfaces": {"veth1": {}, "veth2": {}, "veth3": {}},
                     "ovs": {"br0": br}},
            "a": {"interfaces": {"eth0": {"addresses": ["10.0.0.1/24"],
                                          "mac": "02:00:00:00:00:0a"}},
                  "routes": [{"dst": "10.0.1.0/24", "via": "10.0.0.254"}]},
            "b": {"interfaces": {"eth0": {"addresses": ["10.0.0.2/24"],
                                          "mac": "02:00:00:00:00:0b"}}},
            "mon": {"interfaces": {"eth0": {}}},
        },
        "links": [
            {"endpoints": ["host:veth1", "a:eth0"]},
            {"endpoints": ["host:veth2", "b:eth0"]},
            {"endpoints": ["host:veth3", "mon:eth0"]},
        ],
    }


def ovs_lab(name: str, **kw: Any) -> LabSpec:
    return resolve(LabSpec.model_validate(ovs_raw(name, **kw)))

OVS_MISSING = next((f"{p} is not installed (Debian's openvswitch-switch; `.ci/run` installs "
                    "it)" for p in ("ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl",
                                    "ovsdb-tool", "ethtool") if shutil.which(p) is None), None)
needs_ovs = pytest.mark.skipif(OVS_MISSING is not None, reason=OVS_MISSING or "")


def ovs_pids_under(path: str) -> list[int]:
    """Every live ovsdb-server/ovs-vswitchd whose command line names ``path``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and daemons.owned(int(entry), path) is not None \
                and runtime.pid_alive(int(entry), None):
            out.append(int(entry))
    return out


def vxlan_raw(name: str, *, underlay_on_ovs: bool = True) -> dict[str, Any]:
    """Two hosts, each with an OVS bridge ``br0`` holding ``vxlan0`` (to the other) and an
    internal port ``int0`` on the overlay 10.0.0.0/24; the underlay 192.168.1.0/24 is on
    ``br-phy`` (uplink ``eth0`` as its port), or, with ``underlay_on_ovs`` false, on
    ``eth0`` itself."""
    nodes: dict[str, Any] = {}
    for i, other in ((1, 2), (2, 1)):
        br0 = {"ports": {
            "vxlan0": {"type": "vxlan", "options": {"remote_ip": f"192.168.1.{other}",
                                                    "key": "100"}},
            "int0": {"type": "internal", "addresses": [f"10.0.0.{i}/24"]}}}
        if underlay_on_ovs:
            nodes[f"h{i}"] = {"interfaces": {"eth0": {}}, "ovs": {
                "br-phy": {"addresses": [f"192.168.1.{i}/24"], "ports": {"eth0": {}}},
                "br0": br0}}
        else:
            nodes[f"h{i}"] = {"interfaces": {"eth0": {"addresses": [f"192.168.1.{i}/24"]}},
                              "ovs": {"br0": br0}}
    return {"name": name, "nodes": nodes, "links": [{"endpoints": ["h1:eth0", "h2:eth0"]}]}


def vxlan_lab(name: str, **kw: Any) -> LabSpec:
    return resolve(LabSpec.model_validate(vxlan_raw(name, **kw)))


def _three(name: str, host_ovs: dict[str, Any], ports: dict[str, str]) -> dict[str, Any]:
    """Nodes a, b, c (10.0.0.1-3) on host's ports ``ports[node]``."""
    nodes: dict[str, Any] = {"host": {"interfaces": {p: {} for p in ports.values()},
                                      "ovs": host_ovs}}
    links = []
    for i, (n, port) in enumerate(sorted(ports.items()), start=1):
        nodes[n] = {"interfaces": {"eth0": {"addresses": [f"10.0.0.{i}/24"]}}}
        links.append({"endpoints": [f"host:{port}", f"{n}:eth0"]})
    return {"name": name, "nodes": nodes, "links": links}


def vlan_patch_lab(name: str) -> LabSpec:
    """a (VLAN 10) and b (VLAN 20) on br0, c (VLAN 10) on br1; br0 and br1 joined by a
    pair of patch ports (trunks: every VLAN)."""
    ovs = {
        "br0": {"ports": {"veth1": {"tag": 10}, "veth2": {"tag": 20},
                          "patch0": {"type": "patch", "options": {"peer": "patch1"}}}},
        "br1": {"ports": {"veth3": {"tag": 10},
                          "patch1": {"type": "patch", "options": {"peer": "patch0"}}}},
    }
    raw = _three(name, ovs, {"a": "veth1", "b": "veth2", "c": "veth3"})
    return resolve(LabSpec.model_validate(raw))


def pipeline_lab(name: str) -> LabSpec:
    """Secure br0: table 0 an ACL (drop IPv4 from b) then goto_table 1; table 1 sends
    everything to an ``all`` group whose one bucket is NORMAL."""
    ovs = {"br0": {
        "fail_mode": "secure",
        "addresses": ["10.0.0.254/24"],
        "ports": {"veth1": {"ofport_request": 1}, "veth2": {"ofport_request": 2},
                  "veth3": {"ofport_request": 3}},
        "groups": ["group_id=1,type=all,bucket=actions=NORMAL"],
        "flows": ["table=0,priority=100,ip,nw_src=10.0.0.2,actions=drop",
                  "table=0,priority=0,actions=goto_table:1",
                  "table=1,priority=0,actions=group:1"],
    }}
    raw = _three(name, ovs, {"a": "veth1", "b": "veth2", "c": "veth3"})
    return resolve(LabSpec.model_validate(raw))
