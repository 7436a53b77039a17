"""ICMP error rate limiting (net/ipv4/icmp.c ``icmpv4_xrlim_allow``, ``inet_peer_xrlim_allow``).

Design note
-----------
Linux limits the ICMP errors it sends to each peer with a token bucket: one token per
``icmp_ratelimit`` (1000 ms), at most ``XRLIM_BURST_FACTOR`` (6) saved up. Only the types
in ``icmp_ratemask`` (6168: destination unreachable, source quench, time exceeded,
parameter problem) are limited; "fragmentation needed" is never limited (PMTU discovery
depends on it), nor are errors to a local address. A new peer starts with a full bucket
(its ``rate_last`` is set 60 s in the past). The global ``icmp_msgs_per_sec`` limit (1000
per second, burst 50) is not modelled.

A packet the router cannot route at all goes through ``ip_error`` first, which has its own
bucket on the *same* peer entry (cost ``ip_rt_error_cost`` 1 s, burst
``ip_rt_error_burst`` 5 s) before ``icmp_send`` consults ``icmpv4_xrlim_allow``: each such
error spends two tokens, so a burst of unroutable packets gets two "Net Unreachable"
replies, not six — measured on this kernel with ``ping -c 10 -i 0.1``.
"""

from __future__ import annotations

from vnetlab.sim.clock import S

ICMP_RATELIMIT_NS = 1 * S  # net.ipv4.icmp_ratelimit = 1000 (ms)
XRLIM_BURST_FACTOR = 6
ICMP_RATEMASK = 6168  # net.ipv4.icmp_ratemask: types 3, 4, 11, 12
IP_RT_ERROR_COST_NS = 1 * S  # net.ipv4.route.error_cost = HZ
IP_RT_ERROR_BURST_NS = 5 * S  # net.ipv4.route.error_burst = 5 * HZ
ICMP_DEST_UNREACH = 3
ICMP_FRAG_NEEDED = 4


class IcmpRateLimiter:
    __slots__ = ("peers",)

    def __init__(self) -> None:
        self.peers: dict[int, tuple[int, int]] = {}  # peer -> (rate_tokens, rate_last)

    def allow(self, now: int, type_: int, code: int, peer: int) -> bool:
        if type_ > 18 or not (ICMP_RATEMASK >> type_) & 1:
            return True
        if type_ == ICMP_DEST_UNREACH and code == ICMP_FRAG_NEEDED:
            return True
        timeout = ICMP_RATELIMIT_NS
        tokens, last = self.peers.get(peer, (0, now - 60 * S))
        token = min(tokens + (now - last), XRLIM_BURST_FACTOR * timeout)
        allowed = token >= timeout
        if allowed:
            token -= timeout
        self.peers[peer] = (token, now)
        return allowed

    def ip_error_allow(self, now: int, peer: int) -> bool:
        """``ip_error``'s own check on the shared peer entry (cost 1 s, burst 5 s)."""
        tokens, last = self.peers.get(peer, (0, now - 60 * S))
        tokens = min(tokens + (now - last), IP_RT_ERROR_BURST_NS)
        allowed = tokens >= IP_RT_ERROR_COST_NS
        if allowed:
            tokens -= IP_RT_ERROR_COST_NS
        self.peers[peer] = (tokens, now)
        return allowed
