"""Field values in the ``ovs-ofctl`` syntax (``mf_parse`` and the ``mf_from_*_string``
scanners of ``lib/meta-flow.c``, ``ip_parse_masked`` of ``lib/packets.c``).

Design note: :func:`parse_field_value` gives a field's (value, mask) in the field's own bits
or raises :class:`OfctlError` with OVS's message; :func:`parse_field_into` merges it into a
:class:`Match` as ``mf_set`` does (later fields replace the bits they cover).
"""

from __future__ import annotations

from vnetlab.openflow.fields import MfField
from vnetlab.openflow.match import TCP_FLAG_NAMES, Match
from vnetlab.openflow.ofctl_errors import OfctlError
from vnetlab.openflow.ofctl_scan import PortNumber, parse_port, strtoull

__all__ = ["parse_field_into", "parse_field_value", "parse_ip_masked", "parse_mac"]


def parse_field_into(match: Match, mf: MfField, text: str, port_number: PortNumber) -> None:
    """``ofp_parse_field``: parse ``text`` as a (maybe masked) value of ``mf`` into
    ``match``."""
    value, mask = parse_field_value(mf, text or "0/0", port_number)
    if mf.name == "dl_vlan" and value == 0xFFFF:
        match.clear("vlan_tci")
        match.set("vlan_tci", 0, 0xFFFF)
        return
    mv, mm = mf.to_member(value, mask)
    cover = mf.member_mask | mf.extra
    old_m = match.masks.get(mf.member, 0) & ~cover
    old_v = match.values.get(mf.member, 0) & old_m
    new_m = old_m | mm
    match.clear(mf.member)
    if new_m:
        match.set(mf.member, old_v | mv, new_m)


def parse_field_value(mf: MfField, text: str, port_number: PortNumber) -> tuple[int, int]:
    """``mf_parse``: (value, mask) in the field's own bits, or OfctlError."""
    full = (1 << (mf.n_bytes * 8)) - 1
    if text == "*":
        return 0, 0
    kind = mf.string
    if kind in ("decimal", "hex"):
        value, mask = _parse_int_masked(mf, text)
    elif kind == "mac":
        value, mask = _parse_mac_masked(text)
        full = (1 << 48) - 1
    elif kind == "ipv4":
        value, mask = parse_ip_masked(text)
        full = 0xFFFFFFFF
    elif kind == "port":
        port = parse_port(text, port_number)
        if port is None:
            raise OfctlError(f"{text}: invalid or unknown port for {mf.name}")
        return port, 0xFFFF
    elif kind == "frag":
        frags = {"no": (0, 1), "yes": (1, 1), "first": (1, 3), "later": (3, 3),
                 "not_later": (0, 2)}
        if text.lower() not in frags:
            raise OfctlError(f'{text}: unknown fragment type (valid types are "no", "yes", '
                             '"first", "later", "not_later"')
        value, mask = frags[text.lower()]
        return value, mask
    elif kind == "tcp_flags":
        value, mask = _parse_flags(text, TCP_FLAG_NAMES, "TCP", 0xFFF)
        return value, mask
    else:
        value, mask = _parse_flags(text, ("oam",), "tunnel", 1)
        return value, mask
    if not mf.maskable and mask not in (0, full):
        raise OfctlError(f"{text}: invalid mask for field {mf.name}")
    return value & full, mask & full


def _parse_int_masked(mf: MfField, text: str) -> tuple[int, int]:
    """``mf_from_integer_string``."""
    value_text, slash, mask_text = text.partition("/")
    limit = 1 << (mf.n_bytes * 8)
    value = _parse_int_string(value_text, limit, text, mf, "value")
    mask = _parse_int_string(mask_text, limit, text, mf, "mask") if slash else limit - 1
    return value, mask


def _parse_int_string(s: str, limit: int, whole: str, mf: MfField, what: str) -> int:
    if s[:2].lower() == "0x":
        digits = s[2:].lstrip(" \t\r\n")
        try:
            value = int(digits, 16) if digits else 0
        except ValueError:
            raise OfctlError(f"{whole}: bad syntax for {mf.name} {what}") from None
    else:
        parsed = strtoull(s)
        if parsed is None or parsed[1]:
            raise OfctlError(f"{whole}: bad syntax for {mf.name} {what}")
        value = parsed[0]
    if value >= limit:
        raise OfctlError(f"{whole}: {what} too large for {mf.n_bytes}-byte field {mf.name}")
    return value


