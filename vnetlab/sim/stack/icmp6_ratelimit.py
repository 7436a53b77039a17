"""ICMPv6 error rate limiting (net/ipv6/icmp.c ``icmpv6_xrlim_allow``).

Design note
-----------
The same per-peer token bucket as IPv4 (``inet_peer_xrlim_allow``, burst 6 tokens) with
the timeout ``net.ipv6.icmp.ratelimit`` (100 ms on this kernel) scaled by the route's
prefix length the way ``icmpv6_xrlim_allow`` does: ``tmo >>= (128 - plen) >> 5`` — a /64
route to the peer divides it by 4, a default route by 16. Types outside
``net.ipv6.icmp.ratemask`` (echo reply etc.; default "0-1,3-127": every error except
packet too big) are not limited, nor are errors to a local peer. The global
``icmp_msgs_per_sec`` bucket is not modelled.
"""

from __future__ import annotations

from vnetlab.sim.clock import MS, S

XRLIM_BURST_FACTOR = 6


def parse_ratemask(text: str) -> set[int]:
    """``proc_do_large_bitmap``'s range list: "0-1,3-127" -> {0, 1, 3, ..., 127}."""
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    return out


class Icmp6RateLimiter:
    __slots__ = ("peers",)

    def __init__(self) -> None:
        self.peers: dict[int, tuple[int, int]] = {}  # peer -> (tokens, last)

    def allow(self, now: int, type_: int, peer: int, *, ratelimit_ms: int,
              ratemask: str, plen: int) -> bool:
        if type_ not in parse_ratemask(ratemask):
            return True
        timeout = ratelimit_ms * MS
        if plen < 128:
            timeout >>= (128 - plen) >> 5
        tokens, last = self.peers.get(peer, (0, now - 60 * S))
        token = min(tokens + (now - last), XRLIM_BURST_FACTOR * timeout)
        allowed = token >= timeout
        if allowed:
            token -= timeout
        self.peers[peer] = (token, now)
        return allowed
