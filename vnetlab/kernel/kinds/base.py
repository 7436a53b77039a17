"""What the linux engine knows about one device kind: ``KernelKind``.

Design note
-----------
Each kind's module in ``vnetlab.kernel.kinds`` fills in one ``KernelKind``: how a spec
becomes ops (``realize``, and ``configure`` for what comes after bridge ports joined), how
to find out whether this kernel has it (``probe``, ``features``, ``refuse``), and what the
observer must know about its links (``info_kind``, linkwatch flags, decoders). The plan,
the feature probe and the observer read only these fields, so they never name a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from vnetlab.kernel.ops.base import Op
from vnetlab.kernel.probe import Prober
from vnetlab.model.netdev import NetdevSpec
from vnetlab.model.state import FdbState

S = TypeVar("S", bound=NetdevSpec)


@dataclass(slots=True)
class Indexer:
    """Per-namespace ifindex allocation (lo is 1 in a fresh namespace)."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, ns: str) -> int:
        i = self.next.get(ns, 2)
        self.next[ns] = i + 1
        return i


@dataclass(frozen=True, slots=True)
class Where:
    """Where a device is made: its node and name, every node's namespace (a lower device
    may be in another node) and the plan's ifindex allocator; ``nodes``: every node's
    interfaces (a VF's realizer reads its PF's ``device``), ``alias``: the lab's tag."""

    node: str
    ifname: str
    namespaces: Mapping[str, str]
    idx: Indexer
    nodes: Mapping[str, Mapping[str, NetdevSpec]] = field(default_factory=dict)
    alias: str = ""

    @property
    def ns(self) -> str:
        return self.namespaces[self.node]

    def take_index(self) -> int:
        return self.idx.take(self.ns)


#: None if this kernel builds it, else why not (run in the probe namespace)
Probe = Callable[[Prober], str | None]
#: the plan's ops once bridge ports joined (its step 5): (namespace, ifname, spec, node's devices)
Configure = Callable[[str, str, S, Mapping[str, NetdevSpec]], list[Op]]
#: a veth end's peer ``NODE:IFNAME``: (node, its link message, every node's links by
#: ifindex, the peer the model expects or None)
PeerDecoder = Callable[[str, Any, Mapping[str, Mapping[int, Any]], tuple[str, str] | None],
                       str | None]
#: one entry of the device's own forwarding table (``bridge fdb show dev D ... self``)
SelfFdbDecoder = Callable[[Any, str], FdbState | None]


@dataclass(frozen=True, slots=True)
class Feature:
    """A kernel option one kind's specs may need (``CONFIG_BRIDGE_VLAN_FILTERING``)."""

    key: str  # the probe key, e.g. "bridge-vlan-filtering"
    what: str  # how a refusal names it: "is a bridge with vlan_filtering: ..."
    wanted: Callable[[Any], bool]  # does this spec need it
    probe: Probe


def _no_ops(ns: str, ifname: str, spec: Any, ifaces: Mapping[str, NetdevSpec]) -> list[Op]:
    return []


def _never(spec: Any) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class KernelKind(Generic[S]):
    """One device kind on the linux engine."""

    #: ``IFLA_INFO_KIND`` of the kernel's links of this kind (a TAP reports ``tun``)
    info_kind: str
    #: spec -> the ops that make the device (a veth end: none, ``links:`` makes the pair)
    realize: Callable[[Where, S], list[Op]]
    probe: Probe
    configure: Configure[S] = _no_ops
    #: why a spec of this kind can never be built by Linux, as "with X: REASON", or None
    refuse: Callable[[S], str | None] = _never
    features: tuple[Feature, ...] = ()
    #: other links join it (``master``): brought up before them
    enslaves: bool = False
    #: the host's own device (a NIC's physical function): it stays in the host's
    #: namespace, so the plan never tags, addresses, enslaves or brings it up in the lab
    in_host: bool = False
    #: carrier follows a link partner through linkwatch (veth peer, bridge ports)
    carrier: bool = False
    #: operstate copied from the lower device by linkwatch (``NETDEV_CHANGE`` ->
    #: ``netif_stacked_transfer_operstate``): lags one step behind it
    follows_lower: bool = False
    decode_peer: PeerDecoder | None = None
    decode_self_fdb: SelfFdbDecoder | None = None
