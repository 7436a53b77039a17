"""Queueing disciplines on the kernel: a node's ``tc`` lines as RTM_NEWQDISC/RTM_DELQDISC
over the lab namespace's own rtnetlink socket, the netem probe, and the qdisc statistics.

Design note
-----------
The op carries the lab's words; ``shell()`` prints them as ``ip netns exec NS tc WORDS``
and ``apply`` sends the same parse (vnetlab.model.tc) as a ``tcmsg`` built with
pyroute2's message classes: the verb sets the flags as ``tc`` does (``add``
CREATE|EXCL, ``change`` none, ``replace`` CREATE|REPLACE, ``del`` RTM_DELQDISC), the
options are pyroute2's ``sched_tbf``/``sched_htb``/``sched_netem`` encoders fed with the
numbers tc would send (the TBF burst and limit in bytes, its rate in bytes/s, netem's
ticks and u32-scaled probabilities). A kernel error comes back with its extack text
("Exclusivity flag on, cannot modify."), exactly what ``tc`` prints after ``Error:``.

What the encoders cannot say is refused at plan time rather than sent wrong: TBF
``peakrate`` (pyroute2's tbf parameters drop it), netem's loss models, distributions,
slots, seeds and ECN (no attributes for them there). ``netem_unsupported`` asks the
kernel itself, in a throwaway namespace, whether it has ``sch_netem``: this project's CI
kernel has not ("Specified qdisc kind is unknown"), so a lab with netem is refused there
before anything is built, with that reason; TBF and HTB are realized.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE
from pyroute2.netlink.rtnl import RTM_DELQDISC, RTM_GETQDISC, RTM_NEWQDISC, TC_H_ROOT
from pyroute2.netlink.rtnl.tcmsg import plugins, tcmsg

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel.ops.base import Op, Realized
from vnetlab.model.tc import HtbOpts, NetemOpts, QdiscCmd, TbfOpts, parse_tc_line

_FLAGS = {"add": NLM_F_CREATE | NLM_F_EXCL, "change": 0, "replace": NLM_F_CREATE | NLM_F_REPLACE}


def never_on_kernel(cmd: QdiscCmd) -> str | None:
    """Why the linux engine cannot send this line faithfully (None: it can)."""
    o = cmd.opts
    if isinstance(o, TbfOpts) and o.peakrate:
        return "tbf peakrate (pyroute2's tbf encoder has no peak rate table)"
    if isinstance(o, NetemOpts):
        odd = [name for name, on in (
            ("loss gemodel", o.gemodel is not None), ("loss state", o.gimodel is not None),
            ("distribution", o.dist is not None), ("slot", o.slot is not None),
            ("seed", o.seed is not None), ("ecn", o.ecn),
            ("rate overheads", bool(o.packet_overhead or o.cell_size or o.cell_overhead)))
            if on]
        if odd:
            return f"netem {', '.join(odd)} (pyroute2's netem encoder has no attribute for it)"
    return None


def qdisc_msg(cmd: QdiscCmd, ifindex: int) -> tcmsg:
    """The ``tcmsg`` ``tc qdisc VERB dev D ...`` sends (``tc_qdisc_modify``)."""
    msg = tcmsg()
    msg["family"] = 0
    msg["index"] = ifindex
    msg["handle"] = cmd.handle
    msg["parent"] = cmd.parent or TC_H_ROOT
    attrs: list[list[Any]] = []
    if cmd.kind:
        attrs.append(["TCA_KIND", cmd.kind])
    o = cmd.opts
    if isinstance(o, TbfOpts):
        attrs.append(["TCA_OPTIONS", plugins["tbf"].get_parameters(
            {"rate": o.rate, "burst": o.burst, "limit": o.limit})])
    elif isinstance(o, HtbOpts):
        attrs.append(["TCA_OPTIONS", plugins["htb"].get_parameters(
            {"default": o.default, "r2q": o.r2q})])
    elif isinstance(o, NetemOpts):
        opts: dict[str, Any] = {"delay": o.latency, "limit": o.limit, "loss": o.loss,
                                "gap": o.gap, "duplicate": o.duplicate, "jitter": o.jitter,
                                "attrs": []}
        if o.delay_corr or o.loss_corr or o.dup_corr:
            opts["attrs"].append(["TCA_NETEM_CORR", {"delay_corr": o.delay_corr,
                                                     "loss_corr": o.loss_corr,
                                                     "dup_corr": o.dup_corr}])
        if o.reorder:
            opts["attrs"].append(["TCA_NETEM_REORDER", {"prob_reorder": o.reorder,
                                                        "corr_reorder": o.reorder_corr}])
        if o.corrupt:
            opts["attrs"].append(["TCA_NETEM_CORRUPT", {"prob_corrupt": o.corrupt,
                                                        "corr_corrupt": o.corrupt_corr}])
        if o.rate:
            opts["attrs"].append(["TCA_NETEM_RATE", {"rate": o.rate, "packet_overhead": 0,
                                                     "cell_size": 0, "cell_overhead": 0}])
        attrs.append(["TCA_OPTIONS", opts])
    msg["attrs"] = attrs
    return msg


def send_qdisc(sock: nl.NlSocket, cmd: QdiscCmd, ifindex: int) -> None:
    """Send one qdisc request and wait for its ACK (raises NetlinkRequestError)."""
    msg = qdisc_msg(cmd, ifindex)
    if cmd.verb == "del":
        sock.request(msg, RTM_DELQDISC)
    else:
        sock.request(msg, RTM_NEWQDISC, _FLAGS[cmd.verb])


@dataclass(frozen=True, slots=True)
class Tc(Op):
    """``ip netns exec NS tc WORDS...`` (``qdisc add|change|replace|del ...``)."""

    line: str = ""

    def shell(self) -> str:
        return f"ip netns exec {shlex.quote(self.ns)} tc {self.line}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        cmd = parse_tc_line(self.line)
        ifindex = h.index.get(cmd.dev)
        if ifindex is None:
            raise EngineError(f"{self.shell()}: Cannot find device \"{cmd.dev}\"")
        try:
            send_qdisc(h.sock, cmd, ifindex)
        except nl.NetlinkRequestError as e:
            raise EngineError(f"{self.shell()}: {e}") from None


def qdisc_stats(sock: nl.NlSocket, ifindex: int) -> list[dict[str, Any]]:
    """The device's qdiscs as ``tc -s -j qdisc show dev D`` reports their counters."""
    m = tcmsg()
    m["family"] = 0
    m["index"] = ifindex
    out: list[dict[str, Any]] = []
    for msg in sock.dump(m, RTM_GETQDISC):
        if msg["index"] != ifindex:
            continue
        st = msg.get_attr("TCA_STATS2")
        basic = st.get_attr("TCA_STATS_BASIC") if st is not None else None
        queue = st.get_attr("TCA_STATS_QUEUE") if st is not None else None
        out.append({
            "kind": msg.get_attr("TCA_KIND"), "handle": f"{msg['handle'] >> 16:x}:",
            "bytes": basic["bytes"] if basic else 0, "packets": basic["packets"] if basic else 0,
            "drops": queue["drops"] if queue else 0,
            "overlimits": queue["overlimits"] if queue else 0,
            "requeues": queue["requeues"] if queue else 0,
            "backlog": queue["backlog"] if queue else 0, "qlen": queue["qlen"] if queue else 0,
        })
    return out


@functools.cache
def netem_unsupported() -> str | None:
    """None when this kernel has sch_netem, else its own answer why not."""
    name = f"vnl-probe-netem-{os.getpid()}"
    nl.remove_netns(name)  # a stale one of ours (same pid, earlier crash)
    fd, sock = nl.create_netns(name)
    try:
        cmd = QdiscCmd("add", "lo", TC_H_ROOT, 0, "netem", NetemOpts())
        try:
            send_qdisc(sock, cmd, 1)
        except nl.NetlinkRequestError as e:
            return (f"this kernel has no sch_netem (tc qdisc add dev lo root netem "
                    f"answered: {e})")
        return None
    finally:
        sock.close()
        os.close(fd)
        with contextlib.suppress(OSError):
            nl.remove_netns(name)
