"""netem's options: ``tc qdisc ... netem ...`` as iproute2 6.1's ``netem_parse_opt``.

Design note
-----------
``parse_netem`` returns ``NetemOpts`` in the kernel's units (u32-scaled probabilities,
psched ticks), refusing what tc refuses with its words (``Illegal "loss percent"``,
``What is "X"?`` and the usage). One extension from newer iproute2: ``seed SEED``
(TCA_NETEM_PRNG_SEED).
"""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.model.tc_units import (
    UINT32_MAX,
    TcError,
    get_percent,
    get_rate64,
    get_size,
    get_time,
    is_number,
    matches,
    parse_percent,
    set_percent,
    time2tick,
)

NETEM_USAGE = (
    "Usage: ... netem [ limit PACKETS ]\n"
    "                 [ delay TIME [ JITTER [CORRELATION]]]\n"
    "                 [ distribution {uniform|normal|pareto|paretonormal} ]\n"
    "                 [ corrupt PERCENT [CORRELATION]]\n"
    "                 [ duplicate PERCENT [CORRELATION]]\n"
    "                 [ loss random PERCENT [CORRELATION]]\n"
    "                 [ loss state P13 [P31 [P32 [P23 P14]]]\n"
    "                 [ loss gemodel PERCENT [R [1-H [1-K]]]\n"
    "                 [ ecn ]\n"
    "                 [ reorder PERCENT [CORRELATION] [ gap DISTANCE ]]\n"
    "                 [ rate RATE [PACKETOVERHEAD] [CELLSIZE] [CELLOVERHEAD]]\n"
    "                 [ slot MIN_DELAY [MAX_DELAY] [packets MAX_PACKETS] [bytes MAX_BYTES]]\n"
    "                 [ slot distribution {uniform|normal|pareto|paretonormal|custom}\n"
    "                   DELAY JITTER [packets MAX_PACKETS] [bytes MAX_BYTES]]"
)
DISTRIBUTIONS = ("normal", "pareto", "paretonormal", "experimental")


@dataclass(frozen=True)
class NetemOpts:
    """``struct tc_netem_qopt`` + its attributes, in the kernel's units."""

    limit: int = 1000
    latency: int = 0  # ticks (64 ns)
    jitter: int = 0  # ticks
    loss: int = 0  # u32-scaled probability
    gap: int = 0
    duplicate: int = 0
    delay_corr: int = 0
    loss_corr: int = 0
    dup_corr: int = 0
    reorder: int = 0
    reorder_corr: int = 0
    corrupt: int = 0
    corrupt_corr: int = 0
    dist: str | None = None  # a table name (normal, pareto, ...); None: uniform
    #: ``loss gemodel p r 1-h 1-k`` as the kernel holds it: (p, r, h, k1)
    gemodel: tuple[int, int, int, int] | None = None
    #: ``loss state p13 p31 p32 p23 p14``
    gimodel: tuple[int, int, int, int, int] | None = None
    rate: int = 0  # bytes/s
    packet_overhead: int = 0
    cell_size: int = 0
    cell_overhead: int = 0
    slot: tuple[int, int, int, int] | None = None  # min_delay, max_delay (ns), packets, bytes
    ecn: bool = False
    seed: int | None = None

    @property
    def latency_ns(self) -> int:
        return self.latency << 6  # PSCHED_TICKS2NS

    @property
    def jitter_ns(self) -> int:
        return self.jitter << 6


