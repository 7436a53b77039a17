"""The IPv6 sysctls of one namespace: ``net.ipv6.conf.{all,default,DEV}.*``,
``net.ipv6.neigh.{default,DEV}.*`` and ``net.ipv6.icmp.*`` (net/ipv6/addrconf.c
``ipv6_devconf``/``ipv6_devconf_dflt``, ``addrconf_sysctl``).

Design note
-----------
``Ipv6Conf`` is ``struct ipv6_devconf`` with the kernel's defaults (measured on this kernel
in a fresh namespace: ``all`` differs from ``default`` only in ``accept_dad`` 0 vs 1; a
device's ``mtu`` is its link MTU, ``lo``'s ``accept_dad`` is -1). The semantics of the three
levels are the kernel's:

* ``default`` is copied into a device's conf when the device registers (``ipv6_add_dev``
  → ``memcpy(&ndev->cnf, dev_net(dev)->ipv6.devconf_dflt, ...)``); changing it later only
  affects devices registered afterwards;
* writing ``all.forwarding`` or ``all.disable_ipv6`` also writes ``default`` and every
  device (``addrconf_fixup_forwarding``, ``addrconf_set_all_disable_ipv6``); the other
  ``all`` values are consulted by the code that reads them (``accept_dad``: the larger of
  all and device, as ``ipv6_accept_dad`` in 6.x; ``force_mld_version``: the larger);
* the per-device values rule everything else.

Field names follow the contract of this stop; the sysctl *file* names are the kernel's
(``router_solicitation_delay`` for ``rtr_solicitation_delay``) and the table below maps
them. Values are the integers ``sysctl`` shows (seconds for the RS timers, milliseconds
for the MLD intervals). Bad values raise ``OSError(EINVAL)`` as ``proc_dointvec_minmax``
does; unknown keys ``OSError(ENOENT)``; reading an unset ``stable_secret`` ``EIO``.

What the emulator's stack does when a write changes something (``disable_ipv6`` dropping
addresses, ``forwarding`` turning a host into a router) is ``Ipv6Stack``'s job: this module
only stores and validates.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, fields
from operator import attrgetter

#: sysctl file name -> Ipv6Conf field (identity where they agree)
CONF_KEYS: dict[str, str] = {
    "disable_ipv6": "disable_ipv6",
    "forwarding": "forwarding",
    "addr_gen_mode": "addr_gen_mode",
    "dad_transmits": "dad_transmits",
    "accept_dad": "accept_dad",
    "router_solicitations": "router_solicitations",
    "router_solicitation_delay": "rtr_solicitation_delay",
    "router_solicitation_interval": "rtr_solicitation_interval",
    "router_solicitation_max_interval": "rtr_solicitation_max_interval",
    "mtu": "mtu",
    "hop_limit": "hop_limit",
    "stable_secret": "stable_secret",
    "mldv1_unsolicited_report_interval": "mldv1_unsolicited_report_interval",
    "mldv2_unsolicited_report_interval": "mldv2_unsolicited_report_interval",
    "force_mld_version": "force_mld_version",
    "accept_ra": "accept_ra",
}

IPV6_MIN_MTU = 1280


@dataclass(slots=True)
class Ipv6Conf:
    """``struct ipv6_devconf`` (the subset this emulator acts on), kernel defaults."""

    disable_ipv6: int = 0
    forwarding: int = 0
    addr_gen_mode: int = 0
    dad_transmits: int = 1
    accept_dad: int = 1
    router_solicitations: int = -1
    rtr_solicitation_delay: int = 1  # seconds
    rtr_solicitation_interval: int = 4  # seconds
    rtr_solicitation_max_interval: int = 3600  # seconds
    mtu: int = IPV6_MIN_MTU
    hop_limit: int = 64
    stable_secret: str | None = None  # an IPv6 address in text; None: unset (EIO on read)
    mldv1_unsolicited_report_interval: int = 10000  # ms
    mldv2_unsolicited_report_interval: int = 1000  # ms
    force_mld_version: int = 0
    accept_ra: int = 1

    def copy(self) -> Ipv6Conf:
        """A copy (``ipv6_add_dev``'s memcpy of ``default``): one per registered device,
        so it is kept cheap (``dataclasses.replace`` costs ten times more)."""
        return Ipv6Conf(*_GET_ALL(self))


_GET_ALL = attrgetter(*(f.name for f in fields(Ipv6Conf)))


def _bounds(name: str) -> tuple[int, int] | None:
    """``addrconf_sysctl``'s extra1/extra2 for the fields that have them."""
    return {
        "hop_limit": (1, 255),
        "addr_gen_mode": (0, 3),
        "force_mld_version": (0, 2),
        "disable_ipv6": (-(1 << 31), (1 << 31) - 1),
        "mtu": (IPV6_MIN_MTU, (1 << 31) - 1),
    }.get(name)


def parse_conf_value(conf: Ipv6Conf, name: str, value: str | int) -> int | str:
    """Validate VALUE for field NAME; OSError(EINVAL) when the kernel refuses it."""
    if name == "stable_secret":
        import ipaddress

        try:
            return str(ipaddress.IPv6Address(str(value).strip()))
        except ValueError:
            raise OSError(errno.EIO, "Input/output error") from None
    try:
        v = int(str(value).strip())
    except ValueError:
        raise OSError(errno.EINVAL, "Invalid argument") from None
    if not -(1 << 31) <= v < (1 << 31):
        raise OSError(errno.EINVAL, "Invalid argument")
    b = _bounds(name)
    if b is not None and not b[0] <= v <= b[1]:
        raise OSError(errno.EINVAL, "Invalid argument")
    return v


def conf_get(conf: Ipv6Conf, key: str) -> str:
    """The text ``sysctl -n`` prints for file KEY of CONF."""
    name = CONF_KEYS.get(key)
    if name is None:
        raise OSError(errno.ENOENT, "No such file or directory")
    v = getattr(conf, name)
    if v is None:
        raise OSError(errno.EIO, "Input/output error")
    return str(v)


def conf_field(key: str) -> str:
    name = CONF_KEYS.get(key)
    if name is None:
        raise OSError(errno.ENOENT, "No such file or directory")
    return name


#: ``nd_tbl.parms`` (net/ipv6/ndisc.c), the values sysctl shows under net.ipv6.neigh.DEV
NEIGH_DEFAULTS: dict[str, int] = {
    "anycast_delay": 100,
    "app_solicit": 0,
    "base_reachable_time_ms": 30000,
    "delay_first_probe_time": 5,
    "gc_stale_time": 60,
    "interval_probe_time_ms": 5000,
    "locktime": 0,
    "mcast_resolicit": 0,
    "mcast_solicit": 3,
    "proxy_delay": 80,
    "proxy_qlen": 64,
    "retrans_time_ms": 1000,
    "ucast_solicit": 3,
    "unres_qlen": 101,
    "unres_qlen_bytes": 212992,
}
#: second-granularity aliases the kernel keeps beside the _ms files
NEIGH_ALIASES: dict[str, tuple[str, int]] = {
    "base_reachable_time": ("base_reachable_time_ms", 1000),
}

#: ``net.ipv6.icmp.*`` (net/ipv6/icmp.c ``ipv6_icmp_sysctl_init``)
ICMP_DEFAULTS: dict[str, int | str] = {
    "echo_ignore_all": 0,
    "echo_ignore_anycast": 0,
    "echo_ignore_multicast": 0,
    "error_anycast_as_unicast": 0,
    "ratelimit": 100,  # ms: measured on 6.18 (one token per 100 ms)
    "ratemask": "0-1,3-127",
}


def conf_field_names() -> list[str]:
    return [f.name for f in fields(Ipv6Conf)]


__all__ = [
    "CONF_KEYS",
    "ICMP_DEFAULTS",
    "IPV6_MIN_MTU",
    "Ipv6Conf",
    "NEIGH_DEFAULTS",
    "conf_field",
    "conf_get",
    "parse_conf_value",
]
