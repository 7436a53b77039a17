"""What a snapshot is made from: per namespace, the JSON and text the real tools print.

Design note
-----------
A ``NamespaceDump`` holds, for one network namespace, exactly what these commands print
(parsed JSON, never reshaped), so the offline path (files a user collected on a production
host) and the live path (``vnetlab.kernel.dump``, which builds the same dicts from netlink)
feed one decoder:

==================  ==========================================  ======================
field               command                                     file in DIR/NS/
==================  ==========================================  ======================
links               ``ip -j -d link show``                      ``link.json``
addrs               ``ip -j addr show``                         ``addr.json``
routes              ``ip -j route show table all``              ``route.json``
neighs              ``ip -j neigh show``                        ``neigh.json``
fdb                 ``bridge -j fdb show``                      ``fdb.json``
vlans               ``bridge -j vlan show``                     ``vlan.json``
brlinks             ``bridge -j -d link show``                  ``brlink.json``
nsids               ``ip -j netns list-id``                     ``nsid.json``
qdiscs              ``tc -j qdisc show``                        ``qdisc.json``
sriov               PF/VF facts from sysfs (see below)          ``sriov.json``
ip_forward          ``sysctl -n net.ipv4.ip_forward``           ``ip_forward``
ebtables            ``ebtables-save``                           ``ebtables.txt``
xfrm_state          ``ip xfrm state`` (keys! opt-in)            ``xfrm-state.txt``
xfrm_policy         ``ip xfrm policy``                          ``xfrm-policy.txt``
ovs.*               ``ovs-vsctl --format=json list TABLE``      ``ovs/TABLE.json``
ovs.flows[BR]       ``ovs-ofctl --names dump-flows BR``         ``ovs/flows-BR.txt``
ovs.groups[BR]      ``ovs-ofctl --names dump-groups BR``        ``ovs/groups-BR.txt``
ovs.show            ``ovs-vsctl show``                          ``ovs/show.txt``
==================  ==========================================  ======================

``sriov.json`` is what sysfs says about the namespace's PCI network functions (no tool
prints it; scripts/collect-snapshot.sh writes it): one object per netdev with a
``device``, ``{"ifname", "pci"}`` (the ``device`` link's name) plus, for a PF,
``sriov_totalvfs``/``sriov_numvfs`` and for a VF ``physfn`` (its PF's PCI name) and ``vf``
(N of the PF's ``virtfnN`` link that names it); ``speed`` (Mb/s, -1 unknown) when the
device has one.

The root namespace's directory is ``DIR/host``. Every file but ``link.json`` is optional:
a missing one means "not collected", which the lab's header then says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the directory (and node) name of the root namespace in a collected snapshot
HOST_DIR = "host"
#: OVSDB tables a snapshot reads (vswitch.ovsschema)
OVS_TABLES = ("Bridge", "Port", "Interface", "Mirror")

Json = Any


class DumpError(ValueError):
    """A collected file is missing or not what the command prints."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass
class OvsDump:
    """One namespace's Open vSwitch: OVSDB tables as ``ovs-vsctl --format=json list``
    prints them (``{"headings": [...], "data": [[...]]}``) and per-bridge flow text."""

    tables: dict[str, Json] = field(default_factory=dict)
    flows: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    show: str = ""


@dataclass
class NamespaceDump:
    name: str
    links: list[Json]
    addrs: list[Json] | None = None
    routes: list[Json] | None = None
    neighs: list[Json] | None = None
    fdb: list[Json] | None = None
    vlans: list[Json] | None = None
    brlinks: list[Json] | None = None
    nsids: list[Json] | None = None
    qdiscs: list[Json] | None = None
    sriov: list[Json] | None = None
    ip_forward: int | None = None
    #: ``ebtables-save`` text (None: not collected)
    ebtables: str | None = None
    #: ``ip xfrm state`` / ``ip xfrm policy`` text (None: not collected; the states hold
    #: the keys, so collecting them is the user's choice)
    xfrm_state: str | None = None
    xfrm_policy: str | None = None
    ovs: OvsDump | None = None
    #: the root namespace (``--host``): read only, named "host" in the lab
    is_host: bool = False


FILES = {
    "links": "link.json",
    "addrs": "addr.json",
    "routes": "route.json",
    "neighs": "neigh.json",
    "fdb": "fdb.json",
    "vlans": "vlan.json",
    "brlinks": "brlink.json",
    "nsids": "nsid.json",
    "qdiscs": "qdisc.json",
    "sriov": "sriov.json",
}


#: text dumps, read as they are
TEXT_FILES = {"ebtables": "ebtables.txt", "xfrm_state": "xfrm-state.txt",
              "xfrm_policy": "xfrm-policy.txt"}


