"""SR-IOV in scripts: the sysfs files of a PF and ``ip link set PF vf N ...``.

Design note
-----------
``/sys/class/net/DEV/device/sriov_numvfs`` and ``sriov_totalvfs`` are the PCI device's
attributes (``drivers/pci/iov.c``), visible for DEV in the namespace the command runs in
(``ip netns exec`` remounts ``/sys`` there). A write is ``sriov_numvfs_store``: the text
is parsed by ``kstrtou16`` (base 0, one trailing newline; EINVAL, ERANGE), then the
emulated PF (``PfDevice.sriov.set_numvfs``) answers ERANGE above ``sriov_totalvfs``,
EBUSY from one nonzero number to another (logging "N VFs already enabled. Disable before
enabling M VFs" to the kernel log, which ``dmesg`` prints) and removes every VF on 0. The
shell reports a failed write the way bash's ``echo`` does: ``echo: write error: STRERROR``,
status 1. A device without SR-IOV has no such file (``No such file or directory``).

``parse_vf``/``apply_vf`` are iproute2 6.1's ``iplink_parse_vf`` (ip/iplink.c: its words,
prefix matching and error texts, the ``max_tx_rate``/``min_tx_rate`` look-ahead and the
current-rate query for the one not given) and the kernel's ``do_setvfinfo`` (its order:
MAC, VLAN, VLAN list, legacy rate, rate, spoof check, link state, RSS query, trust; a
VF index of ``INT_MAX`` or more is EINVAL before the driver is asked; a device whose
driver has no VF support answers EOPNOTSUPP; the rest is the driver's, i.e. the
emulated PF's ``set_vf``: EINVAL for a VF it does not have, ``vlan > 4095``, ``qos > 7``).
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from typing import Any

from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet, ScriptError, rtnetlink_answer
from vnetlab.script.fmt_vf import sriov_of
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice

SYSFS_RE = re.compile(r"^/sys/class/net/([^/]+)/device/(sriov_numvfs|sriov_totalvfs)/*$")
INT_MAX = 2**31 - 1


# -- sysfs ------------------------------------------------------------------------------------
def sysfs_attr(env: Env, path: str) -> tuple[NetDevice, str] | None:
    """(PF, attribute) for an SR-IOV sysfs path; None for any other path. A device that
    does not exist, or has no SR-IOV capability, has no such file: ENOENT."""
    m = SYSFS_RE.match(os.path.normpath(path) if path.startswith("/sys/") else path)
    if m is None:
        return None
    dev = env.ns.devices.get(m.group(1))
    if dev is None or sriov_of(dev) is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
    return dev, m.group(2)


def sysfs_read(env: Env, path: str) -> str | None:
    """``cat`` of an SR-IOV attribute (``sriov_totalvfs_show``: "%u\\n")."""
    found = sysfs_attr(env, path)
    if found is None:
        return None
    dev, attr = found
    sr = sriov_of(dev)
    return str(sr.totalvfs if attr == "sriov_totalvfs" else sr.numvfs)


def kstrtou16(text: str) -> int:
    """lib/kstrtox.c ``kstrtou16(buf, 0, ...)``: an optional '+', base from the prefix
    (0x: 16, 0: 8, else 10), at most one trailing newline; OSError(EINVAL/ERANGE)."""
    s = text[1:] if text.startswith("+") else text
    base = 10
    if s[:1] == "0":
        base = 16 if s[1:2] in ("x", "X") and s[2:3].lower() in "0123456789abcdef" and \
            s[2:3] else 8
        if base == 16:
            s = s[2:]
    digits = "0123456789abcdef"[:base]
    n = 0
    i = 0
    while i < len(s) and s[i].lower() in digits:
        n = n * base + digits.index(s[i].lower())
        i += 1
    if i == 0:
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
    rest = s[i:]
    if rest not in ("", "\n"):
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
    if n > 0xFFFF:
        raise OSError(errno.ERANGE, os.strerror(errno.ERANGE))
    return n


def sysfs_write(env: Env, path: str, data: str, prog: str) -> bool:
    """A shell redirection into an SR-IOV attribute; False when PATH is not one. The
    write's failure is PROG's "write error" (bash's wording), status 1."""
    try:
        found = sysfs_attr(env, path)
    except FileNotFoundError:
        raise env.fail(f"sh: {path}: No such file or directory", rc=2) from None
    if found is None:
        return False
    dev, attr = found
    if attr == "sriov_totalvfs":  # read-only: kernfs has no store for it
        raise env.fail(f"sh: {path}: Permission denied", rc=2)
    if not data:  # `echo -n ""` issues no write(): the store is never called
        return True
    try:
        n = kstrtou16(data)
        sriov_of(dev).set_numvfs(n)
    except NetdevError as e:
        if e.errno == errno.EBUSY:  # sriov_numvfs_store's pci_warn
            sriov_of(dev).pf.log(str(e))
        raise env.fail(f"{prog}: write error: {os.strerror(e.errno)}", rc=1) from None
    except OSError as e:
        raise env.fail(f"{prog}: write error: {os.strerror(e.errno or errno.EIO)}",
                       rc=1) from None
    return True


# -- ip link set PF vf N ... --------------------------------------------------------------------
@dataclass
class VfRequest:
    """The ``IFLA_VF_INFO`` attributes ``iplink_parse_vf`` built, in the order
    ``do_setvfinfo`` applies them."""

    vf: int
    changes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


#: ll_proto_a2n's names for the protocols a VF VLAN may use (and a few it refuses)
_PROTOS = {"802.1q": 0x8100, "802.1ad": 0x88A8, "ip": 0x0800, "arp": 0x0806,
           "ipv6": 0x86DD, "all": 0x0003, "loop": 0x0060, "8021q": 0x8100}
_PROTO_NAME = {0x8100: "802.1Q", 0x88A8: "802.1ad"}


def _incomplete(env: Env) -> ScriptError:
    return env.fail('Command line is not complete. Try option "help"', rc=255)


def _invarg(env: Env, value: str, what: str) -> ScriptError:
    """invarg(): its message ends in a newline of its own, so ip prints an empty line."""
    return env.fail(f'Error: argument "{value}" is wrong: {what}\n', rc=255)


_STRTOUL = re.compile(r"^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$")


def _strtoul(v: str) -> tuple[int, bool] | None:
    """strtoul(v, &end, 0) over the whole word: (magnitude, negative), None if not all
    of it is a number."""
    m = _STRTOUL.match(v)
    if m is None:
        return None
    digits = m.group(2)
    n = int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits, 8) \
        if digits.startswith("0") else int(digits)
    return n, m.group(1) == "-"


