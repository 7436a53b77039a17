"""The emulated host a script runs against: namespaces, the uplink, device plumbing.

Design note
-----------
A fresh world is what a freshly booted host looks like to ``ip``: one namespace, named
``host`` (the script's "root" namespace), with ``lo`` up and an ``eth0`` that is up and has
carrier. That ``eth0`` is the *lab's own* emulated NIC — a physical port (``PfDevice``,
kind ``nic``) cabled to a port in a hidden namespace (``vnl-uplink``, the "network
outside"), never the machine's interface — so the seed's ``ip link set eth0 master br0``
or ``... type vxlan dev eth0`` act on it. Like a server's 10G NIC it has SR-IOV
(``sriov_totalvfs`` 8, none enabled), so the seed's ``echo 4 >
/sys/class/net/eth0/device/sriov_numvfs`` makes ``eth0v0``..``eth0v3`` next to it. A
physical device cannot be deleted (EOPNOTSUPP); a namespace that goes hands its physical
devices back to the root namespace (``default_device_exit``).
``--lab LAB`` starts from a built lab instead: its nodes are the namespaces (a node named
``host`` is the root namespace; without one, a fresh ``host`` is added).

Namespaces created by ``ip netns add`` start as the kernel's do: only ``lo``, down.
Every namespace of the script world has IPv6 on, as on the user's machine (the kernel's
default): a device that comes up gets its link-local address, does DAD and sends its MLD
reports and router solicitations on virtual time, which lets time pass only where the
script does (``sleep``, ``ping``, a background ``tcpdump``), as before.
Devices are created through the emulator's own builder table (``DEVICE_BUILDERS``) from
the model's spec classes (``SPEC_BY_KIND``), looked up at run time, so a kind another part
of vnetlab adds becomes scriptable without a change here; a kind missing from either table
is reported as "not supported yet". MACs are deterministic (``generated_mac`` of the
namespace and name), so a script's output is the same on every run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from vnetlab.model.resolver import generated_mac
from vnetlab.model.spec import LabSpec
from vnetlab.script.fmt_linkinfo import PHYSICAL
from vnetlab.script.setup import run_setup
from vnetlab.sim.build import DEVICE_BUILDERS
from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.sriov.pf import PfDevice, SriovState
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.netns import Namespace
from vnetlab.wire.mac import mac_to_bytes

ROOT_NS = "host"
UPLINK_NS = "vnl-uplink"
#: the fresh host's eth0: a 10G SR-IOV NIC port (the model's defaults: ``SriovSpec``)
NIC_SPEED = 10000
NIC_TOTALVFS = 8
NIC_DESCRIPTORS = 4096
NIC_RING = 1024


class World:
    """Everything a script session changes: one ``SimEngine`` plus bookkeeping."""

    def __init__(self, lab: LabSpec | None = None, *, bare: bool = False,
                 engine: SimEngine | None = None) -> None:
        """A fresh host (``bare``: without the emulated ``eth0``), or LAB built, or the
        already realized ENGINE (a lab's ``setup:`` script)."""
        if engine is None:
            engine = SimEngine(setup_runner=run_setup)
            if lab is not None:
                engine.realize(lab)
        else:
            lab = engine.lab
        self.engine = engine
        self.lab_name = lab.name if lab is not None else "script"
        self.namespaces: dict[str, Namespace] = self.engine.namespaces
        self.hidden: dict[str, Namespace] = {}
        self.sysctls: dict[str, dict[str, str]] = {}  # values stored but not modelled
        self.self_fdb: dict[tuple[str, str], list[str]] = {}  # "bridge fdb add ... self"
        self._used_macs: set[bytes] = {
            d.mac for ns in self.namespaces.values() for d in ns.devices.values()
        }
        #: per viewing namespace, the ids it gave its peers (``peernet2id_alloc``)
        self.nsids: dict[str, dict[str, int]] = {}
        #: where relative and absolute paths of ``tcpdump -w`` and ``>`` go (None: as given)
        self.file_root: Path | None = None
        if ROOT_NS not in self.namespaces:
            # a lab without a "host" node keeps its node list: the root namespace is hidden
            self._fresh_root(bare=bare, visible=lab is None)

    @property
    def sched(self) -> Scheduler:
        return self.engine.sched

    def _fresh_root(self, *, bare: bool, visible: bool) -> None:
        host = Namespace(ROOT_NS, self.sched, ipv6=True)
        (self.namespaces if visible else self.hidden)[ROOT_NS] = host
        if bare:
            return
        uplink = Namespace(UPLINK_NS, self.sched, ipv6=True)
        self.hidden[UPLINK_NS] = uplink
        self.link_nsids(ROOT_NS, UPLINK_NS)
        a = PfDevice(host, "eth0", self.new_mac(ROOT_NS, "eth0"), 1500, NIC_SPEED)
        a.sriov = SriovState(a, NIC_TOTALVFS, NIC_DESCRIPTORS, NIC_RING, "per-vf")
        b = PfDevice(uplink, "eth0", self.new_mac(UPLINK_NS, "eth0"), 1500, NIC_SPEED)
        a.plug(b)
        b.set_admin(True)
        a.set_admin(True)

    def get_ns(self, name: str) -> Namespace:
        ns = self.namespaces.get(name)
        if ns is None and name == ROOT_NS:
            return self.hidden[ROOT_NS]
        if ns is None:
            raise KeyError(name)
        return ns

    def has_ns(self, name: str) -> bool:
        return name in self.namespaces

    # -- namespaces ---------------------------------------------------------------------
    def add_netns(self, name: str) -> Namespace:
        ns = Namespace(name, self.sched, ipv6=True)
        ns.lo.set_admin(False)  # a new network namespace's lo starts down, no address yet
        for a in list(ns.addrs.get(ns.lo, [])):
            ns.del_addr(ns.lo, a)
        self.namespaces[name] = ns
        return ns

    def del_netns(self, name: str) -> None:
        """``ip netns del``: the namespace's devices go; a veth's peer elsewhere with them."""
        ns = self.namespaces.pop(name)
        root = self.get_ns(ROOT_NS)
        for dev in sorted(ns.devices.values(), key=lambda d: -d.ifindex):
            if dev is ns.lo or dev.name not in ns.devices:
                continue
            if dev.kind in PHYSICAL and root is not ns:
                self._return_to_root(dev, root)
            else:
                self.delete(dev)
        self.nsids.pop(name, None)
        for table in self.nsids.values():
            table.pop(name, None)

    @staticmethod
    def _return_to_root(dev: NetDevice, root: Namespace) -> None:
        """``default_device_exit``: a physical device of a dying namespace goes back to
        the root namespace, as ``devN`` when its name is taken there."""
        if dev.name in root.devices:
            n = 0
            while f"dev{n}" in root.devices:
                n += 1
            dev.ns.devices.pop(dev.name)
            dev.name = f"dev{n}"
            dev.ns.devices[dev.name] = dev
        dev.ns.move_device(dev, root)

    def nsid(self, viewer: str, target: str) -> int:
        """The id VIEWER knows TARGET by, allocated on first use (``peernet2id_alloc``)."""
        table = self.nsids.setdefault(viewer, {})
        if target not in table:
            table[target] = len(table)
        return table[target]

    def link_nsids(self, here: str, there: str) -> None:
        """A device in HERE got a peer in THERE: the kernel's notifications allocate the id
        in THERE's table first, then in HERE's."""
        self.nsid(there, here)
        self.nsid(here, there)

    # -- devices -------------------------------------------------------------------------
    def new_mac(self, ns: str, name: str) -> bytes:
        n = 0
        while True:
            mac = mac_to_bytes(generated_mac(self.lab_name, ns, name, n))
            if mac not in self._used_macs:
                self._used_macs.add(mac)
                return mac
            n += 1

    def build(self, ns: Namespace, kind: str, name: str, spec: Any,
              lower: NetDevice | None = None) -> NetDevice:
        """Create a device of KIND through the emulator's builder table; ``lower`` is the
        device a macvlan/ipvlan sits on (it may be in another namespace), other references
        are names in ``ns``."""

        def resolve(ref: str) -> NetDevice:
            return lower if lower is not None else ns.dev(ref.rpartition(":")[2])

        return DEVICE_BUILDERS[kind](ns, name, spec, resolve)

    def add_veth(self, ns: Namespace, name: str, peer_ns: Namespace, peer: str,
                 mtu: int, mac: bytes | None, peer_mac: bytes | None) -> Veth:
        """``veth_newlink``: the peer is registered first (it gets the lower ifindex)."""
        b = Veth(peer_ns, peer, peer_mac or self.new_mac(peer_ns.name, peer), mtu)
        a = Veth(ns, name, mac or self.new_mac(ns.name, name), mtu)
        Veth.pair(a, b)
        return a

    def delete(self, dev: NetDevice) -> None:
        """``ip link del``: a veth takes its peer along; a device takes its VLANs along."""
        ns = dev.ns
        if dev.vlans:
            for child in list(dev.vlans.values()):
                self.delete(child)
        ns.unregister(dev)  # the kind's ndo_uninit frees its VID, VNI socket, group
        if isinstance(dev, Veth) and dev.peer is not None:
            peer = dev.peer
            dev.peer = None
            peer.peer = None
            if peer.name in peer.ns.devices and peer.ns.devices[peer.name] is peer:
                peer.ns.unregister(peer)
        self._used_macs.discard(dev.mac)

    def path(self, p: str) -> Path:
        """A file path of the script, under ``file_root`` when one is set."""
        if self.file_root is None:
            return Path(p)
        return self.file_root / p.lstrip("/")

    def write_path(self, p: str) -> Path:
        """Where the script may write (``> FILE``, ``tcpdump -w``): the working directory
        or the temp directory. A script pasted from a how-to runs against the emulator; it
        must never overwrite a file of the machine (``> /etc/hosts`` as root)."""
        target = self.path(p)
        if self.file_root is not None:
            return target
        real = Path(os.path.realpath(target))
        allowed = [Path(os.path.realpath(d)) for d in (Path.cwd(), tempfile.gettempdir())]
        if not any(real == a or a in real.parents for a in allowed):
            raise PermissionError(
                f"refusing to write {p}: a script may write only under the working directory "
                f"or {tempfile.gettempdir()} (it runs in the emulator, not on this machine)"
            )
        return target

    def observe(self) -> Any:
        """The engine-neutral snapshot of every visible namespace."""
        from vnetlab.sim.observe import observe_lab

        return observe_lab(self.lab_name, self.namespaces)

    def all_namespaces(self) -> dict[str, Namespace]:
        return {**self.namespaces, **self.hidden}

    def ns_of(self, dev: NetDevice) -> str:
        return dev.ns.name

    def bridges(self, ns: Namespace) -> list[BridgeDevice]:
        return [d for d in ns.devices.values() if isinstance(d, BridgeDevice)]
