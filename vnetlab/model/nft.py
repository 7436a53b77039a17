"""The nftables ``bridge`` family, as far as the labs use it: commands parsed once for both
engines.

Design note
-----------
A lab lists a node's ``nft`` commands as the words after ``nft`` (``add table bridge
filter``, ``add chain bridge filter forward { type filter hook forward priority 0; policy
accept; }``, ``add rule bridge filter forward arp operation reply counter drop``). A rule's
matches land in the same ``EbRule`` fields the ebtables engine evaluates (the kernel runs
both on nf_tables expressions, so the semantics are one), plus the statement order and
whether it counts, which is what ``nft list ruleset`` prints. Supported statements:
``ether saddr|daddr|type``, ``arp operation``, ``arp saddr|daddr ip|ether``, ``ip
saddr|daddr|protocol``, ``[meta] iifname|oifname``, each with ``!=``; ``counter``; the
verdicts ``accept``, ``drop``, ``return``, ``continue``, ``jump CHAIN``. Errors carry nft's
own first line (``Error: ...``) and exit status 1.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

from vnetlab.model.filters import ARP_OPS, IP_PROTOS, EbRule, _net_text, _parse_mac

HOOKS = ("prerouting", "input", "forward", "output", "postrouting")
_PRIO_NAMES = {"filter": -200, "raw": -300, "mangle": -150, "dstnat": -300,
               "srcnat": 300, "out": 100}
_ETHER_TYPES = {"arp": 0x0806, "ip": 0x0800, "ip6": 0x86DD, "vlan": 0x8100}


class NftError(Exception):
    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class NftRule:
    rule: EbRule
    #: the statements as nft prints them, in order (the verdict excluded)
    words: tuple[str, ...] = ()
    counter: bool = False


@dataclass(frozen=True, slots=True)
class NftCommand:
    op: str  # "add-table", "add-chain", "add-rule", "list-ruleset", "flush-ruleset"
    table: str = ""
    chain: str = ""
    hook: str | None = None
    priority: int = 0
    priority_text: str = ""
    policy: str = "accept"
    rule: NftRule = field(default_factory=lambda: NftRule(EbRule()))


def tokenize(line: str) -> list[str]:
    out: list[str] = []
    cur = ""
    quote = False
    for ch in line:
        if ch == '"':
            quote = not quote
            cur += ch
        elif not quote and (ch.isspace() or ch in "{};"):
            if cur:
                out.append(cur)
            cur = ""
            if ch in "{};":
                out.append(ch)
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def _err(msg: str) -> NftError:
    return NftError(f"Error: {msg}")


def parse_nft(words: list[str]) -> NftCommand:
    """One ``nft`` invocation (its arguments, already split by the shell or ``tokenize``)."""
    toks = tokenize(" ".join(words))
    if toks[:2] == ["list", "ruleset"]:
        return NftCommand("list-ruleset")
    if toks[:2] == ["flush", "ruleset"]:
        return NftCommand("flush-ruleset")
    if len(toks) < 3 or toks[0] not in ("add", "create") or toks[1] not in (
            "table", "chain", "rule"):
        raise _err("syntax error, unexpected " + (repr(toks[0]) if toks else "end of file"))
    what = toks[1]
    if toks[2] != "bridge":
        raise _err(f"vnetlab models only the bridge family here, not {toks[2]!r}")
    if what == "table":
        if len(toks) != 4:
            raise _err("syntax error: add table bridge NAME")
        return NftCommand("add-table", toks[3])
    if len(toks) < 5:
        raise _err(f"syntax error: add {what} bridge TABLE CHAIN ...")
    table, chain, rest = toks[3], toks[4], toks[5:]
    if what == "chain":
        return _parse_chain(table, chain, rest)
    return NftCommand("add-rule", table, chain, rule=_parse_rule(rest))


def _parse_chain(table: str, chain: str, rest: list[str]) -> NftCommand:
    if not rest:
        return NftCommand("add-chain", table, chain)
    if rest[0] != "{" or rest[-1] != "}":
        raise _err("syntax error, unexpected " + rest[0])
    body = rest[1:-1]
    hook: str | None = None
    prio, prio_text, policy = 0, "0", "accept"
    i = 0
    while i < len(body):
        w = body[i]
        if w == ";":
            i += 1
        elif w == "type" and i + 4 < len(body) and body[i + 2] == "hook":
            if body[i + 1] != "filter":
                raise _err(f"unsupported chain type {body[i + 1]!r}")
            hook = body[i + 3]
            if hook not in HOOKS:
                raise _err(f"unknown chain hook {hook}")
            if body[i + 4] != "priority" or i + 5 >= len(body):
                raise _err("syntax error, unexpected ;, expecting priority")
            prio_text = body[i + 5]
            if prio_text in _PRIO_NAMES:
                prio = _PRIO_NAMES[prio_text]
            else:
                try:
                    prio = int(prio_text)
                except ValueError:
                    raise _err(f"unknown chain priority {prio_text}") from None
            i += 6
        elif w == "policy" and i + 1 < len(body):
            policy = body[i + 1]
            if policy not in ("accept", "drop"):
                raise _err(f"syntax error, unexpected {policy}")
            i += 2
        else:
            raise _err(f"syntax error, unexpected {w}")
    return NftCommand("add-chain", table, chain, hook=hook, priority=prio,
                      priority_text=prio_text, policy=policy)


def _mac(v: str) -> tuple[bytes, bytes]:
    m = _parse_mac(v)
    if m is None:
        raise _err("Invalid LL address")
    return m, b"\xff" * 6


def _net(v: str) -> tuple[int, int]:
    try:
        n = ipaddress.IPv4Network(v, strict=False)
    except ValueError:
        raise _err(f"Could not resolve hostname: {v}") from None
    return int(n.network_address), int(n.netmask)


def _parse_rule(toks: list[str]) -> NftRule:  # noqa: C901 - one statement table
    values: dict[str, object] = {}
    words: list[str] = []
    counter = False
    target = "CONTINUE"
    i = 0

    def take() -> tuple[str, bool]:
        nonlocal i
        neg = False
        if i < len(toks) and toks[i] == "!=":
            neg = True
            i += 1
        if i >= len(toks):
            raise _err("syntax error, unexpected end of file")
        v = toks[i]
        i += 1
        return v, neg

    while i < len(toks):
        w = toks[i]
        i += 1
        if w == "meta" and i < len(toks) and toks[i] in ("iifname", "oifname"):
            continue
        if w in ("iifname", "oifname"):
            v, neg = take()
            name = v.strip('"')
            values["iif" if w == "iifname" else "oif"] = (name, neg)
            words.append(f'{w} {"!= " if neg else ""}"{name}"')
        elif w == "ether" and i < len(toks) and toks[i] in ("saddr", "daddr", "type"):
            f = toks[i]
            i += 1
            v, neg = take()
            if f == "type":
                if v not in _ETHER_TYPES:
                    raise _err(f"Could not parse ether type: {v}")
                values["proto"] = (_ETHER_TYPES[v], neg)
                words.append(f"ether type {'!= ' if neg else ''}{v}")
                continue
            values["src" if f == "saddr" else "dst"] = (_mac(v), neg)
            words.append(f"ether {f} {'!= ' if neg else ''}{v.lower()}")
        elif w == "arp" and i < len(toks):
            f = toks[i]
            i += 1
            values.setdefault("proto", (0x0806, False))
            if f == "operation":
                v, neg = take()
                ops = [o.lower() for o in ARP_OPS[:2]]
                if v not in ops:
                    raise _err("Could not parse ARP operation")
                values["arp_op"] = (ops.index(v) + 1, neg)
                words.append(f"arp operation {'!= ' if neg else ''}{v}")
            elif f in ("saddr", "daddr") and i < len(toks) and toks[i] in ("ip", "ether"):
                kind = toks[i]
                i += 1
                v, neg = take()
                key = f"arp_{kind if kind == 'ip' else 'mac'}_{'src' if f == 'saddr' else 'dst'}"
                values[key] = (_net(v) if kind == "ip" else _mac(v), neg)
                shown = _net_text(_net(v)) if kind == "ip" else v.lower()
                words.append(f"arp {f} {kind} {'!= ' if neg else ''}{shown}")
            else:
                raise _err(f"syntax error, unexpected {f}")
        elif w == "ip" and i < len(toks) and toks[i] in ("saddr", "daddr", "protocol"):
            f = toks[i]
            i += 1
            values.setdefault("proto", (0x0800, False))
            v, neg = take()
            if f == "protocol":
                if v in IP_PROTOS:
                    num = IP_PROTOS[v]
                elif v.isdigit() and int(v) < 256:
                    num = int(v)
                else:
                    raise _err(f"Could not parse Internet protocol: {v}")
                values["ip_proto"] = (num, neg)
            else:
                values["ip_src" if f == "saddr" else "ip_dst"] = (_net(v), neg)
                v = _net_text(_net(v))
            words.append(f"ip {f} {'!= ' if neg else ''}{v}")
        elif w == "counter":
            counter = True
        elif w in ("accept", "drop", "return", "continue"):
            target = w.upper()
        elif w in ("jump", "goto") and i < len(toks):
            if w == "goto":
                raise _err("vnetlab does not model goto; use jump")
            target = toks[i]
            i += 1
        else:
            raise _err(f"syntax error, unexpected {w}")
    # ``ether type arp`` before arp matches (or ``ip`` before ip ones) is the dependency
    # nft adds by itself, and ``list ruleset`` leaves it out
    deps = {"arp": "arp ", "ip": "ip "}
    words = [x for x in words if not (x.startswith("ether type ") and x[11:] in deps
                                      and any(y.startswith(deps[x[11:]]) for y in words))]
    rule = replace(EbRule(), **values, target=target)  # type: ignore[arg-type]
    return NftRule(rule, tuple(words), counter)


def check_nft_line(line: str) -> str:
    """Validator for a lab's ``nft`` entries."""
    try:
        parse_nft(tokenize(line))
    except NftError as e:
        raise ValueError(f"nft {line}: {e.message}") from None
    return line
