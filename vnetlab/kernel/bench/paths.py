"""The data paths ``vnetlab bench dataplane`` measures: small vnetlab labs (``paths.yaml``).

Design note
-----------
Each path is a lab, as a lab file would say it (``paths.yaml``, beside this module: data,
not code, so the kinds are spelt where labs spell them), with a client node ``a`` and the
server address ``dst``, plus what the bench needs around it: the programs it runs, the
seed's claim for the device (its performance table, quoted), and for the cost model the
kind the path adds and the device kinds the emulator's iperf app traces on the same lab
(``cost_path``; a unit test holds these to the emulator, so they cannot drift). Whether
the kernel can build a path is asked exactly as the linux engine asks it before building
a lab (``plan.required_features`` -> ``features.probe_kinds``), so a path this kernel
lacks is *skipped with the probe's reason* instead of failing half-way. The order matters
for the cost file: each path adds one kind to those measured before it
(``vnetlab.kernel.bench.costs``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vnetlab.kernel.ovs.plan import OVS_MODULE

DATA = Path(__file__).with_name("paths.yaml")


@dataclass(frozen=True, slots=True)
class SeedClaim:
    """One row of the seed's performance table (the words as the seed writes them)."""

    device: str
    throughput: str
    latency: str
    cpu: str
    #: the throughput range in Gb/s (None: not a number, e.g. "Near physical NIC")
    gbps: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class BenchPath:
    name: str
    title: str
    dst: str
    lab: dict[str, Any]
    #: programs that must be installed (beyond iperf3 and ping)
    programs: tuple[str, ...] = ()
    #: the cost model's kind this path adds (``"stack"`` for lo)
    cost_kind: str = ""
    #: the device kinds the emulator's iperf app traces on this lab, in order
    cost_path: tuple[str, ...] = ()
    #: the path segments every packet in userspace (no GSO super-packets)
    no_gso: bool = False
    #: the cost file's note for the kind (and the one for OVS's userspace datapath)
    cost_note: str = ""
    cost_note_userspace: str = ""
    seed: SeedClaim | None = None
    client: str = "a"
    notes: tuple[str, ...] = ()
    #: measured by ``--quick`` when no ``--paths`` are named
    quick: bool = False


def _seed(raw: dict[str, Any]) -> SeedClaim:
    g = raw.get("gbps")
    return SeedClaim(str(raw["device"]), str(raw["throughput"]), str(raw["latency"]),
                     str(raw["cpu"]), (float(g[0]), float(g[1])) if g else None)


_DOC: dict[str, Any] = yaml.safe_load(DATA.read_text())


def _load() -> tuple[dict[str, SeedClaim], tuple[BenchPath, ...]]:
    doc = _DOC
    seeds = {k: _seed(v) for k, v in doc["seed"].items()}
    out = []
    for p in doc["paths"]:
        out.append(BenchPath(
            name=p["name"], title=p["title"], dst=str(p["dst"]), lab=p["lab"],
            programs=tuple(p.get("programs", ())), cost_kind=p["cost_kind"],
            cost_path=tuple(p["cost_path"]), no_gso=bool(p.get("no_gso", False)),
            cost_note=p.get("cost_note", ""),
            cost_note_userspace=p.get("cost_note_userspace", ""),
            seed=seeds[p["seed"]] if "seed" in p else None,
            client=p.get("client", "a"), notes=tuple(p.get("notes", ())),
            quick=bool(p.get("quick", False))))
    return seeds, tuple(out)


#: the seed's "Performance Implications" table, row by row, and every path in order
SEED, PATHS = _load()
BY_NAME: dict[str, BenchPath] = {p.name: p for p in PATHS}
#: cost file entries stated, not measured (SR-IOV: no such NIC here), by kind
STATED_COSTS: dict[str, dict[str, Any]] = _DOC["stated_costs"]


def ovs_datapath() -> str:
    """The datapath the linux engine's OVS plan picks here (``ovs/plan.py``):
    ``system`` with the openvswitch module loaded, else ``netdev`` (userspace)."""
    return "system" if os.path.isdir(OVS_MODULE) else "netdev"


def path_title(p: BenchPath) -> str:
    if p.programs and "ovs-vswitchd" in p.programs:
        dp = ovs_datapath()
        return f"OVS ({'kernel' if dp == 'system' else 'userspace'} datapath)"
    return p.title


def gso_of(p: BenchPath) -> bool:
    """Whether TCP crosses the path in GSO super-packets (userspace datapaths do not)."""
    if p.programs and "ovs-vswitchd" in p.programs:
        return ovs_datapath() == "system"
    return not p.no_gso


def missing_programs(p: BenchPath, which: Any = shutil.which) -> list[str]:
    return [prog for prog in ("iperf3", "ping", *p.programs) if which(prog) is None]


def lab_spec(p: BenchPath, tag: str) -> Any:
    """The path's lab, named ``bench-PATH-TAG`` (``LabSpec``), with IPv6 off unless the
    path says otherwise: the bench measures IPv4 streams, and autoconfiguration's waits
    and multicast chatter would only add noise (and a DAD wait per lab)."""
    from vnetlab.model.load import load_lab_text

    return load_lab_text(yaml.safe_dump({"name": f"bench-{p.name}-{tag}", "ipv6": "off",
                                         **p.lab}))


def needed_features(p: BenchPath) -> set[str]:
    """What the engine's plan would probe for before building this path's lab."""
    from vnetlab.kernel.plan import required_features

    return required_features(lab_spec(p, "probe"))


def skip_reason(p: BenchPath, probe: dict[str, str | None],
                which: Any = shutil.which) -> str | None:
    """Why this host cannot run the path (None: it can). ``probe``: feature -> reason."""
    for key in sorted(needed_features(p)):
        why = probe.get(key)
        if why:
            return why
    missing = missing_programs(p, which)
    if missing:
        return f"not installed: {', '.join(missing)}"
    return None


def select(names: list[str] | None, quick: bool) -> list[BenchPath]:
    """The paths asked for (``--paths``), in the bench's order; ValueError naming an
    unknown one."""
    if not names:
        names = [p.name for p in PATHS if p.quick or not quick]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown path {unknown[0]!r} (paths: {', '.join(BY_NAME)})")
    return [p for p in PATHS if p.name in names]
