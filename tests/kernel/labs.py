"""Small labs for the kernel tests (built directly; resolve() may add the same defaults)."""

from __future__ import annotations

from typing import Any

from vnetlab.model.spec import LabSpec


def t1_raw(name: str = "t1") -> dict[str, Any]:
    return {
        "name": name,
        "nodes": {
            "host": {
                "interfaces": {
                    "br0": {
                        "type": "bridge",
                        "addresses": ["192.168.1.1/24"],
                        "mac": "02:00:00:00:01:01",
                    },
                    "veth0a": {"master": "br0", "mac": "02:00:00:00:01:0a"},
                    "veth0b": {"master": "br0", "mac": "02:00:00:00:01:0b"},
                },
                "sysctls": {"net.ipv4.ip_forward": 1},
            },
            "a": {
                "interfaces": {
                    "eth0": {"addresses": ["192.168.1.2/24"], "mac": "02:00:00:00:00:0a"}
                },
                "routes": [{"dst": "default", "via": "192.168.1.1"}],
            },
            "b": {
                "interfaces": {
                    "eth0": {"addresses": ["192.168.1.3/24"], "mac": "02:00:00:00:00:0b"}
                }
            },
        },
        "links": [
            {"endpoints": ["host:veth0a", "a:eth0"]},
            {"endpoints": ["host:veth0b", "b:eth0"]},
        ],
        "checks": [{"ping": "a -> 192.168.1.3"}, {"ping": "b -> 192.168.1.1"}],
    }


def t1(name: str = "t1") -> LabSpec:
    return LabSpec.model_validate(t1_raw(name))


def star(name: str, n: int) -> LabSpec:
    """``n`` nodes, each by a veth pair on one bridge in ``host`` (the bench topology)."""
    host_ifs: dict[str, Any] = {"br0": {"type": "bridge", "addresses": ["10.0.0.1/16"]}}
    nodes: dict[str, Any] = {"host": {"interfaces": host_ifs}}
    links = []
    for i in range(n):
        host_ifs[f"v{i}"] = {"master": "br0"}
        nodes[f"n{i}"] = {
            "interfaces": {"eth0": {"addresses": [f"10.0.{(i + 2) // 256}.{(i + 2) % 256}/16"]}}
        }
        links.append({"endpoints": [f"host:v{i}", f"n{i}:eth0"]})
    return LabSpec.model_validate({"name": name, "nodes": nodes, "links": links})
