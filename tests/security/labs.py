"""Small labs for the security tests: three namespaces on one filtered bridge."""

from __future__ import annotations

from typing import Any

from vnetlab.model.spec import LabSpec

#: one rule of each kind the differential test compares (listing text and counters)
FILTER_RULES = [
    "-A FORWARD -p ARP --arp-op Request -j CONTINUE",
    "-A FORWARD -p ARP --arp-op Reply --arp-ip-src 10.0.0.0/24 "
    "--arp-mac-src ! 02:00:00:00:00:0c -j CONTINUE",
    "-A FORWARD -p IPv4 --ip-dst 10.0.0.4 --ip-proto icmp -j DROP",
    "-N acct",
    "-A FORWARD -p IPv4 -i va -j acct",
    "-A acct -s 02:00:00:00:00:0a -d 02:00:00:00:00:0b -j RETURN",
    "-A acct -j CONTINUE",
    "-A FORWARD --among-src 02:00:00:00:00:0b -j CONTINUE",
    "-A FORWARD -p ! IPv4 -o vc -j CONTINUE",
    "-A FORWARD -s 02:00:00:00:00:00/ff:ff:ff:ff:ff:00 -d ! Broadcast -j CONTINUE",
    "-A INPUT -p ARP -i vb -j CONTINUE",
    "-A INPUT -p IPv4 --ip-src 10.0.0.2 -j CONTINUE",
    "-A OUTPUT -p IPv4 --ip-proto icmp -o vb -j CONTINUE",
    "-A OUTPUT -p ARP --arp-op Reply -j CONTINUE",
]


def filtered_bridge_raw(name: str, rules: list[str] | None = None) -> dict[str, Any]:
    nodes: dict[str, Any] = {
        "host": {
            "interfaces": {
                "br0": {"type": "bridge", "addresses": ["10.0.0.1/24"],
                        "mac": "02:00:00:00:00:01"},
                "va": {"master": "br0"}, "vb": {"master": "br0"}, "vc": {"master": "br0"},
            },
            "ebtables": FILTER_RULES if rules is None else rules,
        },
    }
    links = []
    for i, n in enumerate("abc"):
        nodes[n] = {"interfaces": {"eth0": {"addresses": [f"10.0.0.{i + 2}/24"],
                                            "mac": f"02:00:00:00:00:0{n}"}}}
        links.append({"endpoints": [f"host:v{n}", f"{n}:eth0"]})
    return {"name": name, "nodes": nodes, "links": links}


def filtered_bridge(name: str, rules: list[str] | None = None) -> LabSpec:
    from vnetlab.model.resolver import resolve

    return resolve(LabSpec.model_validate(filtered_bridge_raw(name, rules)))


def port_flags_raw(name: str) -> dict[str, Any]:
    """a, b on isolated ports, c on a plain one, d and e on locked ones (a static FDB
    entry for d's MAC, none for e)."""
    ports: dict[str, Any] = {"br0": {"type": "bridge", "addresses": ["10.0.0.1/24"],
                                     "fdb": [{"mac": "02:00:00:00:00:0d", "dev": "vd"}]}}
    flags = {"a": {"isolated": True}, "b": {"isolated": True}, "c": {},
             "d": {"locked": True}, "e": {"locked": True}}
    nodes: dict[str, Any] = {"host": {"interfaces": ports}}
    links = []
    for i, (n, f) in enumerate(flags.items()):
        ports[f"v{n}"] = {"master": "br0", "bridge_port": f} if f else {"master": "br0"}
        nodes[n] = {"interfaces": {"eth0": {"addresses": [f"10.0.0.{i + 2}/24"],
                                            "mac": f"02:00:00:00:00:0{n}"}}}
        links.append({"endpoints": [f"host:v{n}", f"{n}:eth0"]})
    return {"name": name, "nodes": nodes, "links": links}


def port_flags(name: str) -> LabSpec:
    from vnetlab.model.resolver import resolve

    return resolve(LabSpec.model_validate(port_flags_raw(name)))


#: (from, to): a=.2 b=.3 c=.4 d=.5 e=.6, the bridge .1
PORT_FLAG_PINGS = [("a", "10.0.0.3"), ("a", "10.0.0.4"), ("b", "10.0.0.4"), ("a", "10.0.0.1"),
                   ("d", "10.0.0.4"), ("e", "10.0.0.4"), ("d", "10.0.0.1"), ("e", "10.0.0.1")]


#: the nft bridge family: the same kinds of matches as FILTER_RULES, in nft's words
NFT_RULES = [
    "add table bridge filter",
    "add chain bridge filter forward { type filter hook forward priority 0; policy accept; }",
    "add chain bridge filter sub",
    "add chain bridge filter input { type filter hook input priority filter; }",
    "add rule bridge filter forward arp operation request counter",
    "add rule bridge filter forward arp operation reply arp saddr ip 10.0.0.0/24 counter",
    "add rule bridge filter forward ip daddr 10.0.0.4 ip protocol icmp counter drop",
    'add rule bridge filter forward iifname "va" ether type ip counter jump sub',
    "add rule bridge filter sub ether saddr 02:00:00:00:00:0a counter return",
    'add rule bridge filter forward ether saddr != 02:00:00:00:00:0b oifname "vc" counter',
    "add rule bridge filter forward ether type arp counter accept",
    'add rule bridge filter input meta iifname "vb" arp operation request counter',
    "add rule bridge filter input ip saddr 10.0.0.2 counter",
]


def suppress_raw(name: str) -> dict[str, Any]:
    """a on a plain port; b and c behind neigh_suppress ports; br0 has an address, so its
    own neighbour table can learn b."""
    raw = filtered_bridge_raw(name, rules=[])
    ifs = raw["nodes"]["host"]["interfaces"]
    del raw["nodes"]["host"]["ebtables"]
    ifs["vb"] = {"master": "br0", "bridge_port": {"neigh_suppress": True}}
    ifs["vc"] = {"master": "br0", "bridge_port": {"neigh_suppress": True}}
    raw["checks"] = [
        {"ping": "host -> 10.0.0.3"},  # br0's neighbour table learns b
        {"ping": "a -> 10.0.0.3"},
        # br0 answered a's request itself; b and c never saw it
        {"frames": "a:eth0", "match": {"proto": "arp", "op": "reply",
                                       "src": "02:00:00:00:00:0b"}},
        {"frames": "b:eth0", "match": {"proto": "arp", "op": "request",
                                       "src": "02:00:00:00:00:0a"}, "expect": "unseen"},
        {"frames": "c:eth0", "match": {"proto": "arp", "op": "request",
                                       "src": "02:00:00:00:00:0a"}, "expect": "unseen"},
    ]
    return raw
