"""The Open vSwitch steps of a plan: each prints as the shell line a user would type and
applies by running that very program.

Design note
-----------
Unlike the rtnetlink ops these fork real programs (the daemons must be real processes, and
configuring through the real ``ovs-vsctl``/``ovs-ofctl`` keeps the printed plan and what is
done one and the same argv). ``shell()`` and ``apply()`` read the same argv list, so they
cannot drift. Tools reach the node's daemons through ``OVS_RUNDIR`` (printed as an
environment prefix, set in the child's environment when applied).

Daemons started are appended to ``Realized.processes`` (the engine writes them into the lab
record: pid + start time) and a cleanup that stops them is queued on
``Realized.cleanups``, which ``apply.destroy`` runs before the namespaces go, so a plan that
fails half-way leaves no daemon behind.
"""

from __future__ import annotations

import os
import shlex
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import Op, Realized
from vnetlab.kernel.ovs import daemons

#: how long a device ovs-vswitchd makes may take to appear after ``ovs-vsctl`` returned
NETDEV_WAIT_S = 5.0


def _line(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def _cleanup(node: str, rundir: str, ns: str) -> Callable[[], None]:
    def run() -> None:
        daemons.stop_node(node, rundir, ns)
    return run


@dataclass(frozen=True, slots=True)
class StartOvsdb(Op):
    """The node's database and ``ovsdb-server`` inside its namespace (``ovs-ctl``'s
    ``start_ovsdb``: create the db, start the server, ``ovs-vsctl init``)."""

    node: str = ""
    rundir: str = ""

    def shell(self) -> str:
        d = self.rundir
        env = daemons.env_prefix(d)
        return " && ".join([
            f"mkdir -p {shlex.quote(d)}",
            _line(daemons.create_argv(d)),
            f"{env} {_line(['ip', 'netns', 'exec', self.ns, *daemons.ovsdb_server_argv(d)])}",
            f"{env} {_line(daemons.init_argv())}",
        ])

    def apply(self, r: Realized) -> None:
        if os.path.exists(f"{self.rundir}/conf.db"):
            left = daemons.find_in(self.node, self.rundir, self.ns)
            if left:
                raise EngineError(f"{self.rundir} belongs to a running "
                                  f"{left[0].prog} (pid {left[0].pid})",
                                  hint="`vnetlab gc` if it is a dead lab's")
            daemons.remove_node_files(self.rundir)
        # queued first: a failure inside start_ovsdb still stops what it started
        r.cleanups.append(_cleanup(self.node, self.rundir, self.ns))
        r.processes.append(daemons.start_ovsdb(self.ns, self.node, self.rundir))


@dataclass(frozen=True, slots=True)
class StartVswitchd(Op):
    """``ovs-vswitchd`` inside the node's namespace, on the node's database."""

    node: str = ""
    rundir: str = ""

    def shell(self) -> str:
        argv = ["ip", "netns", "exec", self.ns, *daemons.vswitchd_argv(self.rundir)]
        return f"{daemons.env_prefix(self.rundir)} {_line(argv)}"

    def apply(self, r: Realized) -> None:
        r.processes.append(daemons.start_vswitchd(self.ns, self.node, self.rundir))


@dataclass(frozen=True, slots=True)
class OvsTool(Op):
    """One ``ovs-vsctl``/``ovs-ofctl`` run against the node's daemons."""

    rundir: str = ""
    argv: tuple[str, ...] = field(default=())

    def shell(self) -> str:
        return f"{daemons.env_prefix(self.rundir)} {_line(list(self.argv))}"

    def apply(self, r: Realized) -> None:
        try:
            daemons.run_tool(list(self.argv), self.rundir)
        except EngineError as e:
            raise EngineError(f"{e.args[0]}; everything this lab had made was removed",
                              hint="the words after the tool's name are Open vSwitch's own: "
                                   "check the lab's ovs: section") from None


@dataclass(frozen=True, slots=True)
class TxOff(Op):
    """``ethtool -K IF tx off``: the userspace datapath reads frames from a veth with a
    packet socket and sends them on unchanged, so a TCP/UDP checksum the sender left to
    offload would arrive unfilled; with tx checksumming off the kernel fills it in."""

    ifname: str = ""

    def argv(self) -> list[str]:
        return ["ip", "netns", "exec", self.ns, "ethtool", "-K", self.ifname, "tx", "off"]

    def shell(self) -> str:
        return _line(self.argv())

    def apply(self, r: Realized) -> None:
        daemons.run_tool(self.argv()[4:], "", ns=self.ns)


#: ``IFF_NOARP`` (include/uapi/linux/if.h)
IFF_NOARP = 0x80


@dataclass(frozen=True, slots=True)
class ArpOff(Op):
    """``ip link set IF arp off`` on a port of a userspace-datapath bridge.

    ovs-vswitchd reads such a port with a packet socket, which takes a *copy*: unlike the
    kernel datapath's (or a Linux bridge's) ``rx_handler`` it leaves every frame to the
    node's own IP stack as well, and with ``arp_ignore=0`` that stack answers ARP for the
    node's addresses *on the port* with the port's MAC (measured: a neighbour of the
    bridge's address then resolves to the veth's MAC, and the node learns neighbours on
    the port). ``IFF_NOARP`` makes ``arp_rcv`` drop ARP on the port, so the node's stack is
    reached only through the bridge's own or internal ports, as on the kernel datapath.
    (A tc ingress drop would hide the frames entirely but needs ``act_gact``, which this
    host's kernel lacks.)"""

    ifname: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} arp off"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname), flags=IFF_NOARP, change=IFF_NOARP)
        h.sock.send_raw(M.RTM_NEWLINK, body, tag=self)


@dataclass(frozen=True, slots=True)
class OvsNetdev(Op):
    """A network device ovs-vswitchd made in the namespace (a bridge's own port, an
    ``internal`` port): wait for it (bounded) and learn its ifindex, so the usual ``ip``
    ops can give it addresses, the lab's tag and ``up``."""

    ifname: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link show dev {self.ifname} >/dev/null"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        deadline = time.monotonic() + NETDEV_WAIT_S
        while True:
            with nl.entered(h.fd):
                try:
                    index = socket.if_nametoindex(self.ifname)
                except OSError:
                    index = 0
            if index:
                h.index[self.ifname] = index
                return
            if time.monotonic() > deadline:
                raise EngineError(f"ovs-vswitchd made no device {self.ifname} in {self.ns} "
                                  f"within {NETDEV_WAIT_S:.0f} s")
            time.sleep(0.02)


@dataclass(frozen=True, slots=True)
class Note(Op):
    """A line of the plan that only says something (``# ...``): what was detected."""

    text: str = ""

    def shell(self) -> str:
        return f"# {self.text}"

    def apply(self, r: Realized) -> None:
        return None