def _get_unsigned(v: str) -> int | None:
    """get_unsigned(): the whole word a number of at most 32 bits ("-1" is 2**64-1)."""
    r = _strtoul(v)
    if r is None:
        return None
    n = (-r[0]) % 2**64 if r[1] else r[0]
    return n if n <= 0xFFFFFFFF else None


def _get_integer(v: str) -> int | None:
    """get_integer(): strtol base 0 of the whole word, fitting an int."""
    r = _strtoul(v)
    if r is None:
        return None
    n = -r[0] if r[1] else r[0]
    return n if -INT_MAX - 1 <= n <= INT_MAX else None


def _lladdr(env: Env, v: str) -> bytes:
    """ll_addr_a2n(): ':'-separated hex bytes; each piece's own error."""
    out = []
    for piece in v.split(":")[:32]:
        m = re.match(r"\s*(?:0[xX])?([0-9a-fA-F]+)", piece)
        if m is None or int(m.group(1), 16) > 255:
            raise env.fail(f'"{piece}" is invalid lladdr.', rc=1)
        out.append(int(m.group(1), 16))
    return bytes(out)


def _on_off(env: Env, a: Args, key: str) -> bool:
    v = a.value(key)
    if v not in ("on", "off"):
        raise env.fail(f'Error: argument of "{key}" must be one of "off", "on", not "{v}"',
                       rc=1)
    return v == "on"