def parse_netem(args: list[str]) -> NetemOpts:
    """``netem_parse_opt`` (iproute2 6.1, plus ``seed``)."""
    o: dict[str, object] = {}
    latency = jitter = 0
    loss = 0
    gap = 0
    i = 0

    def illegal(what: str) -> TcError:
        return TcError(f'Illegal "{what}"')

    def nxt() -> str:
        nonlocal i
        i += 1
        if i >= len(args):
            raise TcError("Command line is not complete. Try option \"help\"")
        return args[i]

    def next_is_number() -> bool:
        return i + 1 < len(args) and is_number(args[i + 1])

    def pct(what: str) -> int:
        v = get_percent(nxt())
        if v is None:
            raise illegal(what)
        return v

    loss_model = False
    while i < len(args):
        w = args[i]
        if matches(w, "limit"):
            v = get_size(nxt())
            if v is None:
                raise illegal("limit")
            o["limit"] = v
        elif matches(w, "latency") or matches(w, "delay"):
            t = get_time(nxt())
            if t is None:
                raise illegal("latency")
            latency = time2tick(t)
            if next_is_number():
                t = get_time(nxt())
                if t is None:
                    raise illegal("latency")
                jitter = time2tick(t)
                if next_is_number():
                    o["delay_corr"] = pct("latency")
        elif matches(w, "loss") or matches(w, "drop"):
            if loss > 0 or loss_model:
                raise illegal("duplicate loss argument\n")
            kind = nxt()
            if kind[:1].isdigit() or kind == "random":
                if kind == "random":
                    kind = nxt()
                p = get_percent(kind)
                if p is None:
                    raise illegal("loss percent")
                loss = p
                if next_is_number():
                    o["loss_corr"] = pct("loss correlation")
            elif kind == "gemodel":
                pv = parse_percent(nxt())
                if pv is None:
                    raise illegal("loss gemodel p")
                ge = [set_percent(pv), set_percent(1.0 - pv), 0, 0]
                loss_model = True
                for k, what in ((1, "loss gemodel r"), (2, "loss gemodel h"),
                                (3, "loss gemodel k")):
                    if not next_is_number():
                        break
                    ge[k] = pct(what)
                    if k == 2:  # the option is 1-h, the kernel takes h
                        ge[2] = UINT32_MAX - ge[2]
                o["gemodel"] = (ge[0], ge[1], ge[2], ge[3])
            elif kind == "state":
                pv = parse_percent(nxt())
                if pv is None:
                    raise illegal("loss p13")
                gi = [set_percent(pv), set_percent(1.0 - pv), 0, UINT32_MAX, 0]
                loss_model = True
                for k, what in ((1, "loss p31"), (2, "loss p32"), (3, "loss p23"),
                                (4, "loss p14")):
                    if not next_is_number():
                        break
                    gi[k] = pct(what)
                o["gimodel"] = (gi[0], gi[1], gi[2], gi[3], gi[4])
            else:
                raise TcError(f"Unknown loss parameter: {kind}")
        elif matches(w, "seed"):
            s = nxt()
            if not s.isdigit() or int(s) >= 2**64:
                raise illegal("seed")
            o["seed"] = int(s)
        elif matches(w, "ecn"):
            o["ecn"] = True
        elif matches(w, "reorder"):
            o["reorder"] = pct("reorder")
            if next_is_number():
                o["reorder_corr"] = pct("reorder")
        elif matches(w, "corrupt"):
            o["corrupt"] = pct("corrupt")
            if next_is_number():
                o["corrupt_corr"] = pct("corrupt")
        elif matches(w, "gap"):
            s = nxt()
            try:
                gap = int(s, 0)
            except ValueError:
                raise illegal("gap") from None
            if not 0 <= gap <= UINT32_MAX:
                raise illegal("gap")
        elif matches(w, "duplicate"):
            o["duplicate"] = pct("duplicate")
            if next_is_number():
                o["dup_corr"] = pct("duplicate")
        elif matches(w, "distribution"):
            name = nxt()
            if name not in DISTRIBUTIONS:
                raise TcError(
                    f"No distribution data for {name} "
                    f"(/usr/lib/x86_64-linux-gnu/tc//{name}.dist: No such file or directory)")
            o["dist"] = name
        elif matches(w, "rate"):
            s = nxt()
            r = get_rate64(s) if "%" not in s else None
            if r is None:
                raise illegal("rate")
            o["rate"] = r
            for key, signed in (("packet_overhead", True), ("cell_size", False),
                                ("cell_overhead", True)):
                if i + 1 < len(args) and (is_number(args[i + 1])
                                          or (signed and args[i + 1][:1] == "-")):
                    try:
                        o[key] = int(nxt(), 0)
                    except ValueError:
                        raise illegal("rate") from None
                else:
                    break
        elif matches(w, "slot"):
            if not next_is_number():
                word = args[i + 1] if i + 1 < len(args) else ""
                if word == "distribution":  # tc takes it; the emulator does not model it
                    raise TcError("vnetlab: netem 'slot distribution' is not modelled "
                                  "(slot MIN_DELAY [MAX_DELAY] [packets N] [bytes N] is)")
                raise TcError(f"Unknown slot parameter: {word}")
            lo = get_time(nxt())
            if lo is None:
                raise illegal("slot min_delay")
            hi = lo
            if next_is_number():
                h = get_time(nxt())
                if h is None or h < lo:
                    raise illegal("slot max_delay")
                hi = h
            pk = by = 0
            if i + 1 < len(args) and matches(args[i + 1], "packets"):
                nxt()
                s = nxt() if i + 1 < len(args) else ""
                if not s.lstrip("-").isdigit():
                    raise illegal("slot packets")
                pk = int(s)
            if i + 1 < len(args) and matches(args[i + 1], "bytes"):
                nxt()
                b = get_size(nxt()) if i + 1 < len(args) else None
                if b is None:
                    raise illegal("slot bytes")
                by = b
            o["slot"] = (lo * 1000, hi * 1000, pk, by)
        else:
            head = "" if w == "help" else f'What is "{w}"?\n'
            raise TcError(head + NETEM_USAGE)
        i += 1
    reorder = o.get("reorder", 0)
    if reorder:
        if latency == 0:
            raise TcError("reordering not possible without specifying some delay\n"
                          + NETEM_USAGE)
        if gap == 0:
            gap = 1
    elif gap > 0:
        raise TcError("gap specified without reorder probability\n" + NETEM_USAGE)
    if o.get("ecn") and loss <= 0 and not loss_model:
        raise TcError("ecn requested without loss model\n" + NETEM_USAGE)
    if o.get("dist") and (latency == 0 or jitter == 0):
        raise TcError("distribution specified but no latency and jitter values\n"
                      + NETEM_USAGE)
    return NetemOpts(latency=latency, jitter=jitter, loss=loss, gap=gap,
                     **o)  # type: ignore[arg-type]
