"""vf: an SR-IOV virtual function's netdev, placed in a node.

Design note
-----------
``eth0v0: {type: vf, link: host:eth0, vf: 0}`` is VF 0 of the PF ``host:eth0``, moved into
this node (``ip link set eth0v0 netns NODE`` after ``echo N > .../sriov_numvfs`` created
it in the PF's namespace). Enabled VFs that no node places stay in the PF's node under
the name ``{pf}v{N}`` (systemd's naming for VFs, the seed's ``eth0v0``); resolve() adds
them. The VF's own MTU is the VF driver's default (1500), not the PF's: a VF is a netdev
of its own driver (iavf, ixgbevf, mlx5), not a stacked device.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from vnetlab.model.kinds.lowerdev import LowerDevSpec


class VfSpec(LowerDevSpec):
    """VF ``vf`` of the PF ``link`` (``IFNAME`` or ``NODE:IFNAME``), living in this node."""

    type: Literal["vf"]
    vf: int = Field(ge=0, le=0xFFFE)
    mtu: int = Field(1500, ge=68, le=65535)
    #: ``ip link set NAME promisc on``: the VF driver asks the PF for every frame of its
    #: VLAN; the NIC grants it only to a trusted VF (``trust on``)
    promisc: bool = False
