"""``ip xfrm state|policy add/update/list/flush`` on the emulator (ip/xfrm_state.c,
ip/xfrm_policy.c, ip/ipxfrm.c of iproute2 6.1).

Design note
-----------
The namespace's ``XfrmDb`` (``vnetlab.sim.stack.xfrm``) is what ``ip xfrm`` reads and
changes; the words of ``add``/``update`` are parsed by ``vnetlab.model.xfrm``, the same
parser a lab's ``xfrm:`` entries go through, so a script and a lab accept and refuse the
same lines. The kernel dumps its SAD and SPD newest first (``__xfrm_state_insert`` and
``xfrm_policy_insert`` put new entries at the head of the walk lists), and so does this.
Listings follow ``xfrm_state_info_print`` / ``xfrm_policy_info_print`` line by line,
``-s`` included (lifetime, ``stats:`` with the SA's replay and integrity failures). The
"add"/"use" times of ``-s`` are wall-clock times of the emulator's process, and
``lastused`` is not shown.
"""

from __future__ import annotations

import time
from ipaddress import IPv4Network

from vnetlab.model.xfrm import XfrmError, XfrmPolicy, XfrmState, parse_xfrm
from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet
from vnetlab.sim.stack.xfrm import SaRuntime, XfrmDb

_USAGE = ("Usage: ip xfrm XFRM-OBJECT { COMMAND | help }\n"
          "where  XFRM-OBJECT := state | policy | monitor")
_PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}
_DIRS = {"in": 0, "out": 1, "fwd": 2}


def ip_xfrm(a: Args, env: Env) -> int:
    if not a.more():
        raise env.fail(_USAGE, rc=255)
    word = a.next()
    if matches(word, "state") or matches(word, "sa"):
        obj = "state"
    elif matches(word, "policy"):
        obj = "policy"
    elif matches(word, "monitor"):
        raise NotSupportedYet("ip xfrm monitor", lineno=env.lineno)
    else:
        raise env.fail(_USAGE, rc=255)
    verb = a.next() if a.more() else "list"
    if verb in ("add", "update"):
        return _modify(obj, verb, a.rest(), env)
    if matches(verb, "list") or matches(verb, "show"):
        rest = a.rest()
        if [w for w in rest if w != "nokeys"]:
            raise NotSupportedYet(f"ip xfrm {obj} list with a filter", lineno=env.lineno)
        db = env.ns.stack.xfrm
        if db is not None:
            stats = int(env.opts.get("stats", 0))
            if obj == "state":
                for sa in reversed(db.states):
                    env.out(state_text(sa, stats, "nokeys" in rest))
            else:
                for i, p in reversed(list(enumerate(db.policies))):
                    env.out(policy_text(p, stats, i))
        return 0
    if matches(verb, "flush"):
        db = env.ns.stack.xfrm
        if db is not None:
            if obj == "state":
                db.states.clear()
            else:
                db.policies.clear()
        return 0
    if verb in ("delete", "deleteall", "get", "count", "allocspi", "getdefault",
                "setdefault", "set", "spdinfo"):
        raise NotSupportedYet(f"ip xfrm {obj} {verb}", lineno=env.lineno)
    raise env.fail(f'Command "{verb}" is unknown, try "ip xfrm {obj} help".', rc=255)


def _modify(obj: str, verb: str, words: list[str], env: Env) -> int:
    try:
        cmd = parse_xfrm([obj, verb, *words])
    except XfrmError as e:
        if e.status == 2:
            raise NotSupportedYet(f"ip xfrm {obj} {verb}", e.message,
                                  lineno=env.lineno) from None
        raise env.fail(e.message, rc=e.status) from None
    stack = env.ns.stack
    db = stack.xfrm
    if db is None:
        db = stack.xfrm = XfrmDb()
    if isinstance(cmd, XfrmState):
        same = [i for i, sa in enumerate(db.states)
                if (sa.cfg.dst, sa.cfg.spi, sa.cfg.proto) == (cmd.dst, cmd.spi, cmd.proto)]
        if same and verb == "add":
            raise env.fail("RTNETLINK answers: File exists", rc=2)
        if not same and verb == "update":
            raise env.fail("RTNETLINK answers: No such process", rc=2)
        sa = SaRuntime(cmd, add_time=stack.sched.now)
        if same:
            db.states[same[0]] = sa
        else:
            db.states.append(sa)
        return 0
    assert isinstance(cmd, XfrmPolicy)
    same = [i for i, p in enumerate(db.policies)
            if (p.src, p.dst, p.upper, p.dir) == (cmd.src, cmd.dst, cmd.upper, cmd.dir)]
    if same and verb == "add":
        raise env.fail("RTNETLINK answers: File exists", rc=2)
    if same:
        db.policies[same[0]] = cmd
    else:
        db.policies.append(cmd)
    return 0