def _load_json(path: Path) -> Json:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not text:
        return []  # iproute2 prints nothing at all for some empty -j dumps
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DumpError(f"{path}:{e.lineno}: not JSON ({e.msg})",
                        "collect it again with the command in vnetlab/snapshot/dumps.py's "
                        "table (with -j)") from None


def read_namespace(d: Path) -> NamespaceDump:
    """One ``DIR/NS`` directory."""
    link = d / FILES["links"]
    if not link.is_file():
        raise DumpError(f"{d}: no {FILES['links']} (the output of `ip -j -d link show`)",
                        "every namespace directory needs at least link.json; "
                        "see scripts/collect-snapshot.sh")
    parts: dict[str, Any] = {}
    for attr, fname in FILES.items():
        p = d / fname
        if p.is_file():
            value = _load_json(p)
            if not isinstance(value, list):
                raise DumpError(f"{p}: expected a JSON list as `{fname}` holds, "
                                f"got {type(value).__name__}")
            parts[attr] = value
    fwd = d / "ip_forward"
    if fwd.is_file():
        word = fwd.read_text(encoding="utf-8").strip()
        if word not in ("0", "1"):
            raise DumpError(f"{fwd}: expected 0 or 1 (sysctl -n net.ipv4.ip_forward), "
                            f"got {word[:20]!r}")
        parts["ip_forward"] = int(word)
    for attr, fname in TEXT_FILES.items():
        if (d / fname).is_file():
            parts[attr] = (d / fname).read_text(encoding="utf-8", errors="replace")
    ovs = _read_ovs(d / "ovs")
    return NamespaceDump(name=d.name, ovs=ovs, is_host=d.name == HOST_DIR, **parts)


def _read_ovs(d: Path) -> OvsDump | None:
    if not d.is_dir():
        return None
    out = OvsDump()
    for table in OVS_TABLES:
        p = d / f"{table}.json"
        if p.is_file():
            value = _load_json(p)
            if value == []:
                value = {"headings": [], "data": []}
            if not isinstance(value, dict) or "data" not in value:
                raise DumpError(f"{p}: not `ovs-vsctl --format=json list {table}` output")
            out.tables[table] = value
    for p in sorted(d.glob("flows-*.txt")):
        out.flows[p.name[len("flows-"):-len(".txt")]] = p.read_text(encoding="utf-8")
    for p in sorted(d.glob("groups-*.txt")):
        out.groups[p.name[len("groups-"):-len(".txt")]] = p.read_text(encoding="utf-8")
    show = d / "show.txt"
    if show.is_file():
        out.show = show.read_text(encoding="utf-8")
    return out if out.tables or out.show else None


def read_dir(root: Path) -> list[NamespaceDump]:
    """Every ``ROOT/NS`` directory with a ``link.json`` (sorted by name)."""
    if not root.is_dir():
        raise DumpError(f"{root}: no such directory",
                        "collect one with scripts/collect-snapshot.sh DIR")
    dirs = sorted(p for p in root.iterdir() if p.is_dir() and (p / FILES["links"]).is_file())
    if not dirs:
        raise DumpError(f"{root}: no namespace directories (DIR/NS/link.json)",
                        "collect one with scripts/collect-snapshot.sh DIR")
    return [read_namespace(p) for p in dirs]


def write_dir(root: Path, dumps: list[NamespaceDump]) -> None:
    """The inverse of ``read_dir``: what the collection script would have written."""
    for dump in dumps:
        d = root / dump.name
        d.mkdir(parents=True, exist_ok=True)
        for attr, fname in FILES.items():
            value = getattr(dump, attr)
            if value is not None:
                (d / fname).write_text(json.dumps(value) + "\n", encoding="utf-8")
        if dump.ip_forward is not None:
            (d / "ip_forward").write_text(f"{dump.ip_forward}\n", encoding="utf-8")
        for attr, fname in TEXT_FILES.items():
            if getattr(dump, attr) is not None:
                (d / fname).write_text(getattr(dump, attr), encoding="utf-8")
        if dump.ovs is not None:
            o = d / "ovs"
            o.mkdir(exist_ok=True)
            for table, value in dump.ovs.tables.items():
                (o / f"{table}.json").write_text(json.dumps(value) + "\n", encoding="utf-8")
            for br, text in dump.ovs.flows.items():
                (o / f"flows-{br}.txt").write_text(text, encoding="utf-8")
            for br, text in dump.ovs.groups.items():
                (o / f"groups-{br}.txt").write_text(text, encoding="utf-8")
            if dump.ovs.show:
                (o / "show.txt").write_text(dump.ovs.show, encoding="utf-8")
