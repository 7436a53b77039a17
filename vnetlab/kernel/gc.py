"""``vnetlab gc``: remove the leftovers of dead labs, and nothing else.

Design note
-----------
Only namespaces that pass *every* test are removed:

1. a record of the lab exists under the run dir (``runtime``) and the lab is dead
   (owner process gone, and not a lab left up on purpose: see ``LabRecord.is_dead``);
2. the namespace is listed in that record and its name has the record's prefix;
3. what is inside is the lab's: every link except ``lo`` carries the lab's ifalias
   ``vnetlab:LAB:RUN``, or — for a link made in the instant before its alias was set — no
   alias and the lab's device group ``VNL_GROUP`` (set atomically at creation), or —
   for a device the node's ovs-vswitchd made before the plan tagged it — no alias and a
   name the lab's ``ovs:`` section gives it (``ovs.daemons.made_links``). A namespace
   with any other link is left alone and reported.

Before that, a dead lab's Open vSwitch daemons are stopped by pid + start time (they keep
their namespace alive) and their files removed (``vnetlab.kernel.ovs.daemons``), and the
SR-IOV PFs it claimed get their original ``sriov_numvfs`` back (``kinds.sriov_host``).

A path under ``/run/netns`` that is not a namespace mount (the crash hit between creating
the file and bind-mounting it, ``ip/ipnetns.c`` has the same window) is removed when listed.
Namespaces with the prefix but no record (``orphans()``) are reported, never removed: without
a record nothing proves they are not someone's live lab (e.g. a ``--dry-run`` script run by
hand).
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass

from pyroute2.netlink.rtnl import RTM_GETLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from vnetlab.engine import EngineError
from vnetlab.kernel import apply as applier
from vnetlab.kernel import nl, runtime
from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.ops.base import DEFAULT_PREFIX, VNL_GROUP, alias_for
from vnetlab.kernel.ovs import daemons as ovs_daemons


@dataclass(frozen=True, slots=True)
class Verdict:
    ns: str
    owned: bool
    reason: str


def check_namespace(ns: str, rec: runtime.LabRecord) -> Verdict:
    """Is namespace ``ns`` (listed in ``rec``) provably this lab's?"""
    if not ns.startswith(rec.prefix):
        return Verdict(ns, False, f"name lacks the prefix {rec.prefix!r}")
    if ns not in rec.namespaces.values():
        return Verdict(ns, False, "not listed in the lab's record")
    path = nl.netns_path(ns)
    if not os.path.exists(path):
        return Verdict(ns, False, "already gone")
    want = rec.ns_inodes.get(ns)
    if want is not None:
        try:
            if os.stat(path).st_ino == want:
                return Verdict(ns, True, "the very namespace the lab created (same inode)")
        except OSError:
            pass
    try:
        fd = nl.open_netns(ns)
    except OSError as e:
        return Verdict(ns, False, f"cannot open: {e.strerror}")
    try:
        try:
            sock = nl.socket_in(fd)
        except OSError as e:
            if e.errno == errno.EINVAL:  # a plain file: the mount never happened
                return Verdict(ns, True, "an empty placeholder (crash before the mount)")
            return Verdict(ns, False, f"cannot enter: {e.strerror}")
    finally:
        os.close(fd)
    try:
        m = ifinfmsg()
        m["family"] = 0
        links = sock.dump(m, RTM_GETLINK)
    finally:
        sock.close()
    ours = alias_for(rec.lab, rec.run_id)
    ovs_made = ovs_daemons.made_links(rec, ns)
    for link in links:
        name = link.get_attr("IFLA_IFNAME")
        if name == "lo":
            continue
        alias = link.get_attr("IFLA_IFALIAS")
        group = link.get_attr("IFLA_GROUP")
        if alias == ours or (not alias and group == VNL_GROUP):
            continue
        if not alias and ovs_made(name):  # a device the lab's ovs-vswitchd made
            continue
        return Verdict(ns, False, f"link {name} is not this lab's (alias {alias!r})")
    return Verdict(ns, True, "every link carries the lab's tag")


def candidates(
    prefix: str | None = DEFAULT_PREFIX,
) -> list[tuple[runtime.LabRecord, list[Verdict]]]:
    """Dead labs and the verdict on each of their namespaces (``vnetlab gc --dry-run``)."""
    out = []
    for rec in runtime.records():
        if prefix is not None and rec.prefix != prefix:
            continue
        if rec.is_dead():
            out.append((rec, [check_namespace(ns, rec) for ns in rec.namespaces.values()]))
    return out


def pf_claims(rec: runtime.LabRecord) -> list[sriov_host.PfClaim]:
    """The SR-IOV PFs lab run REC holds (their original ``sriov_numvfs`` to put back)."""
    alias = alias_for(rec.lab, rec.run_id)
    return [c for c in sriov_host.claims() if c.alias == alias]


def gc(*, prefix: str | None = DEFAULT_PREFIX, include_live: bool = False) -> list[str]:
    """Remove dead labs' namespaces (``include_live``: every recorded lab). Names removed."""
    removed: list[str] = []
    for rec in runtime.records():
        if prefix is not None and rec.prefix != prefix:
            continue
        if not include_live and not rec.is_dead():
            continue
        try:  # first: a running daemon keeps its namespace alive
            ovs_daemons.stop_recorded(rec)
        except EngineError:
            continue  # a daemon that will not die: leave the lab for the next gc
        # the PFs it held get their original sriov_numvfs back (its VFs go with that)
        sriov_host.restore_lab(alias_for(rec.lab, rec.run_id))
        verdicts = [check_namespace(ns, rec) for ns in rec.namespaces.values()]
        owned = [v.ns for v in verdicts if v.owned]
        removed.extend(applier.destroy(None, owned))
        if all(v.owned or v.reason == "already gone" for v in verdicts):
            runtime.release(rec)
    removed.extend(_dead_probes())
    return removed


_PROBE_RE = re.compile(r"^vnl-probe-(\d+)$")


def _dead_probes() -> list[str]:
    """``vnl-probe-PID`` namespaces of feature probes (vnetlab.kernel.features) whose
    process died before removing them: only that exact name, only a dead PID."""
    dead = []
    for name in nl.list_netns():
        m = _PROBE_RE.match(name)
        if m and not runtime.pid_alive(int(m[1]), None):
            dead.append(name)
    return applier.destroy(None, dead) if dead else []


def orphans(prefix: str = DEFAULT_PREFIX) -> list[str]:
    """Namespaces with the prefix that no lab record lists (reported, never removed)."""
    listed = {ns for rec in runtime.records() for ns in rec.namespaces.values()}
    return [n for n in nl.list_netns() if n.startswith(prefix) and n not in listed]