def _vlan(env: Env, a: Args) -> tuple[int, int, int]:
    """iplink_parse_vf_vlan_info(): VID [qos Q] [proto P]."""
    v = a.value("vlan")
    vid = _get_unsigned(v)
    if vid is None or vid > 4095:
        raise _invarg(env, v, 'Invalid "vlan" value')
    qos, proto = 0, 0x8100
    if a.more() and matches(a.argv[a.i], "qos"):
        a.next()
        q = a.value("qos")
        parsed = _get_unsigned(q)
        if parsed is None:
            raise _invarg(env, q, 'Invalid "qos" value')
        qos = parsed
    if a.more() and matches(a.argv[a.i], "proto"):
        a.next()
        p = a.value("proto")
        num = _PROTOS.get(p.lower())
        if num is None:
            parsed = _get_unsigned(p)
            if parsed is None or parsed > 0xFFFF:
                raise _invarg(env, p, "protocol is invalid")
            num = parsed
        if num not in _PROTO_NAME:
            raise _invarg(env, p, 'Invalid "vlan protocol" value - supported 802.1Q, '
                                  "802.1ad")
        proto = num
    return vid, qos, proto


def _current_rate(env: Env, dev: NetDevice, vf: int) -> tuple[int, int]:
    """ipaddr_get_vf_rate(): (min, max) of VF from the PF's VF list; a device with no
    VF list leaves them as they were (0 here), a PF without that VF ends ip."""
    sr = sriov_of(dev)
    if sr is None:
        return 0, 0
    if not 0 <= vf < len(sr.vfs):
        raise env.fail(f"Cannot find VF {vf}", rc=1)
    cfg = sr.vfs[vf]
    return cfg.min_tx_rate, cfg.max_tx_rate


def _as_int(n: int) -> int:
    """A u32 printed with %d."""
    return n - 2**32 if n > INT_MAX else n


