"""dummy: a device that discards what it sends (drivers/net/dummy.c).

``ip link add NAME type dummy`` — no options of its own. Its use is an address that is
always there (a router ID, a service IP) and an interface to route traffic into nothing.
"""

from __future__ import annotations

from typing import Literal

from vnetlab.model.netdev import NetdevSpec


class DummySpec(NetdevSpec):
    """A dummy device: every packet routed out of it is counted and freed."""

    type: Literal["dummy"]

    def ip_link_type(self) -> list[str]:
        return ["type", "dummy"]
