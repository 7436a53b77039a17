"""Imports only go where the design says: one explicit table of allowed arrows.

DESIGN (section 3): ``model`` imports nothing else of vnetlab; ``wire`` only itself;
``sim`` and ``kernel`` read ``model``/``wire`` and never each other; tools talk to an
engine through the small protocol in ``vnetlab.engine``; ``cli`` and ``api`` sit on top.
The module import graph is read with ``ast`` (every import, including those inside
functions and under ``TYPE_CHECKING``: a lazy import is still an arrow), so an arrow that
is not in ``ALLOWED`` fails here with the modules that draw it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "vnetlab"

#: layer -> the layers it may import (itself always). A layer is a subpackage of vnetlab or
#: a top-level module; "vnetlab" is the package's own __init__.
ALLOWED: dict[str, frozenset[str]] = {
    "model": frozenset(),
    "wire": frozenset(),
    # OpenFlow as OVS speaks it: pure, beside wire
    "openflow": frozenset({"wire"}),
    # the protocol every engine speaks (Engine, EngineError, PingResult)
    "engine": frozenset({"model"}),
    # the API TUN/TAP programs are written against; both engines run them
    "tuntap": frozenset({"wire"}),
    # OVSDB (schema, database, ovs-vsctl): pure; commands.py reads the lab model
    "ovsdb": frozenset({"model", "openflow"}),
    # the emulated ovs-vswitchd (sim/ovs) builds on OpenFlow and OVSDB
    "sim": frozenset({"model", "wire", "engine", "tuntap", "openflow", "ovsdb"}),
    # + ovsdb: the linux engine runs the real ovs-vsctl/ovs-ofctl with ovsdb.commands' argv
    "kernel": frozenset({"model", "wire", "engine", "tuntap", "ovsdb"}),
    # sideways on purpose: the ip/bridge interpreter runs on the emulator (its engine)
    # ... and `export` prints a lab's OVS as the ovs-vsctl/ovs-ofctl argv both engines run
    "script": frozenset({"model", "wire", "engine", "sim", "ovsdb"}),
    # tools are engine-neutral; the one exception is below (SIDEWAYS_MODULES)
    "tools": frozenset({"model", "wire", "engine"}),
    # lint reads the lab model only: it never builds anything (no engine, no kernel)
    "lint": frozenset({"model", "wire", "openflow"}),
    # a host's ip/bridge/ovs dumps -> a lab: pure (the live netlink side is kernel.dump)
    "snapshot": frozenset({"model", "wire", "openflow", "ovsdb"}),
    "api": frozenset({"model", "wire", "engine", "sim", "kernel", "script", "tools"}),
    # the web view (vnetlab serve): a top layer beside cli, over an engine it is handed
    "web": frozenset({"model", "wire", "engine", "tools", "api"}),
    "cli": frozenset({"model", "wire", "engine", "sim", "kernel", "script", "tools", "api",
                      "lint", "snapshot", "web"}),
    "vnetlab": frozenset({"api"}),
}

#: (importing layer, imported module) pairs allowed although the layer is not: the trace
#: tree is the emulator's product and rendering it (trace_render) is a tool
SIDEWAYS_MODULES = frozenset({("tools", "vnetlab.sim.trace")})

#: arrows the design forbids by name (checked separately so a wrong ALLOWED entry cannot
#: quietly permit them)
FORBIDDEN: dict[str, frozenset[str]] = {
    "model": frozenset({"wire", "sim", "kernel", "script", "tools", "cli", "api", "engine", "web"}),
    "wire": frozenset({"model", "sim", "kernel", "script", "tools", "cli", "api", "engine", "web"}),
    "sim": frozenset({"kernel", "script", "tools", "cli", "api", "web"}),
    "kernel": frozenset({"sim", "script", "tools", "cli", "api", "snapshot", "web"}),
    "script": frozenset({"kernel", "tools", "cli", "api", "web"}),
    "tools": frozenset({"cli", "api", "script", "kernel", "web"}),
    "lint": frozenset({"sim", "kernel", "script", "tools", "cli", "api", "engine", "ovsdb",
                       "web"}),
    # the web view gets its engine handed in by the CLI; it never builds one itself
    "web": frozenset({"sim", "kernel", "script", "cli"}),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    """Module -> the vnetlab modules it imports (``from pkg import mod`` names mod)."""
    mods = _modules()

    def resolve(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    edges: dict[str, set[str]] = defaultdict(set)
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package upwards
                    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        pkg = pkg.rpartition(".")[0]
                    base = f"{pkg}.{base}" if base else pkg
                names = [base, *(f"{base}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name == "vnetlab" or name.startswith("vnetlab."):
                    target = resolve(name)
                    if target and target != mod:
                        edges[mod].add(target)
    return edges


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "vnetlab"


def _cross_arrows() -> dict[tuple[str, str], set[str]]:
    arrows: dict[tuple[str, str], set[str]] = defaultdict(set)
    for src, targets in _graph().items():
        for dst in targets:
            a, b = _layer(src), _layer(dst)
            if a != b and (a, dst) not in SIDEWAYS_MODULES:
                arrows[(a, b)].add(f"{src} -> {dst}")
    return arrows


def test_every_layer_is_in_the_table() -> None:
    layers = {_layer(m) for m in _modules()}
    assert layers == set(ALLOWED), layers ^ set(ALLOWED)


def test_only_allowed_arrows() -> None:
    bad = {f"{a} -> {b}": sorted(v) for (a, b), v in _cross_arrows().items()
           if b not in ALLOWED[a]}
    assert not bad, bad


def test_forbidden_arrows_are_absent() -> None:
    bad = {f"{a} -> {b}": sorted(v) for (a, b), v in _cross_arrows().items()
           if b in FORBIDDEN.get(a, frozenset())}
    assert not bad, bad
    for layer, never in FORBIDDEN.items():  # the table itself must not contradict them
        assert not (ALLOWED[layer] & never), layer


def test_sideways_modules_are_still_needed() -> None:
    """An exception nobody uses any more goes from the table."""
    used = {(_layer(src), dst) for src, targets in _graph().items() for dst in targets}
    assert used >= SIDEWAYS_MODULES, SIDEWAYS_MODULES - used


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph has a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    nodes = set(edges) | {t for ts in edges.values() for t in ts}
    for root in sorted(nodes):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, todo = work[-1]
            if todo:
                w = todo.pop()
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, sorted(edges.get(w, ()))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def test_no_import_cycle_crosses_a_layer() -> None:
    """A cycle inside one package is that package's business; one that spans two
    packages means a lower layer reaches up (the emulator once ran setup: scripts)."""
    spanning = [sorted(c) for c in _strongly_connected(_graph())
                if len({_layer(m) for m in c}) > 1]
    assert not spanning, spanning


def test_cycle_finder_finds_a_cycle() -> None:
    comps = _strongly_connected({"a.x": {"b.y"}, "b.y": {"a.x"}, "c.z": {"a.x"}})
    assert sorted(sorted(c) for c in comps if len(c) > 1) == [["a.x", "b.y"]]
