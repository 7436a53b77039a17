"""``vnetlab snapshot``: a real host's (or a saved dump's) networking -> a lab file.

Design note
-----------
Pure: no root, no netlink. The pipeline is one way, each stage its own module:

  dumps (``ip -j``/``bridge -j``/``ovs-vsctl`` output per namespace: ``dumps``)
  -> typed host state (``decode``, ``ovs``; ``state``)
  -> the lab's data (``tolab``) -> YAML with a header of what it leaves out (``write``).

The live path (``vnetlab.kernel.dump``) produces the same dumps from netlink, so both
share every decoder. The result is an ordinary lab: ``run``, ``trace``, ``show`` and
``lint`` take it offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vnetlab.snapshot.decode import decode
from vnetlab.snapshot.dumps import DumpError, NamespaceDump, OvsDump, read_dir
from vnetlab.snapshot.tolab import ToLab, guess_strip
from vnetlab.snapshot.write import to_yaml

__all__ = ["DumpError", "NamespaceDump", "Snapshot", "from_mapping", "read_dir", "snapshot"]


@dataclass
class Snapshot:
    lab: dict[str, Any]
    notes: list[str]
    yaml: str


def snapshot(dumps: Iterable[NamespaceDump], *, name: str | None = None,
             strip: str | None = None, source: str = "a host") -> Snapshot:
    """DUMPS -> a lab. ``strip``: a namespace-name prefix to drop from node names (by
    default the linux engine's ``vnl-LAB.`` when every namespace is of one lab)."""
    dumps = list(dumps)
    guessed_strip, guessed_name = guess_strip([d.name for d in dumps])
    host = decode(dumps)
    tl = ToLab(host, name or guessed_name or "snapshot",
               strip if strip is not None else guessed_strip)
    lab = tl.lab()
    return Snapshot(lab=lab, notes=tl.notes, yaml=to_yaml(lab, tl.notes, source))


def from_mapping(name: str, data: Mapping[str, Any], *, is_host: bool = False) -> NamespaceDump:
    """A ``vnetlab.kernel.dump`` namespace (plain dicts, same keys) as a NamespaceDump."""
    ovs = data.get("ovs")
    return NamespaceDump(
        name=name, links=list(data.get("links") or []), addrs=data.get("addrs"),
        routes=data.get("routes"), neighs=data.get("neighs"), fdb=data.get("fdb"),
        vlans=data.get("vlans"), brlinks=data.get("brlinks"), nsids=data.get("nsids"),
        ip_forward=data.get("ip_forward"), ebtables=data.get("ebtables"),
        xfrm_state=data.get("xfrm_state"), xfrm_policy=data.get("xfrm_policy"),
        qdiscs=data.get("qdiscs"), sriov=data.get("sriov"),
        ovs=OvsDump(tables=dict(ovs.get("tables") or {}), flows=dict(ovs.get("flows") or {}),
                    groups=dict(ovs.get("groups") or {}), show=str(ovs.get("show") or ""))
        if isinstance(ovs, Mapping) and ovs.get("tables") else None,
        is_host=is_host)