def parse_vf(a: Args, env: Env, dev: NetDevice) -> VfRequest:
    """``vf N ...`` with A just after ``vf`` (iplink_parse_vf)."""
    w = a.value("vf")
    vf = _get_integer(w)
    if vf is None:
        raise _invarg(env, w, 'Invalid "vf" value')
    rest = a.argv[a.i:]
    override_legacy = any(matches(x, "max_tx_rate") for x in rest)
    new_rate_api = override_legacy or any(matches(x, "min_tx_rate") for x in rest)
    req = VfRequest(vf)
    start = a.i
    rate_min: int | None = None
    rate_max: int | None = None
    vlans: list[tuple[int, int, int]] = []
    while a.more():
        w = a.argv[a.i]
        if matches(w, "mac"):
            a.next()
            mac = _lladdr(env, a.value("mac"))
            if len(mac) != len(dev.mac):
                raise env.fail(f"Invalid address length {len(mac)} - must be "
                               f"{len(dev.mac)} bytes", rc=1)
            req.changes.append(("mac", {"mac": mac}))
        elif matches(w, "vlan"):
            a.next()
            vlans.append(_vlan(env, a))
            if vlans[-1][2] != 0x8100:  # a VLAN list: more "vlan" words join it
                while a.more() and matches(a.argv[a.i], "vlan"):
                    a.next()
                    vlans.append(_vlan(env, a))
        elif matches(w, "rate"):
            a.next()
            v = a.value("rate")
            rate = _get_unsigned(v)
            if rate is None:
                raise _invarg(env, v, 'Invalid "rate" value')
            if not new_rate_api:
                req.changes.append(("tx_rate", {"max_tx_rate": rate}))
            elif not override_legacy:
                rate_max = rate
        elif matches(w, "max_tx_rate"):
            a.next()
            v = a.value("max_tx_rate")
            rate_max = _get_unsigned(v)
            if rate_max is None:
                raise _invarg(env, v, 'Invalid "max tx rate" value')
        elif matches(w, "min_tx_rate"):
            a.next()
            v = a.value("min_tx_rate")
            rate_min = _get_unsigned(v)
            if rate_min is None:
                raise _invarg(env, v, 'Invalid "min tx rate" value')
        elif matches(w, "spoofchk"):
            a.next()
            req.changes.append(("spoofchk", {"spoofchk": _on_off(env, a, "spoofchk")}))
        elif matches(w, "query_rss"):
            a.next()
            req.changes.append(("query_rss", {"query_rss": _on_off(env, a, "query_rss")}))
        elif matches(w, "trust"):
            a.next()
            req.changes.append(("trust", {"trust": _on_off(env, a, "trust")}))
        elif matches(w, "state"):
            a.next()
            v = a.value("state")
            state = next((s for s in ("auto", "enable", "disable") if matches(v, s)), None)
            if state is None:
                raise _invarg(env, v, 'Invalid "state" value')
            req.changes.append(("state", {"state": state}))
        elif matches(w, "node_guid") or matches(w, "port_guid"):
            raise NotSupportedYet(f"ip link set ... vf N {w}", "InfiniBand GUIDs",
                                  lineno=env.lineno)
        else:
            break
    if vlans:
        vid, qos, proto = vlans[0]
        kind = "vlan" if proto == 0x8100 else "vlan_list"
        req.changes.append((kind, {"vlan": vid, "qos": qos, "proto": _PROTO_NAME[proto],
                                   "count": len(vlans)}))
    if new_rate_api:
        if rate_min is None or rate_max is None:
            cur_min, cur_max = _current_rate(env, dev, vf)
            rate_min = cur_min if rate_min is None else rate_min
            rate_max = cur_max if rate_max is None else rate_max
        if rate_max and rate_min > rate_max:
            raise env.fail(f"Invalid min_tx_rate {_as_int(rate_min)} - must be <= "
                           f"max_tx_rate {_as_int(rate_max)}", rc=1)
        req.changes.append(("rate", {"max_tx_rate": rate_max, "min_tx_rate": rate_min}))
    if a.i == start:
        raise _incomplete(env)
    return req


#: do_setvfinfo's order of the attributes
_ORDER = ("mac", "vlan", "vlan_list", "tx_rate", "rate", "spoofchk", "state", "query_rss",
          "trust")


def apply_vf(env: Env, dev: NetDevice, req: VfRequest) -> None:
    """``do_setvfinfo``: each attribute in the kernel's order, stopping at the first
    error (those before it stay applied, as in the kernel)."""
    sr = sriov_of(dev)
    for key, change in sorted(req.changes, key=lambda c: _ORDER.index(c[0])):
        if not 0 <= req.vf < INT_MAX:  # ivm->vf >= INT_MAX (a u32 on the wire)
            raise env.fail(rtnetlink_answer(errno.EINVAL), rc=2)
        if sr is None:
            raise env.fail(rtnetlink_answer(errno.EOPNOTSUPP), rc=2)
        args = dict(change)
        try:
            if key == "vlan_list":
                if args.pop("count") > 1:  # MAX_VLAN_LIST_LEN is 1
                    raise NetdevError(errno.EOPNOTSUPP, "one VLAN per VF")
                if args["vlan"] > 4095 or args["qos"] > 7:  # checked by rtnetlink itself
                    raise NetdevError(errno.EINVAL, "vlan > 4095 or qos > 7")
            elif key == "vlan":
                args.pop("count")
            elif key == "tx_rate":  # the legacy rate keeps the VF's min_tx_rate
                if not 0 <= req.vf < len(sr.vfs):
                    raise NetdevError(errno.EINVAL, "no such VF")  # ndo_get_vf_config
                args["min_tx_rate"] = sr.vfs[req.vf].min_tx_rate
            sr.set_vf(req.vf, **args)
        except NetdevError as e:
            raise env.fail(rtnetlink_answer(e.errno), rc=2) from None
