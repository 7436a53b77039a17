"""``tc`` (iproute2 6.1) in a script: ``tc [-s] [-j] [-p] qdisc add|change|replace|del|show``.

Design note
-----------
The words after ``qdisc`` go to the parser a lab's ``tc:`` list uses (vnetlab.model.tc)
and the qdisc layer applies them (vnetlab.sim.sched.tc); a refusal prints tc's lines and
exits with its status (1 for an option tc refuses, 2 when the kernel answers with an
error, 255 for a command tc does not know). ``show`` prints what ``print_qdisc`` and the
kinds' ``print_qopt`` print: ``qdisc KIND HANDLE: [dev D] root refcnt N OPTIONS``, and
with ``-s`` the ``Sent``/``backlog`` lines of ``print_tcstats2_attr`` (trailing spaces
included); ``-j`` the same as JSON. Devices without a configured qdisc show the kernel's
default (``noqueue`` or ``pfifo_fast``); down ones are not listed (their ``noop``).
"""

from __future__ import annotations

from typing import Any

from vnetlab.model.tc import QdiscCmd, TcError, parse_qdisc
from vnetlab.model.tc_units import UINT32_MAX, calc_xmitsize, matches, tick2time
from vnetlab.script.args import Env
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.sched.qdisc import NO_QUEUE_KINDS, TC_H_ROOT, Qdisc, QdiscError, num_tx_queues
from vnetlab.sim.sched.sch_htb import Htb
from vnetlab.sim.sched.sch_netem import Netem
from vnetlab.sim.sched.sch_tbf import Tbf
from vnetlab.sim.sched.tc import tc_qdisc

_PRIOMAP = (1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)
_OPTIONS = (("-statistics", "stats"), ("-stats", "stats"), ("-json", "json"),
            ("-pretty", "pretty"), ("-details", "details"))


# -- iproute2's printers ------------------------------------------------------------------
def sprint_rate(rate: int) -> str:
    """``print_color_rate`` (SI units): bytes/s -> ``1Mbit``."""
    bits = rate * 8
    units = ("", "K", "M", "G", "T")
    i = 0
    while i < len(units) - 1:
        if bits < 1000 or (bits % 1000 != 0 and bits < 1000 * 1000):
            break
        bits //= 1000
        i += 1
    return f"{bits:.0f}{units[i]}bit"


def sprint_size(sz: int) -> str:
    """``sprint_size``: ``4Kb``, ``1600b``."""
    kilo, mega, giga = 1024, 1024**2, 1024**3
    if sz >= giga and abs(giga * round(sz / giga) - sz) < 1024:
        return f"{round(sz / giga):g}Gb"
    if sz >= mega and abs(mega * round(sz / mega) - sz) < 1024:
        return f"{round(sz / mega):g}Mb"
    if sz >= kilo and abs(kilo * round(sz / kilo) - sz) < 16:
        return f"{round(sz / kilo):g}Kb"
    return f"{sz}b"


def sprint_time(usec: float) -> str:
    """``sprint_time``: usec -> ``400ms``, ``81.9ms``, ``1.5s``, ``50us``."""
    if usec >= 1_000_000:
        return f"{usec / 1_000_000:.3g}s"
    if usec >= 1000:
        return f"{usec / 1000:.3g}ms"
    return f"{int(usec)}us"


def _pct(per: int) -> str:
    return f"{100.0 * per / UINT32_MAX:g}%"


def _jfloat(v: float) -> float | int:
    """``print_float`` in JSON: ``%g`` (so 0 prints as ``0``, not ``0.0``)."""
    g = float(f"{v:g}")
    return int(g) if g == int(g) else g


