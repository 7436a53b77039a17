"""The model's table of device kinds: one Spec class per ``ip link add ... type KIND``.

Design note
-----------
``SPEC_BY_KIND`` is the model's entry of the per-layer kind tables (the emulator's
``vnetlab.sim.kinds.DEVICE_BUILDERS`` and the linux engine's ``vnetlab.kernel.kinds.KINDS``
must cover each kind or say why not; tests/layers asserts it). ``InterfaceSpec``, the
discriminated union the lab format uses, is built from this table, so a new kind is one
module here plus one line below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Discriminator, Tag

from vnetlab.model.kinds.bridge import BridgeSpec
from vnetlab.model.kinds.dummy import DummySpec
from vnetlab.model.kinds.geneve import GeneveSpec
from vnetlab.model.kinds.ipvlan import IpvlanSpec
from vnetlab.model.kinds.macvlan import MacvlanSpec
from vnetlab.model.kinds.nic import NicSpec
from vnetlab.model.kinds.tuntap import TapSpec, TunSpec
from vnetlab.model.kinds.veth import VethSpec
from vnetlab.model.kinds.vf import VfSpec
from vnetlab.model.kinds.vlan import VlanSpec
from vnetlab.model.kinds.vxlan import VxlanSpec
from vnetlab.model.netdev import NetdevSpec

#: The spec class of each device kind, in the order the lab format documents them.
SPEC_BY_KIND: dict[str, type[NetdevSpec]] = {
    "veth": VethSpec,
    "bridge": BridgeSpec,
    "vlan": VlanSpec,
    "vxlan": VxlanSpec,
    "geneve": GeneveSpec,
    "macvlan": MacvlanSpec,
    "ipvlan": IpvlanSpec,
    "tun": TunSpec,
    "tap": TapSpec,
    "dummy": DummySpec,
    "nic": NicSpec,
    "vf": VfSpec,
}

#: The device kinds the model knows, for the per-layer tables (engines must cover each).
DEVICE_KINDS: tuple[str, ...] = tuple(SPEC_BY_KIND)


def _iface_kind(v: Any) -> str:
    """The discriminator: ``type``, and a missing type means a veth end."""
    kind = v.get("type", "veth") if isinstance(v, dict) else getattr(v, "type", "veth")
    return kind if isinstance(kind, str) else repr(kind)


if TYPE_CHECKING:
    InterfaceSpec = NetdevSpec
else:
    #: One spec per device kind, chosen by ``type`` (a missing type means a veth end).
    InterfaceSpec = Annotated[
        Union[tuple(Annotated[cls, Tag(kind)] for kind, cls in SPEC_BY_KIND.items())],  # noqa: UP007
        Discriminator(_iface_kind),
    ]
