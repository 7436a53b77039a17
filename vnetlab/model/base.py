"""Building blocks shared by every spec: the frozen base model, names, MACs, CIDRs, endpoints.

Design note: each checker raises a ValueError whose message says what is wrong and, via
``SpecValueError``, how to fix it; the loader turns it into a problem with a YAML path.
Names follow the kernel's rules (``dev_valid_name``: at most 15 characters, IFNAMSIZ 16).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

IFNAMSIZ = 16  # include/uapi/linux/if.h: names are at most 15 characters plus NUL
_IFNAME_RE = re.compile(r"^[^\s/:]{1,15}$")
_NODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$")
_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_LAB_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")

#: sysctls a lab may set, with what they mean to the engines.
KNOWN_SYSCTLS = {
    "net.ipv4.ip_forward": "route packets between interfaces (IP forwarding)",
    "net.ipv4.conf.all.forwarding": "same as net.ipv4.ip_forward",
}

#: ``net.ipv6.conf.{all,default,IFNAME}.KEY`` a lab may set, with the values the kernel
#: takes (``addrconf_sysctl``'s proc handlers: ``proc_dointvec`` ranges, -1 allowed where the
#: kernel allows it).
IPV6_CONF_SYSCTLS: dict[str, tuple[int, int]] = {
    "disable_ipv6": (0, 1),
    "forwarding": (0, 1),
    "addr_gen_mode": (0, 3),
    "dad_transmits": (0, 2**31 - 1),
    "accept_dad": (0, 2),
    "accept_ra": (0, 2),
    "router_solicitations": (-1, 2**31 - 1),
    "rtr_solicitation_delay": (0, 2**31 - 1),
    "rtr_solicitation_interval": (0, 2**31 - 1),
    "rtr_solicitation_max_interval": (0, 2**31 - 1),
    "mtu": (1280, 2**31 - 1),
    "hop_limit": (1, 255),
    "force_mld_version": (0, 2),
    "mldv1_unsolicited_report_interval": (0, 2**31 - 1),
    "mldv2_unsolicited_report_interval": (0, 2**31 - 1),
}
#: other ``net.ipv6.*`` keys a lab may set
IPV6_OTHER_SYSCTLS: dict[str, tuple[int, int]] = {
    "net.ipv6.icmp.ratelimit": (0, 2**31 - 1),
}
#: sysctl(8) writes a device's dots as '/' (``net.ipv6.conf.eth0/10.forwarding``)
_IPV6_CONF_RE = re.compile(r"^net\.ipv6\.conf\.(?P<dev>[^.\s]{1,15})\.(?P<key>[a-z0-9_]+)$")
IPV6_SYSCTL_PATTERN = _IPV6_CONF_RE.pattern


def ipv6_sysctl_range(name: str) -> tuple[str | None, tuple[int, int]] | None:
    """``(device or None for all/default, (lo, hi))`` of a ``net.ipv6.*`` key vnetlab
    models, or None."""
    if name in IPV6_OTHER_SYSCTLS:
        return None, IPV6_OTHER_SYSCTLS[name]
    m = _IPV6_CONF_RE.match(name)
    if m is None or m["key"] not in IPV6_CONF_SYSCTLS:
        return None
    dev = None if m["dev"] in ("all", "default") else m["dev"].replace("/", ".")
    return dev, IPV6_CONF_SYSCTLS[m["key"]]


class SpecValueError(ValueError):
    """A ValueError with a hint for the user (the loader shows it on its own line)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class Model(BaseModel):
    """Base: frozen, unknown keys rejected, validated on assignment of defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def check_ifname(name: str) -> str:
    """dev_valid_name() of net/core/dev.c: 1..15 *bytes*, not "." or "..", no '/', ':' or
    whitespace; and no '%' (``dev_get_valid_name`` expands a ``%d`` template, which would
    make the lab's name differ from the device's)."""
    size = len(name.encode("utf-8", "surrogatepass"))
    if size >= IFNAMSIZ:
        chars = f"{len(name)} characters, {size} bytes" if size != len(name) else \
            f"{len(name)} characters"
        raise SpecValueError(
            f"interface name {_clip(name)!r} is {chars}; Linux allows at most 15 bytes "
            "(IFNAMSIZ 16 incl. the terminating NUL; UTF-8 letters take 2-4 bytes each)",
            "use a shorter name",
        )
    if not _IFNAME_RE.match(name) or name in (".", ".."):
        raise ValueError(
            f"interface name {name!r} is not valid: no spaces, '/' or ':' and not empty, "
            "'.' or '..' (dev_valid_name)"
        )
    if "%" in name:
        raise SpecValueError(
            f"interface name {name!r} contains '%'; Linux treats a name like eth%d as a "
            "template and picks the number itself",
            "give the interface its final name, e.g. eth0",
        )
    return name


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def check_mac(value: str) -> str:
    """A unicast Ethernet address, returned in lower case."""
    if not _MAC_RE.match(value):
        raise ValueError(f"{value!r} is not a MAC address like 02:00:00:00:00:01")
    # eth_prepare_mac_addr_change(): !is_valid_ether_addr() -> EADDRNOTAVAIL
    if int(value[:2], 16) & 1:
        raise SpecValueError(
            f"{value!r} is a multicast MAC (the lowest bit of the first byte is set); an "
            "interface needs a unicast one; the kernel says: RTNETLINK answers: Cannot assign "
            "requested address",
            "use a locally administered unicast MAC such as 02:00:00:00:00:01",
        )
    if value.replace(":", "").strip("0") == "":
        raise SpecValueError(
            f"{value!r} is the all-zero MAC, which no interface may have; the kernel says: "
            "RTNETLINK answers: Cannot assign requested address",
            "use a locally administered unicast MAC such as 02:00:00:00:00:01",
        )
    return value.lower()


#: An interface name (validated like the kernel does; the schema states the same rule).
IfName = Annotated[
    str,
    AfterValidator(check_ifname),
    Field(json_schema_extra={"minLength": 1, "maxLength": IFNAMSIZ - 1, "pattern": r"^[^\s/:%]+$"}),
]
#: A unicast MAC address ``xx:xx:xx:xx:xx:xx`` (normalised to lower case).
Mac = Annotated[
    str, AfterValidator(check_mac), Field(json_schema_extra={"pattern": _MAC_RE.pattern})
]


def check_cidr(value: Any) -> Any:
    """``10.0.0.1/24``: an IPv4 address *with* its prefix length, as ``ip addr add`` wants."""
    if isinstance(value, bool | int | float):  # ipaddress would take 5 as 0.0.0.5/32
        raise ValueError(f"{value!r} is not an IPv4 address in CIDR form like 10.0.0.1/24")
    if isinstance(value, str):
        if "/" not in value:
            raise ValueError(
                f"address {value!r} has no prefix length; write it as CIDR, e.g. {value}/24"
            )
        try:
            return ipaddress.IPv4Interface(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an IPv4 address in CIDR form like 10.0.0.1/24"
            ) from None
    return value


#: An interface address in CIDR form (``192.168.1.1/24``).
IPv4Cidr = Annotated[ipaddress.IPv4Interface, BeforeValidator(check_cidr)]


def check_ip_cidr(value: Any) -> Any:
    """``10.0.0.1/24`` or ``2001:db8::1/64``: what ``ip addr add`` takes on a device.

    An IPv6 address is refused as ``ipv6_add_addr`` refuses it (EADDRNOTAVAIL: "Cannot
    assign requested address"): the unspecified ``::``, a multicast address, ``::1``
    (loopback, only on lo) and an IPv4-mapped one.
    """
    if not (isinstance(value, str) and ":" in value):
        return check_cidr(value)
    if "/" not in value:
        raise ValueError(
            f"address {value!r} has no prefix length; write it as CIDR, e.g. {value}/64")
    try:
        iface = ipaddress.IPv6Interface(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IPv6 address in CIDR form like 2001:db8::1/64") from None
    ip = iface.ip
    if ip.scope_id is not None:
        raise ValueError(f"{value!r}: an interface address has no %scope (the device is "
                         "where it is listed)")
    bad = ("the unspecified address" if ip.is_unspecified else
           "a multicast address" if ip.is_multicast else
           "the loopback address" if ip.is_loopback else
           "an IPv4-mapped address" if ip.ipv4_mapped is not None else None)
    if bad is not None:
        raise SpecValueError(
            f"{value!r} is {bad}, which no interface may have; the kernel says: "
            "RTNETLINK answers: Cannot assign requested address",
            "use a unicast address such as 2001:db8::1/64 (documentation prefix) or "
            "fd00::1/64 (unique local)",
        )
    return iface


#: An interface address of either family in CIDR form (``192.168.1.1/24``,
#: ``2001:db8::1/64``); ``ip addr add`` infers the family the same way.
IPCidr = Annotated[
    ipaddress.IPv4Interface | ipaddress.IPv6Interface, BeforeValidator(check_ip_cidr)]


def is_ipv6(addr: ipaddress.IPv4Interface | ipaddress.IPv6Interface) -> bool:
    return addr.version == 6



_ENDPOINT_PATTERN = r"^[^:\s]+:[^\s/:]{1,15}$"


def check_node_name(name: str) -> str:
    if not _NODE_RE.match(name):
        raise ValueError(
            f"node name {name!r} must start with a letter or digit and use only "
            "letters, digits, '_', '.', '-' (at most 31 characters)"
        )
    return name


#: A node (network namespace) name.
NodeName = Annotated[
    str, AfterValidator(check_node_name), Field(json_schema_extra={"pattern": _NODE_RE.pattern})
]


class Endpoint(Model):
    """``NODE:IFNAME`` — one end of a link."""

    node: str
    ifname: IfName

    def __str__(self) -> str:
        return f"{self.node}:{self.ifname}"


def parse_endpoint(v: Any) -> Any:
    """``"NODE:IFNAME"`` → ``{"node": NODE, "ifname": IFNAME}``; other input passes through."""
    if isinstance(v, str):
        node, sep, ifname = v.partition(":")
        if not sep or not node or not ifname:
            raise ValueError(f"{v!r} is not an endpoint; write NODE:IFNAME, e.g. host:veth0")
        check_ifname(ifname)
        return {"node": node, "ifname": ifname}
    return v