def netem_opts(q: Netem) -> tuple[str, dict[str, Any]]:
    """``netem_print_opt`` (iproute2 6.1)."""
    o = q.opts
    text = f"limit {o.limit}"
    js: dict[str, Any] = {"limit": o.limit}
    if o.latency:
        text += f" delay {sprint_time(tick2time(o.latency))}"
        if o.jitter:
            text += f"  {sprint_time(tick2time(o.jitter))}"
        if o.jitter and o.delay_corr:
            text += f" {_pct(o.delay_corr)}"
        js["delay"] = {"delay": _jfloat(tick2time(o.latency) / 1e6),
                       "jitter": _jfloat(tick2time(o.jitter) / 1e6),
                       "correlation": _jfloat(o.delay_corr / UINT32_MAX)}
    if o.loss:
        text += f" loss {_pct(o.loss)}" + (f" {_pct(o.loss_corr)}" if o.loss_corr else "")
        js["loss-random"] = {"loss": _jfloat(o.loss / UINT32_MAX),
                             "correlation": _jfloat(o.loss_corr / UINT32_MAX)}
    if o.gimodel is not None:
        p13, p31, p32, p23, p14 = o.gimodel
        text += (f" loss state p13 {_pct(p13)} p31 {_pct(p31)} p32 {_pct(p32)}"
                 f" p23 {_pct(p23)} p14 {_pct(p14)}")
        js["loss-state"] = {k: _jfloat(v / UINT32_MAX) for k, v in
                            (("p13", p13), ("p31", p31), ("p32", p32), ("p23", p23),
                             ("p14", p14))}
    if o.gemodel is not None:
        p, r, h, k1 = o.gemodel
        text += (f" loss gemodel p {_pct(p)} r {_pct(r)} 1-h {_pct(UINT32_MAX - h)}"
                 f" 1-k {_pct(k1)}")
        js["loss-gemodel"] = {"p": _jfloat(p / UINT32_MAX), "r": _jfloat(r / UINT32_MAX),
                              "1-h": _jfloat((UINT32_MAX - h) / UINT32_MAX),
                              "1-k": _jfloat(k1 / UINT32_MAX)}
    for key, val, cor in (("duplicate", o.duplicate, o.dup_corr),
                          ("reorder", o.reorder, o.reorder_corr),
                          ("corrupt", o.corrupt, o.corrupt_corr)):
        if val:
            text += f" {key} {_pct(val)}" + (f" {_pct(cor)}" if cor else "")
            js[key] = {key: _jfloat(val / UINT32_MAX),
                       "correlation": _jfloat(cor / UINT32_MAX)}
    if o.rate:
        text += f" rate {sprint_rate(o.rate)}"
        if o.packet_overhead:
            text += f" packetoverhead {o.packet_overhead}"
        if o.cell_size:
            text += f" cellsize {o.cell_size}"
        if o.cell_overhead:
            text += f" celloverhead {o.cell_overhead}"
        js["rate"] = {"rate": o.rate, "packetoverhead": o.packet_overhead,
                      "cellsize": o.cell_size, "celloverhead": o.cell_overhead}
    if o.slot is not None:
        lo, hi, pk, by = o.slot
        text += f" slot {_time64(lo)} {_time64(hi)}"
        if pk:
            text += f" packets {pk}"
        if by:
            text += f" bytes {by}"
        js["slot"] = {"min-delay": _jfloat(lo / 1e9), "max-delay": _jfloat(hi / 1e9),
                      "packets": pk, "bytes": by}
    if o.seed is not None:
        text += f" seed {o.seed}"
        js["seed"] = o.seed
    js["ecn"] = o.ecn
    if o.ecn:
        text += " ecn "
    js["gap"] = o.gap
    if o.gap:
        text += f" gap {o.gap}"
    return text, js


def _time64(ns: int) -> str:
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.3g}s"
    if ns >= 1_000_000:
        return f"{ns / 1e6:.3g}ms"
    if ns >= 1000:
        return f"{ns / 1e3:.3g}us"
    return f"{ns}ns"


def tbf_opts(q: Tbf) -> tuple[str, dict[str, Any]]:
    """``tbf_print_opt``."""
    o = q.opts
    buffer = calc_xmitsize(o.rate, o.buffer)
    text = f"rate {sprint_rate(o.rate)} burst {sprint_size(buffer)} "
    js: dict[str, Any] = {"rate": o.rate, "burst": buffer}
    if o.peakrate:
        text += f"peakrate {sprint_rate(o.peakrate)} "
        if o.mtu:
            mtu = calc_xmitsize(o.peakrate, o.mtu)
            text += f"minburst {sprint_size(mtu)} "
            js["minburst"] = mtu
    latency = 1_000_000 * (o.limit / o.rate) - tick2time(o.buffer)
    if o.peakrate:
        lat2 = 1_000_000 * (o.limit / o.peakrate) - tick2time(o.mtu)
        latency = max(latency, lat2)
    if latency >= 0.0:
        js["lat"] = int(latency)
        text += f"lat {sprint_time(int(latency))} "
    else:
        text += f"limit {sprint_size(o.limit)} "
        js["limit"] = o.limit
    if o.overhead:
        text += f"overhead {o.overhead} "
        js["overhead"] = o.overhead
    return text, js


def htb_opts(q: Htb) -> tuple[str, dict[str, Any]]:
    o = q.opts
    default = f"{o.default:#x}" if o.default else "0"
    return (f"r2q {o.r2q} default {default} direct_packets_stat {q.direct_pkts} "
            f"direct_qlen {o.direct_qlen}",
            {"r2q": o.r2q, "default": default, "direct_packets_stat": q.direct_pkts,
             "direct_qlen": o.direct_qlen})


