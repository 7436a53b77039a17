"""Bridge-family filter rules: the ``ebtables`` command line, parsed once for both engines.

Design note
-----------
A lab lists a node's ``ebtables`` commands as the words a user types after ``ebtables``
(``-A FORWARD -p ARP --arp-op Reply -j DROP``). ``parse_ebtables`` turns them into an
``EbCommand`` (append / policy / new chain / zero) holding an ``EbRule``: the match fields
the emulator evaluates (``vnetlab.sim.netfilter.ebtables``) and that ``EbRule.text()``
prints back exactly as ebtables 1.8 (nf_tables) lists a rule, so the emulator's
``ebtables -L --Lc`` and the kernel's compare line by line. The linux engine runs the very
same words with the real ``ebtables`` inside the node's namespace.

Parsing mirrors ``ebtables-translate``/``xtables-eb.c`` of iptables 1.8.9: an option may
be negated by a ``!`` before its value; ``--arp-*`` needs ``-p ARP`` and ``--ip-*`` needs
``-p IPv4`` (the kernel refuses the rule otherwise: exit status 4); errors carry the
tool's own words and exit status (2 for a bad argument).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

#: ``/etc/ethertypes`` names ebtables prints instead of numbers (the ones a lab meets)
ETHERTYPES: dict[str, int] = {
    "IPv4": 0x0800, "ARP": 0x0806, "802_1Q": 0x8100, "IPv6": 0x86DD, "LLDP": 0x88CC,
    "RARP": 0x8035, "PPP_DISC": 0x8863, "PPP_SES": 0x8864,
}
_ETHERTYPE_ALIASES = {"ipv4": "IPv4", "ip": "IPv4", "arp": "ARP", "ipv6": "IPv6",
                      "802_1q": "802_1Q", "lldp": "LLDP", "rarp": "RARP"}
ARP_OPS = ["Request", "Reply", "Request_Reverse", "Reply_Reverse", "DRARP_Request",
           "DRARP_Reply", "DRARP_Error", "InARP_Request", "ARP_NAK"]
IP_PROTOS: dict[str, int] = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47,
                             "esp": 50, "ah": 51, "sctp": 132}
BUILTIN_CHAINS = ("INPUT", "FORWARD", "OUTPUT")
STANDARD_TARGETS = ("ACCEPT", "DROP", "CONTINUE", "RETURN")
_MCAST = (b"\x01\x00\x00\x00\x00\x00", b"\x01\x00\x00\x00\x00\x00")
_BCAST = (b"\xff" * 6, b"\xff" * 6)


class EbtablesError(Exception):
    """A command ebtables refuses: ``message`` as it prints it, ``status`` its exit code."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _usage(msg: str) -> EbtablesError:
    return EbtablesError(
        f"ebtables v1.8.9 (nf_tables): {msg}\n"
        "Try `ebtables -h' or 'ebtables --help' for more information.", 2)


Neg = bool
MacMask = tuple[bytes, bytes]
Net = tuple[int, int]  # (address, mask) as integers