def _net(n: IPv4Network) -> str:
    return f"{n.network_address}/{n.prefixlen}"


def _wall(when: float | None) -> str:
    return "-" if not when else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))


def _lifetime(add: float | None, use: float | None, nbytes: int, packets: int) -> list[str]:
    """``xfrm_lifetime_print``: no limits configured (XFRM_INF), the current counts."""
    return [
        "\tlifetime config:",
        "\t  limit: soft (INF)(bytes), hard (INF)(bytes)",
        "\t  limit: soft (INF)(packets), hard (INF)(packets)",
        "\t  expire add: soft 0(sec), hard 0(sec)",
        "\t  expire use: soft 0(sec), hard 0(sec)",
        "\tlifetime current:",
        f"\t  {nbytes}(bytes), {packets}(packets)",
        f"\t  add {_wall(add)} use {_wall(use)}",
    ]


def state_text(sa: SaRuntime, stats: int, nokeys: bool = False) -> str:
    """``xfrm_state_info_print`` for one transport-mode ESP state with an AEAD."""
    c = sa.cfg
    spi = f"spi 0x{c.spi:08x}" + (f"({c.spi})" if stats else "")
    reqid = f"reqid {c.reqid}" + (f"(0x{c.reqid:08x})" if stats else "")
    lines = [f"src {c.src} dst {c.dst}", f"\tproto esp {spi} {reqid} mode {c.mode}"]
    rw = f"\treplay-window {c.replay_window} "
    if stats:
        rw += "seq 0x00000000 flag  (0x00000000)"
    lines.append(rw)
    key = "<<Keys hidden>>" if nokeys else "0x" + c.key.hex()
    bits = f" ({len(c.key) * 8} bits)" if stats and not nokeys else ""
    lines.append(f"\taead {c.aead} {key}{bits} {c.icv_bits}")
    lines.append(f"\tanti-replay context: seq 0x{sa.seq:x}, oseq 0x{sa.oseq:x}, "
                 f"bitmap 0x{sa.bitmap:08x}")
    lines.append("\tsel src 0.0.0.0/0 dst 0.0.0.0/0 " + ("uid 0" if stats else ""))
    if stats:
        lines += _lifetime(sa.wall_add, sa.wall_use, sa.bytes, sa.packets)
        lines += ["\tstats:", f"\t  replay-window {sa.replay_window_errs} "
                  f"replay {sa.replay_errs} failed {sa.integrity_failed}"]
    return "\n".join(lines)


def policy_text(p: XfrmPolicy, stats: int, n: int) -> str:
    """``xfrm_policy_info_print`` (index: ``xfrm_gen_index``'s (n << 3) | dir)."""
    sel = f"src {_net(p.src)} dst {_net(p.dst)} "
    if p.upper:
        sel += f"proto {_PROTO_NAMES.get(p.upper, str(p.upper))} "
    if stats:
        sel += "uid 0"
    line = f"\tdir {p.dir} "
    if p.action == "block":
        line += "action block "
    elif stats:
        line += "action allow "
    if stats:
        line += f"index {((n + 1) << 3) | _DIRS[p.dir]} "
    line += f"priority {p.priority} "
    if stats:
        line += "share any flag  (0x00000000)"
    lines = [sel, line]
    if stats:
        lines += _lifetime(None, None, 0, 0)
    t = p.tmpl
    if t is not None:
        lines.append(f"\ttmpl src {t.src} dst {t.dst}")
        spi = "spi 0x00000000(0) " if stats else ""
        reqid = f"reqid {t.reqid}" + (f"(0x{t.reqid:08x})" if stats else "")
        lines.append(f"\t\tproto esp {spi}{reqid} mode {t.mode}")
        if stats:
            lines.append("\t\tlevel required share any ")
            lines.append("\t\tenc-mask ffffffff auth-mask ffffffff comp-mask ffffffff")
    return "\n".join(lines)
