"""Run one script in the emulator and in the kernel sandbox; normalise what they print.

This module is the ONE place that decides what "the emulator agrees with Linux" means for
scripts. A compared script marks its show commands with ``echo "=== LABEL"``; the output
after each marker is one section, and sections with the same label are compared after
``normalise``. Every rule says why it drops or coarsens something; anything not listed
is compared exactly (values and their JSON types).

Rules
-----
* MAC addresses are random on the kernel and deterministic in the emulator: each MAC is
  replaced by the IFNAME owning it (from each side's own ``ip -j link`` dumps); multicast
  and broadcast MACs stay as they are. A bridge's MAC becomes ``bridge``: a bridge created
  without ``address`` takes its lowest port's MAC (``br_stp_recalculate_bridge_id``, both
  sides do), so the MAC -> IFNAME mapping would name the port instead.
* ``lo`` and ``eth0`` (and the ``vnl-uplink`` namespace behind it) stand for the machine
  and are left out of link, address, FDB and netns lists; with ``ipv6=True`` also routes
  and lines through ``dev eth0`` (the sandbox's eth0 gets its link-local while the
  script's first commands run, racing them; the emulator's before the script starts).
* IPv6: scripts that turn it off (``disable_ipv6=1``, the older compare scripts) are
  compared without ``inet6`` address entries and FDB entries for multicast MACs (the
  group addresses a device joins, listed ``self permanent``: 33:33:00:00:00:01 appears
  on a device the moment it registers, before the script's sysctl can act). With
  ``ipv6=True`` both are compared, and so are the IPv6 routes and neighbours; IPv6
  addresses derived from a MAC (EUI-64 link-locals) are compared as they are, so the
  IPv6 scripts set their MACs (``ip link set DEV address``) to be the same on both.
* FDB and neighbour lists are compared as sets (the kernel dumps them in hash order).
* ``qdisc`` is not compared (the kernel keeps ``noqueue`` after a device was up once).
* Bridge ``permanent`` (local) FDB entries: the kernel lists one per port MAC with
  ``vlan`` copies and moves the bridge's own entry with its MAC; only learned and static
  entries are compared.
* Neighbour states are coarsened as in the differential tests (``tests/diff``): every
  state with a link-layer address is "resolved" (the kernel's timers run on wall-clock
  time, the emulator's on virtual time).
* ``ip netns list`` ids: the kernel allocates them per viewing namespace; names compared.
* ping: the summary's counts (transmitted, received, loss, errors) are compared, times not;
  reply lines are compared without ``time=`` (``ttl=`` is compared: it counts the routers).
* ``-s`` counters: only ``packets`` (bytes differ by nothing in IPv4 but stay comparable;
  ``multicast`` and error counters are not modelled).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from vnetlab.script.interp import Interpreter
from vnetlab.script.sandbox import run_in_sandbox

MARK = "=== "
_MAC_RE = re.compile(r"\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b")
HIDDEN_LINKS = ("lo", "eth0")
HIDDEN_NETNS = ("vnl-uplink",)


@dataclass
class Run:
    rc: int
    sections: dict[str, str]
    stderr: str


def split_sections(stdout: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    cur: list[str] | None = None
    for line in stdout.splitlines():
        if line.startswith(MARK):
            cur = out.setdefault(line[len(MARK):].strip(), [])
        elif cur is not None:
            cur.append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def run_emulator(script: str) -> Run:
    out: list[str] = []
    err: list[str] = []
    it = Interpreter(out=out.append, err=err.append, source="compare")
    rc = it.run_text(script)
    return Run(rc, split_sections("\n".join(out)), "\n".join(err))


def run_kernel(script: str, timeout: float = 90.0) -> Run:
    r = run_in_sandbox(script, timeout=timeout)
    return Run(r.rc, split_sections(r.stdout), r.stderr)


# -- normalisation ----------------------------------------------------------------------------
def mac_owners(sections: dict[str, str]) -> dict[str, str]:
    """MAC -> IFNAME from every ``ip -j link``/``addr`` section; bridges (any ``master``
    named) are left out: their MAC is normalised on their own entry (see the rules)."""
    owners: dict[str, str] = {}
    entries = []
    masters: set[str] = set()
    for text in sections.values():
        data = _json(text)
        if isinstance(data, list):
            for o in data:
                if isinstance(o, dict) and "ifname" in o and "address" in o and "flags" in o:
                    entries.append(o)
                if isinstance(o, dict) and isinstance(o.get("master"), str):
                    masters.add(o["master"])
    for o in entries:
        if o["ifname"] not in masters:
            owners.setdefault(o["address"], o["ifname"])
    owners["__bridges__"] = ",".join(sorted(masters))
    return owners


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _macs(value: Any, owners: dict[str, str]) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            mac = m.group(0)
            if mac in ("ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00") or int(mac[:2], 16) & 1:
                return mac
            return f"<mac {owners.get(mac, '?')}>"
        return _MAC_RE.sub(sub, value)
    if isinstance(value, list):
        return [_macs(v, owners) for v in value]
    if isinstance(value, dict):
        return {k: _macs(v, owners) for k, v in value.items()}
    return value


_NUD_RESOLVED = {"REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT", "NOARP"}


def normalise_json(data: Any, owners: dict[str, str], *, ipv6: bool = False) -> Any:
    if not isinstance(data, list):
        return _macs(data, owners)
    out = []
    for o in data:
        if not isinstance(o, dict):
            out.append(o)
            continue
        o = dict(o)
        if o.get("name") in HIDDEN_NETNS:
            continue
        if "name" in o and set(o) <= {"name", "id"}:  # ip -j netns list
            o.pop("id", None)
        if "flags" in o and "ifname" in o and "mtu" in o:  # a link / addr entry
            if o["ifname"] in HIDDEN_LINKS:
                continue
            o.pop("qdisc", None)
            if o["ifname"] in owners.get("__bridges__", "").split(","):
                o["address"] = "<mac bridge>"
            if "addr_info" in o and not ipv6:
                o["addr_info"] = [a for a in o["addr_info"] if a.get("family") == "inet"]
            if "stats64" in o:
                o["stats64"] = {d: {"packets": v["packets"]} for d, v in o["stats64"].items()}
        if "mac" in o and "flags" in o:  # an fdb entry
            if int(o["mac"][:2], 16) & 1 and not ipv6:
                continue
            if o.get("ifname") in HIDDEN_LINKS:
                continue
            if o.get("state") == "permanent" and "master" in o:
                continue
        if ipv6 and "dst" in o and o.get("dev") in ("eth0",) and "state" not in o:
            continue  # a route through the machine's NIC (see the rules)
        if "state" in o and "dst" in o and isinstance(o["state"], list):
            o["state"] = ["resolved" if s in _NUD_RESOLVED else s for s in o["state"]]
        out.append(_macs(o, owners))
    if out and all(isinstance(o, dict) and "mac" in o and "flags" in o for o in out):
        out.sort(key=repr)  # fdb dumps follow the kernel's hash order
    if out and all(isinstance(o, dict) and "dst" in o and "lladdr" in o or
                   isinstance(o, dict) and o.get("state") in (["INCOMPLETE"], ["FAILED"])
                   for o in out):
        out.sort(key=repr)  # neighbour dumps too
    return out


_PING_REPLY = re.compile(r"^(\d+ bytes from [\w.:%-]+: icmp_seq=\d+)( ttl=\d+)? time=.*$")
_PING_SUMMARY = re.compile(r"^(\d+ packets transmitted, \d+ received(, \+\d+ errors)?, "
                           r"\d+% packet loss)")


def normalise_text(text: str, owners: dict[str, str], *, ipv6: bool = False) -> Any:
    data = _json(text)
    if data is not None:
        return normalise_json(data, owners, ipv6=ipv6)
    lines = []
    for line in text.splitlines():
        m = _PING_REPLY.match(line)
        if m:
            lines.append(m.group(1) + (m.group(2) or ""))
            continue
        m = _PING_SUMMARY.match(line)
        if m:
            lines.append(m.group(1))
            continue
        if line.startswith(("rtt min/avg", "PING ")) or not line.strip():
            continue
        if ipv6 and " dev eth0 " in line:
            continue
        lines.append(_macs(line.rstrip(), owners))
    return lines


def shape(value: Any) -> Any:
    """Keys and JSON value types (what ``jq`` users depend on), without the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        shapes = []
        for v in value:
            s = shape(v)
            if s not in shapes:
                shapes.append(s)
        return shapes
    return type(value).__name__


def compare(script: str, *, ipv6: bool = False) -> tuple[Run, Run, list[str]]:
    """Run SCRIPT on both; return both runs and the differences (empty: they agree).
    IPV6: compare IPv6 addresses and multicast FDB entries too (see the rules)."""
    emu = run_emulator(script)
    ker = run_kernel(script)
    diffs: list[str] = []
    if (emu.rc == 0) != (ker.rc == 0):
        diffs.append(f"exit status: emulator {emu.rc}, kernel {ker.rc}\n  emulator stderr: "
                     f"{emu.stderr[-500:]}\n  kernel stderr: {ker.stderr[-500:]}")
    eo, ko = mac_owners(emu.sections), mac_owners(ker.sections)
    for label in sorted(set(emu.sections) | set(ker.sections)):
        if label not in emu.sections or label not in ker.sections:
            diffs.append(f"section {label!r} only on "
                         f"{'emulator' if label in emu.sections else 'kernel'}")
            continue
        a = normalise_text(emu.sections[label], eo, ipv6=ipv6)
        b = normalise_text(ker.sections[label], ko, ipv6=ipv6)
        if a != b:
            diffs.append(f"section {label!r}:\n  emulator: {a}\n  kernel:   {b}")
    return emu, ker, diffs