def describe(dev: NetDevice) -> tuple[str, int, int, int, str, dict[str, Any], Qdisc | None]:
    """(kind, handle, parent, refcnt, options text, options JSON, qdisc) of DEV's root."""
    q = dev.qdisc
    if q is None:
        if dev.kind in NO_QUEUE_KINDS or dev.tx_queue_len == 0:
            return "noqueue", 0, TC_H_ROOT, 2, "", {}, None
        text = "bands 3 priomap" + "".join(f" {p}" for p in _PRIOMAP)
        return ("pfifo_fast", 0, TC_H_ROOT, 2, text,
                {"bands": 3, "priomap": list(_PRIOMAP), "multiqueue": False}, None)
    if isinstance(q, Netem):
        text, js = netem_opts(q)
    elif isinstance(q, Tbf):
        text, js = tbf_opts(q)
    else:
        assert isinstance(q, Htb)
        text, js = htb_opts(q)
    return q.kind, q.handle, q.parent, 1 + num_tx_queues(dev), text, js, q


def qdisc_show(env: Env, cmd: QdiscCmd) -> None:
    """``tc_qdisc_list`` + ``print_qdisc``."""
    by_index = sorted(env.ns.devices.values(), key=lambda d: d.ifindex)
    devs = [env.dev(cmd.dev)] if cmd.dev else by_index
    stats = env.opts.get("stats", 0) > 0
    out: list[dict[str, Any]] = []
    for dev in devs:
        if dev.qdisc is None and not dev.admin_up:
            continue  # noop_qdisc: not dumped
        kind, handle, parent, refcnt, text, js, q = describe(dev)
        head = f"qdisc {kind} {handle >> 16:x}: "
        obj: dict[str, Any] = {"kind": kind, "handle": f"{handle >> 16:x}:"}
        if not cmd.dev:
            head += f"dev {dev.name} "
            obj["dev"] = dev.name
        if parent == TC_H_ROOT:
            head += "root "
            obj["root"] = True
        head += f"refcnt {refcnt} "
        obj["refcnt"] = refcnt
        obj["options"] = js
        lines = [head + text]
        st = (q.bytes, q.packets, q.drops, q.overlimits, q.requeues, q.backlog, q.qlen) \
            if q is not None else (0, 0, 0, 0, 0, 0, 0)
        if stats:
            by, pk, dr, ov, rq, bl, ql = st
            lines.append(f" Sent {by} bytes {pk} pkt (dropped {dr}, overlimits {ov} "
                         f"requeues {rq}) ")
            lines.append(f" backlog {sprint_size(bl)} {ql}p requeues {rq}")
            obj.update(bytes=by, packets=pk, drops=dr, overlimits=ov, requeues=rq,
                       backlog=bl, qlen=ql)
        out.append(obj)
        if not env.opts.get("json"):
            for line in lines:
                env.out(line)
    if env.opts.get("json"):
        env.json(out)


def run_tc(argv: list[str], env: Env) -> int:
    """``tc [OPTIONS] qdisc ...``."""
    args = list(argv)
    env.opts = dict(env.opts)
    while args and args[0].startswith("-") and len(args[0]) > 1:
        opt = args.pop(0)
        key = next((k for name, k in _OPTIONS if matches(opt, name)), None)
        if key is None and opt in ("-s", "-j", "-p", "-d"):
            key = {"-s": "stats", "-j": "json", "-p": "pretty", "-d": "details"}[opt]
        if key is None:
            raise env.fail(f'Option "{opt}" is unknown, try "tc -help".', rc=255)
        env.opts[key] = env.opts.get(key, 0) + 1 if key == "stats" else True
    if not args:
        raise env.fail("Usage: tc [ OPTIONS ] OBJECT { COMMAND | help }", rc=255)
    obj = args.pop(0)
    if not matches(obj, "qdisc"):
        if any(matches(obj, o) for o in ("class", "filter", "action", "monitor", "chain")):
            raise env.fail(f"vnetlab: tc {obj} is not modelled yet (tc qdisc only)", rc=255)
        raise env.fail(f'Object "{obj}" is unknown, try "tc help".', rc=255)
    try:
        cmd = parse_qdisc(args)
        if cmd.verb == "show":
            qdisc_show(env, cmd)
            return 0
        if cmd.dev not in env.ns.devices:
            raise TcError(f'Cannot find device "{cmd.dev}"', 1)
        tc_qdisc(env.ns, cmd)
    except TcError as e:
        raise env.fail(e.message, rc=e.status) from None
    except QdiscError as e:
        raise env.fail(e.message, rc=2) from None
    return 0
