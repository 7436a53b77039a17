"""IPsec xfrm states and policies: the ``ip xfrm`` command line, parsed once for both engines.

Design note
-----------
A lab lists a node's ``xfrm`` entries as the words a user types after ``ip xfrm``:
``state add src A dst B proto esp spi 0x100 reqid 1 mode transport aead
'rfc4106(gcm(aes))' 0xKEY 128`` (a security association, ``struct xfrm_usersa_info``) and
``policy add src A/32 dst B/32 dir out tmpl src A dst B proto esp reqid 1 mode transport``
(``struct xfrm_userpolicy_info`` with one ``xfrm_user_tmpl``). ``parse_xfrm`` turns them
into ``XfrmState`` / ``XfrmPolicy``; the emulator runs them (``vnetlab.sim.stack.xfrm``),
the linux engine hands the very same words to the real ``ip xfrm`` where the kernel has
``esp4``. Only what transport-mode ESP with AES-GCM needs is understood; the rest is
refused with iproute2's words (``Error: argument "X" is wrong: ...``, exit status 255,
as ``invarg`` exits with -1) rather than ignored.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

AEAD_GCM = "rfc4106(gcm(aes))"
XFRM_PROTOS = {"esp": 50}
UPPER_PROTOS = {"icmp": 1, "tcp": 6, "udp": 17, "any": 0}


class XfrmError(Exception):
    """What ``ip xfrm`` prints when it refuses a command, and its exit status."""

    def __init__(self, message: str, status: int = 255) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _invarg(what: str, arg: str) -> XfrmError:
    return XfrmError(f'Error: argument "{arg}" is wrong: {what}')


@dataclass(frozen=True)
class XfrmState:
    """``ip xfrm state add``: one security association (SA)."""

    src: IPv4Address
    dst: IPv4Address
    proto: int
    spi: int
    reqid: int
    mode: str
    aead: str
    key: bytes
    icv_bits: int
    replay_window: int = 0


@dataclass(frozen=True)
class XfrmTmpl:
    src: IPv4Address
    dst: IPv4Address
    proto: int
    reqid: int
    mode: str


@dataclass(frozen=True)
class XfrmPolicy:
    """``ip xfrm policy add``: a selector, a direction and the template it requires."""

    src: IPv4Network
    dst: IPv4Network
    dir: str
    upper: int  # selector proto, 0 = any
    tmpl: XfrmTmpl | None
    action: str = "allow"
    priority: int = 0

    def selects(self, src: int, dst: int, upper: int) -> bool:
        """``xfrm_selector_match`` (``__xfrm4_selector_match``)."""
        return (src & int(self.src.netmask)) == int(self.src.network_address) \
            and (dst & int(self.dst.netmask)) == int(self.dst.network_address) \
            and (self.upper == 0 or self.upper == upper)


XfrmCommand = XfrmState | XfrmPolicy


def _addr(word: str, what: str) -> IPv4Address:
    try:
        return IPv4Address(word)
    except ValueError:
        raise _invarg(f"{what} value is invalid", word) from None


def _net(word: str, what: str) -> IPv4Network:
    try:
        return IPv4Network(word, strict=False)
    except ValueError:
        raise _invarg(f"{what} value is invalid", word) from None


def _int(word: str, what: str) -> int:
    """``get_u32``: an unsigned 32-bit number, decimal, 0x-hex or 0-octal."""
    try:
        n = int(word, 0)
    except ValueError:
        raise _invarg(f"{what} value is invalid", word) from None
    if not 0 <= n <= 0xFFFFFFFF:
        raise _invarg(f"{what} value is invalid", word)
    return n


class _Words:
    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.i = 0

    def more(self) -> bool:
        return self.i < len(self.words)

    def next(self) -> str:
        if self.i >= len(self.words):
            raise XfrmError('Command line is not complete. Try option "help"')
        w = self.words[self.i]
        self.i += 1
        return w


#: ``xfrm_mode_parse``'s modes; the emulator runs transport mode only
MODES = ("transport", "tunnel", "ro", "in_trigger", "beet")


def _mode(word: str) -> str:
    mode = next((m for m in MODES if m.startswith(word)), None)
    if mode is None:
        raise _invarg("MODE value is invalid", word)
    if mode != "transport":
        raise XfrmError(f"mode {mode}: not supported yet in the vnetlab emulator "
                        "(transport mode only)", 2)
    return mode


def _proto(word: str) -> int:
    """``proto XFRM-PROTO`` (iproute2 ``xfrm_xfrmproto_getbyname``), shared by states
    and policy templates as ``xfrm_id_parse`` shares it."""
    if word not in XFRM_PROTOS:
        raise _invarg("XFRM-PROTO value is invalid", word)
    return XFRM_PROTOS[word]


def _tmpl(w: _Words) -> XfrmTmpl:
    src = dst = None
    proto = 0
    reqid = 0
    mode = "transport"
    while w.more():
        key = w.next()
        if key == "src":
            src = _addr(w.next(), "ADDR")
        elif key == "dst":
            dst = _addr(w.next(), "ADDR")
        elif key == "proto":
            proto = _proto(w.next())
        elif key == "reqid":
            reqid = _int(w.next(), "REQID")
        elif key == "mode":
            mode = _mode(w.next())
        else:
            raise _invarg("unknown", key)
    if src is None or dst is None or proto == 0:
        raise XfrmError("Not enough information: tmpl needs src, dst and proto esp")
    return XfrmTmpl(src, dst, proto, reqid, mode)


def _state(w: _Words) -> XfrmState:
    src = dst = None
    proto = spi = None
    reqid = replay = 0
    mode = "transport"
    aead: tuple[str, bytes, int] | None = None
    while w.more():
        key = w.next()
        if key == "src":
            src = _addr(w.next(), "ADDR")
        elif key == "dst":
            dst = _addr(w.next(), "ADDR")
        elif key == "proto":
            proto = _proto(w.next())
        elif key == "spi":
            spi = _int(w.next(), "SPI")
            if not 0 <= spi <= 0xFFFFFFFF:
                raise _invarg("SPI value is invalid", hex(spi))
        elif key == "reqid":
            reqid = _int(w.next(), "REQID")
        elif key == "mode":
            mode = _mode(w.next())
        elif key == "replay-window":
            replay = _int(w.next(), "REPLAY-WINDOW")
            if not 0 <= replay <= 32:
                raise _invarg("REPLAY-WINDOW value is invalid (0..32)", str(replay))
        elif key == "aead":
            name = w.next()
            if name != AEAD_GCM:
                raise _invarg(f"ALGO-NAME: vnetlab runs {AEAD_GCM} only", name)
            hexkey = w.next()
            if not hexkey.startswith("0x"):
                raise _invarg("ALGO-KEYMAT value is invalid", hexkey)
            try:
                keymat = bytes.fromhex(hexkey[2:])
            except ValueError:
                raise _invarg("ALGO-KEYMAT value is invalid", hexkey) from None
            if len(keymat) not in (20, 28, 36):
                raise _invarg("ALGO-KEYMAT length is invalid (AES key + 4-byte salt)", hexkey)
            icv = _int(w.next(), "ALGO-ICV-LEN")
            if icv != 128:
                raise _invarg("ALGO-ICV-LEN value is invalid (vnetlab runs 128)", str(icv))
            aead = (name, keymat, icv)
        else:
            raise _invarg("unknown", key)
    if src is None or dst is None or proto is None or spi is None:
        raise XfrmError("Not enough information: ID is required", 1)
    if aead is None:
        raise XfrmError('ALGO-TYPE value "enc" or "aead" is required with XFRM-PROTO value '
                        '"esp"')
    return XfrmState(src, dst, proto, spi, reqid, mode, aead[0], aead[1], aead[2], replay)


def _policy(w: _Words) -> XfrmPolicy:
    src = IPv4Network("0.0.0.0/0")
    dst = IPv4Network("0.0.0.0/0")
    direction = None
    upper = 0
    tmpl = None
    action = "allow"
    priority = 0
    while w.more():
        key = w.next()
        if key == "src":
            src = _net(w.next(), "PREFIX")
        elif key == "dst":
            dst = _net(w.next(), "PREFIX")
        elif key == "dir":
            direction = w.next()
            if direction not in ("in", "out", "fwd"):
                raise _invarg("DIR value is invalid", direction)
        elif key == "proto":
            p = w.next()
            if p not in UPPER_PROTOS:
                raise _invarg("PROTO value is invalid", p)
            upper = UPPER_PROTOS[p]
        elif key == "action":
            action = w.next()
            if action not in ("allow", "block"):
                raise _invarg("ACTION value is invalid", action)
        elif key == "priority":
            priority = _int(w.next(), "PRIORITY")
        elif key == "tmpl":
            tmpl = _tmpl(w)
        else:
            raise _invarg("unknown", key)
    if direction is None:
        raise XfrmError("Not enough information: DIR is required.", 1)
    return XfrmPolicy(src, dst, direction, upper, tmpl, action, priority)


def parse_xfrm(words: list[str]) -> XfrmCommand:
    """``ip xfrm state add ...`` / ``ip xfrm policy add ...`` (the words after ``xfrm``)."""
    w = _Words(words)
    word = w.next()
    obj = ("state" if "state".startswith(word) or "sa".startswith(word)
           else "policy" if "policy".startswith(word) else None)
    if obj is None:
        raise XfrmError("Usage: ip xfrm XFRM-OBJECT { COMMAND | help }\n"
                        "where  XFRM-OBJECT := state | policy | monitor")
    verb = w.next()
    if verb not in ("add", "update"):
        raise XfrmError(f'Command "{verb}" is unknown, try "ip xfrm {obj} help".')
    return _state(w) if obj == "state" else _policy(w)


def split_xfrm(line: str) -> list[str]:
    """A lab's entry as argv: shell words, so ``'rfc4106(gcm(aes))'`` may be quoted."""
    try:
        return shlex.split(line)
    except ValueError as e:
        raise XfrmError(f"bad quoting: {e}") from None


def check_xfrm_line(line: str) -> str:
    """Validator for a lab's ``xfrm`` entries."""
    try:
        parse_xfrm(split_xfrm(line))
    except XfrmError as e:
        raise ValueError(f"ip xfrm {line}: {e.message}") from None
    return line
