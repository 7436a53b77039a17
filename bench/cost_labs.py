"""The small labs ``measure_costs.py`` measures: one device kind more in each.

Each lab has a client node ``a`` and the server address ``DST``; ``NEW`` names the device
kind whose cost the lab adds to the ones measured before it (the order matters).
"""

from __future__ import annotations

from typing import Any

#: (name, the kind it adds, destination, lab dict without its name)
LABS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("lo", "stack", "10.0.0.1", {
        # traffic to a local address takes lo whatever device holds it (no dummy module
        # on every kernel: a veth end holds it here)
        "nodes": {"a": {"interfaces": {"eth0": {"addresses": ["10.0.0.1/24"]}}},
                  "b": {"interfaces": {"eth0": {}}}},
        "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}),
    ("veth", "veth", "10.0.0.2", {
        "nodes": {"a": {"interfaces": {"eth0": {"addresses": ["10.0.0.1/24"]}}},
                  "b": {"interfaces": {"eth0": {"addresses": ["10.0.0.2/24"]}}}},
        "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}),
    ("bridge", "bridge", "10.0.0.2", {
        "nodes": {"a": {"interfaces": {"eth0": {"addresses": ["10.0.0.1/24"]}}},
                  "b": {"interfaces": {"eth0": {"addresses": ["10.0.0.2/24"]}}},
                  "h": {"interfaces": {"br0": {"type": "bridge"},
                                       "va": {"master": "br0"}, "vb": {"master": "br0"}}}},
        "links": [{"endpoints": ["a:eth0", "h:va"]}, {"endpoints": ["b:eth0", "h:vb"]}]}),
    ("vxlan", "vxlan", "192.168.7.2", {
        "nodes": {
            "a": {"interfaces": {
                "eth0": {"addresses": ["10.0.0.1/24"]},
                "vx0": {"type": "vxlan", "id": 7, "remote": "10.0.0.2", "dev": "eth0",
                        "addresses": ["192.168.7.1/24"]}}},
            "b": {"interfaces": {
                "eth0": {"addresses": ["10.0.0.2/24"]},
                "vx0": {"type": "vxlan", "id": 7, "remote": "10.0.0.1", "dev": "eth0",
                        "addresses": ["192.168.7.2/24"]}}}},
        "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}),
    ("macvlan", "macvlan", "10.0.0.2", {
        "nodes": {
            # the lower: a veth end (no dummy module on every kernel); bridge mode switches
            # between the two macvlans inside the driver, the lower never transmits
            "h": {"interfaces": {"eth0": {}}},
            "x": {"interfaces": {"eth0": {}}},
            "a": {"interfaces": {"mv0": {"type": "macvlan", "link": "h:eth0",
                                         "mode": "bridge", "addresses": ["10.0.0.1/24"]}}},
            "b": {"interfaces": {"mv0": {"type": "macvlan", "link": "h:eth0",
                                         "mode": "bridge", "addresses": ["10.0.0.2/24"]}}}},
        "links": [{"endpoints": ["h:eth0", "x:eth0"]}]}),
    ("ovs", "openvswitch", "10.0.0.2", {
        "nodes": {"a": {"interfaces": {"eth0": {"addresses": ["10.0.0.1/24"]}}},
                  "b": {"interfaces": {"eth0": {"addresses": ["10.0.0.2/24"]}}},
                  "h": {"interfaces": {"pa": {}, "pb": {}},
                        "ovs": {"br0": {"ports": {"pa": {}, "pb": {}}}}}},
        "links": [{"endpoints": ["a:eth0", "h:pa"]}, {"endpoints": ["b:eth0", "h:pb"]}]}),
]