@dataclass(frozen=True, slots=True)
class EbRule:
    """One rule: every match optional, each with its ``!`` flag; ``target`` a standard
    verdict or a user chain's name."""

    proto: tuple[int, Neg] | None = None
    src: tuple[MacMask, Neg] | None = None
    dst: tuple[MacMask, Neg] | None = None
    iif: tuple[str, Neg] | None = None
    oif: tuple[str, Neg] | None = None
    arp_op: tuple[int, Neg] | None = None
    arp_ip_src: tuple[Net, Neg] | None = None
    arp_ip_dst: tuple[Net, Neg] | None = None
    arp_mac_src: tuple[MacMask, Neg] | None = None
    arp_mac_dst: tuple[MacMask, Neg] | None = None
    ip_src: tuple[Net, Neg] | None = None
    ip_dst: tuple[Net, Neg] | None = None
    ip_proto: tuple[int, Neg] | None = None
    among_src: tuple[frozenset[bytes], Neg] | None = None
    among_dst: tuple[frozenset[bytes], Neg] | None = None
    target: str = "CONTINUE"

    def text(self) -> str:
        """The rule as ``ebtables -L`` prints it (nft_rule_print_ebt of iptables 1.8.9)."""
        out: list[str] = []

        def neg(n: bool) -> str:
            return "! " if n else ""

        if self.proto is not None:
            out.append(f"-p {neg(self.proto[1])}{_ethertype_name(self.proto[0])}")
        if self.src is not None:
            out.append(f"-s {neg(self.src[1])}{_mac_mask_text(self.src[0])}")
        if self.dst is not None:
            out.append(f"-d {neg(self.dst[1])}{_mac_mask_text(self.dst[0])}")
        if self.iif is not None:
            out.append(f"-i {neg(self.iif[1])}{self.iif[0]}")
        if self.oif is not None:
            out.append(f"-o {neg(self.oif[1])}{self.oif[0]}")
        if self.arp_op is not None:
            out.append(f"--arp-op {neg(self.arp_op[1])}{ARP_OPS[self.arp_op[0] - 1]}")
        for opt, val in (("--arp-ip-src", self.arp_ip_src), ("--arp-ip-dst", self.arp_ip_dst)):
            if val is not None:
                out.append(f"{opt} {neg(val[1])}{_net_text(val[0])}")
        for opt, m in (("--arp-mac-src", self.arp_mac_src), ("--arp-mac-dst", self.arp_mac_dst)):
            if m is not None:
                out.append(f"{opt} {neg(m[1])}{_mac_mask_text(m[0])}")
        for opt, val in (("--ip-src", self.ip_src), ("--ip-dst", self.ip_dst)):
            if val is not None:
                out.append(f"{opt} {neg(val[1])}{_net_text(val[0])}")
        if self.ip_proto is not None:
            out.append(f"--ip-proto {neg(self.ip_proto[1])}{_proto_name(self.ip_proto[0])}")
        for opt, a in (("--among-src", self.among_src), ("--among-dst", self.among_dst)):
            if a is not None:
                macs = ",".join(sorted(_short_mac(x) for x in a[0]))
                out.append(f"{opt} {neg(a[1])}{macs}")
        out.append(f"-j {self.target}")
        return " ".join(out)


@dataclass(frozen=True, slots=True)
class EbCommand:
    """One ``ebtables`` invocation on the filter table."""

    op: str  # "append", "insert", "delete", "policy", "new-chain", "zero", "flush",
    # "delete-chain"
    chain: str = ""
    rule: EbRule = field(default_factory=EbRule)
    policy: str = ""
    position: int = 1


def _ethertype_name(v: int) -> str:
    for name, num in ETHERTYPES.items():
        if num == v:
            return name
    return f"0x{v:x}"


def _proto_name(v: int) -> str:
    for name, num in IP_PROTOS.items():
        if num == v:
            return name
    return str(v)


