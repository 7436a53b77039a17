"""Which device kinds this host's kernel can build, found by trying (cached per process).

Design note
-----------
A kind is supported when ``RTM_NEWLINK`` with ``IFLA_INFO_KIND=KIND`` succeeds; the kernel
loads the module itself (``rtnl_link_ops`` lookup falls back to
``request_module("rtnl-link-KIND")``), so "module missing" shows up as ``EOPNOTSUPP``.
Probes run in a throwaway namespace ``vnl-probe-PID`` that this module creates and removes
(never in the root namespace); the result is cached for the process.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
from typing import Any

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL
from pyroute2.netlink.rtnl import RTM_NEWLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from vnetlab.kernel import nl

#: the netlink kind to try, and its ``IFLA_INFO_DATA`` (plus whether it needs a lower link)
PROBES: dict[str, tuple[str, list[list[Any]], bool]] = {
    "veth": ("veth", [["VETH_INFO_PEER", {"attrs": [["IFLA_IFNAME", "probe1"]]}]], False),
    "bridge": ("bridge", [], False),
    "vlan": ("vlan", [["IFLA_VLAN_ID", 10]], True),
    "vxlan": ("vxlan", [["IFLA_VXLAN_ID", 10], ["IFLA_VXLAN_PORT", 4789]], False),
    "geneve": ("geneve", [["IFLA_GENEVE_ID", 10], ["IFLA_GENEVE_REMOTE", "10.0.0.1"]], False),
    "macvlan": ("macvlan", [], True),
    "ipvlan": ("ipvlan", [], True),
    "dummy": ("dummy", [], False),
    # not a kind: a bridge created with IFLA_BR_VLAN_FILTERING=1 needs
    # CONFIG_BRIDGE_VLAN_FILTERING (without it br_changelink answers EOPNOTSUPP)
    "bridge-vlan-filtering": ("bridge", [["IFLA_BR_VLAN_FILTERING", 1]], False),
}

#: what a refusal means for probes that are not a device kind of their own
FEATURE_REASONS: dict[str, str] = {
    "bridge-vlan-filtering": "this kernel's bridge has no VLAN filtering "
    "(CONFIG_BRIDGE_VLAN_FILTERING off: `ip link add BR type bridge vlan_filtering 1` "
    "answers EOPNOTSUPP)",
}


def _try(sock: nl.NlSocket, kind: str, data: list[list[Any]], lower: int | None,
         n: int) -> str | None:
    m = ifinfmsg()
    m["family"] = 0
    m["index"] = 0
    attrs: list[list[Any]] = [["IFLA_IFNAME", "probe0" if n < 0 else f"probe{n + 2}"]]
    if lower is not None:
        attrs.append(["IFLA_LINK", lower])
    info: list[list[Any]] = [["IFLA_INFO_KIND", kind]]
    if data:
        info.append(["IFLA_INFO_DATA", {"attrs": data}])
    attrs.append(["IFLA_LINKINFO", {"attrs": info}])
    m["attrs"] = attrs
    try:
        sock.request(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
    except nl.NetlinkRequestError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.ENOENT):
            return f"this kernel has no {kind} support (module missing: EOPNOTSUPP)"
        return f"creating a {kind} failed here: {e.strerror}"
    return None


def _try_feature(sock: nl.NlSocket, key: str, n: int) -> str | None:
    nlkind, data, _ = PROBES[key]
    reason = _try(sock, nlkind, data, None, n)
    if reason is not None and "EOPNOTSUPP" in reason:
        return FEATURE_REASONS[key]
    return reason


@functools.cache
def probe_kinds(kinds: tuple[str, ...] = tuple(PROBES)) -> dict[str, str | None]:
    """kind -> None if the kernel builds it, else the reason it cannot."""
    name = f"vnl-probe-{os.getpid()}"
    nl.remove_netns(name)  # a stale one of ours (same pid, earlier crash)
    fd, sock = nl.create_netns(name)
    out: dict[str, str | None] = {}
    try:
        lower = None
        veth_reason = _try(sock, "veth", PROBES["veth"][1], None, -1)
        if veth_reason is None:
            lower = 0  # filled below
            links = sock.dump(_getlink(), 18)
            for m in links:
                if m.get_attr("IFLA_IFNAME") == "probe1":
                    lower = m["index"]
        for n, kind in enumerate(kinds):
            if kind in ("tun", "tap"):  # not an rtnetlink kind: made through /dev/net/tun
                out[kind] = _probe_tun()
                continue
            if kind not in PROBES:
                out[kind] = f"vnetlab does not know how to probe {kind}"
                continue
            if kind == "veth":
                out[kind] = veth_reason
                continue
            if kind in FEATURE_REASONS:
                out[kind] = _try_feature(sock, kind, n)
                continue
            nlkind, data, needs_lower = PROBES[kind]
            if needs_lower and not lower:
                out[kind] = f"cannot probe {kind} without a veth to stack it on"
                continue
            out[kind] = _try(sock, nlkind, data, lower if needs_lower else None, n)
    finally:
        sock.close()
        os.close(fd)
        with contextlib.suppress(OSError):
            nl.remove_netns(name)
    return out


def _probe_tun() -> str | None:
    """TUN/TAP need the /dev/net/tun character device (CONFIG_TUN)."""
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC))
    except OSError as e:
        return f"/dev/net/tun cannot be opened here ({e.strerror}): no TUN/TAP support"
    return None


def _getlink() -> ifinfmsg:
    m = ifinfmsg()
    m["family"] = 0
    return m


def unsupported_kinds(kinds: list[str] | tuple[str, ...] | set[str]) -> dict[str, str]:
    """For the kinds a lab uses: those this host cannot build, with the reason."""
    wanted = tuple(sorted(set(kinds)))
    if not wanted:
        return {}
    result = probe_kinds(wanted)
    return {k: r for k, r in result.items() if r is not None}
