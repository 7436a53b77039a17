"""The order devices are created in: a device after every device it is stacked on.

Design note
-----------
Computed once, from the model, for every layer that creates devices (the emulator's build,
the linux engine's plan, ``vnetlab export``). Each kind says what it stacks on through
``NetdevSpec.lower_refs()`` (a vlan's ``link``, a vxlan's underlay ``dev``, a macvlan's
lower, possibly ``NODE:IFNAME`` in another node), so this module never names a kind. The
kernel has the same rule: ``register_netdevice`` of an upper needs its lower to exist
(``__dev_get_by_index`` of IFLA_LINK fails with ENODEV otherwise).

The order is deterministic: by stacking depth (plain devices are depth 0), then by the
node's position in the lab, then by the interface's position in the node. A reference to
a device the lab does not have stacks on nothing (resolve() reports it); a cycle is
returned by ``stack_cycle`` so resolve() can name it, and never loops here.
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.model.netdev import NetdevSpec

Key = tuple[str, str]
Nodes = Mapping[str, Mapping[str, NetdevSpec]]


def split_ref(node: str, ref: str) -> Key:
    """``eth0`` -> (node, eth0); ``host:eth0`` -> (host, eth0)."""
    other, sep, ifname = ref.rpartition(":")
    return (other, ifname) if sep else (node, ifname)


def lowers(nodes: Nodes, key: Key) -> list[Key]:
    """The devices ``key`` stacks on that the lab has."""
    spec = nodes.get(key[0], {}).get(key[1])
    if spec is None:
        return []
    out = [split_ref(key[0], ref) for ref in spec.lower_refs()]
    return [k for k in out if k[1] in nodes.get(k[0], {})]


def stack_cycle(nodes: Nodes) -> list[Key] | None:
    """The first cycle of devices stacked on each other (``[a, b, a]``), or None."""
    state: dict[Key, int] = {}  # 1: on the current path, 2: done
    for start in ((n, i) for n, ifaces in nodes.items() for i in ifaces):
        if state.get(start):
            continue
        path: list[Key] = []
        stack: list[tuple[Key, int]] = [(start, 0)]
        while stack:  # iterative DFS: a chain of any length never hits the recursion limit
            key, i = stack.pop()
            if i == 0:
                state[key] = 1
                path.append(key)
            below = lowers(nodes, key)
            if i < len(below):
                stack.append((key, i + 1))
                nxt = below[i]
                if state.get(nxt) == 1:
                    return path[path.index(nxt):] + [nxt]
                if not state.get(nxt):
                    stack.append((nxt, 0))
                continue
            state[key] = 2
            path.pop()
    return None


def stack_depths(nodes: Nodes) -> dict[Key, int]:
    """0 for a device stacked on nothing, else 1 + the deepest device it stacks on
    (a device in a cycle counts the cycle once, so the order stays defined)."""
    depth: dict[Key, int] = {}
    for start in ((n, i) for n, ifaces in nodes.items() for i in ifaces):
        if start in depth:
            continue
        on_path: set[Key] = set()
        stack: list[tuple[Key, bool]] = [(start, False)]
        while stack:
            key, expanded = stack.pop()
            if key in depth:
                continue
            below = [k for k in lowers(nodes, key) if k not in on_path or k in depth]
            if not expanded:
                on_path.add(key)
                stack.append((key, True))
                stack.extend((k, False) for k in below if k not in depth)
                continue
            depth[key] = 1 + max((depth.get(k, 0) for k in below), default=-1)
            on_path.discard(key)
    return depth


def build_order(nodes: Nodes) -> list[Key]:
    """Every device of every node, each after what it stacks on."""
    depth = stack_depths(nodes)
    rank = {n: i for i, n in enumerate(nodes)}
    pos = {(n, name): i for n, ifaces in nodes.items() for i, name in enumerate(ifaces)}
    return sorted(pos, key=lambda k: (depth[k], rank[k[0]], pos[k]))