def _mac_text(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def _short_mac(b: bytes) -> str:
    """``ether_ntoa`` style (no leading zeros), as the among match prints."""
    return ":".join(f"{x:x}" for x in b)


def _mac_mask_text(m: MacMask) -> str:
    if m == _MCAST:
        return "Multicast"
    if m == _BCAST:
        return "Broadcast"
    if m[1] == b"\xff" * 6:
        return _mac_text(m[0])
    return f"{_mac_text(m[0])}/{_mac_text(m[1])}"


def _net_text(n: Net) -> str:
    addr, mask = n
    if mask == 0xFFFFFFFF:
        return str(ipaddress.IPv4Address(addr))
    plen = bin(mask).count("1")
    return f"{ipaddress.IPv4Address(addr)}/{plen}"


def _parse_mac(s: str) -> bytes | None:
    parts = s.split(":")
    if len(parts) != 6:
        return None
    try:
        b = bytes(int(p, 16) for p in parts)
    except ValueError:
        return None
    return b if all(1 <= len(p) <= 2 for p in parts) else None


def _parse_mac_mask(s: str, what: str) -> MacMask:
    if s.lower() in ("multicast",):
        return _MCAST
    if s.lower() == "broadcast":
        return _BCAST
    mac, _, mask = s.partition("/")
    m = _parse_mac(mac)
    k = _parse_mac(mask) if mask else b"\xff" * 6
    if m is None or k is None:
        raise _usage(f"Problem with specified {what} mac '{s}'")
    return bytes(a & b for a, b in zip(m, k, strict=True)), k


def _parse_net(s: str, what: str) -> Net:
    try:
        net = ipaddress.IPv4Network(s, strict=False)
    except ValueError:
        raise _usage(f"Problem with specified {what}") from None
    return int(net.network_address), int(net.netmask)


def _parse_ethertype(s: str) -> int:
    name = _ETHERTYPE_ALIASES.get(s.lower(), s)
    if name in ETHERTYPES:
        return ETHERTYPES[name]
    try:
        v = int(s, 16)
    except ValueError:
        raise _usage("Problem with the specified protocol") from None
    if not 0x0600 <= v <= 0xFFFF:
        raise _usage("Problem with the specified protocol")
    return v


def _parse_arp_op(s: str) -> int:
    for i, name in enumerate(ARP_OPS):
        if s.lower() == name.lower():
            return i + 1
    try:
        v = int(s)
    except ValueError:
        v = 0
    if not 1 <= v <= len(ARP_OPS):
        raise _usage("Problem with specified ARP opcode")
    return v


def _parse_ip_proto(s: str) -> int:
    if s.lower() in IP_PROTOS:
        return IP_PROTOS[s.lower()]
    try:
        v = int(s)
    except ValueError:
        v = -1
    if not 0 <= v <= 255:
        raise _usage("Problem with specified IP protocol")
    return v


_RULE_OPTS = {
    "-p": "proto", "--proto": "proto", "--protocol": "proto",
    "-s": "src", "--src": "src", "--source": "src",
    "-d": "dst", "--dst": "dst", "--destination": "dst",
    "-i": "iif", "--in-if": "iif", "--in-interface": "iif",
    "-o": "oif", "--out-if": "oif", "--out-interface": "oif",
    "--arp-op": "arp_op", "--arp-opcode": "arp_op",
    "--arp-ip-src": "arp_ip_src", "--arp-ip-dst": "arp_ip_dst",
    "--arp-mac-src": "arp_mac_src", "--arp-mac-dst": "arp_mac_dst",
    "--ip-src": "ip_src", "--ip-source": "ip_src", "--ip-dst": "ip_dst",
    "--ip-destination": "ip_dst", "--ip-proto": "ip_proto", "--ip-protocol": "ip_proto",
    "--among-src": "among_src", "--among-dst": "among_dst",
}


def _value(key: str, v: str) -> object:
    if key == "proto":
        return _parse_ethertype(v)
    if key in ("src", "dst"):
        return _parse_mac_mask(v, "source" if key == "src" else "destination")
    if key in ("iif", "oif"):
        if len(v) >= 16:
            raise _usage("Interface name length must be less than 16")
        return v
    if key == "arp_op":
        return _parse_arp_op(v)
    if key in ("arp_ip_src", "arp_ip_dst"):
        return _parse_net(v, "ARP IP address")
    if key in ("arp_mac_src", "arp_mac_dst"):
        return _parse_mac_mask(v, "ARP source" if key == "arp_mac_src" else "ARP destination")
    if key in ("ip_src", "ip_dst"):
        return _parse_net(v, "IP address")
    if key == "ip_proto":
        return _parse_ip_proto(v)
    macs = set()
    for part in v.split(","):
        m = _parse_mac(part.partition("=")[0])
        if m is None:
            raise _usage(f"Problem with specified MAC '{part}'")
        macs.add(m)
    return frozenset(macs)


def parse_ebtables(argv: list[str]) -> EbCommand:
    """One ``ebtables [-t filter] CMD ...`` invocation (the words after ``ebtables``)."""
    args = list(argv)
    if len(args) >= 2 and args[0] == "-t":
        if args[1] != "filter":
            raise EbtablesError(
                f"ebtables v1.8.9 (nf_tables): table '{args[1]}' does not exist", 1)
        args = args[2:]
    if not args:
        raise _usage("no command specified")
    cmd, rest = args[0], args[1:]
    if cmd in ("-P", "--policy"):
        if len(rest) != 2:
            raise _usage("Option -P requires 2 arguments")
        if rest[1] not in ("ACCEPT", "DROP", "RETURN"):
            raise _usage(f"Wrong policy '{rest[1]}'")
        return EbCommand("policy", rest[0], policy=rest[1])
    if cmd in ("-N", "--new-chain"):
        if len(rest) != 1:
            raise _usage("Option -N requires 1 argument")
        name = rest[0]
        if name in STANDARD_TARGETS or name.startswith("-") or len(name) > 28:
            raise _usage(f"Invalid chain name '{name}'")
        return EbCommand("new-chain", name)
    if cmd in ("-Z", "--zero", "-F", "--flush"):
        return EbCommand("zero" if cmd in ("-Z", "--zero") else "flush",
                         rest[0] if rest else "")
    if cmd in ("-X", "--delete-chain"):
        return EbCommand("delete-chain", rest[0] if rest else "")
    if cmd in ("-D", "--delete"):
        if not rest:
            raise _usage("Option -D requires 1 argument")
        if len(rest) == 2 and rest[1].isdigit():
            return EbCommand("delete", rest[0], position=int(rest[1]))
        return EbCommand("delete", rest[0], _parse_rule(rest[1:], rest[0], "RULE_DELETE"),
                         position=0)
    position = 1
    if cmd in ("-I", "--insert"):
        if len(rest) >= 2 and rest[1].isdigit():
            position = int(rest[1])
            rest = [rest[0], *rest[2:]]
    elif cmd not in ("-A", "--append"):
        raise _usage(f"Unknown argument: '{cmd}'")
    if not rest or rest[0].startswith("-"):
        raise _usage(f"Option {cmd} requires 1 argument")
    chain, words = rest[0], rest[1:]
    rule = _parse_rule(words, chain, "RULE_INSERT" if cmd in ("-I", "--insert") else "RULE_APPEND")
    return EbCommand("insert" if cmd in ("-I", "--insert") else "append", chain, rule,
                     position=position)


def _parse_rule(words: list[str], chain: str, what: str = "RULE_APPEND") -> EbRule:
    values: dict[str, object] = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("--logical-in", "--logical-out"):
            # parsed by ebtables, but this kernel's nf_tables bridge refuses the
            # ``meta ibrname/obrname`` it becomes (measured: exit 4, EOPNOTSUPP)
            raise EbtablesError(
                f"ebtables v1.8.9 (nf_tables):  {what} failed (Operation not supported): "
                f"rule in chain {chain}", 4)
        if w in ("-j", "--jump"):
            if i + 1 >= len(words):
                raise _usage("Option -j requires 1 argument")
            values["target"] = words[i + 1]
            i += 2
            continue
        key = _RULE_OPTS.get(w)
        if key is None:
            raise _usage(f"Unknown argument: '{w}'")
        negate = False
        i += 1
        if i < len(words) and words[i] == "!":
            negate = True
            i += 1
        if i >= len(words):
            raise _usage(f"Option {w} requires 1 argument")
        if key in values:
            raise _usage(f"Multiple {w} options are not allowed")
        values[key] = (_value(key, words[i]), negate)
        i += 1
    target = str(values.pop("target", "CONTINUE"))
    rule = replace(EbRule(), **values, target=target)  # type: ignore[arg-type]
    arp = any(getattr(rule, k) is not None for k in
              ("arp_op", "arp_ip_src", "arp_ip_dst", "arp_mac_src", "arp_mac_dst"))
    ip = any(getattr(rule, k) is not None for k in ("ip_src", "ip_dst", "ip_proto"))
    p = rule.proto
    if (arp and (p is None or p != (ETHERTYPES["ARP"], False) and p != (ETHERTYPES["RARP"],
                                                                        False))) or (
            ip and p != (ETHERTYPES["IPv4"], False)):
        raise EbtablesError(
            f"ebtables v1.8.9 (nf_tables):  {what} failed (Invalid argument): rule in "
            f"chain {chain}", 4)
    return rule


def split_words(line: str) -> list[str]:
    """A lab's rule string as argv (shell-like words; rules have no quoting needs)."""
    return line.split()


def check_ebtables_line(line: str) -> str:
    """Validator for a lab's ``ebtables`` entries: the real tool's refusal as the error."""
    try:
        parse_ebtables(split_words(line))
    except EbtablesError as e:
        raise ValueError(f"ebtables {line}: {e.message.splitlines()[0]}") from None
    return line