def _scan_mac(text: str) -> int | None:
    parts = text.split(":")
    if len(parts) != 6:
        return None
    out = 0
    for p in parts:
        if not p or len(p) > 2 or any(c not in "0123456789abcdefABCDEF" for c in p):
            return None
        out = (out << 8) | int(p, 16)
    return out


def parse_mac(text: str) -> int | None:
    return _scan_mac(text)


def _parse_mac_masked(text: str) -> tuple[int, int]:
    mac = _scan_mac(text)
    if mac is not None:
        return mac, (1 << 48) - 1
    value_text, slash, mask_text = text.partition("/")
    mac, mask = _scan_mac(value_text), _scan_mac(mask_text)
    if slash and mac is not None and mask is not None:
        return mac, mask
    raise OfctlError(f"{text}: invalid Ethernet address")


def _scan_quad(text: str) -> tuple[int, str] | None:
    """``IP_SCAN_FMT`` (four ``%hhu``): the address and the unparsed tail."""
    out = 0
    rest = text
    for i in range(4):
        j = 0
        while j < len(rest) and rest[j].isdigit():
            j += 1
        if j == 0:
            return None
        out = (out << 8) | (int(rest[:j]) & 0xFF)
        rest = rest[j:]
        if i < 3:
            if not rest.startswith("."):
                return None
            rest = rest[1:]
    return out, rest


def parse_ip_masked(text: str) -> tuple[int, int]:
    """``ip_parse_masked``: ``a.b.c.d``, ``a.b.c.d/len`` or ``a.b.c.d/m.m.m.m``."""
    scanned = _scan_quad(text)
    if scanned is None:
        raise OfctlError(f"{text}: invalid IP address")
    ip, rest = scanned
    if not rest:
        return ip, 0xFFFFFFFF
    if rest.startswith("/"):
        mask_scan = _scan_quad(rest[1:])
        if mask_scan is not None and not mask_scan[1]:
            return ip & mask_scan[0], mask_scan[0]
        plen = rest[1:]
        sign = plen[:1] == "-"
        digits = plen[1:] if sign else plen
        if digits.isdigit():
            n = -int(digits) if sign else int(digits)
            if not 0 <= n <= 32:
                raise OfctlError(f"{text}: IPv4 network prefix bits not between 0 and 32, "
                                 "inclusive")
            mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
            return ip & mask, mask
    raise OfctlError(f"{text}: invalid IP address")


def _parse_flags(text: str, names: tuple[str, ...], what: str, allowed: int) -> tuple[int, int]:
    """``parse_mf_flags``: ``+syn-ack`` or a number with optional ``/mask``."""
    if text[:1] not in "+-":
        value_text, slash, mask_text = text.partition("/")
        got = strtoull(value_text)
        if got is None or got[1]:
            raise OfctlError(f"{text}: {what} flags syntax error")
        mask = allowed
        if slash:
            got_mask = strtoull(mask_text)
            if got_mask is None or got_mask[1]:
                raise OfctlError(f"{text}: {what} flags syntax error")
            mask = got_mask[0]
        return got[0] & allowed, mask & allowed
    value = mask = 0
    rest = text
    while rest:
        sign, rest = rest[0], rest[1:]
        if sign not in "+-":
            raise OfctlError(f"{text}: {what} flag must be preceded by '+' (for SET) "
                             "or '-' (NOT SET)")
        j = 0
        while j < len(rest) and rest[j] not in "+-":
            j += 1
        name, rest = rest[:j], rest[j:]
        if name not in names:
            raise OfctlError(f"{text}: unknown {what} flag(s)")
        bit = 1 << names.index(name)
        if mask & bit:
            raise OfctlError(f"{text}: Each {what} flag can be specified only once")
        mask |= bit
        if sign == "+":
            value |= bit
    return value, mask


