"""tbf's and htb's options: ``tbf_parse_opt`` / ``htb_parse_opt`` (iproute2 6.1).

Design note
-----------
``parse_tbf`` names every missing mandatory option in one go, as tc does, and converts
the burst to its transmit time in ticks (``tc_calc_xmittime``) and ``latency`` to a byte
limit; ``parse_htb`` takes the qdisc's own options (classes are not modelled).
"""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.model.tc_units import (
    TIME_UNITS_PER_SEC,
    UINT32_MAX,
    TcError,
    calc_xmittime,
    get_rate64,
    get_size,
    get_size64,
    get_time,
    matches,
)

TBF_USAGE = (
    "Usage: ... tbf limit BYTES burst BYTES[/BYTES] rate KBPS [ mtu BYTES[/BYTES] ]\n"
    "\t[ peakrate KBPS ] [ latency TIME ] [ overhead BYTES ] [ linklayer TYPE ]"
)
#: the distributions iproute2 ships as /usr/lib/tc/NAME.dist (netem/*.c generate them)


@dataclass(frozen=True)
class TbfOpts:
    """``struct tc_tbf_qopt`` + TCA_TBF_BURST/PBURST, in the kernel's units."""

    rate: int  # bytes/s
    buffer: int  # ticks: the time to send the burst at ``rate``
    limit: int  # bytes the queue holds
    burst: int  # bytes (TCA_TBF_BURST)
    peakrate: int = 0
    mtu: int = 0  # ticks at peakrate (0: no peak bucket)
    pburst: int = 0  # bytes (TCA_TBF_PBURST)
    overhead: int = 0
    mpu: int = 0

    @property
    def buffer_ns(self) -> int:
        return self.buffer << 6

    @property
    def mtu_ns(self) -> int:
        return self.mtu << 6


@dataclass(frozen=True)
class HtbOpts:
    """``tc qdisc add ... htb [default N] [r2q N]`` (classes are not modelled)."""

    default: int = 0
    r2q: int = 10
    direct_qlen: int = 1000


def parse_tbf(args: list[str]) -> TbfOpts:
    """``tbf_parse_opt``: every missing mandatory option is named in one go."""
    limit = latency = mtu = mpu = overhead = 0
    rate = prate = buffer = 0
    i = 0

    def illegal(name: str, val: str) -> TcError:
        return TcError(f'tbf: illegal value for "{name}": "{val}"')

    def nxt() -> str:
        nonlocal i
        i += 1
        if i >= len(args):
            raise TcError("Command line is not complete. Try option \"help\"")
        return args[i]

    def dup(what: str) -> TcError:
        return TcError(f'tbf: duplicate "{what}" specification')

    while i < len(args):
        w = args[i]
        if matches(w, "limit"):
            v = nxt()
            if limit:
                raise dup("limit")
            if latency:
                raise TcError('tbf: specifying both "latency" and "limit" is not allowed')
            n = get_size(v)
            if n is None:
                raise illegal("limit", v)
            limit = n
        elif matches(w, "latency"):
            v = nxt()
            if latency:
                raise dup("latency")
            if limit:
                raise TcError('tbf: specifying both "limit" and "/latency" is not allowed')
            t = get_time(v)
            if t is None:
                raise illegal("latency", v)
            latency = t
        elif matches(w, "burst") or w in ("buffer", "maxburst"):
            v = nxt()
            if buffer:
                raise dup("buffer/burst/maxburst")
            n = get_size64(v.split("/")[0]) if v.count("/") <= 1 else None
            if n is None:
                raise illegal(w, v)
            buffer = n
        elif w in ("mtu", "minburst"):
            v = nxt()
            if mtu:
                raise dup("mtu/minburst")
            n = get_size(v.split("/")[0]) if v.count("/") <= 1 else None
            if n is None:
                raise illegal(w, v)
            mtu = n
        elif w == "mpu":
            v = nxt()
            if mpu:
                raise dup("mpu")
            n = get_size(v)
            if n is None:
                raise illegal("mpu", v)
            mpu = n
        elif w == "rate" or matches(w, "peakrate"):
            name = "rate" if w == "rate" else "peakrate"
            v = nxt()
            if (rate if name == "rate" else prate):
                raise dup(name)
            r = get_rate64(v) if "%" not in v else None
            if r is None:
                raise illegal(name, v)
            if name == "rate":
                rate = r
            else:
                prate = r
        elif matches(w, "overhead"):
            v = nxt()
            if overhead:
                raise dup("overhead")
            if not v.isdigit() or int(v) > 0xFFFF:
                raise illegal("overhead", v)
            overhead = int(v)
        elif w == "help":
            raise TcError(TBF_USAGE)
        else:
            raise TcError(f'tbf: unknown parameter "{w}"\n' + TBF_USAGE)
        i += 1
    problems = []
    if rate == 0:
        problems.append('tbf: the "rate" parameter is mandatory.')
    if not buffer:
        problems.append('tbf: the "burst" parameter is mandatory.')
    if prate and not mtu:
        problems.append('tbf: when "peakrate" is specified, "mtu" must also be specified.')
    if limit == 0 and latency == 0:
        problems.append('tbf: either "limit" or "latency" is required.')
    if problems:
        raise TcError("\n".join([*problems, TBF_USAGE]))
    if limit == 0:
        lim = rate * latency / TIME_UNITS_PER_SEC + buffer
        if prate:
            lim2 = prate * latency / TIME_UNITS_PER_SEC + mtu
            lim = min(lim, lim2)
        limit = int(lim) & UINT32_MAX
    ticks = calc_xmittime(rate, buffer)
    if ticks == UINT32_MAX:
        raise TcError("tbf: burst out of range")
    return TbfOpts(rate=rate, buffer=ticks, limit=limit, burst=buffer, peakrate=prate,
                   mtu=calc_xmittime(prate, mtu) if prate else 0,
                   pburst=mtu if prate else 0, overhead=overhead, mpu=mpu)


def parse_htb(args: list[str]) -> HtbOpts:
    """``htb_parse_opt`` for the qdisc itself (``default``, ``r2q``, ``direct_qlen``)."""
    vals = {"default": 0, "r2q": 10, "direct_qlen": 1000}
    i = 0
    while i < len(args):
        w = args[i]
        key = next((k for k in ("r2q", "default", "direct_qlen") if matches(w, k)), None)
        if key is None or i + 1 >= len(args):
            raise TcError(f'What is "{w}"?\n'
                          "Usage: ... qdisc add ... htb [default N] [r2q N]\n"
                          "                      [direct_qlen P] [offload]")
        base = 16 if key == "default" else 10
        try:
            vals[key] = int(args[i + 1], base)
        except ValueError:
            raise TcError(f'Illegal "{key}"' if key != "default" else "Illegal \"default\""
                          ) from None
        i += 2
    return HtbOpts(default=vals["default"], r2q=vals["r2q"], direct_qlen=vals["direct_qlen"])
